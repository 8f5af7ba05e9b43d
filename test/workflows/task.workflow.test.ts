/**
 * The Task node run in-process by n8n (the BUILT package) against real PostgreSQL: tasks created from
 * item fields, a chained offer → accept → start → complete whose fever opens an incident, bad input
 * with and without Continue On Fail, checkpoint shifts and Expire Overdue.
 */
import { readFileSync } from 'fs';
import path from 'path';
import type { IDataObject, INodeParameters } from 'n8n-workflow';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import {
	type CredentialsByType, type N8nHarness, type OutputItem, type WorkflowJson, type WorkflowNodeJson, type WorkflowRunResult,
	getHarness, gridCredentials,
} from '../helpers/n8nHarness';
import { smallDistrict } from '../helpers/uow';

const TASK = 'n8n-nodes-grid-governance.task';
const B1 = '370614-001-001-001-0001';
const GRID1 = '370614-001-001-001';

let db: TestDatabase;
let harness: N8nHarness;
let credentials: CredentialsByType;
let residentId = 0;
const vol = new Map<string, number>();

function chain(nodes: Array<{ name: string; parameters: INodeParameters; settings?: Partial<WorkflowNodeJson>; type?: string }>): WorkflowJson {
	const all = [{ name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {} }, ...nodes.map((n) => ({ name: n.name, type: n.type ?? TASK, typeVersion: 1, parameters: n.parameters, ...(n.settings ?? {}) }))];
	const connections: WorkflowJson['connections'] = {};
	for (let k = 0; k < all.length - 1; k++) connections[all[k].name] = { main: [[{ node: all[k + 1].name, type: 'main', index: 0 }]] };
	return { nodes: all, connections };
}

const single = (name: string, parameters: INodeParameters, settings: Partial<WorkflowNodeJson> = {}) => chain([{ name, parameters, settings }]);
const runWf = (workflow: WorkflowJson, inputItems: IDataObject[] = [{}]): Promise<WorkflowRunResult> => harness.runWorkflow(workflow, { credentials, inputItems });

function outputOf(result: WorkflowRunResult, node: string): OutputItem[] {
	const r = result.node(node);
	if (r.error) throw new Error(`${node} failed: ${r.error.message}`);
	return r.items;
}

