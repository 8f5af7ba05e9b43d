/**
 * The Grid Statistics node run in-process by n8n (the BUILT package) against real PostgreSQL: rollups
 * in every output shape, staff performance, the dashboard page as text and as a file, and bad input
 * that names the item and the field and writes nothing.
 */
import path from 'path';
import { Client } from 'pg';
import type { IDataObject, INodeParameters } from 'n8n-workflow';
import { closeAllPools } from '../../nodes/shared/db/pool';
import { periodOf } from '../../nodes/shared/domain/stats/period';
import { rollup } from '../../nodes/shared/domain/stats/rollup';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import {
	type CredentialsByType, type N8nHarness, type OutputItem, type WorkflowJson, type WorkflowNodeJson, type WorkflowRunResult,
	getHarness, singleNodeWorkflow, gridCredentials,
} from '../helpers/n8nHarness';
import { FlakyUpstream } from '../helpers/flakyUpstream';
import { run, seedSmallDistrict } from '../helpers/uow';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { seedActivity } = require(path.join(__dirname, '..', '..', 'bench', 'lib', 'activity.js'));

const STATISTICS = 'n8n-nodes-grid-governance.gridStatistics';
const TZ = 'Asia/Shanghai';
let db: TestDatabase;
let harness: N8nHarness;
let credentials: CredentialsByType;
let upstream: FlakyUpstream;

const single = (parameters: INodeParameters, settings: Partial<WorkflowNodeJson> = {}): WorkflowJson => singleNodeWorkflow(STATISTICS, 'Stats', parameters, settings);

const runWf = (workflow: WorkflowJson, inputItems: IDataObject[] = [{}], creds = credentials): Promise<WorkflowRunResult> =>
	harness.runWorkflow(workflow, { credentials: creds, inputItems });

function outputOf(result: WorkflowRunResult): OutputItem[] {
	const r = result.node('Stats');
	if (r.error) throw new Error(`Stats failed: ${r.error.message}`);
	return r.items;
}

const october = { periodType: 'month', periodDate: '2026-10-15' };

beforeAll(async () => {
	db = await createTestDatabase('wf_statistics');
	await seedSmallDistrict(db.config());
	const admin = new Client({ connectionString: db.url });
	await admin.connect();
	try {
		await seedActivity(admin, 'grid', { residents: 600, observations: 900, incidents: 400, tasks: 300, volunteers: 6 }, { month: '2026-10' });
	} finally {
		await admin.end();
	}
	credentials = { gridGovernancePostgres: gridCredentials(db.config()) };
	harness = await getHarness();
});

afterAll(async () => {
	await upstream?.close();
	await harness?.closeGridPools();
	await closeAllPools();
	await db?.drop();
});

