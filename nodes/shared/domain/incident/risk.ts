import { FieldError, describeValue } from '../../validation/errors';
import { FEVER_THRESHOLD_C, HEALTH_STATUS_KEYS } from '../resident/vocabulary';
import type { Category } from './categories';

/**
 * Risk scoring for incidents. Rules are data (JSON a user can pass in the node).
 *
 * The model is "minimum level": every rule names a condition and the level it guarantees
 * (`atLeast`). An incident's level is the highest `atLeast` among the rules whose condition holds,
 * and `low` when none does. Rules are therefore independent of their order, a rule can only raise
 * the level, and each fired rule contributes one human-readable reason. Signals that only matter
 * together (a fever report *from a quarantined resident*) are combined inside one rule with the
 * `all` / `any` / `not` conditions rather than by adding points.
 *
 * Pure module: no database, no n8n.
 */

export const RISK_LEVELS = ['low', 'medium', 'high', 'critical'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];
export const RISK_LEVEL_LABELS: Record<RiskLevel, string> = {
	low: 'Low (低)',
	medium: 'Medium (中)',
	high: 'High (高)',
	critical: 'Critical (紧急)',
};

export function riskRank(level: RiskLevel): number {
	return RISK_LEVELS.indexOf(level);
}

export function isRiskLevel(value: unknown): value is RiskLevel {
	return typeof value === 'string' && (RISK_LEVELS as readonly string[]).includes(value);
}

/** What a condition can look at. */
export type RiskCondition =
	/** The incident's category code is one of `in`. */
	| { kind: 'category'; in: string[] }
	/**
	 * The description contains at least one of `any`. Chinese (and other non-Latin) keywords match
	 * anywhere; keywords that start or end with a Latin letter or digit only match at a word
	 * boundary on that side, case-insensitively, so "fire" matches "Fire!" and "fire in" but not
	 * "campfire" or "firewood". Text is NFKC-normalized first, so full-width letters count.
	 */
	| { kind: 'keywords'; any: string[] }
	/** The resident concerned carries at least one of these tags (e.g. elderly_living_alone). */
	| { kind: 'residentTag'; any: string[] }
	/**
	 * The resident had a fever observation within `withinHours` hours, at or above
	 * `minTemperatureC` (default 37.3 °C).
	 */
	| { kind: 'recentFever'; withinHours: number; minTemperatureC?: number }
	/** The resident's health status is one of `in` (confirmed, home_quarantine, ...). */
	| { kind: 'healthStatus'; in: string[] }
	/**
	 * At least `min` reports about the same building within 24 h, counting this one
	 * (input `sameBuildingReports24h`).
	 */
	| { kind: 'sameBuildingReports24h'; min: number }
	| { kind: 'all'; conditions: RiskCondition[] }
	| { kind: 'any'; conditions: RiskCondition[] }
	| { kind: 'not'; condition: RiskCondition };

export type RiskConditionKind = RiskCondition['kind'];
export const RISK_CONDITION_KINDS: readonly RiskConditionKind[] = [
	'category', 'keywords', 'residentTag', 'recentFever', 'healthStatus', 'sameBuildingReports24h', 'all', 'any', 'not',
];

export interface RiskRule {
	/** Unique id, shown with the reason (letters, digits, "_", "-", "."). */
	id: string;
	/** The condition under which the rule fires. */
	when: RiskCondition;
	/** The level the incident has at least when the rule fires. */
	atLeast: RiskLevel;
	/** Human-readable reason; generated from the condition when not given. */
	reason?: string;
	/** false switches the rule off (useful to disable a default rule by id). */
	enabled?: boolean;
}

/** Plain input for scoring; the intake gathers it from the incident, the resident and the building. */
export interface RiskInput {
	/** Category code. */
	category: string;
	description?: string | null;
	/** Tags of the resident concerned; empty or absent when there is none. */
	residentTags?: readonly string[] | null;
	/** The resident's latest fever observation, or null when there is none. */
	recentFever?: { temperatureC: number; hoursAgo: number } | null;
	/** The resident's health status (normal, symptomatic, home_quarantine, ...). */
	healthStatus?: string | null;
	/** Reports about the same building within the last 24 h, this one included (so a first report is 1). */
	sameBuildingReports24h?: number | null;
}

