/**
 * The Grid Trigger as n8n runs it: the BUILT node loaded from dist/, the workflow activated by
 * n8n-core's ActiveWorkflows (first poll on activation, cron ticks fired by the test), each emit
 * saving static data and starting an execution that passes the items on, as the n8n server does;
 * manual test runs through WorkflowExecute. Real PostgreSQL; incidents come from a small SQL fixture.
 */
import path from 'path';
import { Client } from 'pg';
import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';
import { closeAllPools } from '../../nodes/shared/db/pool';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { type N8nHarness, type WorkflowJson, getHarness, gridCredentials, loadWorkflowFile } from '../helpers/n8nHarness';
import { type ActivePolling, activatePolling } from '../helpers/pollHarness';
import type { UnitOfWork } from '../../nodes/shared/domain/context';
import { expireOverdue } from '../../nodes/shared/domain/task/expiry';
import { assignTask, completeTask, startTask } from '../../nodes/shared/domain/task/lifecycle';
import { createTasks } from '../../nodes/shared/domain/task/tasks';
import { run, seedSmallDistrict } from '../helpers/uow';

const S1_B = '370614-001-001-001-0001';
const S1_B2 = '370614-001-002-002-0002';
const S2_B = '370614-002-001-001-0001';
const TRIGGER = 'Grid Trigger';

const fixture = loadWorkflowFile(path.join(__dirname, 'fixtures', 'grid-trigger.json'));

