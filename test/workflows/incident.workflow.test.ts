/**
 * The Incident node run in-process by n8n (the BUILT package) against real PostgreSQL: intake from
 * item fields with idempotency keys, bad input with and without Continue On Fail, Open311 GeoReport v2
 * in and out, and eight parallel executions taking 10,000 reports with repeated keys.
 */
import { readFileSync } from 'fs';
import path from 'path';
import type { IDataObject, INodeParameters } from 'n8n-workflow';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import {
	type CredentialsByType, type N8nHarness, type OutputItem, type WorkflowJson, type WorkflowNodeJson, type WorkflowRunResult,
	getHarness, singleNodeWorkflow, gridCredentials,
} from '../helpers/n8nHarness';
import { smallDistrict } from '../helpers/uow';

const INCIDENT = 'n8n-nodes-grid-governance.incident';
const B1 = '370614-001-001-001-0001';
const B2 = '370614-001-001-001-0002';
const ADDRESS_B2 = '蓬莱区钟楼北路12号';

let db: TestDatabase;
let harness: N8nHarness;
let credentials: CredentialsByType;

const single = (name: string, parameters: INodeParameters, settings: Partial<WorkflowNodeJson> = {}): WorkflowJson => singleNodeWorkflow(INCIDENT, name, parameters, settings);

const runWf = (workflow: WorkflowJson, inputItems: IDataObject[] = [{}]): Promise<WorkflowRunResult> =>
	harness.runWorkflow(workflow, { credentials, inputItems });

function outputOf(result: WorkflowRunResult, node: string): OutputItem[] {
	const r = result.node(node);
	if (r.error) throw new Error(`${node} failed: ${r.error.message}`);
	return r.items;
}