export interface FiredRule {
	ruleId: string;
	atLeast: RiskLevel;
	/** The rule's reason followed by the evidence, e.g. `... [keyword "昏迷"]`. */
	reason: string;
	/** What matched: keywords, tags, the fever reading, the report count. */
	evidence: string[];
}

export interface RiskResult {
	level: RiskLevel;
	/** One reason per fired rule, highest level first, then in rule order. Empty when nothing fired. */
	reasons: string[];
	fired: FiredRule[];
}

const QUARANTINED_OR_CONFIRMED = ['confirmed', 'home_quarantine', 'central_quarantine'];

/**
 * The shipped rules. They give, for example: fever report from a confirmed or quarantined
 * resident → critical; danger-to-life words → critical; fever or medical need → high; an elderly
 * resident living alone asking for help → high; sanitation, disputes and other matters → low.
 */
export const DEFAULT_RISK_RULES: readonly RiskRule[] = deepFreeze([
	{
		id: 'symptoms_under_quarantine',
		when: {
			kind: 'all',
			conditions: [
				{ kind: 'healthStatus', in: QUARANTINED_OR_CONFIRMED },
				{
					kind: 'any',
					conditions: [
						{ kind: 'category', in: ['fever_symptoms'] },
						{ kind: 'recentFever', withinHours: 72 },
					],
				},
			],
		},
		atLeast: 'critical',
		reason: 'Fever or symptoms of a confirmed or quarantined resident (确诊或隔离人员出现发热/症状)',
	},
	{
		id: 'confirmed_breach',
		when: {
			kind: 'all',
			conditions: [
				{ kind: 'category', in: ['quarantine_breach'] },
				{ kind: 'healthStatus', in: ['confirmed'] },
			],
		},
		atLeast: 'critical',
		reason: 'A confirmed case is reported breaking isolation (确诊人员违反隔离)',
	},
	{
		id: 'danger_to_life',
		when: {
			kind: 'keywords',
			any: [
				'昏迷', '晕倒', '不省人事', '呼吸困难', '喘不上气', '自杀', '轻生', '跳楼', '割腕',
				'火灾', '起火', '着火', '煤气泄漏', '燃气泄漏', '触电', '大出血',
				'unconscious', 'fainted', 'collapsed', 'not breathing', "can't breathe", 'cannot breathe',
				'difficulty breathing', 'suicide', 'fire', 'gas leak', 'electrocuted', 'heavy bleeding',
			],
		},
		atLeast: 'critical',
		reason: 'The description mentions a danger to life (描述涉及生命危险)',
	},
	{
		id: 'fever_cluster_in_building',
		when: {
			kind: 'all',
			conditions: [
				{ kind: 'category', in: ['fever_symptoms'] },
				{ kind: 'sameBuildingReports24h', min: 3 },
			],
		},
		atLeast: 'critical',
		reason: 'Possible cluster: fever reports from one building within 24 h (同一楼栋24小时内多次发热报告)',
	},
	{
		id: 'epidemic_urgent_category',
		when: { kind: 'category', in: ['fever_symptoms', 'quarantine_breach', 'medical_need'] },
		atLeast: 'high',
		reason: 'Fever, quarantine breaches and medical needs are handled the same day (发热、违反隔离、就医需求当日处置)',
	},
	{
		id: 'high_fever_words',
		when: { kind: 'keywords', any: ['高烧', '高热', '发高烧', '39度', '40度', 'high fever'] },
		atLeast: 'high',
		reason: 'The description mentions a high fever (描述提到高烧)',
	},
	{
		id: 'recent_fever_observation',
		when: { kind: 'recentFever', withinHours: 48 },
		atLeast: 'high',
		reason: 'The resident had a fever in the last 48 h (居民48小时内有发热记录)',
	},
	{
		id: 'vulnerable_needs_help',
		when: {
			kind: 'all',
			conditions: [
				{ kind: 'category', in: ['vulnerable_resident_help', 'supply_need', 'medical_need'] },
				{
					kind: 'any',
					conditions: [
						{ kind: 'residentTag', any: ['elderly_living_alone', 'disabled', 'pregnant'] },
						{ kind: 'keywords', any: ['独居', '孤寡', '空巢', '残疾', '孕妇', 'living alone', 'disabled', 'pregnant'] },
					],
				},
			],
		},
		atLeast: 'high',
		reason: 'A vulnerable resident (e.g. elderly living alone) needs help (特殊人群求助，如独居老人)',
	},
	{
		id: 'repeated_building_reports',
		when: { kind: 'sameBuildingReports24h', min: 3 },
		atLeast: 'high',
		reason: 'Three or more reports about the same building within 24 h (同一楼栋24小时内3次以上报告)',
	},
	{
		id: 'quarantined_resident_involved',
		when: { kind: 'healthStatus', in: QUARANTINED_OR_CONFIRMED },
		atLeast: 'medium',
		reason: 'The resident concerned is confirmed or in quarantine (涉及确诊或隔离人员)',
	},
	{
		id: 'needs_follow_up_category',
		when: { kind: 'category', in: ['arrival_from_risk_area', 'supply_need', 'vulnerable_resident_help', 'safety_hazard'] },
		atLeast: 'medium',
		reason: 'Arrivals from risk areas, supply needs, help requests and safety hazards need follow-up within a working day (涉疫返回、物资、求助、安全隐患需一个工作日内跟进)',
	},
]);

