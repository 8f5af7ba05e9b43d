import { sql } from '../../db/sql';
import { FieldError, describeValue } from '../../validation/errors';
import type { UnitOfWork } from '../context';
import { type FeedCursor, type FeedStart, type StreamPage, pageOf, readStream, startStream } from '../feedCursor';
import { loadUnit } from '../grid/unitLookup';
import { type UnitRef, subtreeBounds } from '../grid/unitRecord';
import { appendEvents } from './events';
import { type IncidentRecord, loadIncidentRecords } from './incidentRecord';
import { RISK_LEVELS, RISK_LEVEL_LABELS, type RiskLevel, isRiskLevel, riskRank } from './risk';
import { EVENT_KINDS, type EventKind, INCIDENT_STATUSES, type IncidentStatus, OPEN_STATUSES } from './vocabulary';

/**
 * The event feed the Grid Trigger polls: timeline entries read in commit-safe (tx, id) order, so
 * that a cursor never skips an event whose transaction commits after one with a higher id, plus
 * the SLA watch that writes one 'sla_breached' entry per incident and due time.
 *
 * Topics are namespaced ("incident.…"); the task topics ("task.…") live beside them in
 * ../task/feed.ts, with a cursor of their own (../feedCursor.ts), and ../eventFeed.ts merges the two.
 */
export const FEED_TOPICS = {
	'incident.created': 'New incident',
	'incident.escalated': 'Incident escalated',
	'incident.slaBreached': 'SLA breached',
	'incident.statusChanged': 'Status changed',
} as const;
export type FeedTopic = keyof typeof FEED_TOPICS;

export function isFeedTopic(value: unknown): value is FeedTopic {
	return typeof value === 'string' && Object.prototype.hasOwnProperty.call(FEED_TOPICS, value);
}

/** Timeline kinds that can move an incident's status; "status changed" means one of them with a new status. */
const NON_STATUS_KINDS: readonly EventKind[] = ['created', 'repeated_report', 'commented', 'sla_breached'];
export const STATUS_KINDS: readonly EventKind[] = (Object.keys(EVENT_KINDS) as EventKind[]).filter((k) => !NON_STATUS_KINDS.includes(k));

/** The kinds a topic reads (a superset: the topic's condition narrows further). */
function kindsOf(topic: FeedTopic): readonly EventKind[] {
	switch (topic) {
		case 'incident.created': return ['created'];
		case 'incident.escalated': return ['escalated'];
		case 'incident.slaBreached': return ['sla_breached'];
		case 'incident.statusChanged': return STATUS_KINDS;
	}
}

export { type FeedCursor, type FeedStart, parseCursor } from '../feedCursor';

export interface FeedFilter {
	topics: FeedTopic[];
	/** New incidents below this risk level (at intake) are left out; other topics are not affected. */
	minRisk?: RiskLevel;
	/** Only events of incidents owned by this unit or a unit below it. */
	within?: UnitRef;
	/** Whether reports that intake marked as duplicates count as new incidents (default: no). */
	includeDuplicates?: boolean;
}

/** One event as the trigger puts it out. */
export interface FeedEvent {
	/** The timeline entry's id: unique and stable, for dedupe downstream. */
	eventId: string;
	/** The selected topic this event answers (the first that matches, in FEED_TOPICS order). */
	trigger: FeedTopic;
	/** The timeline kind, e.g. created, escalated, sla_breached, status_changed, assigned. */
	event: EventKind;
	label: string;
	at: string;
	incidentId: number;
	reference: string | null;
	fromStatus: IncidentStatus | null;
	toStatus: IncidentStatus | null;
	note: string | null;
	details: Record<string, unknown>;
	/** Who wrote the entry: workflow, execution, node and acting staff, as the audit log records them. */
	actor: Record<string, unknown>;
	/** The incident as it is now (null only if it is no longer visible with this credential). */
	incident: IncidentRecord | null;
}

export function checkFilter(filter: FeedFilter): FeedFilter {
	if (!filter.topics.length) throw new FieldError('Events', 'Select at least one event to trigger on');
	for (const t of filter.topics) {
		if (!isFeedTopic(t)) throw new FieldError('Events', `Unknown event ${describeValue(t)}; known: ${Object.keys(FEED_TOPICS).join(', ')}`);
	}
	if (filter.minRisk !== undefined && !isRiskLevel(filter.minRisk)) {
		throw new FieldError('Minimum Risk', `Minimum Risk must be one of ${RISK_LEVELS.join(', ')}, got ${describeValue(filter.minRisk)}`);
	}
	return filter;
}

