/**
 * The Resident node run in-process by n8n (test/helpers/n8nHarness.ts, the BUILT package) against real
 * PostgreSQL: import, upsert, get with and without revealing, search, health status, observations,
 * verification lists, exposures and tracing, and bad input with and without Continue On Fail.
 * The grid is seeded through the Grid node (fixtures/resident-seed.workflow.json).
 */
import { readFileSync } from 'fs';
import path from 'path';
import type { IDataObject, INodeParameters } from 'n8n-workflow';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import {
	type CredentialsByType, type N8nHarness, type OutputItem, type WorkflowJson, type WorkflowNodeJson, type WorkflowRunResult,
	getHarness, singleNodeWorkflow, gridCredentials,
} from '../helpers/n8nHarness';
import { idFor, mobile } from '../helpers/people';
import { smallDistrict } from '../helpers/uow';

const RESIDENT = 'n8n-nodes-grid-governance.resident';
const B1 = '370614-001-001-001-0001';
const B2 = '370614-001-001-001-0002';
const B3 = '370614-001-002-001-0001';
const ADDRESS_B3 = '蓬莱区钟楼北路12号';
const DAY = 86_400_000;

let db: TestDatabase;
let harness: N8nHarness;
let credentials: CredentialsByType;

const fixture = (name: string): WorkflowJson =>
	JSON.parse(readFileSync(path.join(__dirname, 'fixtures', `resident-${name}.workflow.json`), 'utf8')) as WorkflowJson;

/** Start → one Resident node with these parameters (and node settings such as onError). */
const single = (name: string, parameters: INodeParameters, settings: Partial<WorkflowNodeJson> = {}): WorkflowJson => singleNodeWorkflow(RESIDENT, name, parameters, settings);

/** The same workflow with Continue On Fail (Settings → On Error → Continue) on one node. */
function continueOnFail(workflow: WorkflowJson, node: string): WorkflowJson {
	const copy = structuredClone(workflow);
	copy.nodes.find((n) => n.name === node)!.onError = 'continueRegularOutput';
	return copy;
}

const runWf = (workflow: WorkflowJson, inputItems: IDataObject[] = [{}]): Promise<WorkflowRunResult> =>
	harness.runWorkflow(workflow, { credentials, inputItems });

/** The node's output; fails with the node's error when it failed. */
function outputOf(result: WorkflowRunResult, node: string): OutputItem[] {
	const r = result.node(node);
	if (r.error) throw new Error(`${node} failed: ${r.error.message}`);
	return r.items;
}

const json = (items: OutputItem[]) => items.map((i) => i.json);
const paired = (items: OutputItem[]) => items.map((i) => i.pairedItem);

