import { sql } from '../../db/sql';
import { FieldError, describeValue } from '../../validation/errors';
import { requiredText, text } from '../../validation/text';
import type { Outcome, UnitOfWork } from '../context';
import { type StaffRef, resolveStaff } from '../grid/staff';
import { loadUnit, loadUnits } from '../grid/unitLookup';
import { type UnitRef, subtreeBounds } from '../grid/unitRecord';
import { type IncidentRef, resolveIncidentsMany } from '../incident/queries';
import { type ResidentRef, resolveResidentsMany } from '../resident/residents';
import { SKILLS } from '../volunteer/vocabulary';
import { appendTaskEvents, type NewTaskEvent, type TaskEventEntry, taskEvents } from './events';
import { TASK_COLUMNS, TASK_FROM, type TaskRecord, type TaskRow, loadTaskRecords, toTaskRecord, unknownTask } from './taskRecord';
import { OPEN_TASK_STATUSES, TASK_KINDS, TASK_STATUSES, type TaskKind, type TaskStatus } from './vocabulary';

/** One task to create. */
export interface NewTask {
	kind: TaskKind;
	/** Required for kind custom, refused otherwise. */
	customKind?: string;
	/** Defaults to the kind's label and the unit's name. */
	title?: string;
	description?: string;
	unit: UnitRef;
	resident?: ResidentRef;
	incident?: IncidentRef;
	windowStart?: Date;
	windowEnd?: Date;
	dueAt?: Date;
	requiredSkills?: string[];
	/** 1 low … 4 urgent; default 2. */
	priority?: number;
	preferredTeamId?: number;
	details?: Record<string, unknown>;
}

export const TITLE_MAX = 200;
export const DESCRIPTION_MAX = 2000;

/** Checks what can be checked without the database; throws FieldError. */
export function checkNewTask(t: NewTask): void {
	if (!Object.prototype.hasOwnProperty.call(TASK_KINDS, t.kind)) {
		throw new FieldError('Kind', `Kind ${describeValue(t.kind)} is not a task kind; use one of ${Object.keys(TASK_KINDS).join(', ')}`);
	}
	if (t.kind === 'custom') requiredText(t.customKind, { field: 'Custom Kind', max: 100 });
	else if (t.customKind) throw new FieldError('Custom Kind', `Custom Kind is only for kind custom; this task is ${t.kind}`);
	text(t.title, { field: 'Title', max: TITLE_MAX });
	text(t.description, { field: 'Description', max: DESCRIPTION_MAX, multiline: true });
	if (t.windowStart && t.windowEnd && t.windowEnd <= t.windowStart) {
		throw new FieldError('Window End', `Window End ${t.windowEnd.toISOString()} must be after Window Start ${t.windowStart.toISOString()}`);
	}
	for (const skill of t.requiredSkills ?? []) {
		if (!Object.prototype.hasOwnProperty.call(SKILLS, skill)) {
			throw new FieldError('Required Skills', `Required Skills ${describeValue(skill)} is not a known skill; use ${Object.keys(SKILLS).join(', ')}`);
		}
	}
	const p = t.priority ?? 2;
	if (!Number.isInteger(p) || p < 1 || p > 4) throw new FieldError('Priority', `Priority must be 1 (low) to 4 (urgent), got ${describeValue(t.priority)}`);
}

/**
 * Creates tasks set-based: units, residents, incidents and teams are resolved in one query each,
 * every bad item gets its own error, and tasks with their "created" timeline entries are written in
 * one statement each. A task about a resident is also linked to the resident's household.
 */