function deepFreeze<T>(value: T): T {
	if (typeof value === 'object' && value !== null) {
		for (const v of Object.values(value)) deepFreeze(v);
		Object.freeze(value);
	}
	return value;
}

// ---------------------------------------------------------------------------------------------
// Validation

const FIELD = 'Risk Rules';
const RULE_KEYS = new Set(['id', 'when', 'atLeast', 'reason', 'enabled']);
const CONDITION_KEYS: Record<RiskConditionKind, string[]> = {
	category: ['in'],
	keywords: ['any'],
	residentTag: ['any'],
	recentFever: ['withinHours', 'minTemperatureC'],
	healthStatus: ['in'],
	sameBuildingReports24h: ['min'],
	all: ['conditions'],
	any: ['conditions'],
	not: ['condition'],
};
const MAX_DEPTH = 6;

export interface CheckRiskRulesOptions {
	/** When given, category conditions may only name codes of this vocabulary. */
	categories?: readonly Category[];
	/** Field name for errors; 'Risk Rules' by default. */
	field?: string;
}

/**
 * Validates user rules given as JSON text or parsed value. Accepted shapes:
 *  - an array of rules: these replace the defaults;
 *  - `{ "includeDefaults": true, "rules": [...] }`: the defaults plus these rules, where a rule
 *    with the id of a default rule replaces it (and `"enabled": false` switches it off).
 * Throws a FieldError (field 'Risk Rules') that names the rule (position and id) and the property
 * at fault, e.g. `rule 2 ("old_people"): when.conditions[1].kind "age" is not a condition kind`.
 * Returns the effective, enabled rules.
 */
