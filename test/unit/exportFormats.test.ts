/**
 * Export writers: CSV (BOM, CRLF, RFC 4180 quoting, formula guard, long and wide), DHIS2
 * dataValueSets (codes, DHIS2 periods, omitted nulls, option combos, import path and summaries),
 * FHIR R4 transaction bundles (Location hierarchy, body temperature Observations, Tasks), JSON, and
 * the streamed documents themselves (regeneration, hashing, writing to disk).
 */
import { createHash } from 'crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { csvExport, csvNumber, csvText } from '../../nodes/shared/domain/export/csv';
import { DEFAULT_DATASETS, type Dataset, checkDataset } from '../../nodes/shared/domain/export/dataset';
import { dhis2Export, dhis2ImportPath, parseImportSummary } from '../../nodes/shared/domain/export/dhis2';
import { type ExportDocument, type RollupSource, collectText, sha256Of, writeToFile } from '../../nodes/shared/domain/export/document';
import { type FhirSourceRecord, type FhirTaskRecord, fhirExport } from '../../nodes/shared/domain/export/fhir';
import { jsonExport } from '../../nodes/shared/domain/export/jsonFormat';
import { type Period, parsePeriodId } from '../../nodes/shared/domain/stats/period';
import type { IncidentCounts, RollupRow } from '../../nodes/shared/domain/stats/types';
import { FieldError } from '../../nodes/shared/validation/errors';

const TZ = 'Asia/Shanghai';
const counts = (created = 0): IncidentCounts => ({ created, closed: 0, overdue: 0, escalated: 0 });

/** A row with the figures the test dataset reads; everything else zero. */
function row(code: string, name: string, level: number, f: { created: number; fever: number; onTime: number | null; quarantine: number }): RollupRow {
	return {
		unitId: 1, unitCode: code, unitName: name, level,
		residents: { total: 0, byHealthStatus: { home_quarantine: f.quarantine }, byTag: {} },
		health: { observations: 0, fevers: 0, quarantinesStarted: 0, quarantinesEnded: 0 },
		incidents: {
			...counts(f.created), byCategory: f.fever ? { fever_symptoms: counts(f.fever) } : {}, byRisk: {},
			resolvedWithDue: 0, resolvedOnTime: 0, onTimeRate: f.onTime, handlingMinutesMedian: null, handlingMinutesP90: null,
			duplicates: 0, duplicateRate: null, satisfactionCount: 0, satisfactionSum: 0, satisfactionAverage: null,
		},
		tasks: { created: 0, done: 0, createdByKind: {}, doneByKind: {}, doneWithDue: 0, doneOnTime: 0, onTimeRate: null },
		volunteers: { tasksDone: 0, seconds: 0, hours: 0 },
	};
}

const A = row('370614-001-001', '=HYPERLINK("http://x"),社区', 3, { created: 12, fever: 5, onTime: 0.75, quarantine: 3 });
const B = row('370614-001-002', '社区 "南"', 3, { created: 4, fever: 0, onTime: null, quarantine: 0 });
const TOTAL = row('370614-001', '街道1', 2, { created: 16, fever: 5, onTime: 0.8, quarantine: 3 });

const dataset = (periodTypes: string[]): Dataset => checkDataset({
	code: 'T_SET', name: 'Test set (测试)', periodTypes,
	indicators: [
		{ id: 'incidents.created', name: 'Incidents reported, all (事件上报数)', codes: { dhis2: 'GRID_INC_CREATED', csv: 'inc_created', json: 'incCreated' } },
		{ id: 'incidents.byCategory.fever_symptoms.created', name: 'Fever reports (发热上报)', codes: { dhis2: 'GRID_INC_FEVER' } },
		{ id: 'incidents.onTimeRate', name: 'On time (按时率)', codes: { dhis2: 'GRID_INC_ONTIME', csv: 'on_time' } },
		{ id: 'residents.byHealthStatus.home_quarantine', name: '+Home quarantine (居家隔离)', codes: { dhis2: 'GRID_RES_HQ', csv: 'home_q' } },
	],
});