const count = async (table: string, where = 'true') => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.${table} WHERE ${where}`))[0].n;

const createFromItems = (extra: INodeParameters = {}): INodeParameters => ({
	resource: 'task',
	operation: 'create',
	kind: '={{ $json.kind }}',
	unit: { __rl: true, mode: 'code', value: '={{ $json.unit }}' },
	additionalFields: {
		residentId: '={{ $json.residentId || 0 }}',
		windowStart: '={{ $json.start || "" }}',
		windowEnd: '={{ $json.end || "" }}',
	},
	...extra,
});

beforeAll(async () => {
	db = await createTestDatabase('wf_task');
	credentials = { gridGovernancePostgres: gridCredentials(db.config()) };
	harness = await getHarness();
	const seed = JSON.parse(readFileSync(path.join(__dirname, 'fixtures', 'resident-seed.workflow.json'), 'utf8')) as WorkflowJson;
	const seeded = await runWf(seed, smallDistrict() as IDataObject[]);
	expect(outputOf(seeded, 'Import Units')).toHaveLength(smallDistrict().length);
	for (const [no, name] of [['V-1', '志愿者一'], ['V-2', '志愿者二']]) {
		const [r] = await db.query<{ id: number }>(
			`INSERT INTO grid.volunteer (volunteer_no, name, kind, unit_id) SELECT $1, $2, 'party_member', id FROM grid.grid_unit WHERE code = $3 RETURNING id`, [no, name, GRID1]);
		vol.set(no, Number(r.id));
	}
	const [r] = await db.query<{ id: number }>(`INSERT INTO grid.resident (unit_id, name, birth_year) SELECT id, '王大爷', 1950 FROM grid.grid_unit WHERE code = $1 RETURNING id`, [B1]);
	residentId = Number(r.id);
});

afterAll(async () => {
	await harness?.closeGridPools();
	await db?.drop();
});

describe('Task node', () => {
	it('creates tasks from items, then offer → accept → start → complete; a fever opens an incident', async () => {
		const wf = chain([
			{ name: 'Create', parameters: createFromItems() },
			{ name: 'Offer', parameters: { resource: 'task', operation: 'offer', taskId: '={{ $json.id }}', volunteer: 'V-1' } },
			{ name: 'Accept', parameters: { resource: 'task', operation: 'accept', taskId: '={{ $json.id }}', volunteer: String(vol.get('V-1')) } },
			{ name: 'Begin', parameters: { resource: 'task', operation: 'start', taskId: '={{ $json.id }}' } },
			{ name: 'Complete', parameters: { resource: 'task', operation: 'complete', taskId: '={{ $json.id }}', outcome: { temperature: '38.4', symptoms: '咳嗽, 乏力' } } },
		]);
		const result = await runWf(wf, [{ kind: 'temperature_check', unit: B1, residentId }]);
		const created = outputOf(result, 'Create');
		expect(created[0].json).toMatchObject({ kind: 'temperature_check', status: 'open', residentId });
		expect(outputOf(result, 'Accept')[0].json).toMatchObject({ status: 'accepted', assignee: { volunteerId: vol.get('V-1') } });
		const done = outputOf(result, 'Complete');
		expect(done.map((o) => o.pairedItem)).toEqual([{ item: 0 }]);
		expect(done[0].json).toMatchObject({ status: 'done', observation: { fever: true }, incident: { reference: expect.stringMatching(/^INC-/) } });
		const incident = done[0].json.incident as { id: number };
		expect(await count('incident', `id = ${incident.id} AND category = 'fever_symptoms' AND resident_id = ${residentId}`)).toBe(1);
		expect(await count('volunteer', `id = ${vol.get('V-1')} AND current_load = 0`)).toBe(1);
	});

	it('rejects a window that ends before it starts naming the item and field, writing nothing; Continue On Fail writes the good item', async () => {
		const good = { kind: 'errand', unit: B1 };
		const bad = { kind: 'errand', unit: B1, start: '2031-01-02T08:00:00+08:00', end: '2031-01-01T08:00:00+08:00' };
		const before = await count('task');
		const failed = await runWf(single('Create', createFromItems()), [good, bad]);
		expect(failed.node('Create').error?.message).toMatch(/^Item 1, field "Window End": Window End .* must be after Window Start/);
		expect(await count('task')).toBe(before);
		const partial = outputOf(await runWf(single('Create', createFromItems(), { onError: 'continueRegularOutput' }), [good, bad]), 'Create');
		expect(partial[0].json).toMatchObject({ kind: 'errand', status: 'open' });
		expect(partial[1].json).toMatchObject({ field: 'Window End', itemIndex: 1 });
		expect(partial.map((o) => o.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(await count('task')).toBe(before + 1);
	});

	it('refuses an accept by the wrong volunteer and completing an unstarted temperature check; Continue On Fail gives error items', async () => {
		const created = outputOf(await runWf(single('Create', createFromItems()), [{ kind: 'temperature_check', unit: B1, residentId }, { kind: 'errand', unit: B1 }]), 'Create');
		const [check, errand] = created.map((o) => o.json.id as number);
		outputOf(await runWf(single('Offer', { resource: 'task', operation: 'offer', taskId: '={{ $json.id }}', volunteer: 'V-1' }), [{ id: check }, { id: errand }]), 'Offer');
		const accept = { resource: 'task', operation: 'accept', taskId: '={{ $json.id }}', volunteer: '={{ $json.v }}' };
		const failed = await runWf(single('Accept', accept), [{ id: check, v: 'V-1' }, { id: errand, v: 'V-2' }]);
		expect(failed.node('Accept').error?.message).toMatch(new RegExp(`^Item 1, field "Volunteer": task ${errand} was offered to volunteer #${vol.get('V-1')}, not to 志愿者二`));
		expect(await count('task', `id = ${check} AND status = 'offered'`)).toBe(1);
		const partial = outputOf(await runWf(single('Accept', accept, { onError: 'continueRegularOutput' }), [{ id: check, v: 'V-1' }, { id: errand, v: 'V-2' }]), 'Accept');
		expect(partial[0].json).toMatchObject({ status: 'accepted' });
		expect(partial[1].json).toMatchObject({ field: 'Volunteer', itemIndex: 1 });

		const complete = { resource: 'task', operation: 'complete', taskId: '={{ $json.id }}' };
		const notStarted = await runWf(single('Complete', complete), [{ id: check }]);
		expect(notStarted.node('Complete').error?.message).toMatch(/^Item 0, field "Task ID": .*only a task that has been started/);
		outputOf(await runWf(single('Begin', { resource: 'task', operation: 'start', taskId: String(check) })), 'Begin');
		const noTemperature = await runWf(single('Complete', complete), [{ id: check }]);
		expect(noTemperature.node('Complete').error?.message).toMatch(/^Item 0, field "Temperature": /);
		// "0x24" is 36 to Number(); a reading is decimal text, so it is refused and nothing is recorded
		for (const reading of ['0x24', '3.6e1', '36,8']) {
			const odd = await runWf(single('Complete', { ...complete, outcome: { temperature: reading } }), [{ id: check }]);
			expect(odd.node('Complete').error?.message).toMatch(/^Item 0, field "Temperature": Temperature must be a number of °C/);
		}
		expect(await count('task', `id = ${check} AND status = 'in_progress'`)).toBe(1);
		expect(await count('health_observation')).toBe(1);
	});

	it('creates a checkpoint shift with a task per slot, lists it, and Expire Overdue reports a summary', async () => {
		const shift = outputOf(await runWf(single('Shift', {
			resource: 'shift', operation: 'create', unit: { __rl: true, mode: 'code', value: '370614-001-001' },
			startsAt: '2031-02-01T08:00:00+08:00', endsAt: '2031-02-01T20:00:00+08:00', slots: 4,
			additionalFields: { requiredSkills: ['security'] },
		})), 'Shift');
		expect(shift[0].json).toMatchObject({ slots: 4, open: 4, filled: 0 });
		expect(await count('task', `shift_id = ${shift[0].json.id} AND kind = 'checkpoint_shift' AND status = 'open'`)).toBe(4);
		const listed = outputOf(await runWf(single('Shifts', { resource: 'shift', operation: 'list', shiftFilters: { openOnly: true } })), 'Shifts');
		expect(listed.map((o) => o.json.id)).toEqual([shift[0].json.id]);
		const expire = outputOf(await runWf(single('Expire', { resource: 'task', operation: 'expireOverdue', maxAttempts: 3 })), 'Expire');
		expect(expire).toHaveLength(1);
		expect(expire[0].json).toMatchObject({ processed: 0, reopened: 0, escalated: 0, tasks: [] });
	});
});

