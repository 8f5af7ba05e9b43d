import { sql } from '../../db/sql';
import { FieldError, describeValue } from '../../validation/errors';
import type { UnitOfWork } from '../context';
import { loadUnit } from '../grid/unitLookup';
import { type UnitRef, subtreeBounds } from '../grid/unitRecord';
import type { FeedCursor, FeedStart } from '../incident/feed';
import { type TaskRecord, loadTaskRecords } from './taskRecord';
import { TASK_EVENT_KINDS, type TaskEventKind, type TaskStatus } from './vocabulary';

/**
 * The task stream of the Grid Trigger: task timeline entries read with the same commit-safe
 * (tx, id) cursor as incidents, kept apart because the two timelines are separate sequences.
 */
export const TASK_FEED_TOPICS = {
	'task.overdue': 'Task overdue',
	'task.completed': 'Task completed',
} as const;
export type TaskFeedTopic = keyof typeof TASK_FEED_TOPICS;

export function isTaskFeedTopic(value: unknown): value is TaskFeedTopic {
	return typeof value === 'string' && Object.prototype.hasOwnProperty.call(TASK_FEED_TOPICS, value);
}

/** Overdue: taken back by Expire Overdue, or escalated as an incident after too many attempts. */
const KINDS: Record<TaskFeedTopic, readonly TaskEventKind[]> = {
	'task.overdue': ['expired', 'escalated'],
	'task.completed': ['completed'],
};

export interface TaskFeedFilter {
	topics: TaskFeedTopic[];
	within?: UnitRef;
}

export interface TaskFeedEvent {
	/** 'task:' and the timeline entry's id: unique, and never equal to an incident event's id. */
	eventId: string;
	trigger: TaskFeedTopic;
	event: TaskEventKind;
	label: string;
	at: string;
	taskId: number;
	fromStatus: TaskStatus | null;
	toStatus: TaskStatus | null;
	note: string | null;
	details: Record<string, unknown>;
	actor: Record<string, unknown>;
	/** The task as it is now (null only if it is no longer visible with this credential). */
	task: TaskRecord | null;
}

interface Row {
	id: number | string;
	tx: string;
	task_id: number;
	kind: TaskEventKind;
	from_status: TaskStatus | null;
	to_status: TaskStatus | null;
	note: string | null;
	details: Record<string, unknown> | null;
	actor: Record<string, unknown> | null;
	at: string;
}

const COLUMNS = `e.id, e.tx::text AS tx, e.task_id, e.kind, e.from_status, e.to_status, e.note, e.details, e.actor, e.at`;

function kindsOf(topics: TaskFeedTopic[]): TaskEventKind[] {
	for (const t of topics) if (!isTaskFeedTopic(t)) throw new FieldError('Events', `Unknown event ${describeValue(t)}`);
	return [...new Set(topics.flatMap((t) => KINDS[t]))];
}

async function whereOf(uow: UnitOfWork, filter: TaskFeedFilter) {
	const where = ['e.kind = ANY(?::text[])'];
	const args: unknown[] = [kindsOf(filter.topics)];
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

async function boundary(uow: UnitOfWork): Promise<string> {
	const { rows } = await sql<{ xmin: string }>(uow, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin`);
	return rows[0].xmin;
}

async function shape(uow: UnitOfWork, rows: Row[], topics: TaskFeedTopic[]): Promise<TaskFeedEvent[]> {
	const tasks = await loadTaskRecords(uow, rows.map((r) => r.task_id));
	return rows.map((r) => {
		const task = tasks.get(r.task_id) ?? null;
		const trigger = topics.find((t) => KINDS[t].includes(r.kind)) ?? topics[0];
		return {
			eventId: `task:${r.id}`,
			trigger,
			event: r.kind,
			label: `${TASK_EVENT_KINDS[r.kind] ?? r.kind}: ${task?.title ?? `task ${r.task_id}`}`,
			at: r.at,
			taskId: r.task_id,
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
	const xmin = await boundary(uow);
	const now: FeedStart = { cursor: { tx: xmin, id: '0' } };
	if (!sinceHours || sinceHours <= 0) return now;
	const { rows } = await sql<{ since: string; tx: string | null }>(uow,
		`SELECT s.since, (SELECT min(e.tx)::text FROM task_event e WHERE e.kind = ANY(?::text[]) AND e.at >= s.since) AS tx
		FROM (SELECT now() - make_interval(secs => ?) AS since) s`,
		[kindsOf(filter.topics), Math.round(sinceHours * 3600)]);
	const { since, tx } = rows[0];
	if (tx === null) return now;
	return { cursor: { tx: BigInt(tx) < BigInt(xmin) ? tx : xmin, id: '0' }, since };
}

/** Task entries after the cursor from transactions that have all ended, oldest first, up to `limit`. */
export async function readTaskFeed(uow: UnitOfWork, filter: TaskFeedFilter, start: FeedStart, limit: number): Promise<{ events: TaskFeedEvent[]; cursor: FeedCursor; since?: string }> {
	const xmin = await boundary(uow);
	const { joins, where, args } = await whereOf(uow, filter);
	if (start.since) {
		where.push('e.at >= ?::timestamptz');
		args.push(start.since);
	}
	const { rows } = await sql<Row>(uow,
		`SELECT ${COLUMNS} FROM task_event e ${joins}
		WHERE e.tx < ?::xid8 AND (e.tx, e.id) > (?::xid8, ?::bigint) AND ${where.join(' AND ')}
		ORDER BY e.tx, e.id LIMIT ?`,
		[xmin, start.cursor.tx, start.cursor.id, ...args, limit]);
	const events = await shape(uow, rows, filter.topics);
	if (rows.length === limit) {
		const last = rows[rows.length - 1];
		return { events, cursor: { tx: last.tx, id: String(last.id) }, since: start.since };
	}
	// caught up: move to the boundary, never backwards
	const ahead = BigInt(xmin) > BigInt(start.cursor.tx) || (BigInt(xmin) === BigInt(start.cursor.tx) && BigInt(start.cursor.id) === 0n);
	return { events, cursor: ahead ? { tx: xmin, id: '0' } : start.cursor };
}

/** The latest matching task entries, oldest first, for a manual test run. */
export async function latestTaskEvents(uow: UnitOfWork, filter: TaskFeedFilter, limit = 10): Promise<TaskFeedEvent[]> {
	const { joins, where, args } = await whereOf(uow, filter);
	const { rows } = await sql<Row>(uow,
		`SELECT ${COLUMNS} FROM task_event e ${joins} WHERE ${where.join(' AND ')} ORDER BY e.tx DESC, e.id DESC LIMIT ?`,
		[...args, limit]);
	return shape(uow, rows.reverse(), filter.topics);
}
