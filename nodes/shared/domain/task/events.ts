import { sql } from '../../db/sql';
import type { UnitOfWork } from '../context';
import { TASK_EVENT_KINDS, type TaskEventKind, type TaskStatus } from './vocabulary';

/** One task timeline entry to append. unitId is the task's unit (scope of the event). */
export interface NewTaskEvent {
	taskId: number;
	unitId: number;
	kind: TaskEventKind;
	fromStatus?: TaskStatus | null;
	toStatus?: TaskStatus | null;
	note?: string | null;
	details?: Record<string, unknown>;
}

/** One entry of a task's timeline. */
export interface TaskEventEntry {
	eventId: number;
	taskId: number;
	kind: TaskEventKind;
	label: string;
	fromStatus: TaskStatus | null;
	toStatus: TaskStatus | null;
	note: string | null;
	details: Record<string, unknown>;
	actor: Record<string, unknown>;
	at: string;
}

/** Appends timeline entries in one statement per 10,000, in the caller's transaction. */
export async function appendTaskEvents(uow: UnitOfWork, events: NewTaskEvent[]): Promise<void> {
	for (let start = 0; start < events.length; start += 10_000) {
		const part = events.slice(start, start + 10_000);
		await sql(uow,
			`WITH a AS MATERIALIZED (SELECT current_actor() AS actor)
			INSERT INTO task_event (task_id, unit_id, kind, from_status, to_status, note, details, actor)
			SELECT t.task_id, t.unit_id, t.kind, t.from_status, t.to_status, t.note, t.details::jsonb, a.actor
			FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[]) WITH ORDINALITY
				AS t(task_id, unit_id, kind, from_status, to_status, note, details, ord)
			CROSS JOIN a
			ORDER BY t.ord`,
			[
				part.map((e) => e.taskId),
				part.map((e) => e.unitId),
				part.map((e) => e.kind),
				part.map((e) => e.fromStatus ?? null),
				part.map((e) => e.toStatus ?? null),
				part.map((e) => e.note ?? null),
				part.map((e) => JSON.stringify(e.details ?? {})),
			]);
	}
}

function toEntry(r: Record<string, unknown>): TaskEventEntry {
	const kind = r.kind as TaskEventKind;
	return {
		eventId: Number(r.id),
		taskId: Number(r.task_id),
		kind,
		label: TASK_EVENT_KINDS[kind] ?? kind,
		fromStatus: (r.from_status as TaskStatus | null) ?? null,
		toStatus: (r.to_status as TaskStatus | null) ?? null,
		note: (r.note as string | null) ?? null,
		details: (r.details as Record<string, unknown>) ?? {},
		actor: (r.actor as Record<string, unknown>) ?? {},
		at: r.at as string,
	};
}

const EVENT_COLUMNS = 'e.id, e.task_id, e.kind, e.from_status, e.to_status, e.note, e.details, e.actor, e.at';

/** A task's events in the order they were written. */
export async function taskEvents(uow: UnitOfWork, taskId: number): Promise<TaskEventEntry[]> {
	const { rows } = await sql(uow, `SELECT ${EVENT_COLUMNS} FROM task_event e WHERE e.task_id = ? ORDER BY e.id`, [taskId]);
	return rows.map(toEntry);
}

/** The events this transaction wrote for a task, oldest first. */
export async function taskEventsWrittenNow(uow: UnitOfWork, taskId: number): Promise<TaskEventEntry[]> {
	const { rows } = await sql(uow,
		`SELECT ${EVENT_COLUMNS} FROM task_event e WHERE e.task_id = ? AND e.tx = pg_current_xact_id() ORDER BY e.id`, [taskId]);
	return rows.map(toEntry);
}