export async function createTasks(uow: UnitOfWork, inputs: NewTask[]): Promise<Array<Outcome<TaskRecord>>> {
	const errors = new Map<number, FieldError>();
	const fail = (i: number, e: FieldError) => {
		if (!errors.has(i)) errors.set(i, e);
	};
	inputs.forEach((t, i) => {
		try {
			checkNewTask(t);
		} catch (e) {
			if (e instanceof FieldError) fail(i, e);
			else throw e;
		}
	});
	const units = await loadUnits(uow, inputs.map((t) => t.unit), 'Grid Unit');
	units.forEach((u, i) => {
		if (u instanceof FieldError) fail(i, u);
		else if (!u.active) fail(i, new FieldError('Grid Unit', `grid unit ${u.code} is deactivated`));
	});
	const withResident = inputs.map((t, i) => i).filter((i) => inputs[i].resident);
	const residentOf = new Map<number, number>();
	if (withResident.length) {
		const ids = await resolveResidentsMany(uow, withResident.map((i) => inputs[i].resident!), 'Resident');
		withResident.forEach((i, k) => (ids[k] instanceof FieldError ? fail(i, ids[k] as FieldError) : residentOf.set(i, ids[k] as number)));
	}
	const households = new Map<number, number | null>();
	if (residentOf.size) {
		const { rows } = await sql<{ id: number; household_id: number | null }>(uow,
			`SELECT id, household_id FROM resident WHERE id = ANY(?::bigint[])`, [[...new Set(residentOf.values())]]);
		for (const r of rows) households.set(Number(r.id), r.household_id === null ? null : Number(r.household_id));
	}
	const withIncident = inputs.map((t, i) => i).filter((i) => inputs[i].incident);
	const incidentOf = new Map<number, number>();
	if (withIncident.length) {
		const ids = await resolveIncidentsMany(uow, withIncident.map((i) => inputs[i].incident!), 'Incident');
		withIncident.forEach((i, k) => (ids[k] instanceof FieldError ? fail(i, ids[k] as FieldError) : incidentOf.set(i, ids[k] as number)));
	}
	const teamIds = [...new Set(inputs.flatMap((t) => (t.preferredTeamId !== undefined ? [t.preferredTeamId] : [])))];
	if (teamIds.length) {
		const { rows } = await sql<{ id: number; active: boolean }>(uow, `SELECT id, active FROM team WHERE id = ANY(?::bigint[])`, [teamIds]);
		const known = new Map(rows.map((r) => [Number(r.id), r.active]));
		inputs.forEach((t, i) => {
			if (t.preferredTeamId === undefined) return;
			const active = known.get(t.preferredTeamId);
			if (active === undefined) fail(i, new FieldError('Preferred Team', `unknown team ${t.preferredTeamId}${uow.scopeCode ? ` (or it lies outside this credential's scope ${uow.scopeCode})` : ''}`));
			else if (!active) fail(i, new FieldError('Preferred Team', `team ${t.preferredTeamId} is inactive`));
		});
	}
	const outcomes = (values: Map<number, TaskRecord>): Array<Outcome<TaskRecord>> => inputs.map((_, i) => {
		const e = errors.get(i);
		if (e) return { ok: false, error: e };
		const v = values.get(i);
		return v ? { ok: true, value: v } : { ok: true, value: [] };
	});
	if (errors.size && !uow.partial) return outcomes(new Map());
	const good = inputs.map((t, i) => ({ t, i })).filter(({ i }) => !errors.has(i));
	if (!good.length) return outcomes(new Map());
	const ids = await insertTasks(uow, good.map(({ t, i }) => {
		const unit = units[i] as Exclude<(typeof units)[number], FieldError>;
		const residentId = residentOf.get(i) ?? null;
		return {
			...t,
			unitId: unit.id,
			title: text(t.title, { field: 'Title', max: TITLE_MAX }) ?? defaultTitle(t, unit.name),
			residentId,
			householdId: residentId !== null ? households.get(residentId) ?? null : null,
			incidentId: incidentOf.get(i) ?? null,
		};
	}));
	const records = await loadTaskRecords(uow, ids);
	return outcomes(new Map(good.map(({ i }, k) => [i, records.get(ids[k])!])));
}

export function defaultTitle(t: Pick<NewTask, 'kind' | 'customKind'>, unitName: string): string {
	const label = t.kind === 'custom' ? t.customKind!.trim() : TASK_KINDS[t.kind].replace(/\s*\(.*\)$/, '');
	return `${label} · ${unitName}`.slice(0, TITLE_MAX);
}

/** A task ready to insert: references resolved. Shared with checkpoint shifts. */
export interface ResolvedTask extends Omit<NewTask, 'unit' | 'resident' | 'incident'> {
	unitId: number;
	title: string;
	residentId?: number | null;
	householdId?: number | null;
	incidentId?: number | null;
	shiftId?: number | null;
}

/** Inserts resolved tasks and their "created" events; returns the ids in input order. */
export async function insertTasks(uow: UnitOfWork, tasks: ResolvedTask[]): Promise<number[]> {
	const ids: number[] = [];
	for (let start = 0; start < tasks.length; start += 5_000) {
		const part = tasks.slice(start, start + 5_000);
		const { rows } = await sql<{ id: number; ord: number }>(uow,
			`WITH src AS (
				SELECT * FROM jsonb_to_recordset(?::jsonb) AS x(ord int, kind text, custom_kind text, title text, description text, unit_id bigint,
					resident_id bigint, household_id bigint, incident_id bigint, shift_id bigint, window_start timestamptz, window_end timestamptz,
					due_at timestamptz, required_skills text[], priority smallint, preferred_team_id bigint, details jsonb)
			), ins AS (
				INSERT INTO task (kind, custom_kind, title, description, unit_id, resident_id, household_id, incident_id, shift_id,
					window_start, window_end, due_at, required_skills, priority, preferred_team_id, details)
				SELECT kind, custom_kind, title, description, unit_id, resident_id, household_id, incident_id, shift_id,
					window_start, window_end, due_at, coalesce(required_skills, '{}'), coalesce(priority, 2), preferred_team_id, coalesce(details, '{}')
				FROM src ORDER BY ord
				RETURNING id
			)
			SELECT id FROM ins ORDER BY id`,
			[JSON.stringify(part.map((t, k) => ({
				ord: k,
				kind: t.kind,
				custom_kind: t.kind === 'custom' ? t.customKind!.trim() : null,
				title: t.title,
				description: text(t.description, { field: 'Description', max: DESCRIPTION_MAX, multiline: true }) ?? null,
				unit_id: t.unitId,
				resident_id: t.residentId ?? null,
				household_id: t.householdId ?? null,
				incident_id: t.incidentId ?? null,
				shift_id: t.shiftId ?? null,
				window_start: t.windowStart?.toISOString() ?? null,
				window_end: t.windowEnd?.toISOString() ?? null,
				due_at: t.dueAt?.toISOString() ?? null,
				required_skills: [...new Set(t.requiredSkills ?? [])],
				priority: t.priority ?? 2,
				preferred_team_id: t.preferredTeamId ?? null,
				details: t.details ?? {},
			})))]);
		// one statement inserts in ord order, and a bigserial hands out ascending ids within it
		const made = rows.map((r) => Number(r.id));
		ids.push(...made);
		const events: NewTaskEvent[] = part.map((t, k) => ({
			taskId: made[k],
			unitId: t.unitId,
			kind: 'created',
			toStatus: 'open',
			details: { kind: t.kind, dueAt: t.dueAt?.toISOString() ?? null, shiftId: t.shiftId ?? null },
		}));
		await appendTaskEvents(uow, events);
	}
	return ids;
}

/** Tasks by id, many at once; an unknown or out-of-scope one is an error for its position. */
export async function getTasks(uow: UnitOfWork, ids: number[]): Promise<Array<Outcome<TaskRecord>>> {
	const records = await loadTaskRecords(uow, ids);
	return ids.map((id) => {
		const r = records.get(id);
		return r ? { ok: true, value: r } : { ok: false, error: unknownTask(uow, id) };
	});
}

/** How to name a volunteer: numeric id or volunteer number. */
export type VolunteerRef = { id: number } | { volunteerNo: string };

export interface TaskQuery {
	/** Tasks of units in this subtree. */
	within?: UnitRef;
	statuses?: TaskStatus[];
	kinds?: TaskKind[];
	assigneeVolunteer?: VolunteerRef;
	assigneeStaff?: StaffRef;
	assigneeTeamId?: number;
	shiftId?: number;
	/** Tasks whose window (or due time, when it has no window) overlaps [windowFrom, windowTo). */
	windowFrom?: Date;
	windowTo?: Date;
	/** Open tasks past their due time. */
	overdueOnly?: boolean;
	limit?: number;
	offset?: number;
	returnAll?: boolean;
}

export const DEFAULT_LIST_LIMIT = 50;
const PAGE = 1_000;

/** Resolves a volunteer reference to its id, or a FieldError naming the field. */
export async function resolveVolunteer(uow: UnitOfWork, ref: VolunteerRef, field = 'Volunteer'): Promise<{ id: number; name: string; active: boolean; max_tasks: number; current_load: number }> {
	const byId = 'id' in ref;
	const { rows } = await sql(uow,
		`SELECT id, name, active, max_tasks, current_load FROM volunteer WHERE ${byId ? 'id = ?' : 'volunteer_no = ?'}`,
		[byId ? ref.id : ref.volunteerNo.trim()]);
	if (!rows.length) {
		throw new FieldError(field, `unknown volunteer ${byId ? ref.id : ref.volunteerNo}${uow.scopeCode ? ` (or they belong to a unit outside this credential's scope ${uow.scopeCode})` : ''}`);
	}
	const r = rows[0];
	return { id: Number(r.id), name: r.name, active: r.active, max_tasks: r.max_tasks, current_load: r.current_load };
}

function checkList<T extends string>(values: readonly unknown[] | undefined, known: readonly string[], field: string): T[] | undefined {
	if (!values?.length) return undefined;
	for (const v of values) {
		if (typeof v !== 'string' || !known.includes(v)) throw new FieldError(field, `${field} ${describeValue(v)} is not known; use ${known.join(', ')}`);
	}
	return [...new Set(values as T[])];
}

/** Lists tasks, newest first; one page by limit and offset, or every match with returnAll (read in pages). */
export async function listTasks(uow: UnitOfWork, q: TaskQuery): Promise<TaskRecord[]> {
	if (q.limit !== undefined && (!Number.isInteger(q.limit) || q.limit < 1)) throw new FieldError('Limit', `Limit must be a whole number of at least 1, got ${describeValue(q.limit)}`);
	if (q.offset !== undefined && (!Number.isInteger(q.offset) || q.offset < 0)) throw new FieldError('Offset', `Offset must be a whole number of at least 0, got ${describeValue(q.offset)}`);
	if (q.windowFrom && q.windowTo && q.windowTo <= q.windowFrom) {
		throw new FieldError('Window To', `Window To ${q.windowTo.toISOString()} must be after Window From ${q.windowFrom.toISOString()}`);
	}
	const where: string[] = [];
	const args: unknown[] = [];
	if (q.within) {
		const root = await loadUnit(uow, q.within, 'Within Unit');
		const [lo, hi] = subtreeBounds(root.path);
		where.push('u.path >= ? AND u.path < ?');
		args.push(lo, hi);
	}
	const statuses = checkList<TaskStatus>(q.statuses, Object.keys(TASK_STATUSES), 'Statuses');
	if (statuses) {
		where.push('t.status = ANY(?::text[])');
		args.push(statuses);
	}
	const kinds = checkList<TaskKind>(q.kinds, Object.keys(TASK_KINDS), 'Kinds');
	if (kinds) {
		where.push('t.kind = ANY(?::text[])');
		args.push(kinds);
	}
	if (q.assigneeVolunteer) {
		where.push('t.assignee_volunteer_id = ?');
		args.push((await resolveVolunteer(uow, q.assigneeVolunteer, 'Assignee Volunteer')).id);
	}
	if (q.assigneeStaff) {
		where.push('t.assignee_staff_id = ?');
		args.push((await resolveStaff(uow, q.assigneeStaff, 'Assignee Staff')).id);
	}
	if (q.assigneeTeamId !== undefined) {
		where.push('t.assignee_team_id = ?');
		args.push(q.assigneeTeamId);
	}
	if (q.shiftId !== undefined) {
		where.push('t.shift_id = ?');
		args.push(q.shiftId);
	}
	if (q.windowFrom) {
		where.push('coalesce(t.window_end, t.due_at, t.window_start) >= ?::timestamptz');
		args.push(q.windowFrom.toISOString());
	}
	if (q.windowTo) {
		where.push('coalesce(t.window_start, t.due_at, t.window_end) < ?::timestamptz');
		args.push(q.windowTo.toISOString());
	}
	if (q.overdueOnly) where.push(`t.status IN (${OPEN_TASK_STATUSES.map((x) => `'${x}'`).join(', ')}) AND t.due_at < now()`);
	const cap = q.returnAll ? q.limit ?? Infinity : q.limit ?? DEFAULT_LIST_LIMIT;
	const out: TaskRecord[] = [];
	let after: number | null = null;
	let offset = q.offset ?? 0;
	for (;;) {
		const want = Math.min(PAGE, cap - out.length);
		if (want <= 0) break;
		const all: string[] = after !== null ? [...where, 't.id < ?'] : where;
		const { rows }: { rows: TaskRow[] } = await sql<TaskRow>(uow,
			`SELECT ${TASK_COLUMNS} FROM ${TASK_FROM} ${all.length ? `WHERE ${all.join(' AND ')}` : ''} ORDER BY t.id DESC LIMIT ? OFFSET ?`,
			[...args, ...(after !== null ? [after] : []), want, offset]);
		const now = new Date();
		out.push(...rows.map((r) => toTaskRecord(r, now)));
		if (rows.length < want || !q.returnAll) break;
		after = Number(rows[rows.length - 1].id);
		offset = 0;
	}
	return out;
}

/** A task's timeline. */
export async function taskTimeline(uow: UnitOfWork, ref: { id: number }): Promise<TaskEventEntry[]> {
	const { rows } = await sql(uow, `SELECT id FROM task WHERE id = ?`, [ref.id]);
	if (!rows.length) throw unknownTask(uow, ref.id);
	return taskEvents(uow, ref.id);
}
