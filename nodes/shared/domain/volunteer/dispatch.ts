import { sql } from '../../db/sql';
import { inSavepoint } from '../../db/unitOfWork';
import { FieldError } from '../../validation/errors';
import type { UnitOfWork } from '../context';
import { loadUnit } from '../grid/unitLookup';
import { type UnitRef, subtreeBounds } from '../grid/unitRecord';
import type { TaskKind } from '../task/vocabulary';
import { type CompiledWindows, type DaySegment, type WeeklyWindow, compileWindows, covers, describeSegments, taskSegments } from './availability';

/** Which open tasks to dispatch: those of a subtree (optionally of some kinds), or the given ones. */
export interface DispatchInput {
	within?: UnitRef;
	kinds?: TaskKind[];
	taskIds?: number[];
	/** Look for volunteers in the whole scope, not only in the subtree. Always so for given task ids. */
	volunteersAnywhere?: boolean;
	/** Most tasks to take in this run (default 1,000). */
	limit?: number;
	/** Tasks locked and written per round trip (default 1,000). */
	chunkSize?: number;
}

export interface DispatchOutcome {
	taskId: number;
	title: string;
	kind: string;
	unitCode: string;
	priority: number;
	/** 'assigned' by this run, 'open' when no one fit, 'skipped' when not open or taken by another run. */
	result: 'assigned' | 'open' | 'skipped';
	volunteerId: number | null;
	volunteerName: string | null;
	volunteerNo: string | null;
	score: number | null;
	reasons: string[];
	/** Why the task is still open or was skipped. */
	reason: string | null;
}

/** Score parts: proximity by the deepest shared unit, team preference, fairness. */
export const SCORE = {
	proximity: { 5: 40, 4: 30, 3: 20, 2: 10, 1: 0 } as Record<number, number>,
	team: 15,
	fairness: 9,
};
const SHARED_NAMES: Record<number, string> = { 5: 'same building', 4: 'same grid', 3: 'same community', 2: 'same street', 1: 'same district' };

interface Vol {
	id: number;
	name: string;
	no: string | null;
	skills: Set<string>;
	windows: CompiledWindows;
	path: number[];
	max: number;
	load: number;
	/** ms of the last assignment, 0 when never assigned: the least recent goes first on a tie. */
	last: number;
	teams: Set<number>;
	/** Locked by another dispatch run at this moment. */
	busy: boolean;
	/** Row lock held by this transaction, with the load read under it. */
	held: boolean;
}

interface Task {
	id: number;
	title: string;
	kind: string;
	unitCode: string;
	priority: number;
	path: number[];
	skills: string[];
	skillKey: string;
	segments: DaySegment[] | null;
	team: number | null;
	declined: Set<number>;
}

interface Pick {
	v: number;
	score: number;
	shared: number;
	team: boolean;
	loadBefore: number;
}

const pathIds = (path: string) => path.split('/').filter(Boolean).map(Number);

/** The volunteer pool of one dispatch run, indexed by unit and skills for quick matching. */
class Pool {
	readonly vols: Vol[];
	private bySkill = new Map<string, { all: number[]; byUnit: Map<number, number[]> }>();
	private stamp: Int32Array;
	private turn = 0;
	private clock = Date.now();

	constructor(vols: Vol[]) {
		this.vols = vols;
		this.stamp = new Int32Array(vols.length);
	}

	/** Volunteers having all the skills, by every unit on their path (built once per set of skills). */
	index(t: Task) {
		let ix = this.bySkill.get(t.skillKey);
		if (!ix) {
			const all: number[] = [];
			const byUnit = new Map<number, number[]>();
			this.vols.forEach((v, k) => {
				if (!t.skills.every((s) => v.skills.has(s))) return;
				all.push(k);
				for (const u of v.path) {
					let list = byUnit.get(u);
					if (!list) byUnit.set(u, (list = []));
					list.push(k);
				}
			});
			ix = { all, byUnit };
			this.bySkill.set(t.skillKey, ix);
		}
		return ix;
	}