describe('rollup', () => {
	it('gives one item per community, paired with the input item, matching the domain rollup', async () => {
		const out = outputOf(await runWf(single({ resource: 'figures', operation: 'rollup', unit: { mode: 'code', value: '370614' }, ...october, byLevel: 3 })));
		const expected = await run(db.config({ timezone: TZ }), (uow) =>
			rollup(uow, { unit: { code: '370614' }, period: periodOf({ type: 'month', date: '2026-10-15' }, TZ), byLevel: 3 }));
		expect(out.map((o) => o.json.unitCode)).toEqual(expected.rows.map((r) => r.unitCode));
		expect(out.map((o) => (o.json.incidents as IDataObject).created)).toEqual(expected.rows.map((r) => r.incidents.created));
		expect(out.every((o) => o.json.period === '202610' && (o.pairedItem as { item: number }).item === 0)).toBe(true);
	});

	it('gives the total last, or alone, or the whole rollup in one item', async () => {
		const base = { resource: 'figures', operation: 'rollup', unit: { mode: 'code', value: '370614-001' }, ...october, byLevel: 3 };
		const withTotal = outputOf(await runWf(single({ ...base, output: 'rowsAndTotal' })));
		expect(withTotal.map((o) => [o.json.unitCode, o.json.total])).toEqual([['370614-001-001', false], ['370614-001-002', false], ['370614-001', true]]);
		const totalOnly = outputOf(await runWf(single({ ...base, output: 'total' })));
		expect(totalOnly).toHaveLength(1);
		const sum = withTotal.slice(0, 2).reduce((s, o) => s + Number((o.json.tasks as IDataObject).created), 0);
		expect((totalOnly[0].json.tasks as IDataObject).created).toBe(sum);
		const whole = outputOf(await runWf(single({ ...base, output: 'whole' })));
		expect(whole[0].json).toMatchObject({ byLevel: 3, period: { id: '202610' }, unit: { code: '370614-001' } });
	});

	it('reads DHIS2 period ids and custom ranges, one rollup per input item', async () => {
		const out = outputOf(await runWf(
			single({ resource: 'figures', operation: 'rollup', unit: { mode: 'code', value: '370614' }, byLevel: 0, output: 'total', periodType: 'id', periodId: '={{ $json.period }}' }),
			[{ period: '20261005' }, { period: '2026W41' }, { period: '2026Q4' }],
		));
		expect(out.map((o) => o.json.period)).toEqual(['20261005', '2026W41', '2026Q4']);
		expect(out.map((o) => (o.pairedItem as { item: number }).item)).toEqual([0, 1, 2]);
		const created = out.map((o) => Number((o.json.incidents as IDataObject).created));
		expect(created[0]).toBeLessThanOrEqual(created[1]);
		expect(created[1]).toBeLessThanOrEqual(created[2]);
	});

	it('refuses a period that ends before it starts, naming the item and the field', async () => {
		const wf = single({ resource: 'figures', operation: 'rollup', unit: { mode: 'code', value: '370614' }, periodType: 'custom', periodStart: '={{ $json.from }}', periodEnd: '={{ $json.to }}' });
		const result = await runWf(wf, [{ from: '2026-10-01', to: '2026-10-31' }, { from: '2026-10-20', to: '2026-10-01' }]);
		expect(result.node('Stats').error?.message).toMatch(/Item 1.*Period End.*ends on 2026-10-01, before it starts on 2026-10-20/s);
		const lenient = outputOf(await runWf({ ...wf, nodes: [wf.nodes[0], { ...wf.nodes[1], continueOnFail: true }] }, [{ from: '2026-10-01', to: '2026-10-31' }, { from: '2026-10-20', to: '2026-10-01' }]));
		const errorItem = lenient.find((o) => o.json.error);
		expect(errorItem?.pairedItem).toEqual({ item: 1 });
		expect(String(errorItem?.json.error)).toMatch(/Period End/);
	});

	it('keeps a scoped credential to its subtree', async () => {
		const scoped = { gridGovernancePostgres: gridCredentials(db.config({ scopeCode: '370614-002' })) };
		const result = await runWf(single({ resource: 'figures', operation: 'rollup', unit: { mode: 'code', value: '370614-001' }, ...october }), [{}], scoped);
		expect(result.node('Stats').error?.message).toMatch(/outside this credential's scope 370614-002/);
	});
});

describe('staff performance', () => {
	it('gives one item per unit at the level, with the assessment figures', async () => {
		const out = outputOf(await runWf(single({ resource: 'figures', operation: 'staffPerformance', unit: { mode: 'code', value: '370614' }, ...october, groupBy: 'unit', byLevel: 2 })));
		const [{ n }] = await db.query<{ n: number }>(
			`SELECT count(*)::int AS n FROM grid.incident WHERE coalesce(resolved_at, closed_at) >= '2026-10-01T00:00+08' AND coalesce(resolved_at, closed_at) < '2026-11-01T00:00+08'`);
		// synthetic cases have no assignee, so per unit they count and per staff member they do not
		expect(out.reduce((s, o) => s + Number(o.json.resolved), 0)).toBe(n);
		expect(out.every((o) => 'signForRate' in o.json && 'supervisionFlags' in o.json)).toBe(true);
	});
});

describe('dashboard', () => {
	it('renders a self-contained page as text and as an HTML file', async () => {
		const out = outputOf(await runWf(single({ resource: 'dashboard', operation: 'render', unit: { mode: 'code', value: '370614' }, days: 30 })));
		expect(out).toHaveLength(1);
		const html = String(out[0].json.html);
		expect(html).toMatch(/^<!DOCTYPE html>/);
		expect(html).not.toMatch(/(src|href)="https?:/);
		expect(out[0].binary?.data).toMatchObject({ fileName: 'dashboard.html', mimeType: 'text/html' });
		const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.resident WHERE active`);
		expect(html).toContain(`data-figure="totals.residents"`);
		expect(out[0].json.totals).toMatchObject({ residents: n });
	});
});

describe('export', () => {
	const base = { resource: 'export', operation: 'create', unit: { mode: 'code', value: '370614' }, periodType: 'month', periodDate: '2026-10-15', dataset: 'GRID_MONTHLY', byLevel: 3 };
	const withUpstream = (over: IDataObject = {}): CredentialsByType => ({
		...credentials,
		gridUpstreamApi: { baseUrl: upstream.url, authentication: 'bearer', token: 'wf-token-5b7e', headers: '{}', timeoutMs: 400, ...over },
	});

	beforeAll(async () => {
		upstream = await new FlakyUpstream().start();
	});
	afterEach(() => upstream.reset());

	it('writes a DHIS2 data value set as a file and as JSON, one value per community and indicator', async () => {
		const out = outputOf(await runWf(single({ ...base, format: 'dhis2' })));
		expect(out).toHaveLength(1);
		const json = out[0].json;
		expect(json).toMatchObject({ format: 'dhis2', dataset: 'GRID_MONTHLY', period: '202610', unitCode: '370614', fileName: 'GRID_MONTHLY_370614_202610.json' });
		const content = json.content as { dataValues: Array<{ dataElement: string; orgUnit: string; period: string; value: string }> };
		const created = content.dataValues.filter((v) => v.dataElement === 'GRID_INC_CREATED');
		expect(created.map((v) => v.orgUnit).sort()).toEqual(['370614-001-001', '370614-001-002', '370614-002-001', '370614-002-002']);
		const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.incident WHERE created_at >= '2026-10-01T00:00+08' AND created_at < '2026-11-01T00:00+08'`);
		expect(created.reduce((s, v) => s + Number(v.value), 0)).toBe(n);
		expect(out[0].binary?.data).toMatchObject({ fileName: 'GRID_MONTHLY_370614_202610.json', mimeType: 'application/json' });
		const file = Buffer.from(String(out[0].binary!.data.data), 'base64');
		expect(JSON.parse(file.toString('utf8'))).toEqual(content);
	});

	it('writes CSV with a byte-order mark for Excel, wide by default', async () => {
		const out = outputOf(await runWf(single({ ...base, format: 'csv' })));
		const file = Buffer.from(String(out[0].binary!.data.data), 'base64');
		expect([...file.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
		const lines = file.toString('utf8').replace(/^\uFEFF/, '').trim().split('\r\n');
		expect(lines[0].split(',').slice(0, 4)).toEqual(['unit_code', 'unit_name', 'level', 'period']);
		// four communities and the district's total
		expect(lines).toHaveLength(1 + 4 + 1);
	});

	it('writes a FHIR transaction bundle of the subtree; the content is in the JSON only when small enough', async () => {
		const big = outputOf(await runWf(single({ ...base, format: 'fhir' })));
		expect(Number(big[0].json.bytes)).toBeGreaterThan(256 * 1024);
		expect(big[0].json.content).toBeUndefined();
		expect(big[0].binary?.data).toMatchObject({ mimeType: 'application/fhir+json' });
		const out = outputOf(await runWf(single({ ...base, format: 'fhir', options: { jsonUpToKb: 10_000 } })));
		const bundle = out[0].json.content as { resourceType: string; type: string; entry: Array<{ resource: { resourceType: string } }> };
		expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'transaction' });
		const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.grid_unit`);
		expect(bundle.entry.filter((e) => e.resource.resourceType === 'Location')).toHaveLength(n);
	});

	it('refuses a week period for a month-based dataset and an indicator without a DHIS2 code, naming the fields', async () => {
		const week = await runWf(single({ ...base, format: 'dhis2', periodType: 'week' }));
		expect(week.node('Stats').error?.message).toMatch(/Item 0, field "Period".*week period does not fit the month-based dataset GRID_MONTHLY/s);
		const custom = JSON.stringify({ code: 'MINE', name: 'Mine', periodTypes: ['month'], indicators: [{ id: 'incidents.created', name: 'Created', codes: { csv: 'created' } }] });
		const unmapped = await runWf(single({ ...base, format: 'dhis2', dataset: 'custom', datasetJson: custom }));
		expect(unmapped.node('Stats').error?.message).toMatch(/incidents\.created/);
		expect(await db.query(`SELECT 1 FROM grid.export_batch`)).toEqual([]);
	});

	it('delivers once through the ledger, retrying a failure, and skips an unchanged re-run', async () => {
		upstream.plan({ status: 503 });
		const wf = single({ ...base, format: 'dhis2', deliver: true, maxAttempts: 3 });
		const out = outputOf(await runWf(wf, [{}], withUpstream()));
		expect(out[0].json.delivery).toMatchObject({ action: 'sent', attempts: 2, status: 200, importSummary: { status: 'SUCCESS', imported: 1 } });
		expect(upstream.requests[1].url).toMatch(/^\/api\/dataValueSets\?.*orgUnitIdScheme=code/);
		expect(upstream.requests[1].headers.authorization).toBe('Bearer wf-token-5b7e');
		const again = outputOf(await runWf(wf, [{}], withUpstream()));
		expect(again[0].json.delivery).toMatchObject({ action: 'skipped' });
		expect(upstream.requests).toHaveLength(2);
	});

	it('makes a refused delivery an error item with the upstream status and body, without the token', async () => {
		upstream.plan({ status: 401, body: { message: 'invalid token wf-token-5b7e' } });
		const wf = single({ ...base, periodDate: '2026-09-15', format: 'json', deliver: true, upstreamPath: '/reports' }, { continueOnFail: true });
		const out = outputOf(await runWf(wf, [{}], withUpstream()));
		expect(out[0].json).toMatchObject({ upstreamStatus: 401, itemIndex: 0 });
		expect(String(out[0].json.error)).toMatch(/HTTP 401 after 1 attempt/);
		expect(JSON.stringify(out[0].json)).not.toContain('wf-token-5b7e');
		expect(upstream.requests).toHaveLength(1);
	});

	it('does not count a DHIS2 answer of HTTP 200 with import status ERROR as delivered', async () => {
		upstream.plan({ status: 200, body: { httpStatus: 'OK', status: 'ERROR', description: 'Org unit 370614-001-001 not found' } });
		const wf = single({ ...base, periodDate: '2026-07-15', format: 'dhis2', deliver: true }, { continueOnFail: true });
		const out = outputOf(await runWf(wf, [{}], withUpstream()));
		expect(String(out[0].json.error)).toMatch(/import status ERROR: Org unit 370614-001-001 not found/);
		const [row] = await db.query<{ status: string }>(`SELECT status FROM grid.export_batch WHERE period = '202607'`);
		expect(row.status).toBe('failed');
	});

	it('refuses an upstream URL that is not http(s), sending and recording nothing', async () => {
		const result = await runWf(single({ ...base, periodDate: '2026-08-15', format: 'csv', deliver: true }), [{}], withUpstream({ baseUrl: 'file:///etc/passwd' }));
		expect(result.node('Stats').error?.message).toMatch(/Base URL must be an http or https address/);
		expect(await db.query(`SELECT 1 FROM grid.export_batch WHERE period = '202608'`)).toEqual([]);
	});

	it('refuses to export a unit outside the credential\'s scope', async () => {
		const scoped = { gridGovernancePostgres: gridCredentials(db.config({ scopeCode: '370614-002' })) };
		const result = await runWf(single({ ...base, unit: { mode: 'code', value: '370614-001' }, format: 'csv' }), [{}], scoped);
		expect(result.node('Stats').error?.message).toMatch(/outside this credential's scope 370614-002/);
	});
});
