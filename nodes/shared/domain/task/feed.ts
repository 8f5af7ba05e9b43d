import { sql } from '../../db/sql';
import { FieldError, describeValue } from '../../validation/errors';
import type { UnitOfWork } from '../context';
import { type FeedCursor, type FeedStart, type StreamPage, pageOf, readStream, startStream } from '../feedCursor';
import { loadUnit } from '../grid/unitLookup';
import { type UnitRef, subtreeBounds } from '../grid/unitRecord';
import { type TaskRecord, loadTaskRecords } from './taskRecord';
import { TASK_EVENT_KINDS, TASK_STATUSES, type TaskEventKind, type TaskStatus } from './vocabulary';

/**
 * The task stream of the Grid Trigger: task timeline entries (task_event) read with the same
 * commit-safe (tx, id) cursor as incidents, but kept apart, with a cursor of its own, because the two
 * timelines are separate sequences. ../eventFeed.ts merges the streams.
 *
 * "Overdue" is what Expire Overdue writes: a task taken back to open ('expired') or escalated as an
 * incident ('escalated'). The trigger does not watch due times itself: noting a due time once needs a
 * marker on the task, which the schema does not have.
 */
export const TASK_FEED_TOPICS = {
	'task.created': 'New task',
	'task.overdue': 'Task overdue',
	'task.completed': 'Task completed',
} as const;
export type TaskFeedTopic = keyof typeof TASK_FEED_TOPICS;

export function isTaskFeedTopic(value: unknown): value is TaskFeedTopic {
	return typeof value === 'string' && Object.prototype.hasOwnProperty.call(TASK_FEED_TOPICS, value);
}

const KINDS: Record<TaskFeedTopic, readonly TaskEventKind[]> = {
	'task.created': ['created'],
	'task.overdue': ['expired', 'escalated'],
	'task.completed': ['completed'],
};

export interface TaskFeedFilter {
	topics: TaskFeedTopic[];
	/** Only events of tasks of this unit or a unit below it. */
	within?: UnitRef;
}

/** One task event as the trigger puts it out. */
export interface TaskFeedEvent {
	/** 'task:' and the timeline entry's id: unique, stable, and never equal to an incident event's id. */
	eventId: string;
	/** The selected topic this event answers. */
	trigger: TaskFeedTopic;
	/** The task timeline kind: created, expired, escalated or completed. */
	event: TaskEventKind;
	label: string;
	at: string;
	taskId: number;
	fromStatus: TaskStatus | null;
	toStatus: TaskStatus | null;
	note: string | null;
	details: Record<string, unknown>;
	/** Who wrote the entry: workflow, execution, node and acting staff, as the audit log records them. */
	actor: Record<string, unknown>;
	/** The task as it is now (null only if it is no longer visible with this credential). */
	task: TaskRecord | null;
}

interface Row {
	id: number | string;
	tx: string;
	task_id: number | string;
	kind: TaskEventKind;
	from_status: TaskStatus | null;
	to_status: TaskStatus | null;
	note: string | null;
	details: Record<string, unknown> | null;
	actor: Record<string, unknown> | null;
	at: string;
}

const COLUMNS = `e.id, e.tx::text AS tx, e.task_id, e.kind, e.from_status, e.to_status, e.note, e.details, e.actor, e.at`;

export function checkTaskFilter(filter: TaskFeedFilter): TaskFeedFilter {
	if (!filter.topics.length) throw new FieldError('Events', 'Select at least one event to trigger on');
	for (const t of filter.topics) {
		if (!isTaskFeedTopic(t)) throw new FieldError('Events', `Unknown event ${describeValue(t)}; known: ${Object.keys(TASK_FEED_TOPICS).join(', ')}`);
	}
	return filter;
}

function kindsOf(filter: TaskFeedFilter): TaskEventKind[] {
	checkTaskFilter(filter);
	return [...new Set(filter.topics.flatMap((t) => KINDS[t]))];
}