function source(period: Period, rows: RollupRow[] = [A, B]): RollupSource {
	return { unit: { id: 7, code: '370614-001', name: '街道1', level: 2 }, period, byLevel: 3, computedAt: '2026-11-27T01:00:00.000Z', rows, total: TOTAL };
}
const DAY = parsePeriodId('20261126', TZ);

/** RFC 4180 reader: enough to check what a spreadsheet would see. */
function parseCsv(text: string): string[][] {
	const out: string[][] = [];
	let cell = '';
	let cells: string[] = [];
	let quoted = false;
	for (let i = 0; i < text.length; i++) {
		const ch = text[i];
		if (quoted) {
			if (ch === '"' && text[i + 1] === '"') {
				cell += '"';
				i++;
			} else if (ch === '"') quoted = false;
			else cell += ch;
		} else if (ch === '"' && cell === '') quoted = true;
		else if (ch === ',') {
			cells.push(cell);
			cell = '';
		} else if (ch === '\r' && text[i + 1] === '\n') {
			cells.push(cell);
			out.push(cells);
			cells = [];
			cell = '';
			i++;
		} else cell += ch;
	}
	if (cell !== '' || cells.length) throw new Error('the last line has no CRLF');
	return out;
}

const errorOf = async (fn: () => unknown): Promise<FieldError> => {
	try {
		await fn();
	} catch (e) {
		if (e instanceof FieldError) return e;
		throw e;
	}
	throw new Error('expected a FieldError');
};

describe('CSV', () => {
	it('guards text a spreadsheet would run as a formula and quotes per RFC 4180', () => {
		expect(csvText('=1+1')).toBe("'=1+1");
		expect(csvText('+86 138')).toBe("'+86 138");
		expect(csvText('-x')).toBe("'-x");
		expect(csvText('@SUM(A1)')).toBe("'@SUM(A1)");
		expect(csvText('\tx')).toBe("'\tx");
		expect(csvText('\rx')).toBe('"\'\rx"');
		expect(csvText('a,b')).toBe('"a,b"');
		expect(csvText('say "hi"')).toBe('"say ""hi"""');
		expect(csvText('two\nlines')).toBe('"two\nlines"');
		expect(csvText('普通文本')).toBe('普通文本');
		expect(csvNumber(-3)).toBe('-3');
		expect(csvNumber(null)).toBe('');
		expect(csvNumber(2 / 3)).toBe('0.6667');
	});

	it('writes the long layout: BOM, CRLF, one line per unit and indicator, total last', async () => {
		const doc = csvExport(source(DAY), dataset(['day']));
		expect(doc.mimeType).toContain('text/csv');
		expect(doc.fileName).toBe('T_SET_370614-001_20261126.csv');
		const text = await collectText(doc);
		expect(text.charCodeAt(0)).toBe(0xfeff);
		expect(text.replace(/\r\n/g, '').includes('\n')).toBe(false);
		const lines = parseCsv(text.slice(1));
		expect(lines[0]).toEqual(['unit_code', 'unit_name', 'level', 'period', 'indicator_code', 'indicator_name', 'value']);
		expect(lines).toHaveLength(1 + 3 * 4);
		// csv codes where given, else the indicator id
		expect(lines.slice(1, 5).map((l) => l[4])).toEqual(['inc_created', 'incidents.byCategory.fever_symptoms.created', 'on_time', 'home_q']);
		expect(lines[1]).toEqual(['370614-001-001', '\'=HYPERLINK("http://x"),社区', '3', '20261126', 'inc_created', 'Incidents reported, all (事件上报数)', '12']);
		expect(lines[3][6]).toBe('0.75');
		expect(lines[4][5]).toBe("'+Home quarantine (居家隔离)");
		const b = lines.filter((l) => l[0] === '370614-001-002');
		expect(b.map((l) => l[1])).toEqual(Array(4).fill('社区 "南"'));
		expect(b.map((l) => l[6])).toEqual(['4', '0', '', '0']);
		expect(lines[lines.length - 1]).toEqual(['370614-001', '街道1', '2', '20261126', 'home_q', "'+Home quarantine (居家隔离)", '3']);
	});

	it('writes the wide layout: one line per unit, a column per indicator code', async () => {
		const lines = parseCsv((await collectText(csvExport(source(DAY), dataset(['day']), { layout: 'wide', includeTotal: false }))).slice(1));
		expect(lines).toEqual([
			['unit_code', 'unit_name', 'level', 'period', 'inc_created', 'incidents.byCategory.fever_symptoms.created', 'on_time', 'home_q'],
			['370614-001-001', '\'=HYPERLINK("http://x"),社区', '3', '20261126', '12', '5', '0.75', '3'],
			['370614-001-002', '社区 "南"', '3', '20261126', '4', '0', '', '0'],
		]);
	});

	it('refuses an unknown layout and a period the dataset does not take', async () => {
		expect((await errorOf(() => csvExport(source(DAY), dataset(['day']), { layout: 'tall' as never }))).field).toBe('CSV Layout');
		expect((await errorOf(() => csvExport(source(parsePeriodId('202611', TZ)), dataset(['day'])))).field).toBe('Period');
	});
});

