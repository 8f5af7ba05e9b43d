import { sql } from '../../db/sql';
import { FieldError } from '../../validation/errors';
import type { UnitOfWork } from '../context';
import { OPEN_TASK_STATUSES, PRIORITIES, TASK_KINDS, TASK_STATUSES, type TaskKind, type TaskStatus } from './vocabulary';

/** A task as every operation returns it. */
export interface TaskRecord {
	id: number;
	kind: TaskKind;
	kindLabel: string;
	customKind: string | null;
	title: string;
	description: string | null;
	status: TaskStatus;
	statusLabel: string;
	unitCode: string;
	unitName: string;
	residentId: number | null;
	householdId: number | null;
	incidentId: number | null;
	incidentReference: string | null;
	campaignId: number | null;
	shiftId: number | null;
	windowStart: string | null;
	windowEnd: string | null;
	dueAt: string | null;
	overdue: boolean;
	requiredSkills: string[];
	priority: number;
	priorityLabel: string;
	preferredTeamId: number | null;
	offeredVolunteerId: number | null;
	assignee: {
		volunteerId: number | null;
		volunteerName: string | null;
		staffId: number | null;
		staffName: string | null;
		teamId: number | null;
		teamName: string | null;
	};
	assignedAt: string | null;
	startedAt: string | null;
	attempts: number;
	outcome: Record<string, unknown> | null;
	details: Record<string, unknown>;
	completedAt: string | null;
	cancelReason: string | null;
	createdAt: string;
	updatedAt: string;
}

export const TASK_COLUMNS = `t.id, t.kind, t.custom_kind, t.title, t.description, t.status, u.code AS unit_code, u.name AS unit_name,
	t.resident_id, t.household_id, t.incident_id, i.reference AS incident_reference, t.campaign_id, t.shift_id,
	t.window_start, t.window_end, t.due_at, t.required_skills, t.priority, t.preferred_team_id, t.offered_volunteer_id,
	t.assignee_volunteer_id, v.name AS volunteer_name, t.assignee_staff_id, st.name AS staff_name, t.assignee_team_id, tm.name AS team_name,
	t.assigned_at, t.started_at, t.attempts, t.outcome, t.details, t.completed_at, t.cancel_reason, t.created_at, t.updated_at, t.unit_id`;

export const TASK_FROM = `task t
	JOIN grid_unit u ON u.id = t.unit_id
	LEFT JOIN incident i ON i.id = t.incident_id
	LEFT JOIN volunteer v ON v.id = t.assignee_volunteer_id
	LEFT JOIN staff st ON st.id = t.assignee_staff_id
	LEFT JOIN team tm ON tm.id = t.assignee_team_id`;

export type TaskRow = Record<string, unknown> & { id: number; unit_id: number };

const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const s = (v: unknown) => (v === null || v === undefined ? null : (v as string));

export function toTaskRecord(r: TaskRow, now = new Date()): TaskRecord {
	const status = r.status as TaskStatus;
	const kind = r.kind as TaskKind;
	const due = s(r.due_at);
	return {
		id: Number(r.id),
		kind,
		kindLabel: TASK_KINDS[kind],
		customKind: s(r.custom_kind),
		title: r.title as string,
		description: s(r.description),
		status,
		statusLabel: TASK_STATUSES[status],
		unitCode: r.unit_code as string,
		unitName: r.unit_name as string,
		residentId: n(r.resident_id),
		householdId: n(r.household_id),
		incidentId: n(r.incident_id),
		incidentReference: s(r.incident_reference),
		campaignId: n(r.campaign_id),
		shiftId: n(r.shift_id),
		windowStart: s(r.window_start),
		windowEnd: s(r.window_end),
		dueAt: due,
		overdue: due !== null && OPEN_TASK_STATUSES.includes(status) && new Date(due) < now,
		requiredSkills: (r.required_skills as string[]) ?? [],
		priority: Number(r.priority),
		priorityLabel: PRIORITIES[Number(r.priority) as keyof typeof PRIORITIES],
		preferredTeamId: n(r.preferred_team_id),
		offeredVolunteerId: n(r.offered_volunteer_id),
		assignee: {
			volunteerId: n(r.assignee_volunteer_id),
			volunteerName: s(r.volunteer_name),
			staffId: n(r.assignee_staff_id),
			staffName: s(r.staff_name),
			teamId: n(r.assignee_team_id),
			teamName: s(r.team_name),
		},
		assignedAt: s(r.assigned_at),
		startedAt: s(r.started_at),
		attempts: Number(r.attempts),
		outcome: (r.outcome as Record<string, unknown> | null) ?? null,
		details: (r.details as Record<string, unknown>) ?? {},
		completedAt: s(r.completed_at),
		cancelReason: s(r.cancel_reason),
		createdAt: r.created_at as string,
		updatedAt: r.updated_at as string,
	};
}

/** Loads tasks by id, in chunks, keyed by id. */
export async function loadTaskRecords(uow: UnitOfWork, ids: number[]): Promise<Map<number, TaskRecord>> {
	const out = new Map<number, TaskRecord>();
	const unique = [...new Set(ids)];
	for (let start = 0; start < unique.length; start += 5_000) {
		const part = unique.slice(start, start + 5_000);
		const { rows } = await sql<TaskRow>(uow, `SELECT ${TASK_COLUMNS} FROM ${TASK_FROM} WHERE t.id = ANY(?::bigint[])`, [part]);
		for (const r of rows) out.set(Number(r.id), toTaskRecord(r));
	}
	return out;
}

/** How users name a task: its numeric id. */
export interface TaskRef {
	id: number;
}

export function unknownTask(uow: UnitOfWork, id: number, field = 'Task ID'): FieldError {
	return new FieldError(field, `unknown task ${id}${uow.scopeCode ? ` (or it lies outside this credential's scope ${uow.scopeCode})` : ''}`);
}
