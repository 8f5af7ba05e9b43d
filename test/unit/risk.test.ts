import { DEFAULT_CATEGORIES } from '../../nodes/shared/domain/incident/categories';
import {
	DEFAULT_RISK_RULES, type RiskInput, type RiskRule, checkRiskRules, scoreRisk,
} from '../../nodes/shared/domain/incident/risk';
import { FieldError } from '../../nodes/shared/validation/errors';

function input(partial: Partial<RiskInput> & { category: string }): RiskInput {
	return {
		description: '',
		residentTags: [],
		recentFever: null,
		healthStatus: 'normal',
		sameBuildingReports24h: 1,
		...partial,
	};
}

function firedIds(i: RiskInput, rules: readonly RiskRule[] = DEFAULT_RISK_RULES): string[] {
	return scoreRisk(i, rules).fired.map((f) => f.ruleId);
}

function fieldError(fn: () => unknown): FieldError {
	try {
		fn();
	} catch (e) {
		if (e instanceof FieldError) return e;
		throw e;
	}
	throw new Error('expected a FieldError, but nothing was thrown');
}

describe('default risk rules', () => {
	it('rates a fever report from a quarantined resident critical, with the reasons highest first', () => {
		const r = scoreRisk(input({ category: 'fever_symptoms', description: '体温38.5度，咳嗽', healthStatus: 'home_quarantine' }));
		expect(r.level).toBe('critical');
		expect(r.fired.map((f) => f.ruleId)).toEqual([
			'symptoms_under_quarantine', 'epidemic_urgent_category', 'quarantined_resident_involved',
		]);
		expect(r.fired.map((f) => f.atLeast)).toEqual(['critical', 'high', 'medium']);
		expect(r.reasons).toHaveLength(3);
		expect(r.reasons[0]).toContain('确诊或隔离人员');
		expect(r.reasons[0]).toContain('health status home_quarantine');
	});

	it('rates a fever report from a confirmed case critical too', () => {
		expect(scoreRisk(input({ category: 'fever_symptoms', healthStatus: 'confirmed' })).level).toBe('critical');
		expect(scoreRisk(input({ category: 'fever_symptoms', healthStatus: 'central_quarantine' })).level).toBe('critical');
	});

	it('rates an ordinary fever report high', () => {
		const r = scoreRisk(input({ category: 'fever_symptoms', description: '发烧37.8' }));
		expect(r.level).toBe('high');
		expect(r.fired.map((f) => f.ruleId)).toEqual(['epidemic_urgent_category']);
	});

	it('rates an elderly resident living alone who needs help high, from the tag', () => {
		const r = scoreRisk(input({
			category: 'vulnerable_resident_help', description: '老人需要买药', residentTags: ['elderly_living_alone', 'chronic_illness'],
		}));
		expect(r.level).toBe('high');
		expect(r.fired.map((f) => f.ruleId)).toEqual(['vulnerable_needs_help', 'needs_follow_up_category']);
		expect(r.reasons[0]).toContain('tag elderly_living_alone');
		expect(r.reasons[0]).not.toContain('chronic_illness');
	});

	it('rates a help request high from the word 独居 when no resident is linked', () => {
		const r = scoreRisk(input({ category: 'vulnerable_resident_help', description: '独居老人家中断水', residentTags: null, healthStatus: null }));
		expect(r.level).toBe('high');
		expect(r.reasons[0]).toContain('keyword "独居"');
	});

	it('gives a help request without a vulnerable resident medium', () => {
		const r = scoreRisk(input({ category: 'supply_need', description: '需要买菜' }));
		expect(r.level).toBe('medium');
		expect(r.fired.map((f) => f.ruleId)).toEqual(['needs_follow_up_category']);
	});

	it('rates sanitation, disputes and other matters low with no reasons', () => {
		for (const category of ['sanitation', 'neighbour_dispute', 'public_opinion_other']) {
			const r = scoreRisk(input({ category, description: '楼道垃圾堆积，无人清理' }));
			expect(r).toEqual({ level: 'low', reasons: [], fired: [] });
		}
	});

	it('rates danger-to-life words critical whatever the category', () => {
		const fire = scoreRisk(input({ category: 'safety_hazard', description: '3号楼楼道起火了' }));
		expect(fire.level).toBe('critical');
		expect(fire.fired.map((f) => f.ruleId)).toEqual(['danger_to_life', 'needs_follow_up_category']);
		expect(fire.fired[0].evidence).toEqual(['keyword "起火"']);
		expect(scoreRisk(input({ category: 'neighbour_dispute', description: '吵架后有人说要自杀' })).level).toBe('critical');
		expect(scoreRisk(input({ category: 'medical_need', description: '老人呼吸困难' })).level).toBe('critical');
	});

	it('matches English keywords case-insensitively and at word boundaries', () => {
		const r = scoreRisk(input({ category: 'public_opinion_other', description: 'Neighbour found UNCONSCIOUS in the stairwell' }));
		expect(r.level).toBe('critical');
		expect(r.fired[0].evidence).toEqual(['keyword "unconscious"']);
		expect(scoreRisk(input({ category: 'sanitation', description: 'Fire! Second floor' })).level).toBe('critical');
		// "fire" inside other words does not count
		expect(scoreRisk(input({ category: 'sanitation', description: 'campfire ashes and firewood left in the yard' })).level).toBe('low');
		// full-width letters and curly apostrophes are normalized
		expect(scoreRisk(input({ category: 'sanitation', description: 'ＦＩＲＥ in the bins' })).level).toBe('critical');
		expect(scoreRisk(input({ category: 'medical_need', description: 'He can’t breathe' })).level).toBe('critical');
	});

	it('raises any report about a resident with a recent fever to high, within 48 h and from 37.3 °C', () => {
		const recent = scoreRisk(input({ category: 'sanitation', recentFever: { temperatureC: 38.2, hoursAgo: 10 } }));
		expect(recent.level).toBe('high');
		expect(recent.fired.map((f) => f.ruleId)).toEqual(['recent_fever_observation']);
		expect(recent.reasons[0]).toContain('fever 38.2 °C 10 h ago');
		expect(scoreRisk(input({ category: 'sanitation', recentFever: { temperatureC: 37.3, hoursAgo: 48 } })).level).toBe('high');
		expect(scoreRisk(input({ category: 'sanitation', recentFever: { temperatureC: 38.2, hoursAgo: 49 } })).level).toBe('low');
		expect(scoreRisk(input({ category: 'sanitation', recentFever: { temperatureC: 37.2, hoursAgo: 2 } })).level).toBe('low');
	});

	it('treats a recent fever of a quarantined resident as critical for 72 h', () => {
		const r = scoreRisk(input({ category: 'sanitation', healthStatus: 'central_quarantine', recentFever: { temperatureC: 38, hoursAgo: 60 } }));
		expect(r.level).toBe('critical');
		// 60 h is outside the 48 h window of the plain fever rule
		expect(r.fired.map((f) => f.ruleId)).toEqual(['symptoms_under_quarantine', 'quarantined_resident_involved']);
	});

	it('raises repeated reports about one building, and a fever cluster to critical', () => {
		expect(scoreRisk(input({ category: 'neighbour_dispute', sameBuildingReports24h: 2 })).level).toBe('low');
		const three = scoreRisk(input({ category: 'neighbour_dispute', sameBuildingReports24h: 3 }));
		expect(three.level).toBe('high');
		expect(three.reasons).toEqual([expect.stringContaining('3 reports about the building in 24 h')]);
		expect(firedIds(input({ category: 'fever_symptoms', sameBuildingReports24h: 4 }))).toEqual([
			'fever_cluster_in_building', 'epidemic_urgent_category', 'repeated_building_reports',
		]);
	});

	it('rates a confirmed case breaking quarantine critical, a quarantined one high', () => {
		expect(scoreRisk(input({ category: 'quarantine_breach', healthStatus: 'confirmed' })).level).toBe('critical');
		const q = scoreRisk(input({ category: 'quarantine_breach', healthStatus: 'home_quarantine' }));
		expect(q.level).toBe('high');
		expect(q.fired.map((f) => f.ruleId)).toEqual(['epidemic_urgent_category', 'quarantined_resident_involved']);
	});

	it('tolerates missing optional input', () => {
		expect(scoreRisk({ category: 'sanitation' }).level).toBe('low');
		expect(scoreRisk({ category: 'medical_need' }).level).toBe('high');
	});

	it('passes its own validation against the default categories', () => {
		const checked = checkRiskRules(JSON.stringify(DEFAULT_RISK_RULES), { categories: DEFAULT_CATEGORIES });
		expect(checked).toEqual(DEFAULT_RISK_RULES);
	});
});