describe('DHIS2', () => {
	const read = async (doc: ExportDocument) => JSON.parse(await collectText(doc));

	it.each([
		['20261126', 'day'],
		['2026W48', 'week'],
		['202611', 'month'],
		['2026Q4', 'quarter'],
	])('writes period %s (%s) on the set and every value', async (id, type) => {
		const body = await read(dhis2Export(source(parsePeriodId(id, TZ)), dataset([type])));
		expect(body.dataSet).toBe('T_SET');
		expect(body.period).toBe(id);
		expect(body.dataValues.length).toBeGreaterThan(0);
		for (const v of body.dataValues) expect(v.period).toBe(id);
	});

	it('sends our codes and string values, leaves nulls and the total out by default', async () => {
		const body = await read(dhis2Export(source(DAY), dataset(['day'])));
		expect(body.dataValues).toEqual([
			{ dataElement: 'GRID_INC_CREATED', period: '20261126', orgUnit: '370614-001-001', value: '12' },
			{ dataElement: 'GRID_INC_FEVER', period: '20261126', orgUnit: '370614-001-001', value: '5' },
			{ dataElement: 'GRID_INC_ONTIME', period: '20261126', orgUnit: '370614-001-001', value: '0.75' },
			{ dataElement: 'GRID_RES_HQ', period: '20261126', orgUnit: '370614-001-001', value: '3' },
			{ dataElement: 'GRID_INC_CREATED', period: '20261126', orgUnit: '370614-001-002', value: '4' },
			{ dataElement: 'GRID_INC_FEVER', period: '20261126', orgUnit: '370614-001-002', value: '0' },
			{ dataElement: 'GRID_RES_HQ', period: '20261126', orgUnit: '370614-001-002', value: '0' },
		]);
	});

	it('adds the total row and option combos when asked', async () => {
		const body = await read(dhis2Export(source(DAY), dataset(['day']), { includeTotal: true, categoryOptionCombo: 'HllvX50cXC0', attributeOptionCombo: 'bRowv6yZOF2' }));
		const total = body.dataValues.filter((v: { orgUnit: string }) => v.orgUnit === '370614-001');
		expect(total.map((v: { value: string }) => v.value)).toEqual(['16', '5', '0.8', '3']);
		for (const v of body.dataValues) {
			expect(v.categoryOptionCombo).toBe('HllvX50cXC0');
			expect(v.attributeOptionCombo).toBe('bRowv6yZOF2');
		}
	});

	it('refuses what DHIS2 could not take', async () => {
		const custom = await errorOf(() => dhis2Export(source(parsePeriodId('20261101-20261115', TZ)), dataset(['custom'])));
		expect(custom.field).toBe('Period');
		expect(custom.message).toContain('custom');
		const uid = await errorOf(() => dhis2Export(source(DAY), dataset(['day']), { attributeOptionCombo: 'default' }));
		expect(uid.field).toBe('Attribute Option Combo');
		const noCode = checkDataset({ code: 'N', name: 'N', periodTypes: ['day'], indicators: [{ id: 'health.fevers', codes: { csv: 'f' } }] });
		const missing = await errorOf(() => dhis2Export(source(DAY), noCode));
		expect(missing.field).toBe('Dataset');
		expect(missing.message).toContain('health.fevers');
		const monthly = DEFAULT_DATASETS.find((d) => d.code === 'GRID_MONTHLY')!;
		expect((await errorOf(() => dhis2Export(source(parsePeriodId('2026W48', TZ)), monthly))).message)
			.toBe('a week period does not fit the month-based dataset GRID_MONTHLY; choose a month or quarter period');
	});

	it('posts to dataValueSets with the code id schemes', () => {
		for (const dryRun of [true, false]) {
			const url = new URL(dhis2ImportPath(dryRun), 'https://dhis2.example.org');
			expect(url.pathname).toBe('/api/dataValueSets');
			expect(url.searchParams.get('dataElementIdScheme')).toBe('code');
			expect(url.searchParams.get('orgUnitIdScheme')).toBe('code');
			expect(url.searchParams.get('dryRun')).toBe(String(dryRun));
			expect(url.searchParams.get('importStrategy')).toBe('CREATE_AND_UPDATE');
		}
	});

	describe('parseImportSummary', () => {
		it('reads the summary at the top level (before 2.38)', () => {
			expect(parseImportSummary({ responseType: 'ImportSummary', status: 'SUCCESS', importCount: { imported: 5, updated: 2, ignored: 0, deleted: 0 } }))
				.toEqual({ status: 'SUCCESS', imported: 5, updated: 2, ignored: 0, deleted: 0, conflicts: [], ok: true });
			const warn = parseImportSummary(JSON.stringify({
				status: 'WARNING', importCount: { imported: 3, updated: 0, ignored: 1, deleted: 0 },
				conflicts: [{ object: 'GRID_INC_FEVER', value: 'Data element not found or not accessible' }],
			}));
			expect(warn).toMatchObject({ status: 'WARNING', imported: 3, ignored: 1, ok: false });
			expect(warn.conflicts).toEqual([{ object: 'GRID_INC_FEVER', value: 'Data element not found or not accessible' }]);
		});

		it('reads the summary wrapped in a web message (2.38 and later)', () => {
			const s = parseImportSummary({
				httpStatus: 'Conflict', httpStatusCode: 409, status: 'WARNING', message: 'One more conflicts encountered',
				response: {
					responseType: 'ImportSummary', status: 'WARNING', importCount: { imported: 0, updated: 6, ignored: 2, deleted: 1 },
					conflicts: [{ objects: { orgUnit: '370614-009' }, value: 'Org unit not found', errorCode: 'E7612' }, { value: 'Period not open' }],
				},
			});
			expect(s).toMatchObject({ status: 'WARNING', imported: 0, updated: 6, ignored: 2, deleted: 1, ok: false, description: 'One more conflicts encountered' });
			expect(s.conflicts).toEqual([{ object: '370614-009', value: 'Org unit not found' }, { value: 'Period not open' }]);
			expect(parseImportSummary({ httpStatus: 'OK', status: 'OK', response: { status: 'SUCCESS', importCount: { imported: 1 } } }))
				.toMatchObject({ status: 'SUCCESS', imported: 1, updated: 0, ok: true });
		});

		it.each([
			['an HTML page', '<html><body>502 Bad Gateway</body></html>'],
			['null', null],
			['a number', 42],
			['an array', [1, 2]],
			['an empty object', {}],
			['an unrelated object', { hello: 'world' }],
		])('survives %s', (_what, body) => {
			const s = parseImportSummary(body);
			expect(s.ok).toBe(false);
			expect(s.imported + s.updated + s.ignored + s.deleted).toBe(0);
			expect(s.status).not.toBe('SUCCESS');
			expect(s.description).toBeTruthy();
		});

		it('reports an error message without a summary', () => {
			expect(parseImportSummary({ httpStatus: 'Unauthorized', httpStatusCode: 401, status: 'ERROR', message: 'Unauthorized' }))
				.toMatchObject({ status: 'ERROR', ok: false, description: 'Unauthorized' });
			expect(parseImportSummary({ status: 'SUCCESS', importCount: { imported: '7', ignored: -1 } })).toMatchObject({ imported: 7, ignored: 0 });
		});
	});
});