export function checkRiskRules(raw: unknown, options: CheckRiskRulesOptions = {}): RiskRule[] {
	const field = options.field ?? FIELD;
	let value = raw;
	if (typeof value === 'string') {
		if (value.trim() === '') throw new FieldError(field, `${field} is empty; give a JSON array of rules`);
		try {
			value = JSON.parse(value);
		} catch (e) {
			throw new FieldError(field, `${field} is not valid JSON: ${(e as Error).message}`);
		}
	}
	let list: unknown;
	let includeDefaults = false;
	if (Array.isArray(value)) {
		list = value;
		if (value.length === 0) {
			throw new FieldError(field, `${field} is an empty list; with no rules every incident would be low risk. Give rules, or {"includeDefaults": true, "rules": []}`);
		}
	} else if (typeof value === 'object' && value !== null) {
		const o = value as Record<string, unknown>;
		for (const key of Object.keys(o)) {
			if (key !== 'includeDefaults' && key !== 'rules') {
				throw new FieldError(field, `${field} has unknown property "${key}"; an object takes only "includeDefaults" and "rules"`);
			}
		}
		if (o.includeDefaults !== undefined && typeof o.includeDefaults !== 'boolean') {
			throw new FieldError(field, `${field}: includeDefaults must be true or false, got ${describeValue(o.includeDefaults)}`);
		}
		includeDefaults = o.includeDefaults === true;
		list = o.rules ?? [];
		if (!Array.isArray(list)) throw new FieldError(field, `${field}: rules must be an array, got ${describeValue(list)}`);
		if (list.length === 0 && !includeDefaults) {
			throw new FieldError(field, `${field} has no rules; with no rules every incident would be low risk`);
		}
	} else {
		throw new FieldError(field, `${field} must be a JSON array of rules such as [{"id": "fire", "when": {"kind": "keywords", "any": ["火灾", "fire"]}, "atLeast": "critical"}], got ${describeValue(value)}`);
	}

	const categoryCodes = options.categories ? new Set(options.categories.map((c) => c.code)) : undefined;
	const seen = new Map<string, number>();
	const rules: RiskRule[] = (list as unknown[]).map((item, i) => {
		const rule = checkRule(item, i, field, categoryCodes);
		const first = seen.get(rule.id);
		if (first !== undefined) {
			throw new FieldError(field, `${field}: rule ${i + 1} repeats the id "${rule.id}" of rule ${first + 1}`);
		}
		seen.set(rule.id, i);
		return rule;
	});

	let effective: RiskRule[] = rules;
	if (includeDefaults) {
		const byId = new Map(rules.map((r) => [r.id, r]));
		effective = DEFAULT_RISK_RULES.map((d) => byId.get(d.id) ?? cloneRule(d));
		const defaultIds = new Set(DEFAULT_RISK_RULES.map((d) => d.id));
		effective.push(...rules.filter((r) => !defaultIds.has(r.id)));
	}
	return effective.filter((r) => r.enabled !== false);
}

function cloneRule(r: RiskRule): RiskRule {
	return JSON.parse(JSON.stringify(r)) as RiskRule;
}

function checkRule(item: unknown, i: number, field: string, categoryCodes?: Set<string>): RiskRule {
	let where = `${field}: rule ${i + 1}`;
	if (typeof item !== 'object' || item === null || Array.isArray(item)) {
		throw new FieldError(field, `${where} must be an object with id, when and atLeast, got ${describeValue(item)}`);
	}
	const o = item as Record<string, unknown>;
	const id = typeof o.id === 'string' ? o.id.trim() : o.id;
	if (typeof id !== 'string' || !/^[A-Za-z0-9_.\-]{1,64}$/.test(id)) {
		throw new FieldError(field, `${where}: id ${describeValue(o.id)} must be 1–64 letters, digits, "_", "." or "-"`);
	}
	where = `${where} ("${id}")`;
	for (const key of Object.keys(o)) {
		if (!RULE_KEYS.has(key)) {
			throw new FieldError(field, `${where} has unknown property "${key}"; a rule has id, when, atLeast, reason and enabled`);
		}
	}
	if (o.enabled !== undefined && typeof o.enabled !== 'boolean') {
		throw new FieldError(field, `${where}: enabled must be true or false, got ${describeValue(o.enabled)}`);
	}
	if (o.enabled === false) {
		// A switched-off rule only needs its id (to disable a default rule).
		return { id, when: { kind: 'all', conditions: [] }, atLeast: 'low', enabled: false };
	}
	if (o.atLeast === undefined) {
		throw new FieldError(field, `${where} needs atLeast, the level it guarantees: ${RISK_LEVELS.join(', ')}`);
	}
	if (!isRiskLevel(o.atLeast)) {
		throw new FieldError(field, `${where}: atLeast ${describeValue(o.atLeast)} is not a risk level; use one of ${RISK_LEVELS.join(', ')}`);
	}
	let reason: string | undefined;
	if (o.reason !== undefined && o.reason !== null) {
		if (typeof o.reason !== 'string' || o.reason.trim() === '') {
			throw new FieldError(field, `${where}: reason must be non-empty text, got ${describeValue(o.reason)}`);
		}
		reason = o.reason.trim();
		if ([...reason].length > 300) throw new FieldError(field, `${where}: reason is longer than 300 characters`);
	}
	if (o.when === undefined) throw new FieldError(field, `${where} needs a condition "when"`);
	const when = checkCondition(o.when, 'when', 1, (msg) => new FieldError(field, `${where}: ${msg}`), categoryCodes);
	const rule: RiskRule = { id, when, atLeast: o.atLeast };
	if (reason !== undefined) rule.reason = reason;
	return rule;
}

