/**
 * The shipped templates workflows/verification-list.json and workflows/needs-to-deliveries.json, run
 * in-process by n8n from the BUILT package against real PostgreSQL, their HTTP Request nodes sent to
 * loopback servers (the higher-level system, the messaging gateway).
 *
 * Verification: a pushed batch becomes a verification task (matched), a locate-person task (not found,
 * community known) or a review-list task (ambiguous, or nowhere to look); a batch with a bad entry is
 * refused whole, naming the entry and the field; when the tasks are completed the real Grid Trigger
 * (activated as n8n activates it) sends each result upstream once.
 * Needs: open supply needs become one delivery task per building, dispatched at once.
 */
import path from 'path';
import type { IDataObject } from 'n8n-workflow';
import { closeAllPools } from '../../nodes/shared/db/pool';
import { assignStaff } from '../../nodes/shared/domain/grid/assignments';
import { createStaff } from '../../nodes/shared/domain/grid/staff';
import { type NewResident, checkResident } from '../../nodes/shared/domain/resident/residentInput';
import { saveResidents } from '../../nodes/shared/domain/resident/residents';
import { assignTask, completeTask, startTask, TASK_INTAKE_POLICY } from '../../nodes/shared/domain/task/lifecycle';
import { recordSupplyNeeds } from '../../nodes/shared/domain/task/supply';
import { checkVolunteer } from '../../nodes/shared/domain/volunteer/volunteerInput';
import { saveVolunteers } from '../../nodes/shared/domain/volunteer/volunteers';
import { DEFAULT_SEGMENT_WIDTHS } from '../../nodes/shared/validation/gridCode';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { FlakyUpstream } from '../helpers/flakyUpstream';
import { type CredentialsByType, type N8nHarness, type WorkflowJson, getHarness, gridCredentials, loadWorkflowFile } from '../helpers/n8nHarness';
import { templateWithSettings } from '../helpers/templatesRun';
import { idFor, mobile } from '../helpers/people';
import { activatePolling } from '../helpers/pollHarness';
import { branch } from '../helpers/templateBranch';
import { run, seedSmallDistrict } from '../helpers/uow';

/** Saves of one input give one record (the domain's type also allows a list). */
const single = <T>(value: T | T[]): T => (Array.isArray(value) ? value[0] : value);

const ROOT = path.join(__dirname, '..', '..', 'workflows');
const BASE_NODES = ['manualTrigger', 'noOp', 'set', 'httpRequest', 'webhook', 'respondToWebhook', 'scheduleTrigger', 'stickyNote', 'if', 'switch', 'splitOut'];
const B1 = '370614-001-001-001-0001';
const B2 = '370614-001-001-002-0001';
const B3 = '370614-001-002-001-0001';
const B4 = '370614-001-001-001-0002';

let db: TestDatabase;
let harness: N8nHarness;
let credentials: CredentialsByType;
let server: FlakyUpstream;
const doc = { wang: idFor('370614', '19450315', 122), zhang: idFor('370614', '19900101', 315), stranger: idFor('370614', '19910909', 717) };
const resident: Record<string, number> = {};

