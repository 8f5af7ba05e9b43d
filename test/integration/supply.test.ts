import { closeAllPools } from '../../nodes/shared/db/pool';
import { type NewResident, checkResident } from '../../nodes/shared/domain/resident/residentInput';
import { saveResidents } from '../../nodes/shared/domain/resident/residents';
import {
	type NewSupplyNeed,
	checkSupplyNeed,
	demandSummary,
	fulfilNeedsForTask,
	listSupplyNeeds,
	planDeliveries,
	recordSupplyNeeds,
	releaseNeedsForTask,
} from '../../nodes/shared/domain/task/supply';
import { assignTask, cancelTask, completeTask, startTask } from '../../nodes/shared/domain/task/lifecycle';
import { FieldError } from '../../nodes/shared/validation/errors';
import { DEFAULT_SEGMENT_WIDTHS } from '../../nodes/shared/validation/gridCode';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { run, seedSmallDistrict } from '../helpers/uow';

let db: TestDatabase;
const B1 = '370614-001-001-001-0001';
const B2 = '370614-001-001-001-0002';
const B_OTHER_COMMUNITY = '370614-001-002-001-0001';
const B_OTHER_STREET = '370614-002-001-001-0001';
const rules = { widths: DEFAULT_SEGMENT_WIDTHS, allowCustomTags: false };
const ids: Record<string, number> = {};
const W1 = { windowStart: new Date('2030-03-02T09:00:00+08:00'), windowEnd: new Date('2030-03-02T12:00:00+08:00') };
const W2 = { windowStart: new Date('2030-03-02T14:00:00+08:00'), windowEnd: new Date('2030-03-02T18:00:00+08:00') };
const rice = (quantity: number) => ({ item: '大米', quantity, unit: 'kg', category: 'groceries' as const });
const q = <T = Record<string, unknown>>(text: string, params: unknown[] = []) => db.query<T>(text, params);
const record = (needs: NewSupplyNeed[], partial = false, config = db.config()) => run(config, (uow) => recordSupplyNeeds(uow, needs), partial);

beforeAll(async () => {
	db = await createTestDatabase('supply');
	await seedSmallDistrict(db.config());
	// 甲 and 乙 share household 101 of building 1; 丙 lives in 102, 丁 in building 2, 戊 in another community, 己 in another street
	const people: Array<[string, string, string]> = [['甲', B1, '101'], ['乙', B1, '101'], ['丙', B1, '102'], ['丁', B2, '201'], ['戊', B_OTHER_COMMUNITY, '101'], ['己', B_OTHER_STREET, '101']];
	const outcomes = await run(db.config(), (uow) => saveResidents(uow,
		people.map(([name, building, room]) => checkResident({ name, buildingCode: building, unitNo: '1', roomNo: room }, rules) as NewResident),
		{ mode: 'create', matchPhoneAndName: false, storeFullDocument: false }));
	outcomes.forEach((o, k) => {
		if (!o.ok || Array.isArray(o.value)) throw new Error(`resident ${people[k][0]} not created`);
		ids[people[k][0]] = o.value.id;
	});
});

afterAll(async () => {
	await closeAllPools();
	await db.drop();
});