let harness: N8nHarness;
let db: TestDatabase;
let credentials: { gridGovernancePostgres: ReturnType<typeof gridCredentials> };
const active: ActivePolling[] = [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function withTrigger(parameters: IDataObject): WorkflowJson {
	const copy = structuredClone(fixture);
	const node = copy.nodes.find((n) => n.name === TRIGGER)!;
	node.parameters = { ...node.parameters, ...parameters } as INodeParameters;
	return copy;
}

async function activate(workflow: WorkflowJson, options: Partial<Parameters<typeof activatePolling>[2]> = {}) {
	const a = await activatePolling(harness, workflow, { credentials, ...options });
	active.push(a);
	return a;
}

// ---------------------------------------------------------------- fixture (admin SQL)

let refNo = 0;
interface Made { id: number; reference: string; eventId: string }

async function incident(unit: string, risk: string, o: { status?: string; dueMinutes?: number } = {}): Promise<Made> {
	const reference = `WFT-${String(++refNo).padStart(5, '0')}`;
	const status = o.status ?? 'new';
	const [row] = await db.query<{ id: number; event_id: string }>(
		`WITH u AS (SELECT id FROM grid.grid_unit WHERE code = $1),
		i AS (
			INSERT INTO grid.incident (reference, source, category, description, unit_id, handling_unit_id, risk_level, status, due_at)
			SELECT $2, 'hotline', 'public_safety', '独居老人家中燃气报警', u.id, u.id, $3, $4, now() + make_interval(mins => $5::int) FROM u
			RETURNING id, unit_id
		)
		INSERT INTO grid.incident_event (incident_id, unit_id, kind, to_status, details)
		SELECT i.id, i.unit_id, 'created', $4, jsonb_build_object('riskLevel', $3::text, 'category', 'public_safety', 'reference', $2::text) FROM i
		RETURNING incident_id AS id, id::text AS event_id`,
		[unit, reference, risk, status, o.dueMinutes ?? 24 * 60]);
	return { id: Number(row.id), reference, eventId: row.event_id };
}

async function escalate(inc: Made): Promise<string> {
	const [row] = await db.query<{ id: string }>(
		`INSERT INTO grid.incident_event (incident_id, unit_id, kind, note) SELECT id, unit_id, 'escalated', '上报街道' FROM grid.incident WHERE id = $1 RETURNING id::text AS id`,
		[inc.id]);
	return row.id;
}

async function settled(eventIds: string[]) {
	for (let i = 0; i < 200; i++) {
		const [row] = await db.query<{ ok: boolean }>(
			`SELECT bool_and(tx < pg_snapshot_xmin(pg_current_snapshot())) AS ok FROM grid.incident_event WHERE id = ANY($1::bigint[])`, [eventIds]);
		if (row.ok) return;
		await sleep(100);
	}
	throw new Error('events did not settle');
}

async function inTxOrder(eventIds: string[]): Promise<string[]> {
	const rows = await db.query<{ id: string }>(`SELECT id::text AS id FROM grid.incident_event WHERE id = ANY($1::bigint[]) ORDER BY tx, id`, [eventIds]);
	return rows.map((r) => r.id);
}

/** Items that reached Notify over all executions of an activation. */
function notified(a: ActivePolling): INodeExecutionData[] {
	return a.executions.flatMap((e) => e.output('Notify'));
}
const ids = (items: INodeExecutionData[]) => items.map((i) => String(i.json.eventId));

/** Ticks until the predicate holds (other test files' open transactions may hold events back a moment). */
async function tickUntil(a: ActivePolling, done: () => boolean, tries = 100) {
	for (let i = 0; i < tries && !done(); i++) {
		await a.tick();
		if (!done()) await sleep(100);
	}
	expect(done()).toBe(true);
}

beforeAll(async () => {
	db = await createTestDatabase('wf_trigger');
	harness = await getHarness();
	credentials = { gridGovernancePostgres: gridCredentials(db.config()) };
	await seedSmallDistrict(db.config());
});

afterAll(async () => {
	for (const a of active) await a.deactivate().catch(() => undefined);
	await harness?.closeGridPools();
	await closeAllPools(); // the seed ran through the source modules
	await db?.drop();
});

describe('an active Grid Trigger workflow', () => {
	let wf: ActivePolling;
	let earlier: Made;

	it('activates without delivering what happened before', async () => {
		earlier = await incident(S1_B, 'critical');
		await settled([earlier.eventId]);
		wf = await activate(fixture);
		expect(wf.errors).toEqual([]);
		expect(wf.executions).toEqual([]);
		// the cursor lives in the node's static data; nothing was emitted, so nothing was saved yet
		expect(wf.workflow.staticData[`node:${TRIGGER}`]).toMatchObject({ cursor: { tx: expect.stringMatching(/^\d+$/), id: '0' } });
		expect(wf.saved).toEqual({});
	});

	it('delivers new high-risk incidents, escalations and SLA breaches of its subtree, once each, in commit order', async () => {
		const high = await incident(S1_B, 'high');
		const low = await incident(S1_B2, 'low');
		const outside = await incident(S2_B, 'critical');
		const escalated = await escalate(low);
		await escalate(outside);
		const late = await incident(S1_B2, 'medium', { status: 'in_progress', dueMinutes: -15 });
		await incident(S2_B, 'medium', { status: 'in_progress', dueMinutes: -15 });

		await tickUntil(wf, () => notified(wf).some((i) => i.json.event === 'sla_breached'));
		await wf.tick();
		const [breach] = await db.query<{ id: string; actor: IDataObject }>(
			`SELECT id::text AS id, actor FROM grid.incident_event WHERE incident_id = $1 AND kind = 'sla_breached'`, [late.id]);
		const expected = await inTxOrder([high.eventId, escalated, breach.id]);
		expect(ids(notified(wf))).toEqual(expected);
		expect(wf.errors).toEqual([]);

		const byEvent = Object.fromEntries(notified(wf).map((i) => [i.json.event as string, i.json]));
		expect(byEvent.created).toMatchObject({
			trigger: 'incident.created', incidentId: high.id, reference: high.reference,
			incident: { reference: high.reference, riskLevel: 'high', unitCode: S1_B, status: 'new' },
		});
		expect(byEvent.escalated).toMatchObject({ trigger: 'incident.escalated', incidentId: low.id, note: '上报街道' });
		expect(byEvent.sla_breached).toMatchObject({ trigger: 'incident.slaBreached', incidentId: late.id, incident: { overdue: true } });
		// the breach entry was written by the trigger itself, under its node name
		expect(breach.actor).toMatchObject({ node: TRIGGER, workflowId: wf.workflow.id });
		// emitting saved the cursor, as n8n stores static data when a poll hands items on
		expect((wf.saved[`node:${TRIGGER}`] as IDataObject).cursor).toBeDefined();
	});

	it('delivers nothing more when nothing new happened', async () => {
		const before = wf.executions.length;
		for (let i = 0; i < 3; i++) await wf.tick();
		expect(wf.executions.length).toBe(before);
		const breaches = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.incident_event WHERE kind = 'sla_breached'`);
		expect(breaches[0].n).toBe(2); // one per late incident, whichever subtree: the watch notes, the filter selects
	});

	it('spreads a backlog over polls of at most Max Events Per Poll, and resumes after a restart without loss or repeat', async () => {
		await wf.deactivate();
		const start = wf.executions.length;
		const backlog: Made[] = [];
		for (let i = 0; i < 7; i++) backlog.push(await incident(i % 2 ? S1_B : S1_B2, i % 3 ? 'high' : 'critical'));
		await settled(backlog.map((b) => b.eventId));

		// n8n starts up again with what it had stored: the activation poll resumes at the saved cursor
		const restarted = await activate(fixture, { staticData: wf.saved, activation: 'init', workflowId: wf.workflow.id! });
		await tickUntil(restarted, () => notified(restarted).length >= backlog.length);
		await restarted.tick();
		expect(restarted.executions.map((e) => e.output('Notify').length).every((n) => n <= 3)).toBe(true);
		expect(restarted.executions.length).toBeGreaterThanOrEqual(3);
		expect(ids(notified(restarted))).toEqual(await inTxOrder(backlog.map((b) => b.eventId)));
		expect(wf.executions.length).toBe(start);
	});
});

describe('a manual test run', () => {
	it('shows the latest matching events without touching an active cursor', async () => {
		const wf = await activate(withTrigger({ events: ['incident.created'], minRisk: 'low', withinUnit: { __rl: true, mode: 'list', value: '' } }));
		const cursorBefore = JSON.parse(JSON.stringify(wf.workflow.staticData[`node:${TRIGGER}`])) as IDataObject;
		const result = await harness.runWorkflow(withTrigger({ events: ['incident.created'], minRisk: 'critical' }), { credentials, mode: 'manual' });
		expect(result.error).toBeUndefined();
		const out = result.output('Notify');
		const critical = await db.query<{ id: string }>(
			`SELECT e.id::text AS id FROM grid.incident_event e JOIN grid.incident i ON i.id = e.incident_id JOIN grid.grid_unit u ON u.id = e.unit_id
			WHERE e.kind = 'created' AND i.risk_level = 'critical' AND u.code LIKE '370614-001-%' ORDER BY e.tx, e.id`);
		expect(critical.length).toBeGreaterThan(0);
		expect(ids(out)).toEqual(critical.slice(-10).map((r) => r.id));
		expect(out.every((i) => (i.json.incident as IDataObject).riskLevel === 'critical')).toBe(true);
		expect(wf.workflow.staticData[`node:${TRIGGER}`]).toEqual(cursorBefore);
	});
});

describe('credential scope and parameter errors', () => {
	it('reads only the scope of a scoped credential', async () => {
		const scoped = { gridGovernancePostgres: gridCredentials(db.config({ scopeCode: '370614-002' })) };
		const wf = await activate(withTrigger({ events: ['incident.created'], minRisk: 'low', withinUnit: { __rl: true, mode: 'list', value: '' } }), { credentials: scoped });
		const inside = await incident(S2_B, 'low');
		const outside = await incident(S1_B, 'low');
		await tickUntil(wf, () => ids(notified(wf)).includes(inside.eventId));
		await wf.tick();
		expect(ids(notified(wf))).toContain(inside.eventId);
		expect(ids(notified(wf))).not.toContain(outside.eventId);
		expect(notified(wf).every((i) => String((i.json.incident as IDataObject).unitCode).startsWith('370614-002'))).toBe(true);
	});

	it('refuses to activate with a Within Unit outside the scope, or with no events', async () => {
		const scoped = { gridGovernancePostgres: gridCredentials(db.config({ scopeCode: '370614-002' })) };
		await expect(activatePolling(harness, fixture, { credentials: scoped }))
			.rejects.toThrow(/unknown grid unit 370614-001 \(or it lies outside this credential's scope 370614-002\)/);
		await expect(activatePolling(harness, withTrigger({ events: [] }), { credentials }))
			.rejects.toThrow(/Select at least one event/);
		await expect(activatePolling(harness, withTrigger({ withinUnit: { __rl: true, mode: 'code', value: '370614-01' } }), { credentials }))
			.rejects.toThrow(/Within Unit/);
	});
});

describe('task events', () => {
	const TASK_EVENTS = { events: ['incident.created', 'task.completed', 'task.overdue'], minRisk: 'low' };
	let staffId = 0;
	const act = <T>(fn: (uow: UnitOfWork) => Promise<T>) => run(db.config(), fn);

	async function task(unit: string, dueAt?: Date): Promise<number> {
		const [o] = await act((uow) => createTasks(uow, [{ kind: 'errand', unit: { code: unit }, title: '代买药品', ...(dueAt ? { dueAt } : {}) }]));
		if (!o.ok) throw o.error;
		return (o.value as { id: number }).id;
	}

	async function done(unit: string): Promise<number> {
		const id = await task(unit);
		await act(async (uow) => {
			await assignTask(uow, { task: { id }, to: { staff: { id: staffId } } });
			await startTask(uow, { task: { id } });
			await completeTask(uow, { task: { id }, outcome: { note: '已送达' } });
		});
		return id;
	}

	/** Event ids as the trigger names them, in commit-safe merged order (by transaction, incidents first, then id). */
	async function merged(incidentEventIds: string[], taskIds: number[], kinds = ['completed', 'expired', 'escalated']): Promise<string[]> {
		const rows = await db.query<{ id: string }>(
			`SELECT id FROM (
				SELECT id::text AS id, tx, 0 AS stream, id AS n FROM grid.incident_event WHERE id = ANY($1::bigint[])
				UNION ALL
				SELECT 'task:' || id, tx, 1, id FROM grid.task_event WHERE task_id = ANY($2::bigint[]) AND kind = ANY($3::text[])
			) x ORDER BY tx, stream, n`,
			[incidentEventIds, taskIds, kinds]);
		return rows.map((r) => r.id);
	}

	/** Waits until everything written so far lies below every snapshot's xmin. */
	async function settledAll() {
		for (let i = 0; i < 200; i++) {
			const [row] = await db.query<{ ok: boolean }>(
				`SELECT coalesce((SELECT max(tx) FROM grid.task_event) < pg_snapshot_xmin(pg_current_snapshot()), true)
					AND coalesce((SELECT max(tx) FROM grid.incident_event) < pg_snapshot_xmin(pg_current_snapshot()), true) AS ok`);
			if (row.ok) return;
			await sleep(100);
		}
		throw new Error('events did not settle');
	}

	beforeAll(async () => {
		[{ id: staffId }] = await db.query<{ id: number }>(`INSERT INTO grid.staff (name, unit_id) SELECT '网格员', id FROM grid.grid_unit WHERE code = '370614' RETURNING id::int`);
	});

	it('delivers incidents and completed and overdue tasks of its subtree in one flow, merged in commit order, each once', async () => {
		await settledAll();
		const wf = await activate(withTrigger(TASK_EVENTS));
		expect(wf.errors).toEqual([]);
		const inc = await incident(S1_B, 'low');
		const completed = await done(S1_B);
		const outside = await done(S2_B);
		const late = await task(S1_B2, new Date(Date.now() - 3_600_000));
		await act((uow) => assignTask(uow, { task: { id: late }, to: { staff: { id: staffId } } }));
		await act((uow) => expireOverdue(uow, { within: { code: S1_B2 } }));
		const want = await merged([inc.eventId], [completed, late]);
		expect(want).toHaveLength(3);

		await tickUntil(wf, () => want.every((id) => ids(notified(wf)).includes(id)));
		await wf.tick();
		const mine = ids(notified(wf)).filter((id) => want.includes(id));
		expect(mine).toEqual(want);
		expect(ids(notified(wf))).not.toContain((await merged([], [outside]))[0]);
		expect(wf.errors).toEqual([]);

		const item = (id: number, event: string) => notified(wf).find((i) => i.json.taskId === id && i.json.event === event)!.json;
		expect(item(completed, 'completed')).toMatchObject({
			trigger: 'task.completed', fromStatus: 'in_progress', toStatus: 'done', eventId: expect.stringMatching(/^task:\d+$/),
			task: { id: completed, title: '代买药品', status: 'done', unitCode: S1_B },
		});
		expect(item(late, 'expired')).toMatchObject({ trigger: 'task.overdue', toStatus: 'open', task: { id: late, status: 'open' } });
		const state = wf.saved[`node:${TRIGGER}`] as IDataObject;
		expect(state.cursor).toMatchObject({ tx: expect.stringMatching(/^\d+$/) });
		expect(state.taskCursor).toMatchObject({ tx: expect.stringMatching(/^\d+$/) });
		await wf.deactivate();
	});

	it('carries on from static data stored before task events (the incident cursor only) when task events are added', async () => {
		await settledAll();
		const before = await activate(fixture);
		const cursor = (before.workflow.staticData[`node:${TRIGGER}`] as IDataObject).cursor as IDataObject;
		await before.deactivate();
		// what an activated workflow of the previous version stored
		const stored: IDataObject = { [`node:${TRIGGER}`]: { cursor: { tx: cursor.tx, id: cursor.id } } };
		const missed = await incident(S1_B, 'low');
		const oldTask = await done(S1_B);
		await settledAll();

		const restarted = await activate(withTrigger(TASK_EVENTS), { staticData: stored, activation: 'init', workflowId: before.workflow.id! });
		const newTask = await done(S1_B);
		const want = await merged([missed.eventId], [newTask]);
		await tickUntil(restarted, () => want.every((id) => ids(notified(restarted)).includes(id)));
		await restarted.tick();
		expect(restarted.errors).toEqual([]);
		expect(ids(notified(restarted)).filter((id) => want.includes(id))).toEqual(want);
		// the task stream started at the restart: the task completed before it is not delivered
		expect(ids(notified(restarted))).not.toContain((await merged([], [oldTask]))[0]);
		const state = restarted.saved[`node:${TRIGGER}`] as IDataObject;
		expect(state.taskCursor).toBeDefined();
		expect(BigInt((state.cursor as IDataObject).tx as string)).toBeGreaterThan(BigInt(cursor.tx as string));
	});
});

describe('activated while a long transaction runs elsewhere', () => {
	it('leaves out what committed before the activation and delivers what that transaction commits later, also after a restart', async () => {
		const target = await incident(S1_B, 'high');
		await settled([target.eventId]);
		// a long report or import elsewhere: its open transaction holds every snapshot's xmin back
		const long = new Client({ connectionString: db.url });
		await long.connect();
		try {
			await long.query('BEGIN');
			const { rows: [pending] } = await long.query<{ id: string }>(
				`INSERT INTO grid.incident_event (incident_id, unit_id, kind, note) SELECT id, unit_id, 'escalated', '上报街道' FROM grid.incident WHERE id = $1 RETURNING id::text AS id`,
				[target.id]);
			const already = await incident(S1_B, 'critical'); // committed, but above the held-back xmin

			const wf = await activate(fixture);
			expect(wf.errors).toEqual([]);
			expect(wf.executions).toEqual([]);
			await wf.deactivate();
			// n8n stores static data on deactivation: the start snapshot goes with the cursor
			const state = wf.saved[`node:${TRIGGER}`] as IDataObject;
			expect(state.before).toEqual(expect.stringMatching(/^\d+:\d+:/));

			const restarted = await activate(fixture, { staticData: wf.saved, activation: 'init', workflowId: wf.workflow.id! });
			await long.query('COMMIT');
			const fresh = await incident(S1_B2, 'critical');
			await tickUntil(restarted, () => [pending.id, fresh.eventId].every((id) => ids(notified(restarted)).includes(id)));
			await restarted.tick();
			expect(ids(notified(restarted))).not.toContain(already.eventId);
			expect(ids(notified(restarted)).filter((id) => [pending.id, fresh.eventId].includes(id)).sort()).toEqual([pending.id, fresh.eventId].sort());
			await restarted.deactivate();
		} finally {
			await long.end();
		}
	});
});