describe('custom risk rules', () => {
	it('scores with user rules given as JSON text, generating a reason when none is given', () => {
		const rules = checkRiskRules(JSON.stringify([
			{ id: 'water_leak', when: { kind: 'keywords', any: ['漏水', 'leak'] }, atLeast: 'medium' },
		]));
		expect(rules).toHaveLength(1);
		const r = scoreRisk(input({ category: 'sanitation', description: 'Water LEAK from upstairs' }), rules);
		expect(r.level).toBe('medium');
		expect(r.reasons).toEqual(['description mentions "漏水", "leak" [keyword "leak"]']);
		// user rules replace the defaults: a fever report is low under these rules
		expect(scoreRisk(input({ category: 'fever_symptoms' }), rules).level).toBe('low');
	});

	it('combines conditions with all, any and not', () => {
		const rules = checkRiskRules([{
			id: 'rubbish_near_vulnerable',
			when: {
				kind: 'all',
				conditions: [
					{ kind: 'category', in: ['sanitation'] },
					{ kind: 'any', conditions: [{ kind: 'residentTag', any: ['disabled'] }, { kind: 'healthStatus', in: ['symptomatic'] }] },
					{ kind: 'not', condition: { kind: 'keywords', any: ['已处理'] } },
				],
			},
			atLeast: 'high',
			reason: 'Rubbish by a vulnerable resident (弱势居民处垃圾)',
		}]);
		expect(scoreRisk(input({ category: 'sanitation', residentTags: ['disabled'] }), rules).level).toBe('high');
		expect(scoreRisk(input({ category: 'sanitation', healthStatus: 'symptomatic' }), rules).reasons).toEqual([
			'Rubbish by a vulnerable resident (弱势居民处垃圾) [health status symptomatic]',
		]);
		expect(scoreRisk(input({ category: 'sanitation', residentTags: ['disabled'], description: '垃圾已处理' }), rules).level).toBe('low');
		expect(scoreRisk(input({ category: 'sanitation' }), rules).level).toBe('low');
		expect(scoreRisk(input({ category: 'supply_need', residentTags: ['disabled'] }), rules).level).toBe('low');
	});

	it('honours a custom fever temperature and building threshold', () => {
		const rules = checkRiskRules([
			{ id: 'very_high_fever', when: { kind: 'recentFever', withinHours: 24, minTemperatureC: 39 }, atLeast: 'critical' },
			{ id: 'two_reports', when: { kind: 'sameBuildingReports24h', min: 2 }, atLeast: 'medium' },
		]);
		expect(scoreRisk(input({ category: 'sanitation', recentFever: { temperatureC: 38.9, hoursAgo: 1 } }), rules).level).toBe('low');
		expect(scoreRisk(input({ category: 'sanitation', recentFever: { temperatureC: 39.1, hoursAgo: 1 } }), rules).level).toBe('critical');
		expect(scoreRisk(input({ category: 'sanitation', sameBuildingReports24h: 2 }), rules).level).toBe('medium');
	});

	it('does not depend on the order of the rules', () => {
		const a = checkRiskRules([
			{ id: 'm', when: { kind: 'category', in: ['sanitation'] }, atLeast: 'medium' },
			{ id: 'h', when: { kind: 'keywords', any: ['老鼠'] }, atLeast: 'high' },
		]);
		const b = [...a].reverse();
		const i = input({ category: 'sanitation', description: '垃圾堆有老鼠' });
		expect(scoreRisk(i, a).level).toBe('high');
		expect(scoreRisk(i, b).level).toBe('high');
		expect(scoreRisk(i, a).fired.map((f) => f.ruleId)).toEqual(['h', 'm']);
		expect(scoreRisk(i, b).fired.map((f) => f.ruleId)).toEqual(['h', 'm']);
	});

	it('extends the defaults, replacing and switching off default rules by id', () => {
		const rules = checkRiskRules({
			includeDefaults: true,
			rules: [
				{ id: 'danger_to_life', enabled: false },
				{ id: 'epidemic_urgent_category', when: { kind: 'category', in: ['fever_symptoms'] }, atLeast: 'medium' },
				{ id: 'night_noise', when: { kind: 'keywords', any: ['噪音'] }, atLeast: 'medium', reason: 'Noise (噪音)' },
			],
		});
		expect(rules).toHaveLength(DEFAULT_RISK_RULES.length - 1 + 1);
		expect(rules.map((r) => r.id)).not.toContain('danger_to_life');
		expect(rules[rules.length - 1].id).toBe('night_noise');
		expect(scoreRisk(input({ category: 'sanitation', description: '楼道起火' }), rules).level).toBe('low');
		expect(scoreRisk(input({ category: 'fever_symptoms' }), rules).level).toBe('medium');
		expect(scoreRisk(input({ category: 'medical_need' }), rules).level).toBe('low');
		expect(scoreRisk(input({ category: 'neighbour_dispute', description: '半夜噪音' }), rules).reasons).toEqual(['Noise (噪音) [keyword "噪音"]']);
		// the defaults themselves are untouched
		expect(scoreRisk(input({ category: 'sanitation', description: '楼道起火' })).level).toBe('critical');
	});

	it('accepts the defaults alone through includeDefaults', () => {
		expect(checkRiskRules('{"includeDefaults": true}')).toEqual(DEFAULT_RISK_RULES);
	});
});