function template(file: string, settings: IDataObject = {}, edit: (wf: WorkflowJson) => void = () => undefined): WorkflowJson {
	const wf = templateWithSettings(file, settings);
	edit(wf);
	return wf;
}
const count = async (table: string, where = 'true') => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.${table} WHERE ${where}`))[0].n;
const bodies = () => server.requests.map((r) => JSON.parse(r.body.toString('utf8')) as IDataObject);

beforeAll(async () => {
	db = await createTestDatabase('wf_templates_verification');
	await seedSmallDistrict(db.config());
	await db.query(`UPDATE grid.grid_unit SET address = '蓬莱区钟楼北路12号' WHERE code = $1`, [B3]);
	await run(db.config(), async (uow) => {
		const rules = { widths: DEFAULT_SEGMENT_WIDTHS, allowCustomTags: false };
		const saved = await saveResidents(uow, [
			checkResident({ name: '王秀英', documentNumber: doc.wang, phone: mobile(1), buildingCode: B1, roomNo: '101' }, rules) as NewResident,
			checkResident({ name: '张伟', documentNumber: doc.zhang, phone: mobile(3), buildingCode: B2, roomNo: '201' }, rules) as NewResident,
			checkResident({ name: '李四', phone: mobile(4), birthYear: 1980, buildingCode: B1, roomNo: '102' }, rules) as NewResident,
			checkResident({ name: '赵六', phone: mobile(5), birthYear: 1970, buildingCode: B4, roomNo: '301' }, rules) as NewResident,
		], { mode: 'create', matchPhoneAndName: false, storeFullDocument: false });
		for (const o of saved) if (o.ok) resident[single(o.value).name] = single(o.value).id; else throw o.error;
		await createStaff(uow, [{ name: '网格员周', unit: { code: '370614-001' }, staffNo: 'S-1' }]);
		const posted = await assignStaff(uow, [{ staff: { staffNo: 'S-1' }, unit: { code: '370614-001-001' }, role: 'community_worker' }]);
		if (!posted.every((o) => o.ok)) throw new Error('staff not posted');
	});
	credentials = { gridGovernancePostgres: gridCredentials(db.config()) };
	harness = await getHarness({ baseNodes: BASE_NODES });
	server = await new FlakyUpstream().start();
});

afterEach(() => server.reset());

afterAll(async () => {
	await server?.close();
	await harness?.closeGridPools();
	await closeAllPools();
	await db?.drop();
});

describe('upper-level verification list', () => {
	const push = (body: unknown) => {
		const b = branch(template('verification-list.json', { reviewUnit: '370614-001' }), 'Pushed List');
		return harness.runWorkflow(b.workflow, { credentials, inputNode: b.feed, inputItems: [{ headers: {}, params: {}, query: {}, body }] });
	};
	const persons = [
		{ name: '王秀英', documentNumber: doc.wang, arrival: { from: '上海', date: '2026-11-20' } },
		{ name: '张三', phone: mobile(3) },
		{ name: '陌生人', documentNumber: doc.stranger, claimedAddress: '蓬莱区钟楼北路12号3单元' },
		{ name: '外地人', claimedAddress: '外省某市某路1号' },
	];

	it('refuses a batch with a bad entry whole, naming the entry and the field, and writes nothing', async () => {
		const before = await count('task');
		const bad = await push({ batchId: 'B-113-bad', persons: [persons[0], { name: '坏号码', phone: '12345' }, persons[3]] });
		expect(bad.status).toBe('success');
		const refused = bad.node('Check List').outputs[1].map((i) => i.json);
		// what Reject Batch answers with: the entry's index and field in each message
		expect(refused).toEqual([{ error: expect.stringMatching(/^Item 1, field "phone": phone "12345" is not/) }]);
		expect(bad.nodes['Route']).toBeUndefined();
		const malformed = await push({ batchId: 'B-113-x', persons: 'not a list' });
		expect(malformed.node('Well-Formed?').outputs[1]).toHaveLength(1);
		expect(malformed.nodes['Check List']).toBeUndefined();
		expect(await count('task')).toBe(before);
	});

	it('gives matched persons a verification task, unmatched a locate-person task, ambiguous ones a review task, and sends each result upstream once when done', async () => {
		const result = await push({ batchId: 'B-113', persons });
		expect(result.status).toBe('success');
		const tasks = await db.query<{ kind: string; code: string; resident_id: number | null; batch: string; idx: number; id: number }>(
			`SELECT t.id::int, t.kind, u.code, t.resident_id::int, t.details->>'batchId' AS batch, (t.details->>'listIndex')::int AS idx
			FROM grid.task t JOIN grid.grid_unit u ON u.id = t.unit_id WHERE t.details->>'batchId' = 'B-113' ORDER BY idx`);
		expect(tasks.map(({ kind, code, resident_id, idx }) => ({ kind, code, resident_id, idx }))).toEqual([
			{ kind: 'verification', code: B1, resident_id: resident['王秀英'], idx: 0 },
			{ kind: 'custom', code: '370614-001', resident_id: null, idx: 1 },
			{ kind: 'locate_person', code: '370614-001-002', resident_id: null, idx: 2 },
			{ kind: 'custom', code: '370614-001', resident_id: null, idx: 3 },
		]);
		const [review] = await db.query<{ details: { candidates: Array<{ residentId: number }> }; custom_kind: string }>(`SELECT details, custom_kind FROM grid.task WHERE id = $1`, [tasks[1].id]);
		expect(review.details.candidates.map((c) => c.residentId)).toEqual([resident['张伟']]);
		expect(review.custom_kind).toContain('List review');

		const results = loadWorkflowFile(path.join(ROOT, 'verification-list.json'));
		const keep = new Set(['Task Done', 'From a Pushed List?', 'Send Result Upstream']);
		results.nodes = results.nodes.filter((n) => keep.has(n.name));
		results.connections = Object.fromEntries(Object.entries(results.connections).filter(([from]) => keep.has(from)));
		results.nodes.find((n) => n.name === 'Send Result Upstream')!.parameters!.url = `${server.url}/verification-results`;
		const active = await activatePolling(harness, results, { credentials });
		try {
			await run(db.config(), async (uow) => {
				for (const t of tasks) {
					await assignTask(uow, { task: { id: t.id }, to: { staff: { staffNo: 'S-1' } } });
					await startTask(uow, { task: { id: t.id } });
					await completeTask(uow, { task: { id: t.id }, outcome: t.kind === 'custom' ? { note: '已复核 reviewed' } : { result: t.idx === 0 ? 'found' : 'moved_away' } }, TASK_INTAKE_POLICY);
				}
			});
			// other test files' open transactions may hold events back a moment
			for (let i = 0; i < 50 && server.requests.length < 4; i++) { await active.tick(); if (server.requests.length < 4) await new Promise((r) => setTimeout(r, 100)); }
			expect(active.errors).toEqual([]);
			const sent = bodies().sort((a, b) => Number(a.index) - Number(b.index));
			expect(sent.map((s) => [s.batchId, s.index, s.result])).toEqual([['B-113', 0, 'found'], ['B-113', 1, 'reviewed'], ['B-113', 2, 'moved_away'], ['B-113', 3, 'reviewed']]);
			expect(server.requests.map((r) => r.headers['idempotency-key']).sort()).toEqual([0, 1, 2, 3].map((k) => `verification-B-113-${k}`));
			// later polls find nothing new: each result went up once
			await active.tick();
			expect(server.requests).toHaveLength(4);
		} finally {
			await active.deactivate();
		}
	});
});

describe('resident needs to deliveries', () => {
	const plan = () => {
		const b = branch(template('needs-to-deliveries.json', { planUnit: '370614-001', messagingUrl: `${server.url}/send`, communityReportUrl: `${server.url}/community` }), 'Every 30 Minutes');
		return harness.runWorkflow(b.workflow, { credentials, inputNode: b.feed, inputItems: [{}] });
	};
	const tomorrow = (h: number) => new Date(Date.now() + 86_400_000 + h * 3_600_000);
	const need = (name: string, item: string) => ({ residentId: resident[name], items: [{ item, quantity: 2, unit: 'kg', category: 'groceries' as const }], urgency: 'normal' as const, windowStart: tomorrow(0), windowEnd: tomorrow(4) });

	it('turns open needs into one delivery task per building, dispatched to volunteers who are messaged; a delivery nobody can take is reported', async () => {
		await run(db.config(), async (uow) => {
			// three needs from two households of building B1, one from B4
			const saved = await recordSupplyNeeds(uow, [need('王秀英', '大米'), need('王秀英', '食用油'), need('李四', '面粉'), need('赵六', '鸡蛋')]);
			if (!saved.every((o) => o.ok)) throw new Error('needs not recorded');
			const rules = { widths: DEFAULT_SEGMENT_WIDTHS, allowCustomSkills: false };
			const v = await saveVolunteers(uow, [checkVolunteer({ name: '配送员甲', volunteerNo: 'D-1', unitCode: B1, skills: ['delivery'], phone: mobile(201), maxTasks: 1 }, rules)], { mode: 'create' });
			if (!v.every((o) => o.ok)) throw new Error('volunteer not saved');
		});
		const result = await plan();
		expect(result.status).toBe('success');
		const tasks = await db.query<{ code: string; status: string; volunteer: string | null; needs: number }>(
			`SELECT u.code, t.status, v.name AS volunteer, (SELECT count(*)::int FROM grid.supply_need n WHERE n.task_id = t.id) AS needs
			FROM grid.task t JOIN grid.grid_unit u ON u.id = t.unit_id LEFT JOIN grid.volunteer v ON v.id = t.assignee_volunteer_id
			WHERE t.kind = 'supply_delivery' ORDER BY u.code`);
		// the one volunteer (at most one task) takes the delivery of their own building
		expect(tasks).toEqual([
			{ code: B1, status: 'assigned', volunteer: '配送员甲', needs: 3 },
			{ code: B4, status: 'open', volunteer: null, needs: 1 },
		]);
		expect(server.requests.map((r) => r.url).sort()).toEqual(['/community', '/send']);
		const sent = bodies();
		expect(sent.find((s) => s.to === mobile(201))).toBeDefined();
		expect(sent.find((s) => s.communityCode === '370614-001-001')).toMatchObject({ to: 'S-1' });

		// nothing left open to plan: a second run creates no task
		server.reset();
		const again = await plan();
		expect(again.node('Any Deliveries?').outputs[0]).toHaveLength(0);
		expect(await count('task', `kind = 'supply_delivery'`)).toBe(2);
		expect(server.requests).toHaveLength(0);
	});
});
