import { sql } from '../db/sql';
import { FieldError, describeValue } from '../validation/errors';
import type { UnitOfWork } from './context';

/**
 * The cursor shared by the Grid Trigger's event streams (incident_event, task_event): a position
 * (tx, id) in commit-safe order. Each stream is its own sequence and keeps its own cursor; tx is
 * the writing transaction's id, which both streams share, so events of two streams can be merged by it.
 */

/**
 * A position in a stream: every event with (tx, id) ≤ (tx, id) has been delivered. Both are decimal
 * strings (tx is a 64-bit transaction id), so they survive JSON in the workflow's static data.
 */
export interface FeedCursor {
	tx: string;
	id: string;
}

export interface FeedStart {
	cursor: FeedCursor;
	/** Events before this time are left out until the stream has caught up (set by "include last N hours"). */
	since?: string;
	/**
	 * The snapshot taken when the stream began (pg_snapshot text): events of transactions it already saw
	 * committed happened before the start and are left out. The cursor has to start at the snapshot's
	 * xmin, since a transaction running then may still commit events that belong after the start, and
	 * without this, transactions that had ended above that xmin would be delivered as if new. Dropped
	 * once the cursor passes the snapshot's xmax, beyond which it sees nothing.
	 */
	before?: string;
}

/** One page of a stream, with each event's position (in the same order) for merging with another stream. */
export interface StreamPage<E> {
	events: E[];
	positions: FeedCursor[];
	/** Where the next read starts; store it once the events are handed on. */
	cursor: FeedCursor;
	/** Still set when the page was full and the "since" start has not caught up yet. */
	since?: string;
	/** Still set while the cursor has not passed the start snapshot's xmax. */
	before?: string;
	/** Whether more events were waiting beyond this page. */
	more: boolean;
}

const DIGITS = /^\d{1,20}$/;

/** A cursor read back from storage, or undefined when there is none or it is not one of ours. */
export function parseCursor(raw: unknown): FeedCursor | undefined {
	if (!raw || typeof raw !== 'object') return undefined;
	const { tx, id } = raw as Record<string, unknown>;
	if (typeof tx !== 'string' || typeof id !== 'string' || !DIGITS.test(tx) || !DIGITS.test(id)) return undefined;
	return { tx, id };
}

export function compareTx(a: string, b: string): number {
	const d = BigInt(a) - BigInt(b);
	return d === 0n ? 0 : d < 0n ? -1 : 1;
}

export function compareCursors(a: FeedCursor, b: FeedCursor): number {
	return compareTx(a.tx, b.tx) || compareTx(a.id, b.id);
}

/**
 * The commit-safe boundary: every transaction with an id below it has ended (committed and visible,
 * or rolled back), and every transaction still running or yet to write has an id at or above it.
 * Events read in a later statement with tx below it are final.
 */
