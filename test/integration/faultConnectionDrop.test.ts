/**
 * Fault: the connection of a dispatch transaction drops (pg_terminate_backend from an admin session)
 * while the transaction is in flight, at two known points: after the tasks are locked but before any
 * volunteer's load is raised, and after the loads are raised but before the tasks are marked
 * assigned. The point is reached deterministically: an admin transaction holds a table lock the
 * dispatch's next statement needs, and the backend waiting for it is the one terminated.
 * Afterwards SQL must show no half-assigned task, every load counter equal to the count of the tasks
 * that load it, and the next dispatch run (same process, same pool) assigning correctly.
 */
import type { INode } from 'n8n-workflow';
import { translateDbError } from '../../nodes/shared/db/errors';
import { APPLICATION_NAME, closeAllPools } from '../../nodes/shared/db/pool';
import { toNodeError } from '../../nodes/shared/n8n/errors';
import { dispatchTasks } from '../../nodes/shared/domain/volunteer/dispatch';
import { type RawVolunteer, checkVolunteer } from '../../nodes/shared/domain/volunteer/volunteerInput';
import { saveVolunteers } from '../../nodes/shared/domain/volunteer/volunteers';
import { LOADED_STATUSES } from '../../nodes/shared/domain/task/vocabulary';
import { DEFAULT_SEGMENT_WIDTHS } from '../../nodes/shared/validation/gridCode';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { holdTableLock, sqlOnce } from '../helpers/faultPg';
import { run, seedSmallDistrict } from '../helpers/uow';

const B1 = '370614-001-001-001-0001';
const B2 = '370614-001-001-001-0002';
const G2B1 = '370614-001-001-002-0001';
const WITHIN = { within: { code: '370614-001' } };

let db: TestDatabase;

async function addVolunteers(raws: RawVolunteer[]): Promise<number[]> {
	const outcomes = await run(db.config(), (uow) => saveVolunteers(uow, raws.map((r) => checkVolunteer(r, { widths: DEFAULT_SEGMENT_WIDTHS, allowCustomSkills: true })), { mode: 'create' }));
	return outcomes.map((o) => {
		if (!o.ok || Array.isArray(o.value)) throw new Error(o.ok ? 'no value' : o.error.message);
		return o.value.id;
	});
}

async function addTasks(units: string[], label: string): Promise<number[]> {
	const rows = await db.query<{ id: string }>(
		`INSERT INTO grid.task (kind, title, unit_id, required_skills)
		SELECT 'errand', $2 || t.ord, u.id, '{delivery}' FROM unnest($1::text[]) WITH ORDINALITY AS t(code, ord)
		JOIN grid.grid_unit u ON u.code = t.code RETURNING id`, [units, label]);
	return rows.map((r) => Number(r.id));
}

/** Everything that must agree after any fault: task status vs assignee vs timeline, loads vs tasks. */
async function consistency() {
	const [row] = await db.query<Record<string, number>>(`SELECT
		(SELECT count(*)::int FROM grid.task WHERE (status = 'open') <> (assignee_volunteer_id IS NULL)) AS half_assigned,
		(SELECT count(*)::int FROM grid.task t WHERE t.status = 'assigned'
			AND (SELECT count(*) FROM grid.task_event e WHERE e.task_id = t.id AND e.kind = 'assigned') <> 1) AS assigned_without_one_event,
		(SELECT count(*)::int FROM grid.task t WHERE t.status = 'open'
			AND EXISTS (SELECT 1 FROM grid.task_event e WHERE e.task_id = t.id AND e.kind = 'assigned')) AS open_with_assigned_event,
		(SELECT count(*)::int FROM grid.volunteer v WHERE v.current_load <> (SELECT count(*) FROM grid.task t
			WHERE t.assignee_volunteer_id = v.id AND t.status = ANY($1::text[]))) AS loads_out_of_step,
		(SELECT count(*)::int FROM grid.volunteer v WHERE v.current_load > v.max_tasks OR v.current_load < 0) AS loads_out_of_range`,
	[[...LOADED_STATUSES]]);
	return row;
}

const CONSISTENT = { half_assigned: 0, assigned_without_one_event: 0, open_with_assigned_event: 0, loads_out_of_step: 0, loads_out_of_range: 0 };