	/** After loads are refreshed or busy marks cleared, lists compacted of full volunteers are rebuilt. */
	reset() {
		this.bySkill.clear();
	}

	private fits(v: Vol, t: Task): boolean {
		return !v.busy && v.load < v.max && !t.declined.has(v.id) && (!t.segments || covers(v.windows, t.segments));
	}

	/** The best volunteer for a task: nearest first, then team, then the least loaded and least recently assigned. */
	best(t: Task): Pick | undefined {
		const { byUnit } = this.index(t);
		this.turn++;
		let best: Pick | undefined;
		let bestLast = 0;
		for (let depth = t.path.length; depth >= 1; depth--) {
			const list = byUnit.get(t.path[depth - 1]);
			if (list) {
				for (let j = 0; j < list.length; j++) {
					const k = list[j];
					if (this.stamp[k] === this.turn) continue;
					this.stamp[k] = this.turn;
					const v = this.vols[k];
					if (v.load >= v.max && !v.busy) {
						// full for the rest of this run: drop from the list
						list[j] = list[list.length - 1];
						list.pop();
						j--;
						continue;
					}
					if (!this.fits(v, t)) continue;
					const team = t.team !== null && v.teams.has(t.team);
					const score = SCORE.proximity[depth] + (team ? SCORE.team : 0) + Math.round(SCORE.fairness * (1 - v.load / v.max));
					if (!best || score > best.score || (score === best.score && (v.last < bestLast || (v.last === bestLast && v.id < this.vols[best.v].id)))) {
						best = { v: k, score, shared: depth, team, loadBefore: v.load };
						bestLast = v.last;
					}
				}
			}
			// nobody further away can beat what was found
			if (best && depth > 1 && best.score > SCORE.proximity[depth - 1] + SCORE.team + SCORE.fairness) break;
		}
		return best;
	}

	take(k: number) {
		const v = this.vols[k];
		v.load++;
		v.last = ++this.clock;
	}

	give(k: number) {
		this.vols[k].load--;
	}

	/** Whether a volunteer another run holds would fit the task. */
	blockedByBusy(t: Task): boolean {
		return this.index(t).all.some((k) => {
			const v = this.vols[k];
			return v.busy && v.load < v.max && !t.declined.has(v.id) && (!t.segments || covers(v.windows, t.segments));
		});
	}

	/** Why no volunteer fits a task, counting down the hard constraints. */
	why(t: Task, where: string, timezone: string): string {
		const { all } = this.index(t);
		const skills = t.skills.length ? ` with skills ${t.skills.join(', ')}` : '';
		if (!all.length) return `no active volunteer${skills} within ${where}`;
		const avail = t.segments ? all.filter((k) => covers(this.vols[k].windows, t.segments!)) : all;
		if (!avail.length) return `none of the ${all.length} active volunteers${skills} within ${where} is available ${describeSegments(t.segments!)} (${timezone})`;
		const willing = avail.filter((k) => !t.declined.has(this.vols[k].id));
		if (!willing.length) return `all ${avail.length} matching volunteers declined this task before`;
		const room = willing.filter((k) => this.vols[k].load < this.vols[k].max);
		if (!room.length) return `all ${willing.length} matching volunteers are at their maximum`;
		return `the ${room.length} matching volunteers with room are being assigned by another dispatch run; run again`;
	}
}

interface Planned {
	t: number;
	pick: Pick;
}

/**
 * Matches open tasks to volunteers and assigns them. Parallel runs are safe: tasks are locked with
 * FOR UPDATE SKIP LOCKED, so no two runs see the same task; volunteers are locked with SKIP LOCKED
 * before their loads are raised (never waiting, so no deadlocks), and the raise itself is one UPDATE
 * whose WHERE keeps every load within its maximum. Volunteers another run holds are tried again at the
 * end, waiting for them in id order. Writes are set-based: per chunk one volunteer UPDATE, one task
 * UPDATE with its timeline events.
 */
