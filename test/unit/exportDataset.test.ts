/**
 * Export datasets: the shipped definitions, checking user-supplied ones (paths into a rollup row,
 * codes per format, errors that name the indicator), fitting a dataset to a period and a format,
 * and reading an indicator's value out of a row.
 */
import {
	DEFAULT_DATASETS, type Dataset, checkDataset, checkExportable, indicatorCode, indicatorPathProblem, indicatorValue,
} from '../../nodes/shared/domain/export/dataset';
import { parsePeriodId } from '../../nodes/shared/domain/stats/period';
import type { IncidentCounts, RollupRow } from '../../nodes/shared/domain/stats/types';
import { FieldError } from '../../nodes/shared/validation/errors';

const TZ = 'Asia/Shanghai';
const counts = (created = 0, closed = 0, overdue = 0, escalated = 0): IncidentCounts => ({ created, closed, overdue, escalated });

function row(): RollupRow {
	return {
		unitId: 7, unitCode: '370614-001', unitName: '街道1', level: 2,
		residents: { total: 120, byHealthStatus: { normal: 100, home_quarantine: 15 }, byTag: { elderly_living_alone: 4 } },
		health: { observations: 30, fevers: 2, quarantinesStarted: 3, quarantinesEnded: 1 },
		incidents: {
			...counts(12, 9, 1, 2),
			byCategory: { fever_symptoms: counts(5, 3, 0, 1) },
			byRisk: { high: counts(3, 2, 1, 1) },
			resolvedWithDue: 8, resolvedOnTime: 6, onTimeRate: 0.75,
			handlingMinutesMedian: null, handlingMinutesP90: null,
			duplicates: 1, duplicateRate: 0.0833,
			satisfactionCount: 0, satisfactionSum: 0, satisfactionAverage: null,
		},
		tasks: { created: 10, done: 7, createdByKind: { errand: 4 }, doneByKind: { errand: 3 }, doneWithDue: 0, doneOnTime: 0, onTimeRate: null },
		volunteers: { tasksDone: 5, seconds: 9000, hours: 2.5 },
	};
}

const errorOf = (fn: () => unknown): FieldError => {
	try {
		fn();
	} catch (e) {
		if (e instanceof FieldError) return e;
		throw e;
	}
	throw new Error('expected a FieldError');
};

const small = (indicators: unknown[], periodTypes: unknown = ['day']) => ({ code: 'T1', name: 'Test (测试)', periodTypes, indicators });

describe('shipped datasets', () => {
	it('has a daily dataset for days and a monthly one for months and quarters', () => {
		const daily = DEFAULT_DATASETS.find((d) => d.code === 'GRID_DAILY')!;
		const monthly = DEFAULT_DATASETS.find((d) => d.code === 'GRID_MONTHLY')!;
		expect(daily.periodTypes).toEqual(['day']);
		expect([...monthly.periodTypes].sort()).toEqual(['month', 'quarter']);
	});

	it.each(DEFAULT_DATASETS.map((d) => [d.code, d] as const))('%s passes its own check, with about 20 bilingual indicators that all reach DHIS2', (_code, d) => {
		expect(checkDataset(JSON.stringify(d))).toEqual(d);
		expect(d.indicators.length).toBeGreaterThanOrEqual(20);
		for (const i of d.indicators) {
			expect(indicatorPathProblem(i.id)).toBeUndefined();
			expect(i.name).toMatch(/^[A-Za-z].* \(.*[\u4e00-\u9fff].*\)$/);
			expect(i.codes.dhis2).toMatch(/^GRID_[A-Z0-9_]+$/);
			expect(i.codes.csv).toMatch(/^[a-z0-9_]+$/);
			expect(i.codes.json).toBe(i.codes.csv);
		}
		expect(d.indicators.map((i) => i.id)).toContain('incidents.created');
		expect(d.indicators.find((i) => i.id === 'incidents.created')!.codes.dhis2).toBe('GRID_INC_CREATED');
	});

	it('keeps one DHIS2 data element per figure across datasets', () => {
		const byId = new Map<string, string>();
		for (const d of DEFAULT_DATASETS) {
			for (const i of d.indicators) {
				if (byId.has(i.id)) expect(i.codes.dhis2).toBe(byId.get(i.id));
				byId.set(i.id, i.codes.dhis2!);
			}
		}
	});

	it('is chosen by its code', () => {
		expect(checkDataset('GRID_MONTHLY').code).toBe('GRID_MONTHLY');
		const e = errorOf(() => checkDataset('GRID_YEARLY'));
		expect(e.field).toBe('Dataset');
		expect(e.message).toContain('GRID_DAILY');
	});
});