async function whereOf(uow: UnitOfWork, filter: TaskFeedFilter): Promise<{ joins: string; where: string[]; args: unknown[] }> {
	const where = ['e.kind = ANY(?::text[])'];
	const args: unknown[] = [kindsOf(filter)];
	let joins = '';
	if (filter.within) {
		const root = await loadUnit(uow, filter.within, 'Within Unit');
		const [lo, hi] = subtreeBounds(root.path);
		joins = 'JOIN grid_unit eu ON eu.id = e.unit_id';
		where.push('eu.path >= ? AND eu.path < ?');
		args.push(lo, hi);
	}
	return { joins, where, args };
}

function labelOf(r: Row, task: TaskRecord | null): string {
	const parts = [`${TASK_EVENT_KINDS[r.kind] ?? r.kind}: ${task?.title ?? `task ${r.task_id}`}`];
	const due = r.details?.dueAt;
	if ((r.kind === 'expired' || r.kind === 'escalated') && typeof due === 'string') parts.push(`due ${due}`);
	if (r.kind === 'escalated' && typeof r.details?.incidentReference === 'string') parts.push(`incident ${r.details.incidentReference}`);
	if (r.kind !== 'created' && r.to_status && r.to_status !== r.from_status) {
		const name = (s: TaskStatus | null) => (s ? (TASK_STATUSES[s] ?? s) : '—');
		parts.push(`${name(r.from_status)} → ${name(r.to_status)}`);
	}
	return parts.join(', ');
}

async function shape(uow: UnitOfWork, rows: Row[], topics: TaskFeedTopic[]): Promise<TaskFeedEvent[]> {
	const tasks = await loadTaskRecords(uow, rows.map((r) => Number(r.task_id)));
	const order = (Object.keys(TASK_FEED_TOPICS) as TaskFeedTopic[]).filter((t) => topics.includes(t));
	return rows.map((r) => {
		const taskId = Number(r.task_id);
		const task = tasks.get(taskId) ?? null;
		return {
			eventId: `task:${r.id}`,
			trigger: order.find((t) => KINDS[t].includes(r.kind)) ?? order[0],
			event: r.kind,
			label: labelOf(r, task),
			at: r.at,
			taskId,
			fromStatus: r.from_status,
			toStatus: r.to_status,
			note: r.note,
			details: r.details ?? {},
			actor: r.actor ?? {},
			task,
		};
	});
}

/** Where a new task stream starts: now, or at the first matching entry of the last `sinceHours` hours. */
export async function startTaskFeed(uow: UnitOfWork, filter: TaskFeedFilter, sinceHours?: number): Promise<FeedStart> {
	return startStream(uow, 'task_event', sinceHours && sinceHours > 0 ? kindsOf(filter) : [], sinceHours);
}

/**
 * Task entries of the filter after the cursor, from transactions that have all ended (below
 * `boundary` when the caller took one for several streams), oldest first, up to `limit`.
 */
export async function readTaskFeed(uow: UnitOfWork, filter: TaskFeedFilter, start: FeedStart, limit: number, boundary?: string): Promise<StreamPage<TaskFeedEvent>> {
	const q = await whereOf(uow, filter);
	const { rows, boundary: xmin } = await readStream<Row>(uow, { table: 'task_event', columns: COLUMNS, ...q }, start, limit, boundary);
	return pageOf(rows, await shape(uow, rows, filter.topics), start, xmin, limit);
}

/** The latest matching task entries, oldest first, with their positions, for a manual test run. */
export async function latestTaskEvents(uow: UnitOfWork, filter: TaskFeedFilter, limit = 10): Promise<{ events: TaskFeedEvent[]; positions: FeedCursor[] }> {
	const { joins, where, args } = await whereOf(uow, filter);
	const { rows } = await sql<Row>(uow,
		`SELECT ${COLUMNS} FROM task_event e ${joins} WHERE ${where.join(' AND ')} ORDER BY e.tx DESC, e.id DESC LIMIT ?`,
		[...args, limit]);
	rows.reverse();
	return { events: await shape(uow, rows, filter.topics), positions: rows.map((r) => ({ tx: r.tx, id: String(r.id) })) };
}