describe('JSON', () => {
	it('writes dataset, period, unit, rows and total with the json codes', async () => {
		const doc = jsonExport(source(DAY), dataset(['day']));
		expect(doc.mimeType).toBe('application/json');
		const body = JSON.parse(await collectText(doc));
		expect(body.dataset).toEqual({ code: 'T_SET', name: 'Test set (测试)' });
		expect(body.period.id).toBe('20261126');
		expect(body.period.start).toBe('2026-11-25T16:00:00.000Z');
		expect(body.unit.code).toBe('370614-001');
		expect(body.computedAt).toBe('2026-11-27T01:00:00.000Z');
		expect(body.rows).toEqual([
			{ unitCode: '370614-001-001', unitName: '=HYPERLINK("http://x"),社区', level: 3, values: { incCreated: 12, 'incidents.byCategory.fever_symptoms.created': 5, 'incidents.onTimeRate': 0.75, 'residents.byHealthStatus.home_quarantine': 3 } },
			{ unitCode: '370614-001-002', unitName: '社区 "南"', level: 3, values: { incCreated: 4, 'incidents.byCategory.fever_symptoms.created': 0, 'incidents.onTimeRate': null, 'residents.byHealthStatus.home_quarantine': 0 } },
		]);
		expect(body.total.values.incCreated).toBe(16);
	});

	it('writes an empty rows list when there is no breakdown', async () => {
		expect(JSON.parse(await collectText(jsonExport(source(DAY, []), dataset(['day'])))).rows).toEqual([]);
	});
});