describe('checkDataset', () => {
	it('accepts an object and JSON text, trimming and defaulting the name to the id', () => {
		const raw = small([{ id: ' incidents.created ', codes: { dhis2: 'X_CREATED' } }], 'day, week');
		const d = checkDataset(raw);
		expect(d.periodTypes).toEqual(['day', 'week']);
		expect(d.indicators).toEqual([{ id: 'incidents.created', name: 'incidents.created', codes: { dhis2: 'X_CREATED' } }]);
		expect(checkDataset(JSON.stringify(raw))).toEqual(d);
	});

	it('names the indicator and its unknown path', () => {
		const e = errorOf(() => checkDataset(small([{ id: 'incidents.created' }, { id: 'incidents.foo', name: 'Foo' }])));
		expect(e.field).toBe('Dataset');
		expect(e.message).toContain('indicator 2');
		expect(e.message).toContain('"incidents.foo"');
		expect(e.message).toContain('"foo"');
	});

	it.each([
		['residents.byHealthStatus.sleepy', 'home_quarantine'],
		['incidents.byRisk.extreme.created', 'critical'],
		['incidents.byCategory.Noise!.created', 'category'],
		['incidents.byCategory', 'not a number'],
		['incidents.created.today', 'already a number'],
		['budget.total', 'residents, health, incidents, tasks, volunteers'],
		['', 'empty'],
	])('rejects the path %s', (id, hint) => {
		const e = errorOf(() => checkDataset(small([{ id }])));
		expect(e.message).toContain('indicator 1');
		expect(e.message).toContain(hint);
	});

	it.each([
		'incidents.byCategory.noise_complaint.created',
		'residents.byTag.veteran',
		'tasks.doneByKind.snow_clearing',
		'incidents.byRisk.high.overdue',
		'volunteers.hours',
	])('accepts %s (configurable vocabularies take any plausible key)', (id) => {
		expect(checkDataset(small([{ id }])).indicators[0].id).toBe(id);
	});

	it('names the bad property of an indicator', () => {
		const bad = errorOf(() => checkDataset(small([{ id: 'health.fevers', codes: { dhis2: 'HAS SPACE' } }])));
		expect(bad.message).toContain('indicator 1 ("health.fevers")');
		expect(bad.message).toContain('codes.dhis2');
		const format = errorOf(() => checkDataset(small([{ id: 'health.fevers', codes: { xml: 'A' } }])));
		expect(format.message).toContain('unknown format "xml"');
		const extra = errorOf(() => checkDataset(small([{ id: 'health.fevers', unit: 'x' }])));
		expect(extra.message).toContain('unknown property "unit"');
	});

	it('refuses two indicators under one code or one id', () => {
		const code = errorOf(() => checkDataset(small([
			{ id: 'health.fevers', codes: { dhis2: 'SAME' } }, { id: 'health.observations', codes: { dhis2: 'SAME' } },
		])));
		expect(code.message).toContain('indicator 2');
		expect(code.message).toContain('codes.dhis2 "SAME"');
		expect(code.message).toContain('indicator 1');
		const id = errorOf(() => checkDataset(small([{ id: 'health.fevers' }, { id: 'health.fevers' }])));
		expect(id.message).toContain('repeats the id of indicator 1');
	});

	it('checks the dataset itself', () => {
		expect(errorOf(() => checkDataset('{oops')).message).toContain('not valid JSON');
		expect(errorOf(() => checkDataset(small([]))).message).toContain('indicators');
		expect(errorOf(() => checkDataset(small([{ id: 'health.fevers' }], ['fortnight']))).message).toContain('"fortnight"');
		expect(errorOf(() => checkDataset({ ...small([{ id: 'health.fevers' }]), code: 'has space' })).message).toContain('code');
		expect(errorOf(() => checkDataset([1, 2])).field).toBe('Dataset');
		expect(errorOf(() => checkDataset(small([{ id: 'health.nothing' }]), 'Custom Dataset')).field).toBe('Custom Dataset');
	});
});