describe('risk rule validation', () => {
	it.each([
		['not JSON', '[{"id": "a",', /Risk Rules is not valid JSON/],
		['a number', 42, /must be a JSON array of rules/],
		['an empty list', [], /empty list/],
		['an empty text', '  ', /Risk Rules is empty/],
		['an object with a stray key', { rules: [], extra: 1 }, /unknown property "extra"/],
		['a rule that is not an object', ['x'], /rule 1 must be an object/],
		['a rule without id', [{ when: { kind: 'category', in: ['sanitation'] }, atLeast: 'high' }], /rule 1: id nothing must be/],
		['a bad id', [{ id: 'has space', when: { kind: 'category', in: ['sanitation'] }, atLeast: 'high' }], /rule 1: id "has space"/],
	])('rejects %s', (_what, raw, message) => {
		const e = fieldError(() => checkRiskRules(raw));
		expect(e.field).toBe('Risk Rules');
		expect(e.message).toMatch(message);
	});

	it('names the rule and the field of an unknown condition kind', () => {
		const e = fieldError(() => checkRiskRules([
			{ id: 'ok', when: { kind: 'category', in: ['sanitation'] }, atLeast: 'low' },
			{ id: 'colourful', when: { kind: 'colour', in: ['red'] }, atLeast: 'high' },
		]));
		expect(e.field).toBe('Risk Rules');
		expect(e.message).toMatch(/^Risk Rules: rule 2 \("colourful"\): when\.kind "colour" is not a condition kind; use one of category, keywords/);
	});

	it('names an unknown level', () => {
		const e = fieldError(() => checkRiskRules([{ id: 'a', when: { kind: 'category', in: ['sanitation'] }, atLeast: 'urgent' }]));
		expect(e.message).toBe('Risk Rules: rule 1 ("a"): atLeast "urgent" is not a risk level; use one of low, medium, high, critical');
	});

	it('names an empty keyword list nested inside all', () => {
		const e = fieldError(() => checkRiskRules([
			{ id: 'a', when: { kind: 'category', in: ['sanitation'] }, atLeast: 'low' },
			{ id: 'b', when: { kind: 'all', conditions: [{ kind: 'category', in: ['sanitation'] }, { kind: 'keywords', any: [] }] }, atLeast: 'high' },
		]));
		expect(e.message).toMatch(/rule 2 \("b"\): when\.conditions\[1\]\.any is an empty list/);
	});

	it.each([
		['a blank keyword', { kind: 'keywords', any: ['火灾', ' '] }, /when\.any\[1\] must be non-empty text/],
		['keywords not in a list', { kind: 'keywords', any: '火灾' }, /when\.any must be a list of keywords/],
		['a missing keyword list', { kind: 'keywords' }, /when \(keywords\) needs "any"/],
		['an unknown health status', { kind: 'healthStatus', in: ['confirmed', 'quarantined'] }, /unknown health status "quarantined"/],
		['a zero fever window', { kind: 'recentFever', withinHours: 0 }, /withinHours must be more than 0/],
		['a fever window as text', { kind: 'recentFever', withinHours: '24' }, /withinHours must be a number, got "24"/],
		['an absurd temperature', { kind: 'recentFever', withinHours: 24, minTemperatureC: 50 }, /minTemperatureC must be between 35 and 43, got 50/],
		['a fractional report count', { kind: 'sameBuildingReports24h', min: 2.5 }, /when\.min must be a whole number/],
		['a condition property of another kind', { kind: 'category', any: ['sanitation'] }, /when \(category\) has unknown property "any"/],
		['an empty all', { kind: 'all', conditions: [] }, /when\.conditions is an empty list/],
		['a not without condition', { kind: 'not' }, /when \(not\) needs "condition"/],
		['a condition without kind', { in: ['sanitation'] }, /when needs a "kind"/],
	])('rejects %s', (_what, when, message) => {
		const e = fieldError(() => checkRiskRules([{ id: 'r', when, atLeast: 'high' }]));
		expect(e.field).toBe('Risk Rules');
		expect(e.message).toMatch(/rule 1 \("r"\)/);
		expect(e.message).toMatch(message);
	});

	it('rejects a category outside the vocabulary when one is given', () => {
		const rules = [{ id: 'p', when: { kind: 'category', in: ['sanitation', 'potholes'] }, atLeast: 'medium' }];
		expect(checkRiskRules(rules)).toHaveLength(1);
		const e = fieldError(() => checkRiskRules(rules, { categories: DEFAULT_CATEGORIES }));
		expect(e.message).toMatch(/rule 1 \("p"\): when\.in names the unknown category "potholes"/);
	});

	it('rejects repeated ids, unknown rule properties and a missing level or condition', () => {
		const when = { kind: 'category', in: ['sanitation'] };
		expect(fieldError(() => checkRiskRules([{ id: 'a', when, atLeast: 'low' }, { id: 'a', when, atLeast: 'high' }])).message)
			.toBe('Risk Rules: rule 2 repeats the id "a" of rule 1');
		expect(fieldError(() => checkRiskRules([{ id: 'a', when, level: 'high' }])).message)
			.toMatch(/rule 1 \("a"\) has unknown property "level"/);
		expect(fieldError(() => checkRiskRules([{ id: 'a', when }])).message).toMatch(/rule 1 \("a"\) needs atLeast/);
		expect(fieldError(() => checkRiskRules([{ id: 'a', atLeast: 'high' }])).message).toMatch(/rule 1 \("a"\) needs a condition "when"/);
		expect(fieldError(() => checkRiskRules([{ id: 'a', when, atLeast: 'high', enabled: 'no' }])).message).toMatch(/enabled must be true or false/);
	});

	it('uses the field name it is given', () => {
		expect(fieldError(() => checkRiskRules('nope', { field: 'Rules' })).field).toBe('Rules');
	});
});