export async function dispatchTasks(uow: UnitOfWork, input: DispatchInput): Promise<DispatchOutcome[]> {
	const limit = input.limit ?? 1000;
	const chunkSize = Math.max(1, input.chunkSize ?? 1000);
	const byIds = !!input.taskIds;
	if (!byIds && !input.within) throw new FieldError('Within Unit', 'name the subtree whose open tasks to dispatch, or give task IDs');
	const root = input.within ? await loadUnit(uow, input.within, 'Within Unit') : undefined;
	const [lo, hi] = root ? subtreeBounds(root.path) : ['', ''];
	const anywhere = byIds || !!input.volunteersAnywhere;
	const where = anywhere ? (uow.scopeCode ? `the credential's scope ${uow.scopeCode}` : 'the whole grid') : root!.code;

	const out: DispatchOutcome[] = [];
	const outcome = (t: Task, result: DispatchOutcome['result'], reason: string | null): DispatchOutcome => ({
		taskId: t.id, title: t.title, kind: t.kind, unitCode: t.unitCode, priority: t.priority, result,
		volunteerId: null, volunteerName: null, volunteerNo: null, score: null, reasons: [], reason,
	});

	if (byIds) {
		const ids = [...new Set(input.taskIds)];
		const { rows } = await sql(uow, `SELECT id, status FROM task WHERE id = ANY(?::bigint[])`, [ids]);
		const found = new Map(rows.map((r: Record<string, any>) => [Number(r.id), r.status as string]));
		const missing = ids.filter((id) => !found.has(id));
		if (missing.length) throw new FieldError('Task IDs', `unknown task${missing.length > 1 ? 's' : ''} ${missing.slice(0, 10).join(', ')}${uow.scopeCode ? ` (or outside this credential's scope ${uow.scopeCode})` : ''}`);
	}

	// The pool: active volunteers of the subtree (or scope), their teams.
	const { rows: vrows } = await sql(uow,
		`SELECT v.id, v.name, v.volunteer_no, v.skills, v.availability, v.max_tasks, v.current_load, v.last_assigned_at, u.path,
			ARRAY(SELECT m.team_id FROM team_member m WHERE m.volunteer_id = v.id AND m.left_at IS NULL) AS teams
		FROM volunteer v JOIN grid_unit u ON u.id = v.unit_id
		WHERE v.active ${anywhere ? '' : 'AND u.path >= ? AND u.path < ?'} ORDER BY v.id`,
		anywhere ? [] : [lo, hi]);
	const pool = new Pool(vrows.map((r: Record<string, any>) => ({
		id: Number(r.id),
		name: r.name,
		no: r.volunteer_no,
		skills: new Set<string>(r.skills),
		windows: compileWindows(r.availability as WeeklyWindow[]),
		path: pathIds(r.path),
		max: r.max_tasks,
		load: r.current_load,
		last: r.last_assigned_at ? Date.parse(r.last_assigned_at) : 0,
		teams: new Set<number>((r.teams as number[]).map(Number)),
		busy: false,
		held: false,
	})));
	const volIndex = new Map(pool.vols.map((v, k) => [v.id, k]));
	const unitCodes = new Map<number, string>();

	const assigned = new Map<number, { task: Task; pick: Pick }>();
	const waiting: Task[] = [];
	let cursor: [number, string, number] | undefined;
	let taken = 0;

	for (;;) {
		const want = Math.min(chunkSize, limit - taken);
		if (want <= 0) break;
		// Lock the next open tasks; rows another run holds are skipped, so no task is dispatched twice.
		const { rows: trows } = await sql(uow,
			`SELECT t.id, t.title, t.kind, t.custom_kind, t.priority, t.required_skills, t.window_start, t.window_end, t.preferred_team_id,
				coalesce(t.due_at, 'infinity')::text AS due_key, u.code AS unit_code, u.path
			FROM task t JOIN grid_unit u ON u.id = t.unit_id
			WHERE t.status = 'open'
				${byIds ? 'AND t.id = ANY(?::bigint[])' : 'AND u.path >= ? AND u.path < ?'}
				${input.kinds?.length ? 'AND t.kind = ANY(?::text[])' : ''}
				${cursor ? `AND (-t.priority, coalesce(t.due_at, 'infinity'), t.id) > (?::int, ?::timestamptz, ?::bigint)` : ''}
			ORDER BY -t.priority, coalesce(t.due_at, 'infinity'), t.id
			LIMIT ? FOR UPDATE OF t SKIP LOCKED`,
			[...(byIds ? [input.taskIds] : [lo, hi]), ...(input.kinds?.length ? [input.kinds] : []), ...(cursor ?? []), want]);
		if (!trows.length) break;
		taken += trows.length;
		const last = trows[trows.length - 1];
		cursor = [-last.priority, last.due_key, Number(last.id)];
		const tasks: Task[] = trows.map((r: Record<string, any>) => {
			const skills = [...(r.required_skills as string[])].sort();
			return {
				id: Number(r.id),
				title: r.title,
				kind: r.custom_kind ? `custom:${r.custom_kind}` : r.kind,
				unitCode: r.unit_code,
				priority: r.priority,
				path: pathIds(r.path),
				skills,
				skillKey: skills.join(','),
				segments: r.window_start && r.window_end ? taskSegments(new Date(r.window_start), new Date(r.window_end), uow.timezone) : null,
				team: r.preferred_team_id === null ? null : Number(r.preferred_team_id),
				declined: new Set<number>(),
			};
		});
		const { rows: drows } = await sql(uow, `SELECT task_id, volunteer_id FROM task_decline WHERE task_id = ANY(?::bigint[])`, [tasks.map((t) => t.id)]);
		const byId = new Map(tasks.map((t) => [t.id, t]));
		for (const d of drows) byId.get(Number(d.task_id))!.declined.add(Number(d.volunteer_id));

		const left = await assignChunk(uow, pool, tasks, assigned);
		for (const t of tasks) {
			if (assigned.has(t.id)) continue;
			if (left.busyBlocked.has(t.id)) waiting.push(t);
			else out.push(outcome(t, 'open', pool.why(t, where, uow.timezone)));
		}
		for (const t of tasks) if (assigned.has(t.id)) out.push(outcome(t, 'assigned', null));
	}

	// Tasks whose fitting volunteers another run held: wait for those volunteers (in id order) and try
	// again. The wait runs in a savepoint: if two runs wait for each other, PostgreSQL ends one wait as
	// a deadlock, that run keeps everything else it did and leaves these tasks for the next run.
	if (waiting.length) {
		const busy = pool.vols.filter((v) => v.busy).map((v) => v.id).sort((a, b) => a - b);
		let rows: Array<Record<string, any>> = [];
		try {
			rows = await inSavepoint(uow, async (sp) => {
				await sql(sp, `SELECT set_config('lock_timeout', '10s', true)`);
				const r = await sql(sp, `SELECT id, current_load, max_tasks, active FROM volunteer WHERE id = ANY(?::bigint[]) ORDER BY id FOR UPDATE`, [busy]);
				await sql(sp, `SELECT set_config('lock_timeout', '0', true)`);
				return r.rows;
			});
		} catch (error) {
			const code = (error as { code?: string }).code;
			if (code !== '40P01' && code !== '55P03') throw error;
		}
		if (rows.length) {
			for (const r of rows) {
				const v = pool.vols[volIndex.get(Number(r.id))!];
				v.busy = false;
				v.held = true;
				v.max = r.max_tasks;
				v.load = r.active ? r.current_load : v.max;
			}
			pool.reset();
			await assignChunk(uow, pool, waiting, assigned);
		}
		for (const t of waiting) out.push(assigned.has(t.id) ? outcome(t, 'assigned', null) : outcome(t, 'open', pool.why(t, where, uow.timezone)));
	}

	if (byIds) {
		// given tasks that were not open, or that another run holds right now
		const seen = new Set(out.map((o) => o.taskId));
		const rest = [...new Set(input.taskIds)].filter((id) => !seen.has(id));
		if (rest.length) {
			const { rows } = await sql(uow, `SELECT t.id, t.title, t.kind, t.priority, t.status, u.code FROM task t JOIN grid_unit u ON u.id = t.unit_id WHERE t.id = ANY(?::bigint[]) ORDER BY t.id`, [rest]);
			for (const r of rows) {
				out.push({
					taskId: Number(r.id), title: r.title, kind: r.kind, unitCode: r.code, priority: r.priority, result: 'skipped',
					volunteerId: null, volunteerName: null, volunteerNo: null, score: null, reasons: [],
					reason: r.status === 'open' ? 'another dispatch run is assigning this task right now' : `the task is ${r.status}, not open`,
				});
			}
		}
	}

	// Names of the shared units for the reasons, in one query.
	const sharedIds = new Set<number>();
	for (const { task, pick } of assigned.values()) sharedIds.add(task.path[pick.shared - 1]);
	if (sharedIds.size) {
		const { rows } = await sql(uow, `SELECT id, code FROM grid_unit WHERE id = ANY(?::bigint[])`, [[...sharedIds]]);
		for (const r of rows) unitCodes.set(Number(r.id), r.code);
	}
	for (const o of out) {
		const a = assigned.get(o.taskId);
		if (!a || o.result !== 'assigned') continue;
		const v = pool.vols[a.pick.v];
		o.volunteerId = v.id;
		o.volunteerName = v.name;
		o.volunteerNo = v.no;
		o.score = a.pick.score;
		o.reasons = reasonsOf(a.task, a.pick, v, unitCodes);
	}
	return out;
}

function reasonsOf(t: Task, pick: Pick, v: Vol, unitCodes: Map<number, string>): string[] {
	const shared = t.path[pick.shared - 1];
	const reasons = [
		`${SHARED_NAMES[pick.shared]} ${unitCodes.get(shared) ?? `#${shared}`} (+${SCORE.proximity[pick.shared]})`,
		`load ${pick.loadBefore} of ${v.max} before this task (+${Math.round(SCORE.fairness * (1 - pick.loadBefore / v.max))})`,
	];
	if (pick.team) reasons.push(`member of the preferred team #${t.team} (+${SCORE.team})`);
	if (t.skills.length) reasons.push(`has skills ${t.skills.join(', ')}`);
	if (t.segments) reasons.push('available for the whole task window');
	return reasons;
}

/**
 * Plans and writes the assignments of one chunk of locked tasks. Rounds: plan greedily in memory;
 * lock the planned volunteers with SKIP LOCKED and read their loads under the lock; drop what no
 * longer fits; raise the loads and assign in a few statements; plan the rest again without the
 * volunteers another run holds.
 */
async function assignChunk(uow: UnitOfWork, pool: Pool, tasks: Task[], assigned: Map<number, { task: Task; pick: Pick }>) {
	let open = tasks;
	for (let round = 0; round < 6 && open.length; round++) {
		const plan: Planned[] = [];
		open.forEach((t, k) => {
			const pick = pool.best(t);
			if (!pick) return;
			pool.take(pick.v);
			plan.push({ t: k, pick });
		});
		if (!plan.length) break;
		// undo the in-memory loads: the locked read below decides
		for (const p of plan) pool.give(p.pick.v);

		const wanted = [...new Set(plan.map((p) => pool.vols[p.pick.v].id))].sort((a, b) => a - b);
		const fresh = wanted.filter((id) => !pool.vols[volIdx(pool, id)].held);
		if (fresh.length) {
			const { rows } = await sql(uow,
				`SELECT id, current_load, max_tasks, active FROM volunteer WHERE id = ANY(?::bigint[]) ORDER BY id FOR UPDATE SKIP LOCKED`, [fresh]);
			const got = new Set<number>();
			for (const r of rows) {
				const v = pool.vols[volIdx(pool, Number(r.id))];
				got.add(v.id);
				v.held = true;
				v.max = r.max_tasks;
				// a volunteer deactivated meanwhile counts as full
				v.load = r.active ? r.current_load : v.max;
			}
			for (const id of fresh) if (!got.has(id)) pool.vols[volIdx(pool, id)].busy = true;
		}

		// keep what fits under the locked loads, in plan order (highest priority first)
		const keep: Planned[] = [];
		for (const p of plan) {
			const v = pool.vols[p.pick.v];
			if (v.busy) continue;
			if (v.load >= v.max) continue;
			p.pick.loadBefore = v.load;
			pool.take(p.pick.v);
			keep.push(p);
		}
		if (keep.length) await writeAssignments(uow, pool, keep.map((p) => ({ task: open[p.t], pick: p.pick })));
		for (const p of keep) assigned.set(open[p.t].id, { task: open[p.t], pick: p.pick });
		open = open.filter((t) => !assigned.has(t.id));
	}
	// tasks left open that a volunteer held by another run would fit
	const anyBusy = pool.vols.some((v) => v.busy);
	const busyBlocked = new Set(anyBusy ? open.filter((t) => pool.blockedByBusy(t)).map((t) => t.id) : []);
	return { busyBlocked };
}

function volIdx(pool: Pool, id: number): number {
	// pools are sorted by id
	let lo = 0;
	let hi = pool.vols.length - 1;
	while (lo <= hi) {
		const mid = (lo + hi) >> 1;
		const x = pool.vols[mid].id;
		if (x === id) return mid;
		if (x < id) lo = mid + 1;
		else hi = mid - 1;
	}
	throw new Error(`volunteer ${id} is not in the pool`);
}

async function writeAssignments(uow: UnitOfWork, pool: Pool, list: Array<{ task: Task; pick: Pick }>) {
	const counts = new Map<number, number>();
	for (const { pick } of list) {
		const id = pool.vols[pick.v].id;
		counts.set(id, (counts.get(id) ?? 0) + 1);
	}
	const ids = [...counts.keys()].sort((a, b) => a - b);
	// The raise is checked against the maximum in the same statement (and by the table's CHECK).
	const { rows } = await sql(uow,
		`UPDATE volunteer v SET current_load = v.current_load + t.n, last_assigned_at = now(), updated_at = now()
		FROM unnest(?::bigint[], ?::int[]) AS t(id, n)
		WHERE v.id = t.id AND v.active AND v.current_load + t.n <= v.max_tasks
		RETURNING v.id`,
		[ids, ids.map((id) => counts.get(id)!)]);
	if (rows.length !== ids.length) {
		// cannot happen while the rows are locked by this transaction; refuse rather than over-assign
		throw new Error(`dispatch: ${ids.length - rows.length} volunteers changed under their row locks`);
	}
	const { rowCount } = await sql(uow,
		`WITH a AS (
			SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::int[], ?::int[], ?::boolean[]) AS a(task_id, volunteer_id, score, shared, team)
		), upd AS (
			UPDATE task t SET status = 'assigned', assignee_volunteer_id = a.volunteer_id, assigned_at = now(), updated_at = now()
			FROM a WHERE t.id = a.task_id AND t.status = 'open'
			RETURNING t.id, t.unit_id, a.volunteer_id, a.score, a.shared, a.team
		)
		INSERT INTO task_event (task_id, unit_id, kind, from_status, to_status, note, details)
		SELECT id, unit_id, 'assigned', 'open', 'assigned', 'matched by dispatch',
			jsonb_build_object('volunteerId', volunteer_id, 'score', score, 'sharedLevel', shared, 'preferredTeam', team, 'by', 'dispatch')
		FROM upd`,
		[list.map((x) => x.task.id), list.map((x) => pool.vols[x.pick.v].id), list.map((x) => x.pick.score), list.map((x) => x.pick.shared), list.map((x) => x.pick.team)]);
	if (rowCount !== list.length) throw new Error(`dispatch: ${list.length - rowCount} locked tasks were no longer open`);
}