function checkCondition(
	value: unknown,
	path: string,
	depth: number,
	fail: (message: string) => FieldError,
	categoryCodes?: Set<string>,
): RiskCondition {
	if (depth > MAX_DEPTH) throw fail(`${path} nests conditions deeper than ${MAX_DEPTH} levels`);
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw fail(`${path} must be a condition object with a "kind", got ${describeValue(value)}`);
	}
	const o = value as Record<string, unknown>;
	const kind = o.kind;
	if (kind === undefined) throw fail(`${path} needs a "kind": one of ${RISK_CONDITION_KINDS.join(', ')}`);
	if (typeof kind !== 'string' || !(RISK_CONDITION_KINDS as readonly string[]).includes(kind)) {
		throw fail(`${path}.kind ${describeValue(kind)} is not a condition kind; use one of ${RISK_CONDITION_KINDS.join(', ')}`);
	}
	const k = kind as RiskConditionKind;
	for (const key of Object.keys(o)) {
		if (key !== 'kind' && !CONDITION_KEYS[k].includes(key)) {
			throw fail(`${path} (${k}) has unknown property "${key}"; it takes ${CONDITION_KEYS[k].join(', ')}`);
		}
	}
	const words = (key: 'in' | 'any', what: string, max: number): string[] => {
		const v = o[key];
		if (v === undefined) throw fail(`${path} (${k}) needs "${key}", a list of ${what}`);
		if (!Array.isArray(v)) throw fail(`${path}.${key} must be a list of ${what}, got ${describeValue(v)}`);
		if (v.length === 0) throw fail(`${path}.${key} is an empty list; give at least one of ${what}`);
		if (v.length > 500) throw fail(`${path}.${key} has ${v.length} entries; at most 500 are allowed`);
		return [...new Set(v.map((w: unknown, j: number) => {
			if (typeof w !== 'string' || w.trim() === '') {
				throw fail(`${path}.${key}[${j}] must be non-empty text, got ${describeValue(w)}`);
			}
			const t = w.trim();
			if ([...t].length > max) throw fail(`${path}.${key}[${j}] is longer than ${max} characters`);
			return t;
		}))];
	};
	const number = (key: string, min: number, max: number, integer: boolean, required: boolean): number | undefined => {
		const v = o[key];
		if (v === undefined || v === null) {
			if (required) throw fail(`${path} (${k}) needs "${key}"`);
			return undefined;
		}
		if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
			throw fail(`${path}.${key} must be ${integer ? 'a whole number' : 'a number'}, got ${describeValue(v)}`);
		}
		if (v < min || v > max) throw fail(`${path}.${key} must be between ${min} and ${max}, got ${v}`);
		return v;
	};
	switch (k) {
		case 'category': {
			const codes = words('in', 'category codes', 64);
			if (categoryCodes) {
				const unknown = codes.find((c) => !categoryCodes.has(c));
				if (unknown !== undefined) {
					throw fail(`${path}.in names the unknown category "${unknown}"; known are ${[...categoryCodes].join(', ')}`);
				}
			}
			return { kind: k, in: codes };
		}
		case 'keywords': {
			const list = words('any', 'keywords', 100);
			return { kind: k, any: list };
		}
		case 'residentTag':
			return { kind: k, any: words('any', 'resident tags', 50) };
		case 'healthStatus': {
			const statuses = words('in', 'health statuses', 50);
			const unknown = statuses.find((s) => !(HEALTH_STATUS_KEYS as string[]).includes(s));
			if (unknown !== undefined) {
				throw fail(`${path}.in names the unknown health status "${unknown}"; use ${HEALTH_STATUS_KEYS.join(', ')}`);
			}
			return { kind: k, in: statuses };
		}
		case 'recentFever': {
			const withinHours = number('withinHours', 0, 24 * 30, false, true)!;
			if (withinHours <= 0) throw fail(`${path}.withinHours must be more than 0`);
			const minTemperatureC = number('minTemperatureC', 35, 43, false, false);
			const c: Extract<RiskCondition, { kind: 'recentFever' }> = { kind: k, withinHours };
			if (minTemperatureC !== undefined) c.minTemperatureC = minTemperatureC;
			return c;
		}
		case 'sameBuildingReports24h':
			return { kind: k, min: number('min', 1, 100000, true, true)! };
		case 'all':
		case 'any': {
			const list = o.conditions;
			if (list === undefined) throw fail(`${path} (${k}) needs "conditions", a list of conditions`);
			if (!Array.isArray(list)) throw fail(`${path}.conditions must be a list of conditions, got ${describeValue(list)}`);
			if (list.length === 0) throw fail(`${path}.conditions is an empty list; give at least one condition`);
			return {
				kind: k,
				conditions: list.map((c: unknown, j: number) =>
					checkCondition(c, `${path}.conditions[${j}]`, depth + 1, fail, categoryCodes)),
			};
		}
		case 'not':
			if (o.condition === undefined) throw fail(`${path} (not) needs "condition"`);
			return { kind: k, condition: checkCondition(o.condition, `${path}.condition`, depth + 1, fail, categoryCodes) };
	}
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/** Normalized input the compiled predicates read. */
interface Facts {
	category: string;
	text: string;
	tags: Set<string>;
	fever: { temperatureC: number; hoursAgo: number } | null;
	healthStatus: string | null;
	sameBuilding: number;
}

