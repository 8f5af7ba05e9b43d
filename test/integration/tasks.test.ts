/**
 * Tasks against real PostgreSQL: create (set-based, validation, links), get and list, the lifecycle
 * state machine (offer, assign, accept, decline, start, complete, cancel) with the volunteers' load
 * counter, kind-specific outcomes (a fever opens an incident in the same transaction), expire overdue
 * with escalation after N attempts, checkpoint shifts, and the credential's scope.
 */
import { closeAllPools } from '../../nodes/shared/db/pool';
import type { UnitOfWork } from '../../nodes/shared/domain/context';
import { createStaff } from '../../nodes/shared/domain/grid/staff';
import { expireOverdue } from '../../nodes/shared/domain/task/expiry';
import {
	acceptTask, assignTask, cancelTask, completeTask, declineTask, offerTask, startTask,
} from '../../nodes/shared/domain/task/lifecycle';
import { createShifts, listShifts } from '../../nodes/shared/domain/task/shifts';
import { type NewTask, createTasks, getTasks, listTasks, taskTimeline } from '../../nodes/shared/domain/task/tasks';
import type { TaskRecord } from '../../nodes/shared/domain/task/taskRecord';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { reportIncidents, valueOf } from '../helpers/incidents';
import { run, seedSmallDistrict } from '../helpers/uow';

let db: TestDatabase;
const B1 = '370614-001-001-001-0001';
const B2 = '370614-001-001-001-0002';
const GRID1 = '370614-001-001-001';
const B_OTHER = '370614-002-001-001-0001';
const vol = new Map<string, number>();
let teamId = 0;
let residentId = 0;
let householdId = 0;
let otherResidentId = 0;