describe('FHIR', () => {
	const unit = (code: string, name: string, level: number, parent: [string, string] | null, active = true): FhirSourceRecord =>
		({ type: 'unit', id: level, code, name, level, active, parentCode: parent?.[0] ?? null, parentName: parent?.[1] ?? null });
	const task = (id: number, status: string, more: Partial<FhirTaskRecord> = {}): FhirTaskRecord => ({
		type: 'task', id, kind: 'errand', customKind: null, title: `代办${id}`, status, priority: 2, unitCode: '370614-001-001-001', unitName: '网格1-1-1',
		residentId: null, createdAt: '2026-11-26T01:00:00.000Z', updatedAt: '2026-11-26T02:00:00.000Z', windowStart: null, windowEnd: null, dueAt: null, ...more,
	});
	const STATUSES = ['open', 'offered', 'assigned', 'accepted', 'in_progress', 'done', 'cancelled'];
	const records: FhirSourceRecord[] = [
		unit('370614', '蓬莱区', 1, null),
		unit('370614-001', '街道1', 2, ['370614', '蓬莱区']),
		unit('370614-001-001', '社区1-1', 3, ['370614-001', '街道1']),
		unit('370614-001-001-001', '网格1-1-1', 4, ['370614-001-001', '社区1-1']),
		unit('370614-001-001-001-0001', '1号楼', 5, ['370614-001-001-001', '网格1-1-1']),
		unit('370614-001-001-001-0002', '2号楼', 5, ['370614-001-001-001', '网格1-1-1'], false),
		{ type: 'observation', id: 101, residentId: 55, unitCode: '370614-001-001-001-0001', observedAt: '2026-11-26T00:30:00.000Z', temperatureC: 38.2, fever: true },
		{ type: 'observation', id: 102, residentId: 56, unitCode: '370614-001-001-001-0001', observedAt: '2026-11-26T00:40:00.000Z', temperatureC: 36.6, fever: false },
		...STATUSES.map((s, k) => task(201 + k, s)),
		task(301, 'open', {
			kind: 'custom', customKind: '扫雪', priority: 4, residentId: 55,
			windowStart: '2026-11-26T00:00:00.000Z', windowEnd: '2026-11-26T04:00:00.000Z', dueAt: '2026-11-26T06:00:00.000Z',
		}),
	];
	type Entry = { fullUrl: string; resource: any; request: { method: string; url: string } };
	const bundleOf = async (doc: ExportDocument) => JSON.parse(await collectText(doc)) as { resourceType: string; type: string; entry: Entry[]; timestamp?: string };
	const byType = (entries: Entry[], type: string) => entries.filter((e) => e.resource.resourceType === type);
	const idOf = (r: any, system: string) => r.identifier.find((i: any) => i.system === system)?.value;

	it('is a transaction bundle of conditional PUTs by identifier, parents first', async () => {
		const b = await bundleOf(fhirExport(() => records, { unitCode: '370614', period: DAY, timestamp: '2026-11-27T00:00:00Z' }));
		expect(b.resourceType).toBe('Bundle');
		expect(b.type).toBe('transaction');
		expect(b.timestamp).toBe('2026-11-27T00:00:00Z');
		expect(b.entry).toHaveLength(records.length);
		expect(new Set(b.entry.map((e) => e.fullUrl)).size).toBe(records.length);
		for (const e of b.entry) {
			expect(e.fullUrl).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
			expect(e.request.method).toBe('PUT');
		}
		expect(b.entry[0].request.url).toBe('Location?identifier=urn:grid-governance:grid-unit|370614');
		expect(byType(b.entry, 'Observation')[0].request.url).toBe('Observation?identifier=urn:grid-governance:observation|101');
		expect(byType(b.entry, 'Task')[0].request.url).toBe('Task?identifier=urn:grid-governance:task|201');
	});

	it('builds Locations whose partOf chain climbs from a building to the district', async () => {
		const b = await bundleOf(fhirExport(() => records));
		const locations = byType(b.entry, 'Location').map((e) => e.resource);
		const byCode = new Map(locations.map((l) => [idOf(l, 'urn:grid-governance:grid-unit'), l]));
		const chain: string[] = [];
		let at = byCode.get('370614-001-001-001-0001');
		while (at) {
			chain.push(at.name);
			expect(at.mode).toBe('instance');
			const parent = at.partOf?.identifier;
			if (!parent) break;
			expect(parent.system).toBe('urn:grid-governance:grid-unit');
			expect(at.partOf.display).toBe(byCode.get(parent.value)!.name);
			at = byCode.get(parent.value);
		}
		expect(chain).toEqual(['1号楼', '网格1-1-1', '社区1-1', '街道1', '蓬莱区']);
		const physical = (code: string) => byCode.get(code)!.physicalType.coding[0];
		for (const code of ['370614', '370614-001', '370614-001-001', '370614-001-001-001']) {
			expect(physical(code)).toMatchObject({ system: 'http://terminology.hl7.org/CodeSystem/location-physical-type', code: 'area' });
		}
		expect(physical('370614-001-001-001-0001').code).toBe('bu');
		expect(byCode.get('370614-001-001-001')!.type[0].coding[0]).toEqual({ system: 'urn:grid-governance:grid-level', code: '4', display: 'Base grid' });
		expect(byCode.get('370614-001-001-001-0001')!.status).toBe('active');
		expect(byCode.get('370614-001-001-001-0002')!.status).toBe('inactive');
	});

	it('writes body temperatures as LOINC 8310-5 in Cel, fever flagged high, the resident only as a pseudonymous identifier', async () => {
		const b = await bundleOf(fhirExport(() => records));
		const [fever, normal] = byType(b.entry, 'Observation').map((e) => e.resource);
		expect(fever.status).toBe('final');
		expect(fever.category[0].coding[0]).toMatchObject({ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' });
		expect(fever.code.coding[0]).toEqual({ system: 'http://loinc.org', code: '8310-5', display: 'Body temperature' });
		expect(fever.valueQuantity).toEqual({ value: 38.2, unit: 'Cel', system: 'http://unitsofmeasure.org', code: 'Cel' });
		expect(fever.effectiveDateTime).toBe('2026-11-26T00:30:00.000Z');
		expect(fever.subject).toEqual({ type: 'Patient', identifier: { system: 'urn:grid-governance:resident', value: '55' } });
		expect(idOf(fever, 'urn:grid-governance:observation')).toBe('101');
		expect(fever.interpretation[0].coding[0]).toMatchObject({ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'H' });
		expect(normal.interpretation).toBeUndefined();
		expect(normal.valueQuantity.value).toBe(36.6);
	});

	it('maps task statuses and carries kind, title, window, due and place', async () => {
		const b = await bundleOf(fhirExport(() => records));
		const tasks = byType(b.entry, 'Task').map((e) => e.resource);
		expect(tasks.slice(0, 7).map((t) => t.status)).toEqual(['requested', 'requested', 'accepted', 'accepted', 'in-progress', 'completed', 'cancelled']);
		expect(tasks.slice(0, 7).map((t) => t.businessStatus.text)).toEqual(STATUSES);
		const first = tasks[0];
		expect(first.intent).toBe('order');
		expect(first.code.text).toBe('Errand (生活代办)');
		expect(first.description).toBe('代办201');
		expect(first.authoredOn).toBe('2026-11-26T01:00:00.000Z');
		expect(first.location).toEqual({ type: 'Location', identifier: { system: 'urn:grid-governance:grid-unit', value: '370614-001-001-001' }, display: '网格1-1-1' });
		expect(first.executionPeriod).toBeUndefined();
		expect(first.for).toBeUndefined();
		const custom = tasks[7];
		expect(custom.code.text).toBe('Custom (自定义): 扫雪');
		expect(custom.priority).toBe('asap');
		expect(custom.executionPeriod).toEqual({ start: '2026-11-26T00:00:00.000Z', end: '2026-11-26T04:00:00.000Z' });
		expect(custom.restriction).toEqual({ period: { end: '2026-11-26T06:00:00.000Z' } });
		expect(custom.for.identifier).toEqual({ system: 'urn:grid-governance:resident', value: '55' });
	});

	it('uses the identifier system base it is given', async () => {
		const b = await bundleOf(fhirExport(() => records.slice(0, 2), { systemBase: 'https://fhir.penglai.example/sid/' }));
		expect(b.entry[1].resource.identifier[0]).toEqual({ system: 'https://fhir.penglai.example/sid/grid-unit', value: '370614-001' });
		expect(b.entry[1].request.url).toBe('Location?identifier=https://fhir.penglai.example/sid/grid-unit|370614-001');
		const bad = await errorOf(() => fhirExport(() => [], { systemBase: 'grid governance' }));
		expect(bad.field).toBe('Identifier System');
	});
});

describe('streamed documents', () => {
	const many = (n: number) => Array.from({ length: n }, (_, k) => row(`370614-001-${String(k + 1).padStart(3, '0')}`, `社区${k}`, 3, { created: k, fever: k % 3, onTime: k % 2 ? 0.5 : null, quarantine: k % 5 }));

	it('regenerates identical text from rows streamed by a function, in bounded chunks', async () => {
		let calls = 0;
		const rows = many(3000);
		const src: RollupSource = {
			...source(DAY),
			rows: async function* () {
				calls++;
				for (const r of rows) yield r;
			},
		};
		const doc = csvExport(src, dataset(['day']));
		const sizes: number[] = [];
		const parts: string[] = [];
		for await (const chunk of doc.chunks()) {
			sizes.push(chunk.length);
			parts.push(chunk);
		}
		expect(sizes.length).toBeGreaterThan(3);
		expect(Math.max(...sizes)).toBeLessThan(70 * 1024);
		const again = await collectText(doc);
		expect(again).toBe(parts.join(''));
		expect(calls).toBe(2);
		expect(parseCsv(again.slice(1))).toHaveLength(1 + 3001 * 4);
	});

	it('hashes and writes to disk exactly the text it yields', async () => {
		const doc = dhis2Export(source(DAY, many(500)), dataset(['day']));
		const text = await collectText(doc);
		const expected = createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex');
		expect(await sha256Of(doc)).toBe(expected);
		const dir = mkdtempSync(join(tmpdir(), 'grid-export-'));
		try {
			const path = join(dir, doc.fileName);
			const written = await writeToFile(doc, path);
			expect(written).toEqual({ bytes: Buffer.byteLength(text, 'utf8'), sha256: expected });
			expect(readFileSync(path, 'utf8')).toBe(text);
			expect(readdirSync(dir)).toEqual([doc.fileName]);
			const csv = csvExport(source(DAY), dataset(['day']));
			const csvPath = join(dir, 'x.csv');
			await writeToFile(csv, csvPath);
			// the BOM is on disk: EF BB BF
			expect([...readFileSync(csvPath).subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it('leaves no file behind when the output fails midway', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'grid-export-'));
		try {
			const doc: ExportDocument = {
				format: 'csv', fileName: 'x.csv', mimeType: 'text/csv',
				chunks: async function* () {
					yield 'a,b\r\n';
					throw new Error('database went away');
				},
			};
			await expect(writeToFile(doc, join(dir, 'x.csv'))).rejects.toThrow('database went away');
			expect(readdirSync(dir)).toEqual([]);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});