describe('recording needs', () => {
	it('records needs with the resident\'s building and household', async () => {
		const outcomes = await record([
			{ residentId: ids['甲'], items: [rice(5), { item: '降压药', quantity: 2, unit: '盒', category: 'medicine' }], urgency: 'urgent', ...W1 },
			{ residentId: ids['乙'], items: [rice(3)], ...W1 },
			{ residentId: ids['丙'], items: [{ item: '卫生纸', quantity: 1, unit: '提', category: 'daily' }], urgency: 'low', ...W1 },
			{ residentId: ids['丁'], items: [rice(10)], ...W1 },
			{ residentId: ids['甲'], items: [{ item: '鸡蛋', quantity: 30, unit: '个', category: 'groceries' }], ...W2 },
			{ residentId: ids['戊'], items: [rice(2)], ...W1 },
			{ residentId: ids['己'], items: [rice(7)], ...W1 },
		]);
		expect(outcomes.every((o) => o.ok)).toBe(true);
		const first = outcomes[0].ok && !Array.isArray(outcomes[0].value) ? outcomes[0].value : null;
		expect(first).toMatchObject({ residentId: ids['甲'], unitCode: B1, status: 'open', urgency: 'urgent', taskId: null });
		const households = await q<{ n: number }>(`SELECT count(DISTINCT household_id)::int AS n FROM grid.supply_need WHERE resident_id = ANY($1::bigint[])`, [[ids['甲'], ids['乙']]]);
		expect(households[0].n).toBe(1);
	});

	it.each([
		['a window that ends before it starts', { windowStart: W1.windowEnd, windowEnd: W1.windowStart }, 'Window End', /must be after Window Start/],
		['no items', { items: [] }, 'Items', /at least one item/],
		['a zero quantity', { items: [rice(0)] }, 'Items', /Items #1 quantity must be a number above 0/],
		['an unknown category', { items: [{ item: '口罩', quantity: 1, unit: '包', category: 'masks' }] }, 'Items', /Items #1 category must be one of groceries, medicine, daily/],
		['an unknown urgency', { urgency: 'asap' }, 'Urgency', /must be one of low, normal, urgent/],
	])('rejects %s', (_l, extra, field, message) => {
		try {
			checkSupplyNeed({ residentId: 1, items: [rice(1)], ...W1, ...(extra as Partial<NewSupplyNeed>) });
			throw new Error('accepted');
		} catch (e) {
			expect((e as FieldError).field).toBe(field);
			expect((e as Error).message).toMatch(message);
		}
	});

	it('writes nothing when one need of the batch is bad, and the good ones with continue on fail', async () => {
		const before = (await q<{ n: number }>(`SELECT count(*)::int AS n FROM grid.supply_need`))[0].n;
		const batch: NewSupplyNeed[] = [
			{ residentId: ids['丁'], items: [rice(1)], ...W2 },
			{ residentId: 999_999, items: [rice(1)], ...W2 },
			{ residentId: ids['丁'], items: [rice(1)], windowStart: W2.windowEnd, windowEnd: W2.windowStart },
		];
		const strict = await record(batch);
		expect(strict.map((o) => (o.ok ? 'ok' : `${o.error.field}: ${o.error.message}`))).toEqual([
			'ok',
			'Resident ID: unknown resident 999999',
			expect.stringMatching(/^Window End: Window End .* must be after Window Start/),
		]);
		expect((await q<{ n: number }>(`SELECT count(*)::int AS n FROM grid.supply_need`))[0].n).toBe(before);
		const partial = await record(batch, true);
		expect(partial.map((o) => o.ok)).toEqual([true, false, false]);
		expect((await q<{ n: number }>(`SELECT count(*)::int AS n FROM grid.supply_need`))[0].n).toBe(before + 1);
		// not part of the following plans
		await q(`UPDATE grid.supply_need SET status = 'cancelled' WHERE window_start = $1 AND resident_id = $2`, [W2.windowStart, ids['丁']]);
	});
});

describe('planning deliveries', () => {
	let b1w1: number;

	it('turns open needs into one supply delivery per building and window, listing households and items', async () => {
		const plan = await run(db.config(), (uow) => planDeliveries(uow, { within: { code: '370614-001-001' } }));
		// building 1 window 1 (甲, 乙, 丙), building 1 window 2 (甲), building 2 window 1 (丁)
		expect(plan).toMatchObject({ tasksCreated: 3, needsPlanned: 5 });
		expect(plan.deliveries.map((d) => [d.unitCode, new Date(d.windowStart).getTime() === W1.windowStart.getTime() ? 'W1' : 'W2', d.households, d.needIds.length, d.priority]).sort())
			.toEqual([[B1, 'W1', 2, 3, 4], [B1, 'W2', 1, 1, 2], [B2, 'W1', 1, 1, 2]].sort());
		b1w1 = plan.deliveries.find((d) => d.unitCode === B1 && d.needIds.length === 3)!.taskId;
		const [task] = await q<{ kind: string; status: string; priority: number; due_at: Date; required_skills: string[]; details: any }>(
			`SELECT kind, status, priority, due_at, required_skills, details FROM grid.task WHERE id = $1`, [b1w1]);
		expect(task).toMatchObject({ kind: 'supply_delivery', status: 'open', priority: 4, required_skills: ['delivery'] });
		expect(task.due_at.toISOString()).toBe(W1.windowEnd.toISOString());
		const byName = (a: { item: string }, b: { item: string }) => (a.item < b.item ? -1 : 1);
		expect([...task.details.totals].sort(byName)).toEqual([
			{ item: '大米', unit: 'kg', category: 'groceries', quantity: 8 },
			{ item: '卫生纸', unit: '提', category: 'daily', quantity: 1 },
			{ item: '降压药', unit: '盒', category: 'medicine', quantity: 2 },
		].sort(byName));
		const shared = task.details.households.find((h: any) => h.roomNo === '101');
		expect(shared.residentIds.sort()).toEqual([ids['甲'], ids['乙']].sort());
		expect(shared.urgency).toBe('urgent');
		expect(shared.items).toHaveLength(3);
		const needs = await q<{ status: string; task_id: number }>(`SELECT status, task_id::int FROM grid.supply_need WHERE resident_id = ANY($1::bigint[]) AND window_start = $2`, [[ids['甲'], ids['乙'], ids['丙']], W1.windowStart]);
		expect(needs.every((n) => n.status === 'planned' && n.task_id === b1w1)).toBe(true);
		const events = await q<{ n: number }>(`SELECT count(*)::int AS n FROM grid.task_event WHERE task_id = ANY($1::bigint[]) AND kind = 'created'`, [plan.deliveries.map((d) => d.taskId)]);
		expect(events[0].n).toBe(3);
	});

	it('plans nothing twice, and says so', async () => {
		const plan = await run(db.config(), (uow) => planDeliveries(uow, { within: { code: '370614-001-001' } }));
		expect(plan).toMatchObject({ tasksCreated: 0, needsPlanned: 0 });
		expect(plan.notice).toMatch(/No open supply needs match/);
	});

	it('a credential scoped to a street plans and sees only its own needs', async () => {
		const scoped = db.config({ scopeCode: '370614-002' });
		const plan = await run(scoped, (uow) => planDeliveries(uow, {}));
		expect(plan.deliveries.map((d) => d.unitCode)).toEqual([B_OTHER_STREET]);
		const seen = await run(scoped, (uow) => listSupplyNeeds(uow, {}));
		expect(seen.map((n) => n.residentId)).toEqual([ids['己']]);
		const refused = await record([{ residentId: ids['甲'], items: [rice(1)], ...W1 }], false, scoped);
		expect(!refused[0].ok && refused[0].error.message).toMatch(/unknown resident .* \(or outside this credential's scope 370614-002\)/);
	});

	it('totals open and planned demand per community', async () => {
		const rows = await run(db.config(), (uow) => demandSummary(uow, { windowFrom: W1.windowStart, windowTo: W1.windowEnd }));
		expect(rows.map((r) => [r.unitCode, r.needs, r.households, r.urgentNeeds])).toEqual([
			['370614-001-001', 4, 3, 1],
			['370614-001-002', 1, 1, 0],
			['370614-002-001', 1, 1, 0],
		]);
		expect(rows[0].items.find((i) => i.item === '大米')).toEqual({ item: '大米', unit: 'kg', category: 'groceries', quantity: 18 });
		const streets = await run(db.config(), (uow) => demandSummary(uow, { level: 2, categories: ['medicine'] }));
		expect(streets.map((r) => [r.unitCode, r.needs, r.items])).toEqual([['370614-001', 1, [{ item: '降压药', unit: '盒', category: 'medicine', quantity: 2 }]]]);
	});

	it('fulfils the needs of a completed delivery, and releases those of a cancelled one', async () => {
		const done = await run(db.config(), (uow) => fulfilNeedsForTask(uow, [b1w1]));
		expect(done.needIds).toHaveLength(3);
		const [s] = await q<{ statuses: string[] }>(`SELECT array_agg(DISTINCT status) AS statuses FROM grid.supply_need WHERE task_id = $1`, [b1w1]);
		expect(s.statuses).toEqual(['fulfilled']);
		const other = await q<{ task_id: number }>(`SELECT task_id::int FROM grid.supply_need WHERE resident_id = $1`, [ids['丁']]);
		const released = await run(db.config(), (uow) => releaseNeedsForTask(uow, [other.find((o) => o.task_id)!.task_id]));
		expect(released.needIds).toHaveLength(1);
		const open = await run(db.config(), (uow) => listSupplyNeeds(uow, { statuses: ['open'], within: { code: '370614-001-001' } }));
		expect(open.map((n) => n.residentId)).toEqual([ids['丁']]);
		// fulfilled needs leave the demand
		const rows = await run(db.config(), (uow) => demandSummary(uow, { within: { code: '370614-001-001' } }));
		expect(rows.map((r) => [r.unitCode, r.needs])).toEqual([['370614-001-001', 2]]);
	});
});

describe('closing the loop', () => {
	it('completing a delivery fulfils its needs; cancelling one gives them back to planning', async () => {
		const W3 = { windowStart: new Date('2030-04-01T09:00:00+08:00'), windowEnd: new Date('2030-04-01T12:00:00+08:00') };
		const made = await record([{ residentId: ids['甲'], items: [rice(2)], ...W3 }, { residentId: ids['丁'], items: [rice(3)], ...W3 }]);
		expect(made.every((o) => o.ok)).toBe(true);
		const plan = await run(db.config(), (uow) => planDeliveries(uow, { windowFrom: W3.windowStart, windowTo: W3.windowEnd }));
		expect(plan).toMatchObject({ tasksCreated: 2, needsPlanned: 2 });
		const [done, cancelled] = plan.deliveries.map((d) => d.taskId);
		const [{ id: staffId }] = await q<{ id: number }>(`INSERT INTO grid.staff (name, unit_id) SELECT '配送员', id FROM grid.grid_unit WHERE code = $1 RETURNING id::int`, ['370614-001-001']);
		await run(db.config(), async (uow) => {
			await assignTask(uow, { task: { id: done }, to: { staff: { id: staffId } } });
			await startTask(uow, { task: { id: done } });
			await completeTask(uow, { task: { id: done }, outcome: { note: '已送达' } });
			await cancelTask(uow, { task: { id: cancelled }, reason: '改由超市直送' });
		});
		const needs = await q<{ status: string; task_id: string | null }>(`SELECT status, task_id FROM grid.supply_need WHERE window_start = $1 ORDER BY id`, [W3.windowStart]);
		const doneNeeds = plan.deliveries[0].needIds;
		expect(needs.filter((n) => n.status === 'fulfilled').length).toBe(doneNeeds.length);
		// the cancelled delivery's needs are open again and belong to no task
		expect(needs.filter((n) => n.status === 'open' && n.task_id === null).length).toBe(plan.deliveries[1].needIds.length);
		const [{ outcome }] = await q<{ outcome: { fulfilledNeedIds: number[] } }>(`SELECT outcome FROM grid.task WHERE id = $1`, [done]);
		expect(outcome.fulfilledNeedIds.map(Number)).toEqual(doneNeeds.map(Number));
		const replanned = await run(db.config(), (uow) => planDeliveries(uow, { windowFrom: W3.windowStart, windowTo: W3.windowEnd }));
		expect(replanned).toMatchObject({ tasksCreated: 1, needsPlanned: plan.deliveries[1].needIds.length });
	});
});