const count = async (table: string, where = 'true') => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.${table} WHERE ${where}`))[0].n;
/** Row counts of everything a resident operation may write. */
const footprint = async () => ({
	resident: await count('resident'),
	household: await count('household'),
	history: await count('health_status_history'),
	observation: await count('health_observation'),
	exposure: await count('exposure'),
	audit: await count('audit_log'),
});

// The people of the tests. Sequence numbers: odd = male, even = female (GB 11643).
const doc = {
	wang: idFor('370614', '19450315', 122),
	liQiang: idFor('370614', '19800808', 213),
	liXiaoman: idFor('370614', '20180606', 224),
	zhangWei: idFor('370614', '19900101', 315),
	zhaoMin: idFor('370614', '19750505', 426),
	sunLi: idFor('370614', '19880228', 528),
};
const inDays = (d: number) => new Date(Date.now() + d * DAY).toISOString();

const registry: IDataObject[] = [
	{ name: '王秀英', documentNumber: doc.wang, phone: mobile(1), buildingCode: B1, unitNo: '1', roomNo: '101', tags: 'elderly_living_alone,chronic_illness' },
	{ name: '李强', documentNumber: doc.liQiang, phone: mobile(2), buildingCode: B1, unitNo: '1', roomNo: '102', healthStatus: 'home_quarantine', quarantineEndsAt: inDays(5) },
	{ name: '李小满', documentNumber: doc.liXiaoman, buildingCode: B1, unitNo: '1', roomNo: '102', tags: ['child'] },
	{ name: '张伟', documentNumber: doc.zhangWei, phone: mobile(3), buildingCode: B2, roomNo: '201', tags: ['key_population'], healthStatus: 'central_quarantine', quarantineEndsAt: inDays(10) },
	{ name: '赵敏', documentNumber: doc.zhaoMin, phone: mobile(4), buildingCode: B3, roomNo: '301' },
	{ name: '陈红', documentType: 'passport', documentNumber: 'E12345678', birthYear: 1992, sex: 'F', buildingCode: B3, roomNo: '302' },
];

beforeAll(async () => {
	db = await createTestDatabase('wf_resident');
	credentials = { gridGovernancePostgres: gridCredentials(db.config()) };
	harness = await getHarness();
	const units = smallDistrict().map((u) => (u.code === B3 ? { ...u, address: ADDRESS_B3 } : u));
	const seeded = await runWf(fixture('seed'), units as IDataObject[]);
	expect(outputOf(seeded, 'Import Units')).toHaveLength(units.length);
	expect(json(outputOf(seeded, 'Post Grid Head'))).toEqual([expect.objectContaining({ role: 'grid_head' })]);
});

afterAll(async () => {
	await harness?.closeGridPools();
	await db?.drop();
});

describe('Import Many', () => {
	it('registers residents from item fields, each output paired to its item, personal data protected', async () => {
		const result = await runWf(fixture('import'), registry);
		const out = outputOf(result, 'Import Residents');
		expect(paired(out)).toEqual(registry.map((_, item) => ({ item })));
		expect(json(out).map((r) => r.operation)).toEqual(Array(6).fill('created'));
		expect(out[0].json).toMatchObject({
			name: '王秀英', buildingCode: B1, unitNo: '1', roomNo: '101', birthYear: 1945, sex: 'F', revealed: false,
			documentNumber: `370614********${doc.wang.slice(14)}`, phone: '138****0001', tags: ['elderly_living_alone', 'chronic_illness'],
		});
		expect(out[1].json).toMatchObject({ sex: 'M', healthStatus: 'home_quarantine', quarantineEndsAt: expect.anything() });
		expect(out[2].json.householdId).toBe(out[1].json.householdId);
		expect(out[5].json).toMatchObject({ documentType: 'passport', birthYear: 1992, sex: 'F' });

		expect(await count('resident')).toBe(6);
		expect(await count('household')).toBe(5);
		const history = await db.query<{ status: string }>(`SELECT status FROM grid.health_status_history ORDER BY status`);
		expect(history.map((h) => h.status)).toEqual(['central_quarantine', 'home_quarantine']);
		const stored = JSON.stringify(await db.query(`SELECT * FROM grid.resident`)) + JSON.stringify(await db.query(`SELECT details FROM grid.audit_log`));
		for (const secret of [...Object.values(doc).slice(0, 5), mobile(1), mobile(2), mobile(3), mobile(4), 'E12345678']) expect(stored).not.toContain(secret);
	});

	it('imports the same items again as updates, writing no new rows', async () => {
		const before = await footprint();
		const out = outputOf(await runWf(fixture('import'), registry), 'Import Residents');
		expect(json(out).map((r) => r.operation)).toEqual(Array(6).fill('updated'));
		const after = await footprint();
		expect({ ...after, audit: 0 }).toEqual({ ...before, audit: 0 });
	});

	it('accepts a tag outside the vocabulary only with Allow Custom Tags', async () => {
		const wf = fixture('import');
		const item = { name: '周杰', documentNumber: idFor('370614', '19660606', 611), buildingCode: B2, roomNo: '203', tags: '低保户' };
		const refused = await runWf(wf, [item]);
		expect(refused.node('Import Residents').error?.message).toMatch(/^Item 0, field "tags": Tags contains unknown tag "低保户"/);
		wf.nodes[1].parameters = { ...wf.nodes[1].parameters, options: { allowCustomTags: true } };
		const out = outputOf(await runWf(wf, [item]), 'Import Residents');
		expect(out[0].json).toMatchObject({ name: '周杰', tags: ['低保户'], operation: 'created' });
	});
});

describe('Create or Update', () => {
	const upsert = single('Upsert Resident', {
		resource: 'resident',
		operation: 'upsert',
		name: '={{ $json.name }}',
		documentNumber: '={{ $json.documentNumber }}',
		buildingCode: '={{ $json.buildingCode }}',
		roomNo: '={{ $json.roomNo }}',
		additionalFields: { phone: '={{ $json.phone }}', unitNo: '={{ $json.unitNo }}' },
		options: { storeFullDocument: true },
	});

	it('updates the resident with that document and creates the new one', async () => {
		const before = await count('resident');
		const out = outputOf(await runWf(upsert, [
			{ name: '王秀英', documentNumber: doc.wang, buildingCode: B1, unitNo: '1', roomNo: '101', phone: mobile(11) },
			{ name: '孙丽', documentNumber: doc.sunLi, buildingCode: B2, unitNo: '', roomNo: '202', phone: mobile(12) },
		]), 'Upsert Resident');
		expect(paired(out)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(out[0].json).toMatchObject({ name: '王秀英', operation: 'updated', phone: '138****0011', roomNo: '101', tags: ['elderly_living_alone', 'chronic_illness'] });
		expect(out[1].json).toMatchObject({ name: '孙丽', operation: 'created', sex: 'F', birthYear: 1988 });
		expect(await count('resident')).toBe(before + 1);
	});
});

describe('Get', () => {
	const get = (options: INodeParameters) => single('Get Resident', {
		resource: 'resident', operation: 'get', findBy: 'document', documentType: 'id_card', documentNumber: '={{ $json.documentNumber }}', options,
	});
	// 赵敏's number was imported without Store Full Document Number; the upsert above stored 王秀英's and 孙丽's in full
	const people = [{ documentNumber: doc.zhaoMin }, { documentNumber: doc.sunLi }];

	it('finds residents by document, masked, without writing an audit row', async () => {
		const before = await count('audit_log', `action = 'reveal'`);
		const out = outputOf(await runWf(get({}), people), 'Get Resident');
		expect(json(out).map((r) => [r.name, r.phone, r.documentNumber, r.revealed])).toEqual([
			['赵敏', '138****0004', `370614********${doc.zhaoMin.slice(14)}`, false],
			['孙丽', '138****0012', `370614********${doc.sunLi.slice(14)}`, false],
		]);
		expect(await count('audit_log', `action = 'reveal'`)).toBe(before);
	});

	it('reveals personal data only when asked, and audits who revealed what', async () => {
		const result = await runWf(get({ reveal: true, actingStaff: 'RW-GH-0001' }), people);
		const out = outputOf(result, 'Get Resident');
		// the full document number comes back only where it was stored in full (Store Full Document Number)
		expect(json(out).map((r) => [r.name, r.phone, r.documentNumber, r.revealed])).toEqual([
			['赵敏', mobile(4), `370614********${doc.zhaoMin.slice(14)}`, true],
			['孙丽', mobile(12), doc.sunLi, true],
		]);
		const audit = await db.query<{ entity_id: string; actor: IDataObject; details: { fields: string[] } }>(
			`SELECT entity_id, actor, details FROM grid.audit_log WHERE action = 'reveal' AND entity = 'resident' ORDER BY id`);
		expect(audit.map((a) => [Number(a.entity_id), a.details.fields])).toEqual([
			[out[0].json.id, ['phone']],
			[out[1].json.id, ['phone', 'document']],
		]);
		for (const a of audit) expect(a.actor).toMatchObject({ node: 'Get Resident', actingStaff: 'RW-GH-0001', executionId: result.executionId });
		expect(JSON.stringify(audit)).not.toContain(mobile(4));
	});

	it('names the item whose document is unknown', async () => {
		const result = await runWf(get({}), [{ documentNumber: doc.wang }, { documentNumber: idFor('370614', '19700101', 999) }]);
		expect(result.node('Get Resident').error?.message).toMatch(/^Item 1, field "Resident": no resident has document 370614\*{8}/);
	});
});

describe('Search', () => {
	const search = (filters: INodeParameters, paging: INodeParameters = { returnAll: true }) =>
		single('Search Residents', { resource: 'resident', operation: 'search', ...paging, filters });
	const names = async (filters: INodeParameters, paging?: INodeParameters) => {
		const out = outputOf(await runWf(search(filters, paging)), 'Search Residents');
		expect(out.every((i) => JSON.stringify(i.pairedItem) === JSON.stringify({ item: 0 }))).toBe(true);
		return json(out).map((r) => r.name as string).sort();
	};

	it.each([
		['a subtree and a tag', { withinCode: '370614-001-001', tags: ['child'] }, ['李小满']],
		['a subtree alone', { withinCode: '370614-001-002' }, ['赵敏', '陈红']],
		['the quarantine statuses', { statuses: ['home_quarantine', 'central_quarantine'] }, ['张伟', '李强']],
		['quarantine ending within 7 days', { quarantineEndsWithinDays: 7 }, ['李强']],
		['any of two tags', { tags: ['child', 'key_population'], tagMatch: 'any' }, ['张伟', '李小满']],
		['all of two tags', { tags: ['elderly_living_alone', 'chronic_illness'] }, ['王秀英']],
		['an age range', { minAge: 70, maxAge: 120 }, ['王秀英']],
		['a name prefix', { namePrefix: '李' }, ['李小满', '李强']],
		['a phone', { phone: mobile(4) }, ['赵敏']],
		['a document number', { documentNumber: doc.zhangWei }, ['张伟']],
	])('filters by %s', async (_label, filters, expected) => {
		expect(await names(filters)).toEqual([...expected].sort());
	});

	it('stops at the limit unless Return All', async () => {
		expect(await names({ withinCode: '370614' }, { returnAll: false, limit: 2 })).toHaveLength(2);
		expect((await names({ withinCode: '370614' })).length).toBe(await count('resident', 'active AND registered'));
	});
});

describe('Set Health Status', () => {
	const setStatus = (status: string, extra: INodeParameters = {}) => single('Set Status', {
		resource: 'resident', operation: 'setHealthStatus', findBy: 'document', documentType: 'id_card', documentNumber: doc.liQiang,
		status, reason: '核酸阳性', ...extra,
	});

	it('moves through an allowed transition and keeps the history', async () => {
		const out = outputOf(await runWf(setStatus('confirmed')), 'Set Status');
		expect(out[0].json).toMatchObject({ name: '李强', healthStatus: 'confirmed', previousStatus: 'home_quarantine', quarantineEndsAt: null });
		expect(out[0].pairedItem).toEqual({ item: 0 });
		const history = await db.query<{ status: string; ended: boolean; reason: string }>(
			`SELECT h.status, h.ended_at IS NOT NULL AS ended, h.reason FROM grid.health_status_history h JOIN grid.resident r ON r.id = h.resident_id
			WHERE r.name = '李强' ORDER BY h.id`);
		expect(history.map((h) => [h.status, h.ended])).toEqual([['home_quarantine', true], ['confirmed', false]]);
		expect(history[1].reason).toBe('核酸阳性');
	});

	it('refuses an impossible transition, naming both states, and writes nothing', async () => {
		const before = await footprint();
		const result = await runWf(setStatus('home_quarantine', { quarantineEndsAt: inDays(14) }));
		expect(result.node('Set Status').error?.message).toMatch(
			/^Item 0, field "New Status": a resident who is Confirmed \(确诊\) cannot become Home quarantine \(居家隔离\)/);
		expect(await footprint()).toEqual(before);
		expect(await count('resident', `name = '李强' AND health_status = 'confirmed'`)).toBe(1);
	});
});

describe('Record Observation', () => {
	const record = single('Record Observation', {
		resource: 'observation', operation: 'record', findBy: 'document', documentType: 'id_card', documentNumber: doc.zhaoMin,
		temperature: '={{ $json.t }}', temperatureUnit: '={{ $json.unit }}', source: 'checkpoint',
	});

	it('refuses a Fahrenheit reading given as Celsius, and a temperature of 60, writing nothing', async () => {
		const before = await footprint();
		const asC = await runWf(record, [{ t: '36.6', unit: 'C' }, { t: '99.5', unit: 'C' }]);
		expect(asC.node('Record Observation').error?.message).toMatch(/^Item 1, field "Temperature": Temperature 99\.5 looks like °F/);
		const sixty = await runWf(record, [{ t: '60', unit: 'C' }]);
		expect(sixty.node('Record Observation').error?.message).toMatch(/^Item 0, field "Temperature": Temperature 60 °C is outside the plausible body range of 34\.0–43\.0 °C/);
		expect(await footprint()).toEqual(before);
	});

	it('stores °F readings in °C and flags fever from 37.3 °C', async () => {
		const out = outputOf(await runWf(record, [{ t: '37.2', unit: 'C' }, { t: '37.3', unit: 'C' }, { t: '99.5', unit: 'F' }]), 'Record Observation');
		expect(paired(out)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(json(out).map((o) => [o.temperatureC, o.fever])).toEqual([[37.2, false], [37.3, true], [37.5, true]]);
		const rows = await db.query<{ t: string; fever: boolean }>(`SELECT temperature_c::text AS t, fever FROM grid.health_observation ORDER BY id`);
		expect(rows.map((r) => [r.t, r.fever])).toEqual([['37.2', false], ['37.3', true], ['37.5', true]]);
	});
});

describe('Check List (verification)', () => {
	it('sorts five pushed persons into matched, ambiguous and not found, paired to their items, creating no one', async () => {
		const before = await count('resident');
		const list = [
			{ name: '王秀英', documentNumber: doc.wang, arrival: { from: '上海', date: '2026-11-20' } },
			{ name: '张三', phone: mobile(3) },
			{ name: '李强', phone: mobile(2) },
			{ name: '陌生人', documentNumber: idFor('370614', '19910909', 717), claimedAddress: '蓬莱区钟楼北路 12号 3单元' },
			{ name: '外地人', claimedAddress: '外省某市某路1号' },
		];
		const out = outputOf(await runWf(fixture('verification'), list), 'Check List');
		expect(paired(out)).toEqual(list.map((_, item) => ({ item })));
		expect(json(out).map((r) => r.result)).toEqual(['matched', 'ambiguous', 'matched', 'not_found', 'not_found']);
		expect(out[0].json).toMatchObject({ matchedBy: ['document'], arrival: { from: '上海', date: '2026-11-20' }, resident: { name: '王秀英', buildingCode: B1 } });
		expect((out[0].json.responsible as { staff: Array<{ name: string }> }).staff.map((s) => s.name)).toEqual(['王芳']);
		expect(out[1].json.candidates).toEqual([expect.objectContaining({ reasons: ['phone'], resident: expect.objectContaining({ name: '张伟' }) })]);
		expect(out[2].json).toMatchObject({ matchedBy: ['phone', 'name'], resident: { name: '李强' } });
		expect(out[3].json).toMatchObject({ community: { code: '370614-001-002' }, resolvedFrom: '蓬莱区钟楼北路 12号 3单元' });
		expect(out[4].json).toMatchObject({ community: null });
		expect(await count('resident')).toBe(before);
	});
});

describe('Record Exposure and Trace Contacts', () => {
	it('records exposures (one with a person outside the registry) and traces contacts within 2 hops', async () => {
		const exposures = [
			{ a: doc.wang, bKind: 'resident', b: doc.liQiang, at: inDays(-3), place: B1, kind: 'close_contact' },
			{ a: doc.liQiang, bKind: 'resident', b: doc.zhangWei, at: inDays(-2), place: '370614-001-001-001', kind: 'same_checkpoint' },
			{ a: doc.wang, bKind: 'outside', outsideName: '快递员', outsidePhone: mobile(99), at: inDays(-1), place: B1, kind: 'close_contact' },
		];
		const result = await runWf(fixture('tracing'), exposures);
		const recorded = outputOf(result, 'Record Exposure');
		expect(paired(recorded)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(json(recorded).map((e) => [e.kind, e.placeCode])).toEqual([['close_contact', B1], ['same_checkpoint', '370614-001-001-001'], ['close_contact', B1]]);
		expect(await count('exposure')).toBe(3);
		const outside = await db.query<{ registered: boolean; phone_masked: string; phone_hash: string | null }>(
			`SELECT registered, phone_masked, phone_hash FROM grid.resident WHERE name = '快递员'`);
		expect(outside).toEqual([{ registered: false, phone_masked: '138****0099', phone_hash: expect.any(String) }]);

		const contacts = outputOf(result, 'Trace Contacts');
		expect(contacts.every((c) => JSON.stringify(c.pairedItem) === JSON.stringify({ item: 0 }))).toBe(true);
		expect(json(contacts).map((c) => [c.name, c.hops, c.closestKind, c.pathNames])).toEqual([
			['李强', 1, 'close_contact', ['王秀英', '李强']],
			['快递员', 1, 'close_contact', ['王秀英', '快递员']],
			['张伟', 2, 'same_checkpoint', ['王秀英', '李强', '张伟']],
		]);
		expect(contacts[0].json).toMatchObject({ buildingCode: B1, registered: true, responsible: { staff: [expect.objectContaining({ name: '王芳' })] } });
		expect(contacts[1].json.registered).toBe(false);
	});

	it('refuses an exposure of a person with themself, naming the item', async () => {
		const before = await footprint();
		const result = await runWf(fixture('tracing'), [
			{ a: doc.wang, bKind: 'resident', b: doc.zhaoMin, at: inDays(-1), place: B1, kind: 'same_building' },
			{ a: doc.zhaoMin, bKind: 'resident', b: doc.zhaoMin, at: inDays(-1), place: B3, kind: 'close_contact' },
		]);
		expect(result.node('Record Exposure').error?.message).toMatch(/^Item 1, field "Person B": an exposure needs two different people/);
		expect(await footprint()).toEqual(before);
	});
});

describe('bad input to Import Many', () => {
	const good = { name: '新居民', documentNumber: idFor('370614', '19991212', 517), phone: mobile(50), buildingCode: B2, roomNo: '909' };
	const wrongCheck = (n: string) => `${n.slice(0, 17)}${n[17] === '0' ? '1' : '0'}`;
	const cases: Array<[string, IDataObject, string, RegExp]> = [
		['an ID number with a wrong check digit', { documentNumber: wrongCheck(idFor('370614', '19800101', 11)) }, 'documentNumber', /fails the GB 11643 check/],
		['an ID number of 17 digits', { documentNumber: idFor('370614', '19800101', 11).slice(0, 17) }, 'documentNumber', /must be 18 characters/],
		['an ID number born in the future', { documentNumber: idFor('370614', '20991231', 11) }, 'documentNumber', /is in the future/],
		['an ID number with an unknown region', { documentNumber: idFor('990614', '19800101', 11) }, 'documentNumber', /not a GB\/T 2260 region/],
		['a phone of 10 digits', { phone: '1380535123' }, 'phone', /is not a mainland mobile number .* it has 10 digits/],
		['an unknown tag', { tags: 'vip' }, 'tags', /unknown tag "vip"/],
		['an unknown health status', { healthStatus: 'sick' }, 'healthStatus', /must be one of normal, symptomatic/],
		['a household in a unit that is not a building', { buildingCode: '370614-001-001-001', roomNo: '1' }, 'buildingCode', /belongs to a building \(level 5\); 370614-001-001-001 is a/],
		['an unknown unit code', { buildingCode: '370614-009-001-001-0001' }, 'buildingCode', /unknown grid unit 370614-009-001-001-0001/],
		['the same document as item 0', { documentNumber: good.documentNumber }, 'documentNumber', /the same document number is given in items 0 and 1/],
		['an empty name', { name: '  ' }, 'name', /required but empty/],
		['a name over 100 characters', { name: '名'.repeat(101) }, 'name', /at most 100/],
	];

	it.each(cases)('refuses %s, naming item and field, and writes nothing', async (_label, change, field, message) => {
		const before = await footprint();
		const result = await runWf(fixture('import'), [good, { ...good, documentNumber: idFor('370614', '19991212', 519), ...change }]);
		const { error, thrown } = result.node('Import Residents');
		expect(error?.message.startsWith(`Item 1, field "${field}": `)).toBe(true);
		expect(error?.message).toMatch(message);
		// n8n gets the index too (NodeOperationError's itemIndex), so the editor points at the item
		expect(thrown).toMatchObject({ name: 'NodeOperationError', context: { itemIndex: 1 } });
		expect(result.status).toBe('error');
		expect(await footprint()).toEqual(before);
	});

	it('with Continue On Fail writes the good items and puts out the bad ones as error items', async () => {
		const before = await footprint();
		const goodB = { name: '新邻居', documentNumber: idFor('370614', '19981010', 613), buildingCode: B3, roomNo: '303' };
		const items = [
			good,
			{ ...good, name: '错校验', documentNumber: wrongCheck(idFor('370614', '19800101', 13)) },
			goodB,
			{ ...good, name: '怪标签', documentNumber: idFor('370614', '19800101', 15), tags: 'vip' },
			{ ...good, name: '无此楼', documentNumber: idFor('370614', '19800101', 17), buildingCode: '370614-009-001-001-0001' },
			{ ...good, name: '重复证件' },
			{ ...good, name: '', documentNumber: idFor('370614', '19800101', 19) },
		];
		const result = await runWf(continueOnFail(fixture('import'), 'Import Residents'), items);
		const out = outputOf(result, 'Import Residents');
		expect(paired(out)).toEqual(items.map((_, item) => ({ item })));
		const summary = json(out).map((o) => (o.error ? [o.itemIndex, o.field, String(o.error).replace(/": .*/, '"')] : [o.name, o.operation]));
		expect(summary).toEqual([
			['新居民', 'created'],
			[1, 'documentNumber', 'Item 1, field "documentNumber"'],
			['新邻居', 'created'],
			[3, 'tags', 'Item 3, field "tags"'],
			[4, 'buildingCode', 'Item 4, field "buildingCode"'],
			[5, 'documentNumber', 'Item 5, field "documentNumber"'],
			[6, 'name', 'Item 6, field "name"'],
		]);
		const after = await footprint();
		expect(after.resident).toBe(before.resident + 2);
		expect(after.household).toBe(before.household + 2);
		expect(await count('resident', `name IN ('新居民', '新邻居')`)).toBe(2);
	});

	it('with Continue On Fail names a repeated document by the item indexes the user sees', async () => {
		const first = { name: '甲', documentNumber: idFor('370614', '19770707', 711), buildingCode: B2 };
		const result = await runWf(continueOnFail(fixture('import'), 'Import Residents'), [
			first,
			{ name: '', documentNumber: idFor('370614', '19770707', 713), buildingCode: B2 },
			{ ...first, name: '乙' },
		]);
		const out = outputOf(result, 'Import Residents');
		expect(out[0].json).toMatchObject({ name: '甲', operation: 'created' });
		expect(out[2].json.error).toBe('Item 2, field "documentNumber": the same document number is given in items 0 and 2');
	});
});
