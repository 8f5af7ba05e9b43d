/**
 * The Grid Trigger's task stream against real PostgreSQL, alone and merged with the incident stream
 * (nodes/shared/domain/eventFeed.ts, as the node polls): new, completed and overdue tasks delivered
 * once, in commit-safe order, the out-of-order commit case, both streams in one poll in (tx, id)
 * order, paging across both, a subtree, a credential's scope, and a stored incident cursor from
 * before task events (no task cursor yet) carrying on.
 *
 * Tasks are created and moved through the real domain (createTasks, assign/start/complete,
 * expireOverdue); incidents through the real intake.
 */
import { Client } from 'pg';
import type { ConnectionConfig } from '../../nodes/shared/db/config';
import { closeAllPools } from '../../nodes/shared/db/pool';
import type { UnitOfWork } from '../../nodes/shared/domain/context';
import { type GridFeedEvent, type StreamsRequest, latestOfStreams, readStreams } from '../../nodes/shared/domain/eventFeed';
import type { FeedStart } from '../../nodes/shared/domain/feedCursor';
import type { FeedFilter } from '../../nodes/shared/domain/incident/feed';
import { expireOverdue } from '../../nodes/shared/domain/task/expiry';
import { type TaskFeedFilter, latestTaskEvents, readTaskFeed, startTaskFeed } from '../../nodes/shared/domain/task/feed';
import { assignTask, completeTask, startTask } from '../../nodes/shared/domain/task/lifecycle';
import { createTasks } from '../../nodes/shared/domain/task/tasks';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { reportIncidents } from '../helpers/incidents';
import { run, seedSmallDistrict } from '../helpers/uow';

