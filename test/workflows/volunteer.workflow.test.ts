/**
 * The Volunteer node run in-process by n8n (test/helpers/n8nHarness.ts, the BUILT package) against real
 * PostgreSQL: Import Many from item fields, bad input with and without Continue On Fail, teams, Get with
 * reveal, and parallel dispatch executions that must never double-assign or exceed a maximum.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import {
	type CredentialsByType, type N8nHarness, type OutputItem, type WorkflowJson, type WorkflowNodeJson, type WorkflowRunResult,
	getHarness, singleNodeWorkflow, gridCredentials,
} from '../helpers/n8nHarness';
import { mobile } from '../helpers/people';
import { closeAllPools } from '../../nodes/shared/db/pool';
import { seedSmallDistrict } from '../helpers/uow';

const VOLUNTEER = 'n8n-nodes-grid-governance.volunteer';
const B1 = '370614-001-001-001-0001';
const B2 = '370614-001-001-001-0002';

let db: TestDatabase;
let harness: N8nHarness;
let credentials: CredentialsByType;

const single = (name: string, parameters: INodeParameters, settings: Partial<WorkflowNodeJson> = {}): WorkflowJson => singleNodeWorkflow(VOLUNTEER, name, parameters, settings);

const runWf = (workflow: WorkflowJson, inputItems: IDataObject[] = [{}]): Promise<WorkflowRunResult> => harness.runWorkflow(workflow, { credentials, inputItems });

function outputOf(result: WorkflowRunResult, node: string): OutputItem[] {
	const r = result.node(node);
	if (r.error) throw new Error(`${node} failed: ${r.error.message}`);
	return r.items;
}

const count = async (table: string, where = 'true') => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.${table} WHERE ${where}`))[0].n;

const volunteers: IDataObject[] = [
	{ name: '刘建国', volunteerNo: 'V-1', kind: 'party_member', skills: 'delivery,door_survey', availability: 'mon-sun 00:00-24:00', unitCode: B1, maxTasks: 2, phone: mobile(21) },
	{ name: '孙丽', volunteerNo: 'V-2', kind: 'cadre', homeAgency: '区财政局', skills: ['delivery'], unitCode: B2, maxTasks: 3 },
	{ name: '赵强', volunteerNo: 'V-3', kind: 'militia', skills: 'delivery,security', unitCode: '370614-001-001-002-0001', maxTasks: 1 },
];

beforeAll(async () => {
	db = await createTestDatabase('wf_volunteer');
	await seedSmallDistrict(db.config());
	credentials = { gridGovernancePostgres: gridCredentials(db.config()) };
	harness = await getHarness();
});

afterAll(async () => {
	await harness?.closeGridPools();
	await closeAllPools();
	await db?.drop();
});

describe('volunteers', () => {
	it('imports volunteers from item fields, paired, phones masked', async () => {
		const out = outputOf(await runWf(single('Import', { resource: 'volunteer', operation: 'bulkImport', importMode: 'upsert' }), volunteers), 'Import');
		expect(out.map((o) => o.pairedItem)).toEqual(volunteers.map((_, item) => ({ item })));
		expect(out[0].json).toMatchObject({ name: '刘建国', volunteerNo: 'V-1', phone: '138****0021', maxTasks: 2, operation: 'created', skills: ['delivery', 'door_survey'] });
		expect(await count('volunteer')).toBe(3);
		expect(JSON.stringify(await db.query(`SELECT * FROM grid.volunteer`))).not.toContain(mobile(21));
	});

	it('refuses bad items naming item and field, writing nothing; Continue On Fail writes the good ones', async () => {
		const bad: IDataObject[] = [
			{ name: '好', volunteerNo: 'V-10', unitCode: B1 },
			{ name: '坏', volunteerNo: 'V-11', unitCode: B1, maxTasks: 0 },
			{ name: '也坏', volunteerNo: 'V-12', unitCode: B1, availability: 'sat 25:00-26:00' },
			{ name: '未知技能', volunteerNo: 'V-13', unitCode: B1, skills: 'juggling' },
			{ name: '未知单元', volunteerNo: 'V-14', unitCode: '370614-009-001' },
		];
		const wf = single('Import', { resource: 'volunteer', operation: 'bulkImport', importMode: 'create' });
		const failed = (await runWf(wf, bad)).node('Import');
		expect(failed.error?.message).toMatch(/^Item 1, field "maxTasks": Max Tasks must be at least 1, got 0/);
		expect(await count('volunteer')).toBe(3);

		const out = outputOf(await runWf({ ...wf, nodes: wf.nodes.map((n) => (n.name === 'Import' ? { ...n, onError: 'continueRegularOutput' as const } : n)) }, bad), 'Import');
		expect(out.map((o) => o.json.error ?? 'ok')).toEqual([
			'ok',
			expect.stringMatching(/^Item 1, field "maxTasks"/),
			expect.stringMatching(/^Item 2, field "availability": .*"25:00"/),
			expect.stringMatching(/^Item 3, field "skills": .*unknown skill "juggling"/),
			expect.stringMatching(/^Item 4, field "unitCode": unknown grid unit 370614-009-001/),
		]);
		expect(await count('volunteer')).toBe(4);
		await db.query(`UPDATE grid.volunteer SET active = false WHERE volunteer_no = 'V-10'`);
	});

	it('gets a volunteer, revealing the phone only when asked, with an audit row', async () => {
		const masked = outputOf(await runWf(single('Get', { resource: 'volunteer', operation: 'get', findBy: 'volunteerNo', volunteerNo: 'V-1' })), 'Get');
		expect(masked[0].json.phone).toBe('138****0021');
		const before = await count('audit_log', `action = 'reveal'`);
		const shown = outputOf(await runWf(single('Get', { resource: 'volunteer', operation: 'get', findBy: 'volunteerNo', volunteerNo: 'V-1', options: { reveal: true } })), 'Get');
		expect(shown[0].json.phone).toBe(mobile(21));
		expect(await count('audit_log', `action = 'reveal'`)).toBe(before + 1);
	});

	it('creates a team and adds a member', async () => {
		const made = outputOf(await runWf(single('Team', { resource: 'team', operation: 'create', teamName: '跑腿服务队', teamKind: 'errand', teamUnit: { __rl: true, mode: 'code', value: '370614-001-001' }, leaderNo: 'V-2' })), 'Team');
		const teamId = made[0].json.id as number;
		const added = outputOf(await runWf(single('Add', { resource: 'team', operation: 'addMember', teamId, findBy: 'volunteerNo', volunteerNo: 'V-3' })), 'Add');
		expect(added[0].json).toMatchObject({ memberCount: 2 });
	});
});

describe('dispatch', () => {
	it('parallel executions never assign a task twice nor push a volunteer past the maximum', async () => {
		const [{ units }] = await db.query<{ units: string[] }>(`SELECT array_agg(id ORDER BY code) AS units FROM grid.grid_unit WHERE level = 5 AND code LIKE '370614-001-%'`);
		await db.query(`INSERT INTO grid.task (kind, title, unit_id, required_skills, priority)
			SELECT 'supply_delivery', '送菜 ' || g, ($1::bigint[])[1 + g % array_length($1::bigint[], 1)], '{delivery}', 1 + g % 4 FROM generate_series(1, 40) g`, [units]);
		await db.query(`INSERT INTO grid.task (kind, title, unit_id, required_skills) VALUES ('disinfection', '消杀', $1, '{disinfection}')`, [units[0]]);
		const wf = single('Dispatch', { resource: 'dispatch', operation: 'run', select: 'subtree', within: { __rl: true, mode: 'code', value: '370614-001' }, maxTasks: 100 });
		const results = await Promise.all(Array.from({ length: 3 }, () => runWf(wf)));
		const out = results.flatMap((r) => outputOf(r, 'Dispatch')).map((o) => o.json);
		expect(results.flatMap((r) => outputOf(r, 'Dispatch')).every((o) => (o.pairedItem as { item: number }).item === 0)).toBe(true);

		const [c] = await db.query<Record<string, number>>(`SELECT
			(SELECT count(*)::int FROM (SELECT task_id FROM grid.task_event WHERE kind = 'assigned' GROUP BY task_id HAVING count(*) > 1) d) AS double_assigned,
			(SELECT count(*)::int FROM grid.volunteer v WHERE (SELECT count(*) FROM grid.task t WHERE t.assignee_volunteer_id = v.id) > v.max_tasks
				OR v.current_load <> (SELECT count(*) FROM grid.task t WHERE t.assignee_volunteer_id = v.id)) AS cap_violations,
			(SELECT count(*)::int FROM grid.task WHERE status = 'assigned') AS assigned,
			(SELECT sum(max_tasks)::int FROM grid.volunteer WHERE active AND 'delivery' = ANY(skills)) AS capacity`);
		// V-1 (2) + V-2 (3) + V-3 (1): every place is filled, none twice
		expect(c).toEqual({ double_assigned: 0, cap_violations: 0, assigned: 6, capacity: 6 });
		expect(out.filter((o) => o.result === 'assigned')).toHaveLength(6);
		const disinfection = out.find((o) => o.title === '消杀');
		expect(disinfection).toMatchObject({ result: 'open', reason: 'no active volunteer with skills disinfection within 370614-001' });
		const assigned = out.find((o) => o.result === 'assigned');
		expect(assigned?.reasons).toEqual(expect.arrayContaining([expect.stringMatching(/^same (building|grid|community)/)]));
	});

	it('refuses unknown task ids naming the field', async () => {
		const r = await runWf(single('Dispatch', { resource: 'dispatch', operation: 'run', select: 'ids', taskIds: '1, 99999' }));
		expect(r.node('Dispatch').error?.message).toMatch(/field "Task IDs": unknown task 99999/);
	});
});