export async function feedBoundary(uow: UnitOfWork): Promise<string> {
	const { rows } = await sql<{ xmin: string }>(uow, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin`);
	return rows[0].xmin;
}

/**
 * Where a new stream starts: now (nothing that already happened), or at the first event of the given
 * kinds in the last `sinceHours` hours. `table` is one of our timeline tables, never user input.
 */
export async function startStream(uow: UnitOfWork, table: 'incident_event' | 'task_event', kinds: readonly string[], sinceHours?: number): Promise<FeedStart> {
	if (!sinceHours || sinceHours <= 0) {
		const { rows: [snap] } = await sql<{ snapshot: string; xmin: string; xmax: string }>(uow,
			`SELECT s::text AS snapshot, pg_snapshot_xmin(s)::text AS xmin, pg_snapshot_xmax(s)::text AS xmax FROM pg_current_snapshot() s`);
		// with no transaction between xmin and xmax, nothing above the cursor had ended at the start
		return snap.xmin === snap.xmax ? { cursor: { tx: snap.xmin, id: '0' } } : { cursor: { tx: snap.xmin, id: '0' }, before: snap.snapshot };
	}
	const xmin = await feedBoundary(uow);
	if (!Number.isFinite(sinceHours)) throw new FieldError('Include Last N Hours', `must be a number of hours, got ${describeValue(sinceHours)}`);
	const { rows } = await sql<{ since: string; tx: string | null }>(uow,
		`SELECT s.since, (SELECT min(e.tx)::text FROM ${table} e WHERE e.kind = ANY(?::text[]) AND e.at >= s.since) AS tx
		FROM (SELECT now() - make_interval(secs => ?) AS since) s`,
		[kinds, Math.round(sinceHours * 3600)]);
	return startAt(xmin, rows[0].tx, rows[0].since);
}

/** A start at the first matching event's transaction (from "since"), never beyond the boundary. */
export function startAt(boundary: string, firstTx: string | null, since: string): FeedStart {
	if (firstTx === null) return { cursor: { tx: boundary, id: '0' } };
	// (tx, 0) comes before every event of transaction tx; the since filter drops older events of later transactions
	return { cursor: { tx: compareTx(firstTx, boundary) < 0 ? firstTx : boundary, id: '0' }, since };
}

/**
 * A page from rows read after start.cursor below the boundary, up to limit: a full page moves the
 * cursor to its last row; a short one to the boundary (never backwards), so rows the filter left out
 * are passed over once and never read again.
 */
export function pageOf<E>(rows: Array<{ tx: string; id: number | string }>, events: E[], start: FeedStart, boundary: string, limit: number): StreamPage<E> {
	const positions = rows.map((r) => ({ tx: r.tx, id: String(r.id) }));
	if (rows.length >= limit) {
		const cursor = positions[positions.length - 1];
		return withBefore({ events, positions, cursor, since: start.since, more: true }, start.before);
	}
	const caughtUp = { tx: boundary, id: '0' };
	return withBefore({ events, positions, cursor: compareCursors(caughtUp, start.cursor) > 0 ? caughtUp : start.cursor, more: false }, start.before);
}

/** Keeps the start snapshot on a page whose cursor has not yet passed its xmax. */
function withBefore<P extends { cursor: FeedCursor; before?: string }>(page: P, before: string | undefined): P {
	if (before && compareTx(page.cursor.tx, snapshotXmax(before)) < 0) page.before = before;
	return page;
}

/** The xmax of a pg_snapshot text "xmin:xmax:xip,…". */
export function snapshotXmax(snapshot: string): string {
	const xmax = snapshot.split(':')[1];
	if (!xmax || !DIGITS.test(xmax)) throw new Error(`not a snapshot: ${snapshot}`);
	return xmax;
}

/** A stored snapshot, or undefined when it is not one (static data edited by hand, say). */
export function parseSnapshot(raw: unknown): string | undefined {
	return typeof raw === 'string' && /^\d{1,20}:\d{1,20}:(\d{1,20}(,\d{1,20})*)?$/.test(raw) ? raw : undefined;
}

/** Where the stream continues after a whole page was handed on. */
export function nextStart(page: { cursor: FeedCursor; since?: string; before?: string }): FeedStart {
	const start: FeedStart = { cursor: page.cursor };
	if (page.since) start.since = page.since;
	if (page.before) start.before = page.before;
	return start;
}

/** A stream's filter: joins and conditions on its timeline table `e`, with their arguments in order. */
export interface StreamQuery {
	table: 'incident_event' | 'task_event';
	columns: string;
	joins: string;
	where: string[];
	args: unknown[];
}

/**
 * One page of a stream's rows after start.cursor, from transactions that have all ended (below
 * `boundary` when the caller took one for several streams), oldest first, up to `limit`; turn the
 * rows into events and pass both to pageOf with the boundary returned.
 */
export async function readStream<R extends { tx: string; id: number | string }>(
	uow: UnitOfWork, q: StreamQuery, start: FeedStart, limit: number, boundary?: string,
): Promise<{ rows: R[]; boundary: string }> {
	checkLimit(limit);
	// Taken first: everything below it has ended before the next statement's snapshot, so it is visible there.
	const xmin = boundary ?? await feedBoundary(uow);
	const where = [...q.where];
	const args = [...q.args];
	if (start.since) {
		where.push('e.at >= ?::timestamptz');
		args.push(start.since);
	}
	if (start.before) {
		where.push('NOT pg_visible_in_snapshot(e.tx, ?::pg_snapshot)');
		args.push(start.before);
	}
	const { rows } = await sql<R>(uow,
		`SELECT ${q.columns} FROM ${q.table} e ${q.joins}
		WHERE e.tx < ?::xid8 AND (e.tx, e.id) > (?::xid8, ?::bigint) AND ${where.join(' AND ')}
		ORDER BY e.tx, e.id
		LIMIT ?`,
		[xmin, start.cursor.tx, start.cursor.id, ...args, limit]);
	return { rows, boundary: xmin };
}

/** The page size of a poll. */
export function checkLimit(limit: number): void {
	if (!Number.isSafeInteger(limit) || limit < 1) throw new FieldError('Max Events Per Poll', `must be a whole number of at least 1, got ${describeValue(limit)}`);
}