/** The joins and WHERE conditions (on e = incident_event) that select the filter's events. */
async function whereOf(uow: UnitOfWork, filter: FeedFilter): Promise<{ joins: string; where: string[]; args: unknown[] }> {
	checkFilter(filter);
	const ors: string[] = [];
	const args: unknown[] = [];
	const joins: string[] = [];
	const topics = new Set(filter.topics);
	if (topics.has('incident.created')) {
		const parts = [`e.kind = 'created'`];
		if (filter.minRisk && filter.minRisk !== 'low') {
			// the risk intake gave it; older entries without one fall back to the incident's
			joins.push('LEFT JOIN incident i ON i.id = e.incident_id');
			parts.push(`coalesce(e.details->>'riskLevel', i.risk_level) = ANY(?::text[])`);
			args.push(RISK_LEVELS.filter((l) => riskRank(l) >= riskRank(filter.minRisk!)));
		}
		if (!filter.includeDuplicates) parts.push(`e.to_status IS DISTINCT FROM 'duplicate'`);
		ors.push(`(${parts.join(' AND ')})`);
	}
	if (topics.has('incident.escalated')) ors.push(`e.kind = 'escalated'`);
	if (topics.has('incident.slaBreached')) ors.push(`e.kind = 'sla_breached'`);
	if (topics.has('incident.statusChanged')) {
		ors.push(`(e.kind = ANY(?::text[]) AND e.to_status IS NOT NULL AND e.to_status IS DISTINCT FROM e.from_status)`);
		args.push(STATUS_KINDS);
	}
	const where = [`(${ors.join(' OR ')})`];
	if (filter.within) {
		const root = await loadUnit(uow, filter.within, 'Within Unit');
		const [lo, hi] = subtreeBounds(root.path);
		joins.push('JOIN grid_unit eu ON eu.id = e.unit_id');
		where.push('eu.path >= ? AND eu.path < ?');
		args.push(lo, hi);
	}
	return { joins: joins.join(' '), where, args };
}

interface EventRow {
	id: number | string;
	tx: string;
	incident_id: number;
	kind: EventKind;
	from_status: IncidentStatus | null;
	to_status: IncidentStatus | null;
	note: string | null;
	details: Record<string, unknown> | null;
	actor: Record<string, unknown> | null;
	at: string;
}

const EVENT_COLUMNS = `e.id, e.tx::text AS tx, e.incident_id, e.kind, e.from_status, e.to_status, e.note, e.details, e.actor, e.at`;

function topicOf(row: EventRow, topics: FeedTopic[]): FeedTopic {
	const order = (Object.keys(FEED_TOPICS) as FeedTopic[]).filter((t) => topics.includes(t));
	return order.find((t) => kindsOf(t).includes(row.kind) && (t !== 'incident.statusChanged' || (row.to_status !== null && row.to_status !== row.from_status)))
		?? order[0];
}

function labelOf(row: EventRow, incident: IncidentRecord | null): string {
	const ref = incident?.reference ?? (row.details?.reference as string | undefined) ?? `#${row.incident_id}`;
	const parts = [`${EVENT_KINDS[row.kind] ?? row.kind}: ${ref}`];
	if (row.kind === 'created') {
		const risk = (row.details?.riskLevel as RiskLevel | undefined) ?? incident?.riskLevel;
		if (risk && RISK_LEVEL_LABELS[risk]) parts.push(`risk ${RISK_LEVEL_LABELS[risk]}`);
	} else if (row.kind === 'sla_breached') {
		const due = (row.details?.dueAt as string | undefined) ?? incident?.dueAt;
		if (due) parts.push(`due ${due}`);
	}
	if (row.to_status && row.to_status !== row.from_status && row.kind !== 'created') {
		const name = (s: IncidentStatus | null) => (s ? (INCIDENT_STATUSES[s] ?? s) : '—');
		parts.push(`${name(row.from_status)} → ${name(row.to_status)}`);
	}
	return parts.join(', ');
}

async function shape(uow: UnitOfWork, rows: EventRow[], topics: FeedTopic[]): Promise<FeedEvent[]> {
	const incidents = await loadIncidentRecords(uow, rows.map((r) => r.incident_id));
	return rows.map((r) => {
		const incident = incidents.get(r.incident_id) ?? null;
		return {
			eventId: String(r.id),
			trigger: topicOf(r, topics),
			event: r.kind,
			label: labelOf(r, incident),
			at: r.at,
			incidentId: r.incident_id,
			reference: incident?.reference ?? ((r.details?.reference as string | undefined) ?? null),
			fromStatus: r.from_status,
			toStatus: r.to_status,
			note: r.note,
			details: r.details ?? {},
			actor: r.actor ?? {},
			incident,
		};
	});
}

/**
 * Where a new feed starts: now (nothing that already happened), or at the first event of the last
 * `sinceHours` hours of the filter's kinds.
 */