describe('campaigns and supply needs through the node', () => {
	it('a door-to-door survey of every building in a grid: the second run creates nothing', async () => {
		const params: INodeParameters = {
			resource: 'campaign', operation: 'run', campaignKey: 'wf-survey-grid-1', campaignName: '网格1入户摸排', campaignKind: 'door_survey',
			campaignUnit: { __rl: true, mode: 'code', value: '370614-001-001-001' }, campaignTarget: 'unit', unitLevel: 5,
			scheduleMode: 'once', dueAt: '2030-05-03T18:00:00+08:00',
		};
		const first = outputOf(await runWf(single('Campaign', params)), 'Campaign')[0].json;
		expect(first).toMatchObject({ created: 2, alreadyPresent: 0 });
		const second = outputOf(await runWf(single('Campaign', params)), 'Campaign')[0].json;
		expect(second).toMatchObject({ created: 0, alreadyPresent: 2 });
		expect(await count('task', `kind = 'door_survey' AND campaign_id IS NOT NULL`)).toBe(2);
	});

	it('records a need and plans it into a delivery for the building', async () => {
		const window = { windowStart: '2030-05-04T09:00:00+08:00', windowEnd: '2030-05-04T12:00:00+08:00' };
		const need = outputOf(await runWf(single('Need', {
			resource: 'supplyNeed', operation: 'record', residentId, urgency: 'urgent', ...window,
			supplyItems: { item: [{ item: '大米', quantity: 5, unit: 'kg', category: 'groceries' }] },
		})), 'Need')[0].json;
		expect(need).toMatchObject({ status: 'open', urgency: 'urgent' });
		const plan = outputOf(await runWf(single('Plan', { resource: 'supplyNeed', operation: 'planDeliveries', planFilters: { windowFrom: window.windowStart, windowTo: window.windowEnd } })), 'Plan')[0].json;
		expect(plan).toMatchObject({ tasksCreated: 1, needsPlanned: 1 });
		expect(await count('task', `kind = 'supply_delivery' AND priority = 4`)).toBe(1);
	});
});
