/**
 * The Grid Trigger's task stream against real PostgreSQL: completed and overdue tasks delivered once,
 * in commit-safe order, within a subtree and a credential's scope.
 */
import { Client } from 'pg';
import { closeAllPools } from '../../nodes/shared/db/pool';
import type { FeedStart } from '../../nodes/shared/domain/incident/feed';
import { expireOverdue } from '../../nodes/shared/domain/task/expiry';
import { latestTaskEvents, readTaskFeed, startTaskFeed, type TaskFeedEvent, type TaskFeedFilter } from '../../nodes/shared/domain/task/feed';
import { assignTask, completeTask, startTask } from '../../nodes/shared/domain/task/lifecycle';
import { createTasks } from '../../nodes/shared/domain/task/tasks';
import type { UnitOfWork } from '../../nodes/shared/domain/context';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { run, seedSmallDistrict } from '../helpers/uow';

let db: TestDatabase;
let staffId = 0;
const B1 = '370614-001-001-001-0001';
const B_OTHER = '370614-002-001-001-0001';
const act = <T>(fn: (uow: UnitOfWork) => Promise<T>, config = db.config()) => run(config, fn);

async function task(unit: string, dueAt?: Date): Promise<number> {
	const [o] = await act((uow) => createTasks(uow, [{ kind: 'errand', unit: { code: unit }, ...(dueAt ? { dueAt } : {}) }]));
	if (!o.ok) throw o.error;
	return (o.value as { id: number }).id;
}

async function done(unit: string): Promise<number> {
	const id = await task(unit);
	await act(async (uow) => {
		await assignTask(uow, { task: { id }, to: { staff: { id: staffId } } });
		await startTask(uow, { task: { id } });
		await completeTask(uow, { task: { id }, outcome: { note: 'ok' } });
	});
	return id;
}

async function poll(filter: TaskFeedFilter, start: FeedStart, config = db.config()) {
	return act((uow) => readTaskFeed(uow, filter, start, 100), config);
}

/**
 * Polls until `want` task ids have all come out. Other test files share the server, and an entry is
 * only delivered once every transaction older than it has ended, so delivery may take a few polls.
 */
async function collect(filter: TaskFeedFilter, start: FeedStart, want: number[], config = db.config()) {
	const events: TaskFeedEvent[] = [];
	let cursor = start;
	for (let k = 0; k < 100 && !want.every((id) => events.some((e) => e.taskId === id)); k++) {
		const page = await poll(filter, cursor, config);
		events.push(...page.events);
		cursor = { cursor: page.cursor, since: page.since };
		if (!page.events.length) await new Promise((r) => setTimeout(r, 50));
	}
	return { events, cursor };
}

beforeAll(async () => {
	db = await createTestDatabase('task_feed');
	await seedSmallDistrict(db.config());
	[{ id: staffId }] = await db.query<{ id: number }>(`INSERT INTO grid.staff (name, unit_id) SELECT '网格员', id FROM grid.grid_unit WHERE code = '370614' RETURNING id::int`);
});

afterAll(async () => {
	await closeAllPools();
	await db.drop();
});

describe('task stream', () => {
	it('delivers completed and overdue tasks once, in order', async () => {
		const filter: TaskFeedFilter = { topics: ['task.completed', 'task.overdue'] };
		const start = await act((uow) => startTaskFeed(uow, filter));
		const a = await done(B1);
		const late = await task(B1, new Date(Date.now() - 3_600_000));
		await act((uow) => assignTask(uow, { task: { id: late }, to: { staff: { id: staffId } } }));
		await act((uow) => expireOverdue(uow));
		const first = await collect(filter, start, [a, late]);
		const mine = first.events.filter((e) => e.taskId === a || e.taskId === late);
		expect(mine.map((e) => [e.taskId, e.event, e.trigger])).toEqual([[a, 'completed', 'task.completed'], [late, 'expired', 'task.overdue']]);
		expect(mine[0].eventId).toMatch(/^task:\d+$/);
		expect(mine[0].task).toMatchObject({ id: a, status: 'done' });
		expect(new Set(first.events.map((e) => e.eventId)).size).toBe(first.events.length);
		const again = await poll(filter, first.cursor);
		expect(again.events.filter((e) => e.taskId === a || e.taskId === late)).toEqual([]);
		// only completed
		const onlyDone = await act((uow) => latestTaskEvents(uow, { topics: ['task.completed'] }, 10));
		expect(onlyDone.every((e) => e.event === 'completed')).toBe(true);
	});

	it('never skips an entry whose transaction commits after one with a higher id', async () => {
		const filter: TaskFeedFilter = { topics: ['task.completed'] };
		const start = await act((uow) => startTaskFeed(uow, filter));
		const early = await task(B1);
		// a transaction takes an event id now and commits later
		const slow = new Client({ connectionString: db.url });
		await slow.connect();
		await slow.query('BEGIN');
		await slow.query(`INSERT INTO grid.task_event (task_id, unit_id, kind) SELECT id, unit_id, 'completed' FROM grid.task WHERE id = $1`, [early]);
		const fast = await done(B1);
		const first = await poll(filter, start);
		expect(first.events.map((e) => e.taskId).filter((id) => id === early || id === fast)).toEqual([]);
		await slow.query('COMMIT');
		await slow.end();
		const second = await collect(filter, { cursor: first.cursor }, [early, fast]);
		expect(second.events.map((e) => e.taskId).filter((id) => id === early || id === fast)).toEqual([early, fast]);
	});

	it('keeps to a subtree and to the credential\'s scope', async () => {
		const filter: TaskFeedFilter = { topics: ['task.completed'] };
		const start = await act((uow) => startTaskFeed(uow, filter));
		const mine = await done(B1);
		const other = await done(B_OTHER);
		const within = await collect({ ...filter, within: { code: '370614-001' } }, start, [mine]);
		expect(within.events.map((e) => e.taskId)).toContain(mine);
		expect(within.events.map((e) => e.taskId)).not.toContain(other);
		const scoped = await collect(filter, start, [other], db.config({ scopeCode: '370614-002' }));
		expect(scoped.events.map((e) => e.taskId)).toContain(other);
		expect(scoped.events.map((e) => e.taskId)).not.toContain(mine);
	});
});