const assignedCount = async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.task WHERE status = 'assigned'`))[0].n;

beforeAll(async () => {
	db = await createTestDatabase('fault_drop');
	await seedSmallDistrict(db.config());
});

afterAll(async () => {
	await closeAllPools();
	await db?.drop();
});

beforeEach(async () => {
	await db.query(`TRUNCATE grid.task_event, grid.task_decline, grid.team_member, grid.task, grid.team, grid.volunteer CASCADE`);
});

it.each([
	['the tasks are locked, before any load is raised', 'grid.volunteer'],
	['the loads are raised, before the tasks are marked assigned', 'grid.task_event'],
])('a connection dropped after %s leaves no trace, and the next run assigns correctly', async (_point, table) => {
	const volunteers = await addVolunteers([
		{ name: '甲', unitCode: B1, skills: 'delivery', maxTasks: 3 },
		{ name: '乙', unitCode: B2, skills: 'delivery', maxTasks: 3 },
		{ name: '丙', unitCode: G2B1, skills: 'delivery', maxTasks: 4 },
	]);
	// loads that exist before the fault: a first run that completes
	await addTasks([B1, B2, G2B1], 'earlier');
	expect((await run(db.config(), (uow) => dispatchTasks(uow, WITHIN))).filter((o) => o.result === 'assigned')).toHaveLength(3);
	const loadsBefore = await db.query<{ id: string; current_load: number }>(`SELECT id, current_load FROM grid.volunteer ORDER BY id`);
	expect(loadsBefore.map((v) => v.current_load)).toEqual([1, 1, 1]);

	const pending = await addTasks([B1, B1, B2, B2, G2B1, G2B1, G2B1], 'pending');
	const lock = await holdTableLock(db.url, table, APPLICATION_NAME);
	let failure: Promise<unknown> = Promise.resolve(undefined);
	try {
		// settled into a value at once: the rejection is the expected outcome, not an unhandled one
		failure = run(db.config(), (uow) => dispatchTasks(uow, WITHIN)).then(() => undefined, (error: unknown) => error);
		const [pid] = await lock.waiters(1);
		// the waiting backend is inside its transaction, holding every pending task's row lock
		const [activity] = await sqlOnce<{ in_tx: boolean }>(db.url, `SELECT xact_start IS NOT NULL AS in_tx FROM pg_stat_activity WHERE pid = $1`, [pid]);
		expect(activity.in_tx).toBe(true);
		const [free] = await sqlOnce<{ n: number }>(db.url, `SELECT count(*)::int AS n FROM (SELECT id FROM grid.task WHERE status = 'open' FOR UPDATE SKIP LOCKED) t`);
		expect(free.n).toBe(0);
		const [{ terminated }] = await sqlOnce<{ terminated: boolean }>(db.url, `SELECT pg_terminate_backend($1) AS terminated`, [pid]);
		expect(terminated).toBe(true);
		const error = await failure;
		expect(error).toBeInstanceOf(Error);
		// translated: names the server and says what became of the work
		expect((error as Error).message).toMatch(/PostgreSQL at 127\.0\.0\.1:\d+ .*the work was not committed/);
	} finally {
		await lock.release();
		await failure;
	}

	expect(await consistency()).toEqual(CONSISTENT);
	expect(await db.query(`SELECT id, current_load FROM grid.volunteer ORDER BY id`)).toEqual(loadsBefore);
	expect(await assignedCount()).toBe(3);
	const [{ open }] = await db.query<{ open: number }>(`SELECT count(*)::int AS open FROM grid.task WHERE id = ANY($1::bigint[]) AND status = 'open'`, [pending]);
	expect(open).toBe(pending.length);

	// the next run, in the same process and pool, assigns every pending task: capacity left is 2 + 2 + 3
	const next = await run(db.config(), (uow) => dispatchTasks(uow, WITHIN));
	expect(next.filter((o) => o.result === 'assigned').map((o) => o.taskId).sort((a, b) => a - b)).toEqual(pending);
	expect(await consistency()).toEqual(CONSISTENT);
	const loads = await db.query<{ id: string; current_load: number; max_tasks: number }>(`SELECT id, current_load, max_tasks FROM grid.volunteer ORDER BY id`);
	expect(loads.map((v) => Number(v.id))).toEqual(volunteers);
	expect(loads.map((v) => v.current_load)).toEqual(loads.map((v) => v.max_tasks));
	expect(await assignedCount()).toBe(3 + pending.length);
});

describe('what the user reads when the connection is lost', () => {
	const config = { host: 'db.example', port: 6543, database: 'gov', user: 'alice' };
	const node = { id: 'n', name: 'Dispatch', type: 'n8n-nodes-grid-governance.volunteer', typeVersion: 1, position: [0, 0], parameters: {} } as INode;
	// the errors pg and knex raise for a connection lost in each phase, as the faults above produced them
	it.each([
		['a session ended under a query', { message: 'ROLLBACK - Connection terminated unexpectedly' }, /^Lost the connection to PostgreSQL at db\.example:6543 .*the work was not committed$/],
		['a session ended by the server', { code: '57P01', message: 'terminating connection due to administrator command' }, /^PostgreSQL at db\.example:6543 ended the session .*the work was not committed$/],
		['a reset socket', { code: 'ECONNRESET', message: 'read ECONNRESET' }, /^Lost or could not open the connection to PostgreSQL at db\.example:6543 \(connection reset\)$/],
		['a timeout', { code: 'ETIMEDOUT', message: 'connect ETIMEDOUT' }, /^Lost or could not open the connection to PostgreSQL at db\.example:6543 \(timed out\)$/],
		['a loss during COMMIT', { message: 'COMMIT; - Connection terminated unexpectedly' }, /^Lost the connection to PostgreSQL at db\.example:6543 while committing: the work may or may not have been saved$/],
		['a reset during COMMIT', { code: 'ECONNRESET', message: 'COMMIT; - read ECONNRESET' }, /while committing: the work may or may not have been saved$/],
	])('%s: names the server and the fate of the work, through n8n\'s error wrapping', (_what, raw, message) => {
		const translated = translateDbError(Object.assign(new Error(raw.message), raw), config);
		expect(translated.message).toMatch(message);
		// n8n rewrites messages that mention ECONNRESET, ETIMEDOUT, …; ours must come through unchanged
		expect(toNodeError(node, translated).message).toBe(translated.message);
	});
});