const act = <T>(fn: (uow: UnitOfWork) => Promise<T>, config = db.config(), partial = false) => run(config, fn, partial);
const count = async (table: string, where = 'true', args: unknown[] = []) =>
	(await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.${table} WHERE ${where}`, args))[0].n;
const load = async (key: string) => (await db.query<{ current_load: number }>(`SELECT current_load FROM grid.volunteer WHERE id = $1`, [vol.get(key)]))[0].current_load;
const kinds = async (taskId: number) => (await db.query<{ kind: string }>(`SELECT kind FROM grid.task_event WHERE task_id = $1 ORDER BY id`, [taskId])).map((r) => r.kind);
const make = async (tasks: Array<Partial<NewTask>>): Promise<TaskRecord[]> => {
	const out = await act((uow) => createTasks(uow, tasks.map((t) => ({ kind: 'errand', unit: { code: B1 }, ...t }) as NewTask)));
	return out.map((o) => valueOf(o));
};
const one = async (t: Partial<NewTask> = {}) => (await make([t]))[0];
const V = (key: string) => ({ id: vol.get(key)! });

async function addVolunteer(key: string, name: string, unit: string, maxTasks = 3) {
	const [r] = await db.query<{ id: number }>(
		`INSERT INTO grid.volunteer (volunteer_no, name, kind, unit_id, max_tasks, skills)
		SELECT $1, $2, 'resident_volunteer', id, $4, '{temperature_check}' FROM grid.grid_unit WHERE code = $3 RETURNING id`,
		[key, name, unit, maxTasks]);
	vol.set(key, Number(r.id));
}

beforeAll(async () => {
	db = await createTestDatabase('tasks');
	await seedSmallDistrict(db.config());
	await act((uow) => createStaff(uow, [{ name: '网格员甲', unit: { code: GRID1 }, staffNo: 'M1' }]));
	await addVolunteer('V-1', '志愿者一', GRID1);
	await addVolunteer('V-2', '志愿者二', GRID1);
	await addVolunteer('V-3', '志愿者三', GRID1, 1);
	await addVolunteer('V-9', '外街志愿者', '370614-002-001-001');
	const [team] = await db.query<{ id: number }>(
		`INSERT INTO grid.team (name, kind, unit_id) SELECT '党员先锋队', 'vanguard', id FROM grid.grid_unit WHERE code = $1 RETURNING id`, [GRID1]);
	teamId = Number(team.id);
	await db.query(`INSERT INTO grid.team_member (team_id, volunteer_id, unit_id) SELECT $1, $2, unit_id FROM grid.team WHERE id = $1`, [teamId, vol.get('V-2')]);
	const [h] = await db.query<{ id: number }>(
		`INSERT INTO grid.household (unit_id, unit_no, room_no, facts) SELECT id, '1', '101', '{"pets": 1}' FROM grid.grid_unit WHERE code = $1 RETURNING id`, [B1]);
	householdId = Number(h.id);
	const [r] = await db.query<{ id: number }>(
		`INSERT INTO grid.resident (household_id, unit_id, name, birth_year) SELECT $1, id, '王大爷', 1950 FROM grid.grid_unit WHERE code = $2 RETURNING id`, [householdId, B1]);
	residentId = Number(r.id);
	const [o] = await db.query<{ id: number }>(
		`INSERT INTO grid.resident (unit_id, name, birth_year) SELECT id, '李四', 1980 FROM grid.grid_unit WHERE code = $1 RETURNING id`, [B_OTHER]);
	otherResidentId = Number(o.id);
});

afterAll(async () => {
	await closeAllPools();
	await db.drop();
});

describe('create', () => {
	it('creates tasks set-based with defaults, links the resident\'s household and an incident by reference', async () => {
		const [inc] = await reportIncidents(db.config(), B1, 1);
		const due = new Date(Date.now() + 3_600_000);
		const [a, b, c] = await make([
			{ kind: 'temperature_check', resident: { id: residentId }, dueAt: due, requiredSkills: ['temperature_check'], priority: 3 },
			{ kind: 'custom', customKind: '核酸采样引导', title: '引导采样', incident: { reference: inc.reference } },
			{ kind: 'door_survey', unit: { code: B2 }, windowStart: new Date('2026-01-01T00:00:00Z'), windowEnd: new Date('2026-01-02T00:00:00Z') },
		]);
		expect(a).toMatchObject({
			kind: 'temperature_check', status: 'open', unitCode: B1, residentId, householdId, requiredSkills: ['temperature_check'],
			priority: 3, attempts: 0, title: 'Temperature check · 1号楼', dueAt: expect.any(String),
		});
		expect(new Date(a.dueAt!).getTime()).toBe(due.getTime());
		expect(b).toMatchObject({ kind: 'custom', customKind: '核酸采样引导', title: '引导采样', incidentId: inc.id, incidentReference: inc.reference });
		expect(c).toMatchObject({ unitCode: B2, residentId: null });
		expect(await kinds(a.id)).toEqual(['created']);
	});

	it.each([
		['a window that ends before it starts', { windowStart: new Date('2026-01-02T00:00:00Z'), windowEnd: new Date('2026-01-01T00:00:00Z') }, 'Window End', /must be after Window Start/],
		['a custom kind without a name', { kind: 'custom' }, 'Custom Kind', /Custom Kind is required/],
		['an unknown unit', { unit: { code: '370614-009-009-009-0009' } }, 'Grid Unit', /unknown grid unit 370614-009-009-009-0009/],
		['an unknown resident', { resident: { id: 999999 } }, 'Resident', /unknown resident 999999/],
		['an unknown incident', { incident: { reference: 'INC-20000101-999999' } }, 'Incident', /unknown incident INC-20000101-999999/],
		['an unknown skill', { requiredSkills: ['juggling'] }, 'Required Skills', /not a known skill/],
		['an unknown preferred team', { preferredTeamId: 999999 }, 'Preferred Team', /unknown team 999999/],
	] as Array<[string, Partial<NewTask>, string, RegExp]>)('rejects %s naming the field, and writes nothing', async (_what, change, field, message) => {
		const before = await count('task');
		const outcomes = await act((uow) => createTasks(uow, [{ kind: 'errand', unit: { code: B1 } }, { kind: 'errand', unit: { code: B1 }, ...change } as NewTask]));
		expect(outcomes[0]).toEqual({ ok: true, value: [] });
		expect(!outcomes[1].ok && outcomes[1].error).toMatchObject({ field, message: expect.stringMatching(message) });
		expect(await count('task')).toBe(before);
		// partial: the good one is written
		const partial = await act((uow) => createTasks(uow, [{ kind: 'errand', unit: { code: B1 } }, { kind: 'errand', unit: { code: B1 }, ...change } as NewTask]), db.config(), true);
		expect(partial[0].ok).toBe(true);
		expect(partial[1].ok).toBe(false);
		expect(await count('task')).toBe(before + 1);
	});
});

describe('get and list', () => {
	it('gets many by id and lists by status, kind, subtree, assignee and window, paged', async () => {
		const made = await make([
			{ kind: 'disinfection', unit: { code: B2 }, windowStart: new Date('2030-05-01T00:00:00Z'), windowEnd: new Date('2030-05-01T04:00:00Z') },
			{ kind: 'disinfection', unit: { code: B2 }, windowStart: new Date('2030-05-02T00:00:00Z'), windowEnd: new Date('2030-05-02T04:00:00Z') },
			{ kind: 'disinfection', unit: { code: B_OTHER } },
		]);
		const got = await act((uow) => getTasks(uow, [made[1].id, 999999]));
		expect(valueOf(got[0])).toMatchObject({ id: made[1].id, kind: 'disinfection' });
		expect(!got[1].ok && got[1].error).toMatchObject({ field: 'Task ID', message: 'unknown task 999999' });

		const street1 = await act((uow) => listTasks(uow, { kinds: ['disinfection'], within: { code: '370614-001' }, returnAll: true }));
		expect(street1.map((t) => t.id).sort()).toEqual([made[0].id, made[1].id].sort());
		const windowed = await act((uow) => listTasks(uow, { kinds: ['disinfection'], windowFrom: new Date('2030-05-02T00:00:00Z'), windowTo: new Date('2030-05-03T00:00:00Z') }));
		expect(windowed.map((t) => t.id)).toEqual([made[1].id]);
		const page1 = await act((uow) => listTasks(uow, { kinds: ['disinfection'], limit: 2 }));
		const page2 = await act((uow) => listTasks(uow, { kinds: ['disinfection'], limit: 2, offset: 2 }));
		expect(page1.map((t) => t.id)).toEqual([made[2].id, made[1].id]);
		expect(page2.map((t) => t.id)).toEqual([made[0].id]);

		await act((uow) => assignTask(uow, { task: { id: made[0].id }, to: { volunteer: { volunteerNo: 'V-1' } } }));
		const mine = await act((uow) => listTasks(uow, { assigneeVolunteer: { volunteerNo: 'V-1' }, statuses: ['assigned'] }));
		expect(mine.map((t) => t.id)).toEqual([made[0].id]);
		await act((uow) => cancelTask(uow, { task: { id: made[0].id }, reason: 'test done' }));
		await expect(act((uow) => listTasks(uow, { windowFrom: new Date('2030-05-02T00:00:00Z'), windowTo: new Date('2030-05-01T00:00:00Z') })))
			.rejects.toMatchObject({ field: 'Window To' });
	});
});

describe('lifecycle and loads', () => {
	it('offer → accept → start → complete raises the load once and releases it, with a timeline entry for every step', async () => {
		const t = await one();
		const before = await load('V-1');
		const offered = await act((uow) => offerTask(uow, { task: { id: t.id }, volunteer: V('V-1') }));
		expect(offered).toMatchObject({ status: 'offered', offeredVolunteerId: vol.get('V-1'), previousStatus: 'open' });
		expect(await load('V-1')).toBe(before);
		const accepted = await act((uow) => acceptTask(uow, { task: { id: t.id }, volunteer: V('V-1') }));
		expect(accepted).toMatchObject({ status: 'accepted', offeredVolunteerId: null, assignee: { volunteerId: vol.get('V-1'), volunteerName: '志愿者一' } });
		expect(accepted.events.map((e) => e.kind)).toEqual(['accepted']);
		expect(await load('V-1')).toBe(before + 1);
		const started = await act((uow) => startTask(uow, { task: { id: t.id } }));
		expect(started).toMatchObject({ status: 'in_progress', startedAt: expect.anything() });
		expect(await load('V-1')).toBe(before + 1);
		const done = await act((uow) => completeTask(uow, { task: { id: t.id }, outcome: { note: '已代购药品' } }));
		expect(done).toMatchObject({ status: 'done', outcome: { note: '已代购药品' }, completedAt: expect.anything(), observation: null, incident: null });
		expect(await load('V-1')).toBe(before);
		expect(await kinds(t.id)).toEqual(['created', 'offered', 'accepted', 'started', 'completed']);
		const timeline = await act((uow) => taskTimeline(uow, { id: t.id }));
		expect(timeline.map((e) => [e.fromStatus, e.toStatus])).toEqual([[null, 'open'], ['open', 'offered'], ['offered', 'accepted'], ['accepted', 'in_progress'], ['in_progress', 'done']]);
		expect(timeline[1].actor).toMatchObject({ node: 'test' });
	});

	it('refuses an accept by someone the task was not offered to, and completing a task that is not started; nothing is written', async () => {
		const t = await one();
		await act((uow) => offerTask(uow, { task: { id: t.id }, volunteer: V('V-1') }));
		const events = await count('task_event', 'task_id = $1', [t.id]);
		const load2 = await load('V-2');
		await expect(act((uow) => acceptTask(uow, { task: { id: t.id }, volunteer: V('V-2') })))
			.rejects.toMatchObject({ field: 'Volunteer', message: `task ${t.id} was offered to volunteer #${vol.get('V-1')}, not to 志愿者二 (#${vol.get('V-2')})` });
		await expect(act((uow) => completeTask(uow, { task: { id: t.id }, outcome: {} })))
			.rejects.toMatchObject({ field: 'Task ID', message: expect.stringContaining('only a task that has been started') });
		await expect(act((uow) => startTask(uow, { task: { id: t.id } }))).rejects.toMatchObject({ field: 'Task ID', message: expect.stringContaining('is Offered') });
		expect(await count('task_event', 'task_id = $1', [t.id])).toBe(events);
		expect(await load('V-2')).toBe(load2);
		expect((await db.query<{ status: string }>(`SELECT status FROM grid.task WHERE id = $1`, [t.id]))[0].status).toBe('offered');
	});

	it('decline sends the task back to open, releases the load and the volunteer is never offered or assigned it again', async () => {
		const t = await one();
		await act((uow) => assignTask(uow, { task: { id: t.id }, to: { volunteer: V('V-2') } }));
		const loaded = await load('V-2');
		const declined = await act((uow) => declineTask(uow, { task: { id: t.id }, volunteer: V('V-2'), reason: '今天在外地' }));
		expect(declined).toMatchObject({ status: 'open', assignee: { volunteerId: null } });
		expect(await load('V-2')).toBe(loaded - 1);
		expect(await db.query(`SELECT reason FROM grid.task_decline WHERE task_id = $1 AND volunteer_id = $2`, [t.id, vol.get('V-2')])).toEqual([{ reason: '今天在外地' }]);
		await expect(act((uow) => offerTask(uow, { task: { id: t.id }, volunteer: V('V-2') }))).rejects.toMatchObject({ field: 'Volunteer', message: expect.stringContaining('never offered it again') });
		await expect(act((uow) => assignTask(uow, { task: { id: t.id }, to: { volunteer: V('V-2') } }))).rejects.toMatchObject({ field: 'Volunteer', message: expect.stringContaining('declined task') });
		await expect(act((uow) => declineTask(uow, { task: { id: t.id }, volunteer: V('V-1'), reason: 'x' }))).rejects.toMatchObject({ field: 'Task ID' });
	});

	it('reassigning moves the load; assigning to staff releases it; cancel releases it; loads never go past the maximum', async () => {
		const [t1, t2] = await make([{}, {}]);
		const l1 = await load('V-1');
		const l3 = await load('V-3');
		await act((uow) => assignTask(uow, { task: { id: t1.id }, to: { volunteer: V('V-1') } }));
		expect(await load('V-1')).toBe(l1 + 1);
		await act((uow) => assignTask(uow, { task: { id: t1.id }, to: { volunteer: V('V-3') }, note: '换人' }));
		expect([await load('V-1'), await load('V-3')]).toEqual([l1, l3 + 1]);
		// V-3 has a maximum of 1
		const events = await count('task_event', 'task_id = $1', [t2.id]);
		await expect(act((uow) => assignTask(uow, { task: { id: t2.id }, to: { volunteer: V('V-3') } })))
			.rejects.toMatchObject({ field: 'Volunteer', message: `volunteer 志愿者三 (#${vol.get('V-3')}, V-3) is at their maximum of 1 tasks` });
		await act((uow) => offerTask(uow, { task: { id: t2.id }, volunteer: V('V-3') }));
		await expect(act((uow) => acceptTask(uow, { task: { id: t2.id }, volunteer: V('V-3') }))).rejects.toMatchObject({ message: expect.stringContaining('at their maximum of 1 tasks') });
		expect((await db.query<{ status: string }>(`SELECT status FROM grid.task WHERE id = $1`, [t2.id]))[0].status).toBe('offered');
		expect(await count('task_event', 'task_id = $1', [t2.id])).toBe(events + 1);
		expect(await load('V-3')).toBe(l3 + 1);
		const toStaff = await act((uow) => assignTask(uow, { task: { id: t1.id }, to: { staff: { staffNo: 'M1' } } }));
		expect(toStaff.assignee).toMatchObject({ volunteerId: null, staffName: '网格员甲' });
		expect(await load('V-3')).toBe(l3);
		await act((uow) => assignTask(uow, { task: { id: t1.id }, to: { volunteer: V('V-3') } }));
		const cancelled = await act((uow) => cancelTask(uow, { task: { id: t1.id }, reason: '居民已自行处理' }));
		expect(cancelled).toMatchObject({ status: 'cancelled', cancelReason: '居民已自行处理' });
		expect(await load('V-3')).toBe(l3);
		await expect(act((uow) => cancelTask(uow, { task: { id: t1.id }, reason: 'again' }))).rejects.toMatchObject({ field: 'Task ID', message: expect.stringContaining('is Cancelled') });
		const negative = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.volunteer WHERE current_load < 0 OR current_load > max_tasks`);
		expect(negative[0].n).toBe(0);
	});

	it('a team task is accepted by a member, who then carries its load', async () => {
		const t = await one();
		await act((uow) => assignTask(uow, { task: { id: t.id }, to: { teamId } }));
		await expect(act((uow) => startTask(uow, { task: { id: t.id } }))).rejects.toMatchObject({ message: expect.stringContaining('a member must accept it') });
		await expect(act((uow) => acceptTask(uow, { task: { id: t.id }, volunteer: V('V-1') }))).rejects.toMatchObject({ field: 'Volunteer', message: expect.stringContaining('cannot accept it') });
		const l2 = await load('V-2');
		const accepted = await act((uow) => acceptTask(uow, { task: { id: t.id }, volunteer: { volunteerNo: 'V-2' } }));
		expect(accepted.assignee).toMatchObject({ volunteerId: vol.get('V-2'), teamId, teamName: '党员先锋队' });
		expect(await load('V-2')).toBe(l2 + 1);
		await act((uow) => cancelTask(uow, { task: { id: t.id }, reason: 'done testing' }));
		expect(await load('V-2')).toBe(l2);
	});
});

describe('outcomes', () => {
	const startedTask = async (t: Partial<NewTask>) => {
		const task = await one(t);
		await act((uow) => assignTask(uow, { task: { id: task.id }, to: { volunteer: V('V-1') } }));
		await act((uow) => startTask(uow, { task: { id: task.id } }));
		return task;
	};

	it('a fever opens a fever incident about the resident in the same transaction; a normal reading only records it', async () => {
		const hot = await startedTask({ kind: 'temperature_check', resident: { id: residentId } });
		const done = await act((uow) => completeTask(uow, { task: { id: hot.id }, outcome: { temperatureC: 38.2, symptoms: ['咳嗽'] } }));
		expect(done.observation).toMatchObject({ temperatureC: 38.2, fever: true });
		expect(done.incident).toMatchObject({ repeatedRequest: false, reference: expect.stringMatching(/^INC-/) });
		expect(done.outcome).toMatchObject({ temperatureC: 38.2, fever: true, incidentId: done.incident!.id, observationId: done.observation!.id });
		const [inc] = await db.query<Record<string, unknown>>(`SELECT category, source, resident_id, idempotency_key FROM grid.incident WHERE id = $1`, [done.incident!.id]);
		expect(inc).toEqual({ category: 'fever_symptoms', source: 'staff', resident_id: String(residentId), idempotency_key: `task:${hot.id}:fever` });
		const [obs] = await db.query<Record<string, unknown>>(`SELECT resident_id, source, fever, recorded_by FROM grid.health_observation WHERE id = $1`, [done.observation!.id]);
		expect(obs).toEqual({ resident_id: String(residentId), source: 'task', fever: true, recorded_by: '志愿者一' });

		const cool = await startedTask({ kind: 'temperature_check', resident: { id: residentId } });
		const incidents = await count('incident');
		const fine = await act((uow) => completeTask(uow, { task: { id: cool.id }, outcome: { temperatureC: 36.6 } }));
		expect(fine).toMatchObject({ status: 'done', observation: { fever: false }, incident: null });
		expect(await count('incident')).toBe(incidents);
	});

	it('a temperature check without a temperature is refused; a rollback after the fever leaves neither observation nor incident', async () => {
		const t = await startedTask({ kind: 'temperature_check', resident: { id: residentId } });
		await expect(act((uow) => completeTask(uow, { task: { id: t.id }, outcome: {} }))).rejects.toMatchObject({ field: 'Temperature' });
		await expect(act((uow) => completeTask(uow, { task: { id: t.id }, outcome: { temperatureC: 48 } }))).rejects.toMatchObject({ field: 'Temperature', message: expect.stringContaining('between 34 and 43') });
		const [obs, inc, ev] = [await count('health_observation'), await count('incident'), await count('task_event')];
		await expect(act(async (uow) => {
			const r = await completeTask(uow, { task: { id: t.id }, outcome: { temperatureC: 39 } });
			expect(r.incident).not.toBeNull();
			throw new Error('a later step failed');
		})).rejects.toThrow('a later step failed');
		expect([await count('health_observation'), await count('incident'), await count('task_event')]).toEqual([obs, inc, ev]);
		expect((await db.query<{ status: string }>(`SELECT status FROM grid.task WHERE id = $1`, [t.id]))[0].status).toBe('in_progress');
	});

	it('verification records what was found; a door survey merges household facts', async () => {
		const v = await startedTask({ kind: 'verification', resident: { id: residentId } });
		await expect(act((uow) => completeTask(uow, { task: { id: v.id }, outcome: {} }))).rejects.toMatchObject({ field: 'Result' });
		const found = await act((uow) => completeTask(uow, { task: { id: v.id }, outcome: { result: 'moved_away', note: '已搬至烟台市区' } }));
		expect(found.outcome).toEqual({ result: 'moved_away', note: '已搬至烟台市区' });
		const d = await startedTask({ kind: 'door_survey', resident: { id: residentId } });
		await expect(act((uow) => completeTask(uow, { task: { id: d.id }, outcome: { temperatureC: 36.5 } }))).rejects.toMatchObject({ field: 'Temperature' });
		const surveyed = await act((uow) => completeTask(uow, { task: { id: d.id }, outcome: { householdFacts: { members: 2, elderly: true } } }));
		expect(surveyed.household).toMatchObject({ id: householdId, facts: { pets: 1, members: 2, elderly: true } });
		const [h] = await db.query<{ facts: unknown }>(`SELECT facts FROM grid.household WHERE id = $1`, [householdId]);
		expect(h.facts).toEqual({ pets: 1, members: 2, elderly: true });
	});
});

describe('expire overdue', () => {
	const overdue = (ids: number[]) => db.query(`UPDATE grid.task SET due_at = now() - interval '1 hour' WHERE id = ANY($1::bigint[])`, [ids]);

	it('takes back offered, assigned and accepted tasks past due, releases loads, leaves started ones, and escalates on the Nth attempt', async () => {
		const [a, b, c, d] = await make([{ kind: 'supply_delivery' }, {}, {}, { kind: 'errand', unit: { code: B_OTHER } }]);
		await act((uow) => assignTask(uow, { task: { id: a.id }, to: { volunteer: V('V-1') } }));
		await act((uow) => offerTask(uow, { task: { id: b.id }, volunteer: V('V-2') }));
		await act((uow) => assignTask(uow, { task: { id: c.id }, to: { volunteer: V('V-2') } }));
		await act((uow) => startTask(uow, { task: { id: c.id } }));
		await overdue([a.id, b.id, c.id]);
		const l1 = await load('V-1');
		const r = await act((uow) => expireOverdue(uow, { maxAttempts: 3 }));
		expect(r).toMatchObject({ processed: 2, reopened: 2, escalated: 0 });
		expect(r.tasks.map((t) => [t.id, t.fromStatus, t.status, t.attempts]).sort()).toEqual([[a.id, 'assigned', 'open', 1], [b.id, 'offered', 'open', 1]].sort());
		expect(await load('V-1')).toBe(l1 - 1);
		expect(await kinds(a.id)).toEqual(['created', 'assigned', 'expired']);
		expect((await db.query<{ status: string }>(`SELECT status FROM grid.task WHERE id = $1`, [c.id]))[0].status).toBe('in_progress');
		expect(d.status).toBe('open');

		// two more rounds: the third expired attempt escalates as an incident
		for (let round = 2; round <= 3; round++) {
			await act((uow) => assignTask(uow, { task: { id: a.id }, to: { volunteer: V('V-1') } }));
			const res = await act((uow) => expireOverdue(uow, { maxAttempts: 3, within: { code: B1 } }));
			expect(res.tasks.map((t) => t.id)).toEqual([a.id]);
			if (round === 2) expect(res.tasks[0]).toMatchObject({ status: 'open', attempts: 2, escalated: false });
			else {
				expect(res.tasks[0]).toMatchObject({ status: 'cancelled', attempts: 3, escalated: true, incidentReference: expect.stringMatching(/^INC-/) });
				const [inc] = await db.query<Record<string, unknown>>(`SELECT category, description, idempotency_key FROM grid.incident WHERE id = $1`, [res.tasks[0].incidentId]);
				expect(inc).toMatchObject({ category: 'supply_need', idempotency_key: `task:${a.id}:escalated`, description: expect.stringContaining(`Task ${a.id}`) });
			}
		}
		expect(await kinds(a.id)).toEqual(['created', 'assigned', 'expired', 'assigned', 'expired', 'assigned', 'escalated']);
		expect(await load('V-1')).toBe(l1 - 1);
		const [row] = await db.query<Record<string, unknown>>(`SELECT status, attempts, cancel_reason FROM grid.task WHERE id = $1`, [a.id]);
		expect(row).toMatchObject({ status: 'cancelled', attempts: 3, cancel_reason: expect.stringContaining('escalated as incident') });
		await act((uow) => cancelTask(uow, { task: { id: c.id }, reason: 'cleanup' }));
	});

	it('two runs in parallel never expire one task twice', async () => {
		const tasks = await make(Array.from({ length: 30 }, () => ({})));
		for (const t of tasks.slice(0, 30)) await act((uow) => offerTask(uow, { task: { id: t.id }, volunteer: V('V-1') }));
		await overdue(tasks.map((t) => t.id));
		const [r1, r2] = await Promise.all([act((uow) => expireOverdue(uow, {})), act((uow) => expireOverdue(uow, {}))]);
		expect(r1.processed + r2.processed).toBe(30);
		expect(await count('task_event', `kind = 'expired' AND task_id = ANY($1::bigint[])`, [tasks.map((t) => t.id)])).toBe(30);
		expect(await count('task', `attempts = 1 AND status = 'open' AND id = ANY($1::bigint[])`, [tasks.map((t) => t.id)])).toBe(30);
	});
});

describe('checkpoint shifts', () => {
	it('creates one open checkpoint_shift task per slot and lists filled and open slots', async () => {
		const startsAt = new Date('2031-03-01T00:00:00Z');
		const endsAt = new Date('2031-03-01T08:00:00Z');
		const [made, bad] = await act((uow) => createShifts(uow, [
			{ unit: { code: '370614-001-001' }, startsAt, endsAt, slots: 3, requiredSkills: ['security'], note: '东门卡口' },
			{ unit: { code: '370614-001-001' }, startsAt: endsAt, endsAt: startsAt, slots: 2 },
		]), db.config(), true);
		expect(!bad.ok && bad.error).toMatchObject({ field: 'Ends At' });
		const shift = valueOf(made);
		expect(shift).toMatchObject({ unitCode: '370614-001-001', slots: 3, filled: 0, open: 3, requiredSkills: ['security'] });
		const tasks = await act((uow) => listTasks(uow, { shiftId: shift.id }));
		expect(tasks).toHaveLength(3);
		expect(tasks.every((t) => t.kind === 'checkpoint_shift' && t.status === 'open' && t.shiftId === shift.id)).toBe(true);
		expect(new Date(tasks[0].windowStart!).getTime()).toBe(startsAt.getTime());
		expect(new Date(tasks[0].windowEnd!).getTime()).toBe(endsAt.getTime());
		await act((uow) => assignTask(uow, { task: { id: tasks[0].id }, to: { volunteer: V('V-2') } }));
		const listed = await act((uow) => listShifts(uow, { within: { code: '370614-001' }, from: new Date('2031-01-01T00:00:00Z') }));
		expect(listed.find((s) => s.id === shift.id)).toMatchObject({ filled: 1, open: 2 });
		expect(await count('checkpoint_shift')).toBe(1);
		await act((uow) => cancelTask(uow, { task: { id: tasks[0].id }, reason: 'cleanup' }));
	});
});

describe('scope', () => {
	it('a credential scoped to street 1 cannot see or write tasks of street 2', async () => {
		const scoped = db.config({ scopeCode: '370614-001' });
		const [outside] = await make([{ unit: { code: B_OTHER } }]);
		const created = await act((uow) => createTasks(uow, [{ kind: 'errand', unit: { code: B_OTHER } }]), scoped);
		expect(!created[0].ok && created[0].error).toMatchObject({ field: 'Grid Unit', message: expect.stringContaining("outside this credential's scope 370614-001") });
		const resident = await act((uow) => createTasks(uow, [{ kind: 'errand', unit: { code: B1 }, resident: { id: otherResidentId } }]), scoped);
		expect(!resident[0].ok && resident[0].error).toMatchObject({ field: 'Resident' });
		const got = await act((uow) => getTasks(uow, [outside.id]), scoped);
		expect(!got[0].ok && got[0].error.message).toMatch(/unknown task .* outside this credential's scope/);
		await expect(act((uow) => cancelTask(uow, { task: { id: outside.id }, reason: 'x' }), scoped)).rejects.toMatchObject({ field: 'Task ID' });
		const mine = await one();
		await expect(act((uow) => assignTask(uow, { task: { id: mine.id }, to: { volunteer: V('V-9') } }), scoped)).rejects.toMatchObject({ field: 'Volunteer', message: expect.stringContaining('unknown volunteer') });
		const listed = await act((uow) => listTasks(uow, { returnAll: true }), scoped);
		expect(listed.length).toBeGreaterThan(0);
		expect(listed.every((t) => t.unitCode.startsWith('370614-001'))).toBe(true);
		await db.query(`UPDATE grid.task SET status = 'offered', offered_volunteer_id = $2, due_at = now() - interval '1 hour' WHERE id = $1`, [outside.id, vol.get('V-9')]);
		const r = await act((uow) => expireOverdue(uow, {}), scoped);
		expect(r.tasks.map((t) => t.id)).not.toContain(outside.id);
		expect((await db.query<{ status: string }>(`SELECT status FROM grid.task WHERE id = $1`, [outside.id]))[0].status).toBe('offered');
	});
});