describe('checkExportable', () => {
	const monthly = DEFAULT_DATASETS.find((d) => d.code === 'GRID_MONTHLY')!;

	it('refuses a week for the month-based dataset, saying which periods fit', () => {
		const e = errorOf(() => checkExportable(monthly, parsePeriodId('2026W48', TZ), 'dhis2'));
		expect(e.field).toBe('Period');
		expect(e.message).toBe('a week period does not fit the month-based dataset GRID_MONTHLY; choose a month or quarter period');
	});

	it('takes a month and a quarter for the monthly dataset', () => {
		expect(checkExportable(monthly, parsePeriodId('202611', TZ), 'dhis2')).toHaveLength(monthly.indicators.length);
		expect(checkExportable(monthly, parsePeriodId('2026Q4', TZ), 'csv')[0]).toEqual({ id: 'incidents.created', name: 'Incidents reported (事件上报数)', code: 'incidents_created' });
	});

	it('names every indicator without a DHIS2 code', () => {
		const d: Dataset = checkDataset(small([
			{ id: 'health.fevers', name: 'Fevers (发热)', codes: { dhis2: 'F' } },
			{ id: 'health.observations', name: 'Checks (监测)', codes: { csv: 'checks' } },
			{ id: 'volunteers.hours', name: 'Hours (时长)' },
		]));
		const e = errorOf(() => checkExportable(d, parsePeriodId('20261126', TZ), 'dhis2'));
		expect(e.field).toBe('Dataset');
		expect(e.message).toContain('health.observations');
		expect(e.message).toContain('volunteers.hours');
		expect(e.message).not.toContain('health.fevers');
		expect(e.message).toContain('codes.dhis2');
	});

	it('lets CSV and JSON fall back to the indicator id, and FHIR list only its coded indicators', () => {
		const d = checkDataset(small([{ id: 'health.fevers', codes: { csv: 'fevers', fhir: 'fever-count' } }, { id: 'volunteers.hours' }]));
		const day = parsePeriodId('20261126', TZ);
		expect(checkExportable(d, day, 'csv').map((i) => i.code)).toEqual(['fevers', 'volunteers.hours']);
		expect(checkExportable(d, day, 'json').map((i) => i.code)).toEqual(['health.fevers', 'volunteers.hours']);
		expect(checkExportable(d, day, 'fhir').map((i) => i.code)).toEqual(['fever-count']);
		expect(indicatorCode(d.indicators[1], 'dhis2')).toBeUndefined();
	});
});

describe('indicatorValue', () => {
	const r = row();
	it.each([
		['incidents.created', 12],
		['incidents.byCategory.fever_symptoms.created', 5],
		['incidents.byRisk.high.overdue', 1],
		['incidents.onTimeRate', 0.75],
		['residents.byHealthStatus.home_quarantine', 15],
		['residents.byTag.elderly_living_alone', 4],
		['health.fevers', 2],
		['tasks.doneByKind.errand', 3],
		['volunteers.hours', 2.5],
	])('%s is %p', (id, value) => {
		expect(indicatorValue(r, id)).toBe(value);
	});

	it('counts a key missing from a group as 0 and leaves a rate without a base null', () => {
		expect(indicatorValue(r, 'incidents.byCategory.sanitation.created')).toBe(0);
		expect(indicatorValue(r, 'incidents.byRisk.critical.escalated')).toBe(0);
		expect(indicatorValue(r, 'residents.byHealthStatus.confirmed')).toBe(0);
		expect(indicatorValue(r, 'tasks.doneByKind.supply_delivery')).toBe(0);
		expect(indicatorValue(r, 'tasks.onTimeRate')).toBeNull();
		expect(indicatorValue(r, 'incidents.satisfactionAverage')).toBeNull();
	});

	it('gives null for a path that names no figure, prototype keys included', () => {
		expect(indicatorValue(r, 'incidents.nothing')).toBeNull();
		expect(indicatorValue(r, 'incidents.byCategory.constructor.created')).toBe(0);
		expect(indicatorValue(r, 'incidents.byCategory.__proto__.created')).toBe(0);
	});
});