const count = async (table: string, where = 'true') => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.${table} WHERE ${where}`))[0].n;

/** Create from item fields: every parameter an expression on the item. */
const fromItems = (extra: INodeParameters = {}): INodeParameters => ({
	resource: 'incident',
	operation: 'create',
	idempotencyKey: '={{ $json.key }}',
	source: '={{ $json.source || "hotline" }}',
	category: '={{ $json.category }}',
	description: '={{ $json.text }}',
	locationBy: 'unit',
	unit: { __rl: true, mode: 'code', value: '={{ $json.unit }}' },
	reporter: { phone: '={{ $json.phone || "" }}' },
	...extra,
});

beforeAll(async () => {
	db = await createTestDatabase('wf_incident');
	credentials = { gridGovernancePostgres: gridCredentials(db.config()) };
	harness = await getHarness();
	const seed = JSON.parse(readFileSync(path.join(__dirname, 'fixtures', 'resident-seed.workflow.json'), 'utf8')) as WorkflowJson;
	const units = smallDistrict().map((u) => (u.code === B2 ? { ...u, address: ADDRESS_B2 } : u));
	const seeded = await runWf(seed, units as IDataObject[]);
	expect(outputOf(seeded, 'Import Units')).toHaveLength(units.length);
});

afterAll(async () => {
	await harness?.closeGridPools();
	await db?.drop();
});

describe('Create', () => {
	it('takes in reports from item fields, pairs each output, masks the reporter and returns a repeat without writing', async () => {
		const items = [
			{ key: 'call-1', category: 'sanitation', text: '楼道堆放杂物', unit: B1, phone: '13800000001' },
			{ key: 'call-2', category: '就医需求', text: '老人需要透析，无人陪同', unit: B2 },
		];
		const out = outputOf(await runWf(single('Intake', fromItems()), items), 'Intake');
		expect(out.map((o) => o.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(out[0].json).toMatchObject({ category: 'sanitation', unitCode: B1, status: 'new', repeatedRequest: false, reporter: { phone: '138****0001', revealed: false } });
		expect(out[1].json).toMatchObject({ category: 'medical_need', riskLevel: 'high' });
		expect(String(out[0].json.reference)).toMatch(/^INC-\d{8}-\d{6}$/);
		const stored = JSON.stringify(await db.query(`SELECT * FROM grid.incident`));
		expect(stored).not.toContain('13800000001');

		const before = await count('incident');
		const again = outputOf(await runWf(single('Intake', fromItems()), [items[0]]), 'Intake');
		expect(again[0].json).toMatchObject({ id: out[0].json.id, repeatedRequest: true });
		expect(await count('incident')).toBe(before);
	});

	it.each([
		['an unknown category', { category: 'alien_landing' }, 'Category', /not a known category/],
		['an empty description', { text: '   ' }, 'Description', /Description is empty/],
		['a description over 5,000 characters', { text: '长'.repeat(5001) }, 'Description', /5001 characters; at most 5000/],
		['an unknown unit', { unit: '370614-009-009-009-0009' }, 'Grid Unit', /unknown grid unit 370614-009-009-009-0009/],
		['an idempotency key reused with a different payload', { key: 'call-1', text: '另一件事' }, 'Idempotency Key', /already used for incident INC-.* with a different payload/],
	])('rejects %s naming the item and field, and writes nothing', async (_what, change, field, message) => {
		const good = { key: `ok-${field}-${Date.now()}`, category: 'sanitation', text: '垃圾未清运', unit: B1 };
		const bad = { ...good, key: `bad-${field}-${Date.now()}`, ...change };
		const before = await count('incident');
		const result = await runWf(single('Intake', fromItems()), [good, bad]);
		const error = result.node('Intake').error;
		expect(error?.message).toMatch(new RegExp(`^Item 1, field "${field}": `));
		expect(error?.message).toMatch(message);
		expect(await count('incident')).toBe(before);
		// with Continue On Fail the good item is written and the bad one comes out as an error item
		const partial = outputOf(await runWf(single('Intake', fromItems(), { onError: 'continueRegularOutput' }), [good, bad]), 'Intake');
		expect(partial[0].json).toMatchObject({ repeatedRequest: false });
		expect(String(partial[1].json.error)).toMatch(message);
		expect(partial.map((o) => o.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(await count('incident')).toBe(before + 1);
	});
});

describe('Open311 GeoReport v2', () => {
	const accept = (extra: INodeParameters = {}) => single('Open311', { resource: 'open311', operation: 'accept', payload: '={{ $json }}', ...extra });

	it('accepts a service request with an address and attributes, and answers as GeoReport', async () => {
		const request = {
			service_code: 'sanitation', description: '小区门口垃圾满溢', address_string: `${ADDRESS_B2}东门`, first_name: '明', last_name: '李',
			phone: '13900000002', email: 'li.ming@example.com', 'attribute[WHERE]': 'east gate',
		};
		const out = outputOf(await runWf(accept(), [request]), 'Open311');
		expect(out[0].json).toMatchObject({ service_request_id: expect.stringMatching(/^INC-/), account_id: null });
		const [row] = await db.query<{ source: string; attributes: IDataObject; reporter_name: string; reporter_email_masked: string; unit_id: number }>(
			`SELECT source, attributes, reporter_name, reporter_email_masked, unit_id FROM grid.incident WHERE reference = $1`, [out[0].json.service_request_id]);
		expect(row).toMatchObject({ source: 'open311', attributes: { WHERE: 'east gate' }, reporter_name: '明 李', reporter_email_masked: 'l***@example.com' });
		const [unit] = await db.query<{ code: string }>(`SELECT code FROM grid.grid_unit WHERE id = $1`, [row.unit_id]);
		expect(unit.code).toBe(B2);

		const records = outputOf(await runWf(single('Requests', { resource: 'open311', operation: 'getRequests', requestIds: String(out[0].json.service_request_id) })), 'Requests');
		expect(records).toHaveLength(1);
		expect(records[0].json).toMatchObject({
			service_request_id: out[0].json.service_request_id, status: 'open', service_code: 'sanitation', service_name: 'Sanitation (环境卫生)',
			requested_datetime: expect.stringMatching(/\+08:00$/), expected_datetime: expect.stringMatching(/\+08:00$/),
		});
		expect(JSON.stringify(records[0].json)).not.toContain('13900000002');

		const services = outputOf(await runWf(single('Services', { resource: 'open311', operation: 'services', language: 'en' })), 'Services');
		expect(services.map((s) => s.json.service_code)).toContain('fever_symptoms');
		expect(services).toHaveLength(10);
	});

	it.each([
		['a missing service_code', { description: 'x', lat: '37.8', long: '120.7' }, 'service_code', /service_code is required/],
		['a lat without a long', { service_code: 'sanitation', description: 'x', lat: '37.8' }, 'long', /long is required when lat is given/],
		['a non-numeric lat', { service_code: 'sanitation', description: 'x', lat: 'north', long: '120.7' }, 'lat', /lat/],
	])('rejects %s naming the GeoReport field, and writes nothing', async (_what, request, field, message) => {
		const before = await count('incident');
		const error = (await runWf(accept(), [request])).node('Open311').error;
		expect(error?.message).toMatch(new RegExp(`^Item 0, field "${field}": `));
		expect(error?.message).toMatch(message);
		expect(await count('incident')).toBe(before);
	});
});

describe('the case cycle', () => {
	const op = (operation: string, extra: INodeParameters = {}) => single('Case', { resource: 'incident', operation, ...extra });
	const step = async (operation: string, extra: INodeParameters = {}) => outputOf(await runWf(op(operation, extra)), 'Case')[0].json;
	const fails = async (operation: string, extra: INodeParameters) => (await runWf(op(operation, extra))).node('Case').error?.message;

	it('triage, assign to the responsible grid head, work, resolve, close with the callback, reopen; the timeline says it all', async () => {
		const [created] = outputOf(await runWf(single('Intake', fromItems()), [{ key: 'cycle-1', category: 'sanitation', text: '垃圾站气味大', unit: B1 }]), 'Intake');
		const incident = String(created.json.reference);
		expect(await step('triage', { incident, newRisk: 'medium', reason: '夏季高温，易滋生蚊虫' })).toMatchObject({ status: 'triaged', riskLevel: 'medium' });
		expect(await step('assign', { incident, assignTo: 'responsible' })).toMatchObject({ status: 'assigned', assigneeName: '王芳' });
		expect(await fails('updateStatus', { incident, status: 'triaged' })).toMatch(/^Item 0, field "New Status": /);
		expect(await step('updateStatus', { incident, status: 'in_progress' })).toMatchObject({ status: 'in_progress' });
		expect(await step('comment', { incident, comment: '已联系环卫' })).toMatchObject({ status: 'in_progress' });
		expect(await step('updateStatus', { incident, status: 'resolved' })).toMatchObject({ status: 'resolved' });
		const before = await count('incident_event');
		expect(await fails('close', { incident, satisfaction: 7, callbackResult: '满意' })).toMatch(/^Item 0, field "Satisfaction": Satisfaction must be a whole number from 1 to 5, got 7/);
		expect(await count('incident_event')).toBe(before);
		expect(await step('close', { incident, satisfaction: 4, callbackResult: '基本满意' })).toMatchObject({ status: 'closed', satisfaction: 4 });
		expect(await step('reopen', { incident, reason: '气味又出现了' })).toMatchObject({ status: 'in_progress', reopenCount: 1 });
		const timeline = outputOf(await runWf(op('timeline', { incident })), 'Case').map((o) => o.json.kind);
		expect(timeline).toEqual(['created', 'triaged', 'assigned', 'status_changed', 'commented', 'status_changed', 'closed', 'reopened']);
	});

	it('escalates one level at a time and refuses to go above the district', async () => {
		const [created] = outputOf(await runWf(single('Intake', fromItems()), [{ key: 'cycle-2', category: 'safety_hazard', text: '燃气管道老化', unit: B1 }]), 'Intake');
		const incident = String(created.json.reference);
		const levels: unknown[] = [];
		for (let k = 0; k < 3; k++) levels.push((await step('escalate', { incident, reason: '需要上级协调' })).handlingLevel);
		expect(levels).toEqual([3, 2, 1]);
		expect(await fails('escalate', { incident, reason: '再上报' })).toMatch(/^Item 0, field "Incident": .*above the district/);
	});

	it('escalates every overdue incident once and finds them by search', async () => {
		const [created] = outputOf(await runWf(single('Intake', fromItems()), [{ key: 'cycle-3', category: 'supply_need', text: '独居老人缺粮', unit: B2 }]), 'Intake');
		await db.query(`UPDATE grid.incident SET due_at = now() - interval '1 hour' WHERE id = $1`, [created.json.id]);
		const overdue = outputOf(await runWf(op('search', { filters: { overdueOnly: true }, returnAll: true })), 'Case');
		expect(overdue.map((o) => o.json.id)).toContain(created.json.id);
		const escalated = outputOf(await runWf(op('escalateOverdue', { overdueOutput: 'summary' })), 'Case')[0].json;
		expect(escalated.escalated as number).toBeGreaterThanOrEqual(1);
		const after = outputOf(await runWf(op('search', { filters: { overdueOnly: true }, returnAll: true })), 'Case');
		expect(after.map((o) => o.json.id)).not.toContain(created.json.id);
		const again = outputOf(await runWf(op('escalateOverdue', { overdueOutput: 'summary' })), 'Case')[0].json;
		expect(again.processed).toBe(0);
	});
});

describe('concurrency', () => {
	it('eight parallel executions, 10,000 items, 20% repeated keys: one incident per key, gap-free references, nothing lost', async () => {
		const buildings = [B1, B2, '370614-001-002-001-0001', '370614-002-001-001-0001'];
		const keys = Array.from({ length: 8_000 }, (_, k) => `wf-par-${k}`);
		const all = [...keys, ...keys.slice(0, 2_000)].map((key, n) => ({ key, n }));
		const report = (key: string) => {
			const k = Number(key.slice(7));
			return { key, source: 'open311', category: 'sanitation', text: `并发上报 ${key} 编号 ${k * 7919}`, unit: buildings[k % 4] };
		};
		const before = await count('incident');
		const wf = single('Intake', fromItems({ options: { dedupeWindowHours: 0 } }));
		const runs = await Promise.all(Array.from({ length: 8 }, (_, e) => runWf(wf, all.filter((x) => x.n % 8 === e).map((x) => report(x.key)))));
		const out = runs.flatMap((r) => outputOf(r, 'Intake'));
		expect(out).toHaveLength(10_000);
		const idByKey = new Map<string, unknown>();
		let mismatched = 0;
		for (const o of out) {
			const key = o.json.idempotencyKey as string;
			if (idByKey.has(key) && idByKey.get(key) !== o.json.id) mismatched++;
			idByKey.set(key, o.json.id);
		}
		expect(mismatched).toBe(0);
		expect(idByKey.size).toBe(8_000);
		expect(out.filter((o) => o.json.repeatedRequest)).toHaveLength(2_000);
		expect(await count('incident')).toBe(before + 8_000);
		expect(await count('incident', `idempotency_key LIKE 'wf-par-%'`)).toBe(8_000);
		const refs = await db.query<{ day: string; n: number; lo: number; hi: number }>(
			`SELECT substr(reference, 5, 8) AS day, count(*)::int AS n, min(substr(reference, 14)::int) AS lo, max(substr(reference, 14)::int) AS hi,
				count(DISTINCT reference)::int AS d FROM grid.incident GROUP BY 1`);
		for (const r of refs) expect(r).toMatchObject({ lo: 1, hi: r.n, d: r.n });
	}, 300_000);
});
