import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { checkCalendar } from '../../shared/domain/incident/calendar';
import { type Category, DEFAULT_CATEGORIES, checkCategories } from '../../shared/domain/incident/categories';
import type { IntakePolicy } from '../../shared/domain/incident/intakeInput';
import { DEFAULT_RISK_RULES, checkRiskRules } from '../../shared/domain/incident/risk';
import { checkSlaMatrix } from '../../shared/domain/incident/sla';
import type { ReadEnv } from '../../shared/n8n/executeLoop';
import { param } from '../../shared/n8n/params';
import { FieldError } from '../../shared/validation/errors';
import { gridCode } from '../../shared/validation/gridCode';

/** Settings that shape intake and SLA arithmetic; shown under Options wherever they apply. */
export const policyOptions: INodeProperties[] = [
	{
		displayName: 'Auto-Assign',
		name: 'autoAssign',
		type: 'boolean',
		default: false,
		description: 'Whether to assign each new incident straight away to whoever is responsible for its routed unit (status Assigned); otherwise it waits as New for triage',
	},
	{
		displayName: 'Categories (JSON)',
		name: 'categories',
		type: 'json',
		default: '',
		description: 'Your own category vocabulary, replacing the ten defaults: an array of { "code", "en", "zh", "serviceCode"?, "group"?, "keywords"? }. Leave empty for the defaults.',
	},
	{
		displayName: 'Dedupe Similarity',
		name: 'dedupeSimilarity',
		type: 'number',
		typeOptions: { minValue: 0.1, maxValue: 1, numberPrecision: 2 },
		default: 0.5,
		description: 'How alike two descriptions must be (pg_trgm similarity, 0.1–1) to count as the same report',
	},
	{
		displayName: 'Dedupe Window (Hours)',
		name: 'dedupeWindowHours',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 24,
		description: 'A report of the same unit and category with similar text within this many hours is marked a duplicate of the first. 0 turns dedupe off.',
	},
	{
		displayName: 'Intake Community Code',
		name: 'intakeCommunity',
		type: 'string',
		default: '',
		placeholder: 'e.g. 370614-001-002',
		description: 'Community whose intake queue takes reports that cannot be routed. Empty: the first community under the known location (or in scope).',
	},
	{
		displayName: 'Risk Rules (JSON)',
		name: 'riskRules',
		type: 'json',
		default: '',
		description: 'Your own risk rules: an array replaces the defaults; { "includeDefaults": true, "rules": [...] } adds to them (a rule with a default\'s ID replaces it). Empty: the shipped rules.',
	},
	{
		displayName: 'SLA Matrix (JSON)',
		name: 'slaMatrix',
		type: 'json',
		default: '',
		description: 'Time limits by risk level, e.g. { "critical": "30 minutes", "high": "2 hours", "medium": "1 working_days", "low": "3 working_days", "categories": { "sanitation": "2 working_days" } }. Empty: those defaults.',
	},
	{
		displayName: 'Working Calendar (JSON)',
		name: 'calendar',
		type: 'json',
		default: '',
		description: 'Working hours, weekdays, holidays and make-up working days (调休) for working-time SLAs, e.g. { "workingHours": ["08:30-12:00", "13:30-17:30"] }. Empty: Mon–Fri 08:30–12:00 and 13:30–17:30 with the PRC holiday table, in the credential\'s time zone.',
	},
];

const cache = new WeakMap<IExecuteFunctions, IntakePolicy>();

/**
 * The intake policy, read and checked once per execution from item 0's options: rules, matrices and
 * calendars are validated once, not once per item.
 */
export function readPolicy(ctx: IExecuteFunctions, env: ReadEnv): IntakePolicy {
	const cached = cache.get(ctx);
	if (cached) return cached;
	const o = param<Record<string, unknown>>(ctx, 'options', 0, 'Options', {});
	const categories: readonly Category[] = o.categories ? checkCategories(o.categories, 'Categories (JSON)') : DEFAULT_CATEGORIES;
	let calendarRaw: unknown = o.calendar || {};
	if (typeof calendarRaw === 'string') {
		try {
			calendarRaw = JSON.parse(calendarRaw);
		} catch (e) {
			throw new FieldError('Working Calendar (JSON)', `Working Calendar (JSON) is not valid JSON (${(e as Error).message})`);
		}
	}
	// the credential's zone applies unless the calendar names its own
	const calendar = checkCalendar(calendarRaw && typeof calendarRaw === 'object' && !Array.isArray(calendarRaw)
		? { timeZone: env.timezone, ...calendarRaw } : calendarRaw, 'Working Calendar (JSON)');
	const similarity = Number(o.dedupeSimilarity ?? 0.5);
	if (!(similarity >= 0.1 && similarity <= 1)) throw new FieldError('Dedupe Similarity', `Dedupe Similarity must lie between 0.1 and 1, got ${o.dedupeSimilarity}`);
	const windowHours = Number(o.dedupeWindowHours ?? 24);
	if (!(windowHours >= 0 && windowHours <= 24 * 30)) throw new FieldError('Dedupe Window (Hours)', `Dedupe Window (Hours) must lie between 0 and 720, got ${o.dedupeWindowHours}`);
	const policy: IntakePolicy = {
		categories,
		riskRules: o.riskRules ? checkRiskRules(o.riskRules, { categories }) : DEFAULT_RISK_RULES,
		sla: checkSlaMatrix(o.slaMatrix, { field: 'SLA Matrix (JSON)', categories: categories.map((c) => c.code) }),
		calendar,
		dedupeWindowHours: windowHours,
		dedupeSimilarity: similarity,
		autoAssign: Boolean(o.autoAssign),
		intakeCommunity: o.intakeCommunity ? { code: gridCode(o.intakeCommunity, 'Intake Community Code', env.widths).code } : undefined,
	};
	cache.set(ctx, policy);
	return policy;
}