export async function startFeed(uow: UnitOfWork, filter: FeedFilter, sinceHours?: number): Promise<FeedStart> {
	if (sinceHours && sinceHours > 0) checkFilter(filter);
	return startStream(uow, 'incident_event', [...new Set(filter.topics.flatMap(kindsOf))], sinceHours);
}

export type FeedPage = StreamPage<FeedEvent>;

/**
 * Reads the filter's events after the cursor, oldest first, up to `limit`, from transactions that
 * have all ended. A full page moves the cursor to its last event; a short one to the boundary, so
 * the events the filter leaves out are passed over once and never read again.
 */
export async function readFeed(uow: UnitOfWork, filter: FeedFilter, start: FeedStart, limit: number, boundary?: string): Promise<FeedPage> {
	const q = await whereOf(uow, filter);
	const { rows, boundary: xmin } = await readStream<EventRow>(uow, { table: 'incident_event', columns: EVENT_COLUMNS, ...q }, start, limit, boundary);
	return pageOf(rows, await shape(uow, rows, filter.topics), start, xmin, limit);
}

/** The latest `limit` events of the filter, oldest first, for trying the trigger out; no cursor involved. */
export async function latestEvents(uow: UnitOfWork, filter: FeedFilter, limit = 10): Promise<FeedEvent[]> {
	return (await latestPositioned(uow, filter, limit)).events;
}

/** latestEvents with each event's position, for merging with the task stream. */
export async function latestPositioned(uow: UnitOfWork, filter: FeedFilter, limit = 10): Promise<{ events: FeedEvent[]; positions: FeedCursor[] }> {
	const { joins, where, args } = await whereOf(uow, filter);
	const { rows } = await sql<EventRow>(uow,
		`SELECT ${EVENT_COLUMNS}
		FROM incident_event e ${joins}
		WHERE ${where.join(' AND ')}
		ORDER BY e.tx DESC, e.id DESC
		LIMIT ?`,
		[...args, limit]);
	rows.reverse();
	return { events: await shape(uow, rows, filter.topics), positions: rows.map((r) => ({ tx: r.tx, id: String(r.id) })) };
}

/** An incident whose due time passed while it was open, as noted by noteSlaBreaches. */
export interface NotedBreach {
	incidentId: number;
	reference: string;
	dueAt: string;
}

const OPEN_LIST = OPEN_STATUSES.map((s) => `'${s}'`).join(', ');

/**
 * Notes open incidents whose due time has passed and has not been noted yet: marks that due time on
 * the incident and appends one 'sla_breached' timeline entry each, in the caller's transaction.
 * Rows another poller is noting are skipped, so parallel pollers never note one breach twice; a new
 * due time (after escalation or reopening) can breach again.
 */
export async function noteSlaBreaches(uow: UnitOfWork, limit = 5_000): Promise<NotedBreach[]> {
	const { rows } = await sql<{
		id: number; unit_id: number; reference: string; status: IncidentStatus; risk_level: RiskLevel;
		due_at: string; handling_code: string; escalation_count: number; overdue_minutes: number;
	}>(uow,
		`WITH due AS (
			SELECT id FROM incident
			WHERE status IN (${OPEN_LIST}) AND due_at < now() AND breach_noted_due_at IS DISTINCT FROM due_at
			ORDER BY due_at
			LIMIT ?
			FOR UPDATE SKIP LOCKED
		)
		UPDATE incident i SET breach_noted_due_at = i.due_at
		FROM due
		WHERE i.id = due.id
		RETURNING i.id, i.unit_id, i.reference, i.status, i.risk_level, i.due_at, i.escalation_count,
			(SELECT hu.code FROM grid_unit hu WHERE hu.id = i.handling_unit_id) AS handling_code,
			floor(extract(epoch FROM now() - i.due_at) / 60)::int AS overdue_minutes`,
		[limit]);
	rows.sort((a, b) => (a.due_at < b.due_at ? -1 : a.due_at > b.due_at ? 1 : a.id - b.id));
	await appendEvents(uow, rows.map((r) => ({
		incidentId: r.id,
		unitId: r.unit_id,
		kind: 'sla_breached' as const,
		note: `Due ${r.due_at} passed while ${INCIDENT_STATUSES[r.status] ?? r.status}`,
		details: {
			reference: r.reference,
			dueAt: r.due_at,
			status: r.status,
			riskLevel: r.risk_level,
			handlingUnitCode: r.handling_code,
			escalationCount: r.escalation_count,
			overdueMinutes: r.overdue_minutes,
		},
	})));
	return rows.map((r) => ({ incidentId: r.id, reference: r.reference, dueAt: r.due_at }));
}