let db: TestDatabase;
let staffId = 0;
const B1 = '370614-001-001-001-0001';
const B2 = '370614-001-002-001-0002';
const B3 = '370614-001-001-002-0001';
const B_OTHER = '370614-002-001-001-0001';
const TASK_TOPICS: TaskFeedFilter['topics'] = ['task.created', 'task.completed', 'task.overdue'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const act = <T>(fn: (uow: UnitOfWork) => Promise<T>, config = db.config()) => run(config, fn);

async function task(unit: string, dueAt?: Date): Promise<number> {
	const [o] = await act((uow) => createTasks(uow, [{ kind: 'errand', unit: { code: unit }, title: `代办 ${unit}`, ...(dueAt ? { dueAt } : {}) }]));
	if (!o.ok) throw o.error;
	return (o.value as { id: number }).id;
}

async function assign(id: number) {
	await act((uow) => assignTask(uow, { task: { id }, to: { staff: { id: staffId } } }));
}

async function complete(id: number) {
	await act(async (uow) => {
		await startTask(uow, { task: { id } });
		await completeTask(uow, { task: { id }, outcome: { note: '已送达' } });
	});
}

async function done(unit: string): Promise<number> {
	const id = await task(unit);
	await assign(id);
	await complete(id);
	return id;
}

/** An assigned task whose due time passed an hour ago. */
async function late(unit: string): Promise<number> {
	const id = await task(unit, new Date(Date.now() - 3_600_000));
	await assign(id);
	return id;
}

async function incident(unit: string): Promise<{ id: number; reference: string }> {
	const [r] = await reportIncidents(db.config(), unit, 1);
	return { id: r.id, reference: r.reference };
}

const ALL_TASK_KINDS = ['created', 'completed', 'expired', 'escalated'];

/** Both timelines' entries (incidents: 'created') in commit-safe merged order: by transaction, incidents first, then id. */
async function mergedOrder(where: { incidents?: number[]; tasks?: number[] }, taskKinds = ALL_TASK_KINDS): Promise<string[]> {
	const rows = await db.query<{ event_id: string }>(
		`SELECT event_id FROM (
			SELECT id::text AS event_id, tx, 0 AS stream, id FROM grid.incident_event WHERE incident_id = ANY($1::bigint[]) AND kind = 'created'
			UNION ALL
			SELECT 'task:' || id, tx, 1, id FROM grid.task_event WHERE task_id = ANY($2::bigint[]) AND kind = ANY($3::text[])
		) x ORDER BY tx, stream, id`,
		[where.incidents ?? [], where.tasks ?? [], taskKinds]);
	return rows.map((r) => r.event_id);
}

// ---------------------------------------------------------------- a poller as the node runs it

type State = { incidents?: FeedStart; tasks?: FeedStart };

class Poller {
	state: State = {};
	delivered: GridFeedEvent[] = [];
	pages: GridFeedEvent[][] = [];

	constructor(
		readonly filters: { incidents?: FeedFilter; tasks?: TaskFeedFilter },
		readonly opts: { config?: () => ConnectionConfig; limit?: number; state?: State } = {},
	) {
		if (opts.state) this.state = structuredClone(opts.state);
	}

	async poll(): Promise<GridFeedEvent[]> {
		const request: StreamsRequest = {};
		if (this.filters.incidents) request.incidents = { filter: this.filters.incidents, start: this.state.incidents };
		if (this.filters.tasks) request.tasks = { filter: this.filters.tasks, start: this.state.tasks };
		const page = await run(this.opts.config?.() ?? db.config(), (uow) => readStreams(uow, request, this.opts.limit ?? 1000));
		if (page.incidents) this.state.incidents = page.incidents;
		if (page.tasks) this.state.tasks = page.tasks;
		if (page.events.length) this.pages.push(page.events);
		this.delivered.push(...page.events);
		return page.events;
	}

	ids(): string[] {
		return this.delivered.map((e) => e.eventId);
	}

	/** Polls until these event ids have all been delivered (other test files' transactions may hold them back), then once more. */
	async pollUntil(want: string[], tries = 200): Promise<void> {
		for (let i = 0; i < tries; i++) {
			await this.poll();
			const seen = new Set(this.ids());
			if (want.every((id) => seen.has(id))) {
				await this.poll();
				return;
			}
			await sleep(100);
		}
		throw new Error(`wanted events were not delivered after ${tries} polls: ${want.filter((id) => !this.ids().includes(id)).join(', ')}`);
	}
}

/** Waits until every event written so far lies below every snapshot's xmin (other test files may hold it back). */
async function settled(): Promise<void> {
	for (let i = 0; i < 200; i++) {
		const [row] = await db.query<{ ok: boolean }>(
			`SELECT coalesce((SELECT max(tx) FROM grid.task_event) < pg_snapshot_xmin(pg_current_snapshot()), true)
				AND coalesce((SELECT max(tx) FROM grid.incident_event) < pg_snapshot_xmin(pg_current_snapshot()), true) AS ok`);
		if (row.ok) return;
		await sleep(100);
	}
	throw new Error('events did not settle');
}

/** A poller that has made its first poll after everything written so far had settled, so it starts after it. */
async function started(filters: Poller['filters'], opts: Poller['opts'] = {}): Promise<Poller> {
	await settled();
	const p = new Poller(filters, opts);
	await p.poll();
	return p;
}

async function taskEventIds(taskIds: number[], kinds = ALL_TASK_KINDS): Promise<string[]> {
	return (await db.query<{ id: string }>(
		`SELECT 'task:' || id AS id FROM grid.task_event WHERE task_id = ANY($1::bigint[]) AND kind = ANY($2::text[]) ORDER BY tx, id`, [taskIds, kinds]))
		.map((r) => r.id);
}

const only = (p: Poller, ids: string[]) => p.ids().filter((id) => ids.includes(id));

beforeAll(async () => {
	db = await createTestDatabase('task_feed');
	await seedSmallDistrict(db.config());
	[{ id: staffId }] = await db.query<{ id: number }>(`INSERT INTO grid.staff (name, unit_id) SELECT '网格员', id FROM grid.grid_unit WHERE code = '370614' RETURNING id::int`);
});

afterAll(async () => {
	await closeAllPools();
	await db.drop();
});

describe('the task stream', () => {
	it('delivers new, completed and overdue tasks once each, in order, starting from now', async () => {
		const before = await done(B1);
		const p = await started({ tasks: { topics: TASK_TOPICS } });

		const a = await done(B1);
		const back = await late(B1);
		const escalating = await late(B2);
		await act((uow) => expireOverdue(uow, { within: { code: B1 } }));
		await act((uow) => expireOverdue(uow, { within: { code: B2 }, maxAttempts: 1 }));
		const want = await taskEventIds([a, back, escalating]);
		expect(want).toHaveLength(6); // 3 created, 1 completed, 1 expired, 1 escalated
		await p.pollUntil(want);

		expect(p.ids()).toEqual(want);
		expect(p.delivered.map((e) => e.eventId)).not.toContain((await taskEventIds([before]))[0]);
		const of = (taskId: number, event: string) => p.delivered.find((e) => 'taskId' in e && e.taskId === taskId && e.event === event)!;
		expect(of(a, 'created')).toMatchObject({ trigger: 'task.created', toStatus: 'open' });
		expect(of(a, 'completed')).toMatchObject({
			trigger: 'task.completed', fromStatus: 'in_progress', toStatus: 'done',
			task: { id: a, status: 'done', unitCode: B1, title: `代办 ${B1}` },
			actor: { node: 'test', workflowId: 'wf-test' },
		});
		expect(of(a, 'completed').label).toContain(`代办 ${B1}`);
		expect(of(back, 'expired')).toMatchObject({
			trigger: 'task.overdue', fromStatus: 'assigned', toStatus: 'open', task: { id: back, status: 'open', attempts: 1 },
			details: { attempts: 1, dueAt: expect.any(String) },
		});
		expect(of(back, 'expired').label).toMatch(/due .*Assigned.*→.*Open/);
		const esc = of(escalating, 'escalated');
		expect(esc).toMatchObject({ trigger: 'task.overdue', toStatus: 'cancelled', details: { incidentReference: expect.any(String) } });
		expect(esc.label).toContain(String(esc.details.incidentReference));
		expect(p.delivered.every((e) => /^task:\d+$/.test(e.eventId))).toBe(true);
	});

	it('delivers only the selected kinds', async () => {
		const p = await started({ tasks: { topics: ['task.completed'] } });
		const a = await done(B1);
		const want = await taskEventIds([a], ['completed']);
		await p.pollUntil(want);
		expect(only(p, await taskEventIds([a]))).toEqual(want);
		const latest = await act((uow) => latestTaskEvents(uow, { topics: ['task.overdue'] }, 50));
		expect(latest.events.length).toBeGreaterThan(0);
		expect(latest.events.every((e) => e.event === 'expired' || e.event === 'escalated')).toBe(true);
	});

	it('never skips an entry whose transaction commits after one with a higher id', async () => {
		const filter: TaskFeedFilter = { topics: ['task.completed'] };
		const start = await act((uow) => startTaskFeed(uow, filter));
		const early = await task(B1);
		// a transaction takes an event id now and commits later
		const slow = new Client({ connectionString: db.url });
		await slow.connect();
		try {
			await slow.query('BEGIN');
			const [{ id: slowId }] = (await slow.query<{ id: string }>(
				`INSERT INTO grid.task_event (task_id, unit_id, kind) SELECT id, unit_id, 'completed' FROM grid.task WHERE id = $1 RETURNING id::text`, [early])).rows;
			const fast = await done(B1);
			const [fastId] = await taskEventIds([fast], ['completed']);
			expect(Number(fastId.slice(5))).toBeGreaterThan(Number(slowId));
			// the fast one has committed, but the slow transaction below it holds the boundary
			const first = await act((uow) => readTaskFeed(uow, filter, start, 100));
			expect(first.events).toEqual([]);
			await slow.query('COMMIT');
			let cursor = first.cursor;
			const got: string[] = [];
			for (let i = 0; i < 200 && !got.includes(fastId); i++) {
				const page = await act((uow) => readTaskFeed(uow, filter, { cursor }, 100));
				got.push(...page.events.map((e) => e.eventId));
				cursor = page.cursor;
				if (!got.includes(fastId)) await sleep(100);
			}
			expect(got).toEqual([`task:${slowId}`, fastId]);
		} finally {
			await slow.end();
		}
	});
});

describe('both streams in one poll', () => {
	it('merges incident and task events in commit order, including one transaction writing both', async () => {
		const p = await started({ incidents: { topics: ['incident.created'] }, tasks: { topics: TASK_TOPICS } });
		const i1 = await incident(B1);
		const t1 = await done(B1);
		const i2 = await incident(B1);
		const esc = await late(B3);
		// escalating writes the incident's 'created' and the task's 'escalated' in one transaction
		const r = await act((uow) => expireOverdue(uow, { within: { code: B3 }, maxAttempts: 1 }));
		const escIncident = r.tasks[0].incidentId!;
		const want = await mergedOrder({ incidents: [i1.id, i2.id, escIncident], tasks: [t1, esc] });
		expect(want).toHaveLength(3 + 2 + 2);
		await p.pollUntil(want);
		expect(only(p, want)).toEqual(want);
		expect(p.ids()).toEqual(want);
		const pair = p.delivered.slice(-2);
		expect(pair.map((e) => e.trigger)).toEqual(['incident.created', 'task.overdue']);
		// incident events keep their plain ids; task ids are prefixed and never collide
		expect(p.delivered.filter((e) => e.trigger.startsWith('incident.')).every((e) => /^\d+$/.test(e.eventId))).toBe(true);
		expect(new Set(p.ids()).size).toBe(p.ids().length);
		expect(p.state.incidents?.cursor).toBeDefined();
		expect(p.state.tasks?.cursor).toBeDefined();
	});

	it('spreads a mixed backlog over limited polls in the same order, none lost or repeated', async () => {
		const whole = await started({ incidents: { topics: ['incident.created'] }, tasks: { topics: TASK_TOPICS } });
		const paged = new Poller(whole.filters, { limit: 2, state: whole.state });
		const incidents: number[] = [];
		const tasks: number[] = [];
		for (let k = 0; k < 4; k++) {
			incidents.push((await incident(k % 2 ? B1 : B2)).id);
			tasks.push(await done(k % 2 ? B2 : B1));
		}
		const want = await mergedOrder({ incidents, tasks });
		expect(want).toHaveLength(4 + 8);
		await whole.pollUntil(want);
		await paged.pollUntil(want);
		expect(only(whole, want)).toEqual(want);
		expect(only(paged, want)).toEqual(want);
		expect(paged.pages.every((page) => page.length <= 2)).toBe(true);
		expect(new Set(paged.ids()).size).toBe(paged.ids().length);
	});

	it('a stored incident cursor from before task events carries on, and the task stream starts from now', async () => {
		const p = await started({ incidents: { topics: ['incident.created'] } });
		// what an activated workflow stored before task events: the incident cursor only
		const stored: State = { incidents: p.state.incidents };
		expect(stored.incidents).toBeDefined();
		const missed = await incident(B1);
		const oldTask = await done(B1);
		const resumed = await started({ incidents: { topics: ['incident.created'] }, tasks: { topics: ['task.completed'] } }, { state: stored });
		const newTask = await done(B1);
		const want = await mergedOrder({ incidents: [missed.id], tasks: [newTask] }, ['completed']);
		expect(want).toHaveLength(2);
		await resumed.pollUntil(want);
		const [oldId] = await taskEventIds([oldTask], ['completed']);
		expect(only(resumed, [...want, oldId])).toEqual(want);
	});

	it('for trying out, returns the latest matching events of both streams, merged, oldest first', async () => {
		const i = await incident(B1);
		const t = await done(B1);
		const sample = await act((uow) => latestOfStreams(uow, { incidents: { topics: ['incident.created'] }, tasks: { topics: ['task.completed'] } }, 2));
		expect(sample.map((e) => e.eventId)).toEqual(await mergedOrder({ incidents: [i.id], tasks: [t] }, ['completed']));
	});
});

describe('filters', () => {
	it('keeps to a subtree by the task unit\'s path', async () => {
		const p = await started({ tasks: { topics: ['task.completed'], within: { code: '370614-001-001' } } });
		const inside = await done(B3);
		const otherCommunity = await done(B2);
		const otherStreet = await done(B_OTHER);
		const want = await taskEventIds([inside], ['completed']);
		await p.pollUntil(want);
		expect(p.ids()).toEqual(want);
		expect(p.ids()).not.toContain((await taskEventIds([otherCommunity], ['completed']))[0]);
		expect(p.ids()).not.toContain((await taskEventIds([otherStreet], ['completed']))[0]);
	});

	it('reads only inside the credential\'s scope', async () => {
		const scoped = () => db.config({ scopeCode: '370614-001' });
		const p = await started({ incidents: { topics: ['incident.created'] }, tasks: { topics: ['task.completed'] } }, { config: scoped });
		const mine = await done(B1);
		const other = await done(B_OTHER);
		const inc = await incident(B_OTHER);
		const want = await taskEventIds([mine], ['completed']);
		await p.pollUntil(want);
		expect(p.ids()).toEqual(want);
		expect(p.ids()).not.toContain((await taskEventIds([other], ['completed']))[0]);
		expect(p.delivered.every((e) => 'task' in e && e.task?.unitCode.startsWith('370614-001'))).toBe(true);
		const sample = await act((uow) => latestOfStreams(uow, { incidents: { topics: ['incident.created'] }, tasks: { topics: ['task.completed'] } }, 100), scoped());
		expect(sample.some((e) => 'taskId' in e && e.taskId === other)).toBe(false);
		expect(sample.some((e) => 'incidentId' in e && e.incidentId === inc.id)).toBe(false);
		await expect(act((uow) => readTaskFeed(uow, { topics: ['task.completed'], within: { code: '370614-002' } }, { cursor: { tx: '0', id: '0' } }, 10), scoped()))
			.rejects.toThrow(/outside this credential's scope/);
	});

	it('rejects an empty selection and an unknown event', async () => {
		await expect(act((uow) => latestTaskEvents(uow, { topics: [] }))).rejects.toThrow(/at least one event/);
		await expect(act((uow) => latestTaskEvents(uow, { topics: ['task.exploded' as never] }))).rejects.toThrow(/Unknown event/);
	});
});