/** A compiled condition: returns the evidence when it holds, undefined when it does not. */
type Predicate = (f: Facts) => string[] | undefined;

interface CompiledRule {
	rule: RiskRule;
	rank: number;
	reason: string;
	test: Predicate;
}

const compiledCache = new WeakMap<readonly RiskRule[], CompiledRule[]>();

function isWordChar(ch: string | undefined): boolean {
	return ch !== undefined && /[a-z0-9_]/.test(ch);
}

function escapeRegExp(s: string): string {
	return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function normalizeText(s: string): string {
	return s.normalize('NFKC').replace(/[\u2018\u2019]/g, "'").toLowerCase();
}

function keywordPattern(keyword: string): RegExp {
	const k = normalizeText(keyword);
	const start = isWordChar(k[0]) ? '(?<![A-Za-z0-9_])' : '';
	const end = isWordChar(k[k.length - 1]) ? '(?![A-Za-z0-9_])' : '';
	return new RegExp(`${start}${escapeRegExp(k).replace(/\s+/g, '\\s+')}${end}`, 'u');
}

function compileCondition(c: RiskCondition): Predicate {
	switch (c.kind) {
		case 'category': {
			const set = new Set(c.in);
			return (f) => (set.has(f.category) ? [`category ${f.category}`] : undefined);
		}
		case 'keywords': {
			const patterns = c.any.map((k) => ({ k, re: keywordPattern(k) }));
			return (f) => {
				if (f.text === '') return undefined;
				const hits = patterns.filter((p) => p.re.test(f.text)).map((p) => `keyword "${p.k}"`);
				return hits.length ? hits : undefined;
			};
		}
		case 'residentTag':
			return (f) => {
				const hits = c.any.filter((t) => f.tags.has(t)).map((t) => `tag ${t}`);
				return hits.length ? hits : undefined;
			};
		case 'recentFever': {
			const min = c.minTemperatureC ?? FEVER_THRESHOLD_C;
			return (f) => {
				const r = f.fever;
				if (!r || !(r.hoursAgo >= 0) || r.hoursAgo > c.withinHours || !(r.temperatureC >= min)) return undefined;
				return [`fever ${r.temperatureC} °C ${Math.round(r.hoursAgo * 10) / 10} h ago`];
			};
		}
		case 'healthStatus': {
			const set = new Set(c.in);
			return (f) => (f.healthStatus !== null && set.has(f.healthStatus) ? [`health status ${f.healthStatus}`] : undefined);
		}
		case 'sameBuildingReports24h':
			return (f) => (f.sameBuilding >= c.min ? [`${f.sameBuilding} reports about the building in 24 h`] : undefined);
		case 'all': {
			const parts = c.conditions.map(compileCondition);
			return (f) => {
				const evidence: string[] = [];
				for (const p of parts) {
					const e = p(f);
					if (!e) return undefined;
					evidence.push(...e);
				}
				return evidence;
			};
		}
		case 'any': {
			const parts = c.conditions.map(compileCondition);
			return (f) => {
				let evidence: string[] | undefined;
				for (const p of parts) {
					const e = p(f);
					if (e) (evidence ??= []).push(...e);
				}
				return evidence;
			};
		}
		case 'not': {
			const inner = compileCondition(c.condition);
			return (f) => (inner(f) ? undefined : []);
		}
	}
}

/** A plain description of a condition, used as the reason of a rule that gives none. */
export function describeCondition(c: RiskCondition): string {
	switch (c.kind) {
		case 'category': return `category is ${c.in.join(' or ')}`;
		case 'keywords': return `description mentions ${c.any.map((k) => `"${k}"`).join(', ')}`;
		case 'residentTag': return `resident is tagged ${c.any.join(' or ')}`;
		case 'recentFever': return `fever of ${c.minTemperatureC ?? FEVER_THRESHOLD_C} °C or more within ${c.withinHours} h`;
		case 'healthStatus': return `health status is ${c.in.join(' or ')}`;
		case 'sameBuildingReports24h': return `${c.min} or more reports about the same building within 24 h`;
		case 'all': return c.conditions.map(describeCondition).join(' and ');
		case 'any': return `(${c.conditions.map(describeCondition).join(' or ')})`;
		case 'not': return `not ${describeCondition(c.condition)}`;
	}
}

function compile(rules: readonly RiskRule[]): CompiledRule[] {
	let compiled = compiledCache.get(rules);
	if (!compiled) {
		compiled = rules
			.filter((r) => r.enabled !== false)
			.map((rule) => ({
				rule,
				rank: riskRank(rule.atLeast),
				reason: rule.reason ?? describeCondition(rule.when),
				test: compileCondition(rule.when),
			}));
		compiledCache.set(rules, compiled);
	}
	return compiled;
}

/**
 * Scores one incident. `rules` must come from DEFAULT_RISK_RULES or checkRiskRules; compiled
 * keyword patterns are cached per rules array, so pass the same array for a whole batch.
 */
export function scoreRisk(input: RiskInput, rules: readonly RiskRule[] = DEFAULT_RISK_RULES): RiskResult {
	const facts: Facts = {
		category: input.category,
		text: input.description ? normalizeText(input.description) : '',
		tags: new Set(input.residentTags ?? []),
		fever: input.recentFever ?? null,
		healthStatus: input.healthStatus ?? null,
		sameBuilding: typeof input.sameBuildingReports24h === 'number' ? input.sameBuildingReports24h : 0,
	};
	const fired: Array<FiredRule & { rank: number; order: number }> = [];
	compile(rules).forEach((c, order) => {
		const evidence = c.test(facts);
		if (!evidence) return;
		const shown = [...new Set(evidence.filter((e) => !e.startsWith('category ')))];
		fired.push({
			ruleId: c.rule.id,
			atLeast: c.rule.atLeast,
			reason: shown.length ? `${c.reason} [${shown.join('; ')}]` : c.reason,
			evidence: [...new Set(evidence)],
			rank: c.rank,
			order,
		});
	});
	fired.sort((a, b) => b.rank - a.rank || a.order - b.order);
	const level = fired.length ? fired[0].atLeast : 'low';
	return {
		level,
		reasons: fired.map((f) => f.reason),
		fired: fired.map(({ ruleId, atLeast, reason, evidence }) => ({ ruleId, atLeast, reason, evidence })),
	};
}
