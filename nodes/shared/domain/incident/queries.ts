import { sql } from '../../db/sql';
import { FieldError, describeValue } from '../../validation/errors';
import type { Outcome, UnitOfWork } from '../context';
import { type StaffRef, resolveStaff } from '../grid/staff';
import { loadUnit } from '../grid/unitLookup';
import { type UnitRef, subtreeBounds } from '../grid/unitRecord';
import { INCIDENT_COLUMNS, INCIDENT_FROM, type IncidentRecord, type IncidentRow, loadIncidentRecords, toIncidentRecords } from './incidentRecord';
import { RISK_LEVELS, type RiskLevel, isRiskLevel, riskRank } from './risk';
import { EVENT_KINDS, type EventKind, INCIDENT_STATUSES, type IncidentStatus, OPEN_STATUSES } from './vocabulary';

/** How users name an incident: its numeric id or its public reference (INC-20261126-000123). */
export type IncidentRef = { id: number } | { reference: string };

export function describeIncidentRef(ref: IncidentRef): string {
	return 'id' in ref ? `#${ref.id}` : ref.reference;
}

export function unknownIncident(uow: UnitOfWork, ref: IncidentRef, field = 'Incident'): FieldError {
	return new FieldError(field, `unknown incident ${describeIncidentRef(ref)}${uow.scopeCode ? ` (or it lies outside this credential's scope ${uow.scopeCode})` : ''}`);
}

/** Resolves many references to ids in one query; an unknown or out-of-scope one becomes an error for its position. */
export async function resolveIncidentsMany(uow: UnitOfWork, refs: IncidentRef[], field = 'Incident'): Promise<Array<number | FieldError>> {
	const ids = refs.filter((r): r is { id: number } => 'id' in r).map((r) => r.id);
	const references = refs.filter((r): r is { reference: string } => 'reference' in r).map((r) => r.reference.trim());
	const { rows } = await sql<{ id: number; reference: string }>(uow,
		`SELECT id, reference FROM incident WHERE id = ANY(?::bigint[]) OR reference = ANY(?::text[])`, [ids, references]);
	const byId = new Set(rows.map((r) => r.id));
	const byRef = new Map(rows.map((r) => [r.reference, r.id]));
	return refs.map((ref) => {
		const id = 'id' in ref ? (byId.has(ref.id) ? ref.id : undefined) : byRef.get(ref.reference.trim());
		return id ?? unknownIncident(uow, ref, field);
	});
}

export async function resolveIncident(uow: UnitOfWork, ref: IncidentRef, field = 'Incident'): Promise<number> {
	const [id] = await resolveIncidentsMany(uow, [ref], field);
	if (id instanceof FieldError) throw id;
	return id;
}

/**
 * Incidents by reference, many at once (two queries). Revealing the reporter's contact details is
 * audited, one row per incident.
 */
export async function getIncidents(uow: UnitOfWork, refs: IncidentRef[], reveal = false): Promise<Array<Outcome<IncidentRecord>>> {
	const ids = await resolveIncidentsMany(uow, refs);
	const records = await loadIncidentRecords(uow, ids.filter((x): x is number => typeof x === 'number'), reveal);
	return ids.map((id, k) => {
		if (id instanceof FieldError) return { ok: false, error: id };
		const rec = records.get(id);
		// its handling unit lies above this credential's scope: the shared join cannot show it
		return rec ? { ok: true, value: rec } : { ok: false, error: unknownIncident(uow, refs[k]) };
	});
}

// ---------------------------------------------------------------------------------------------------
// Search

export interface IncidentSearch {
	/** Incidents owned by units in this subtree. */
	within?: UnitRef;
	statuses?: IncidentStatus[];
	categories?: string[];
	/** At least this risk level. */
	minRisk?: RiskLevel;
	/** Exactly these risk levels (combined with minRisk when both are given). */
	riskLevels?: RiskLevel[];
	/** Open incidents whose SLA due time has passed. */
	overdueOnly?: boolean;
	supervisedOnly?: boolean;
	createdFrom?: Date;
	createdTo?: Date;
	assignee?: StaffRef;
	assigneeTeam?: string;
	/** Page size, or the most to return with returnAll; default 50. */
	limit?: number;
	offset?: number;
	/** Page through every match (limit, when given, caps the total). */
	returnAll?: boolean;
	reveal?: boolean;
}

const PAGE = 1_000;
export const DEFAULT_SEARCH_LIMIT = 50;

function checkList<T extends string>(values: readonly unknown[] | undefined, known: readonly string[], field: string): T[] | undefined {
	if (!values?.length) return undefined;
	for (const v of values) {
		if (typeof v !== 'string' || !known.includes(v)) {
			throw new FieldError(field, `${field} ${describeValue(v)} is not known; use ${known.join(', ')}`);
		}
	}
	return [...new Set(values as T[])];
}

/**
 * The WHERE conditions of a search. Every one can be answered from an index of incident or grid_unit,
 * and uses only leakproof operators (equality, ANY, range compares on timestamps and C-collated paths),
 * so row-level security does not keep the planner from those indexes.
 */
export async function incidentConditions(uow: UnitOfWork, q: IncidentSearch): Promise<{ where: string[]; args: unknown[] }> {
	const where: string[] = [];
	const args: unknown[] = [];
	if (q.within) {
		const root = await loadUnit(uow, q.within, 'Grid Unit');
		const [lo, hi] = subtreeBounds(root.path);
		where.push('u.path >= ? AND u.path < ?');
		args.push(lo, hi);
	}
	// one value as plain equality: the (status, created_at) index then serves the order as well
	const oneOrAny = (col: string, values: string[]) => {
		where.push(values.length === 1 ? `${col} = ?` : `${col} = ANY(?::text[])`);
		args.push(values.length === 1 ? values[0] : values);
	};
	const statuses = checkList<IncidentStatus>(q.statuses, Object.keys(INCIDENT_STATUSES), 'Status');
	if (statuses) oneOrAny('i.status', statuses);
	if (q.categories?.length) oneOrAny('i.category', [...new Set(q.categories)]);
	let levels = checkList<RiskLevel>(q.riskLevels, RISK_LEVELS, 'Risk Levels');
	if (q.minRisk !== undefined) {
		if (!isRiskLevel(q.minRisk)) throw new FieldError('Min Risk', `Min Risk ${describeValue(q.minRisk)} is not a risk level; use ${RISK_LEVELS.join(', ')}`);
		const atLeast = RISK_LEVELS.filter((l) => riskRank(l) >= riskRank(q.minRisk!));
		levels = levels ? levels.filter((l) => atLeast.includes(l)) : atLeast;
	}
	if (levels) oneOrAny('i.risk_level', levels);
	if (q.overdueOnly) {
		// the predicate of the partial index incident_open_due_idx
		where.push(`i.status IN (${OPEN_STATUSES.map((s) => `'${s}'`).join(', ')}) AND i.due_at < now()`);
	}
	if (q.supervisedOnly) where.push('i.supervised');
	if (q.createdFrom && q.createdTo && q.createdTo <= q.createdFrom) {
		throw new FieldError('Created To', `Created To ${q.createdTo.toISOString()} must be after Created From ${q.createdFrom.toISOString()}`);
	}
	if (q.createdFrom) {
		where.push('i.created_at >= ?::timestamptz');
		args.push(q.createdFrom.toISOString());
	}
	if (q.createdTo) {
		where.push('i.created_at < ?::timestamptz');
		args.push(q.createdTo.toISOString());
	}
	if (q.assignee) {
		where.push('i.assignee_staff_id = ?');
		args.push((await resolveStaff(uow, q.assignee, 'Assignee')).id);
	}
	if (q.assigneeTeam) {
		where.push('i.assignee_team = ?');
		args.push(q.assigneeTeam);
	}
	return { where, args };
}

/**
 * Searches incidents, newest first (created_at desc, id desc). One page by limit and offset, or every
 * match with returnAll, read in pages on the (created_at, id) key so that memory stays flat per page.
 */
export async function searchIncidents(uow: UnitOfWork, q: IncidentSearch): Promise<IncidentRecord[]> {
	if (q.limit !== undefined && (!Number.isInteger(q.limit) || q.limit < 1)) {
		throw new FieldError('Limit', `Limit must be a whole number of at least 1, got ${describeValue(q.limit)}`);
	}
	if (q.offset !== undefined && (!Number.isInteger(q.offset) || q.offset < 0)) {
		throw new FieldError('Offset', `Offset must be a whole number of at least 0, got ${describeValue(q.offset)}`);
	}
	const { where, args } = await incidentConditions(uow, q);
	const cap = q.returnAll ? q.limit ?? Infinity : q.limit ?? DEFAULT_SEARCH_LIMIT;
	const out: IncidentRecord[] = [];
	let after: { key: string; id: number } | null = null;
	let offset = q.offset ?? 0;
	for (;;) {
		const want = Math.min(PAGE, cap - out.length);
		if (want <= 0) break;
		const page: string[] = after ? ['(i.created_at, i.id) < (?::timestamptz, ?::bigint)'] : [];
		const pageArgs: unknown[] = after ? [after.key, after.id] : [];
		const { rows } = await sql<IncidentRow & { created_key: string }>(uow,
			`SELECT ${INCIDENT_COLUMNS}, i.created_at::text AS created_key FROM ${INCIDENT_FROM}
			${[...where, ...page].length ? `WHERE ${[...where, ...page].join(' AND ')}` : ''}
			ORDER BY i.created_at DESC, i.id DESC LIMIT ? OFFSET ?`,
			[...args, ...pageArgs, want, offset]);
		out.push(...(await toIncidentRecords(uow, rows, q.reveal ?? false)));
		if (rows.length < want || !q.returnAll) break;
		const last = rows[rows.length - 1];
		after = { key: last.created_key, id: last.id };
		offset = 0;
	}
	return out;
}

// ---------------------------------------------------------------------------------------------------
// Timeline

/** One entry of an incident's timeline. */
export interface TimelineEntry {
	eventId: number;
	incidentId: number;
	reference: string;
	kind: EventKind;
	label: string;
	fromStatus: IncidentStatus | null;
	toStatus: IncidentStatus | null;
	note: string | null;
	details: Record<string, unknown>;
	actor: Record<string, unknown>;
	at: string;
}

const EVENT_COLUMNS = `e.id, e.incident_id, i.reference, e.kind, e.from_status, e.to_status, e.note, e.details, e.actor, e.at`;

export function toTimelineEntry(r: Record<string, unknown>): TimelineEntry {
	const kind = r.kind as EventKind;
	return {
		eventId: r.id as number,
		incidentId: r.incident_id as number,
		reference: r.reference as string,
		kind,
		label: EVENT_KINDS[kind] ?? kind,
		fromStatus: (r.from_status as IncidentStatus | null) ?? null,
		toStatus: (r.to_status as IncidentStatus | null) ?? null,
		note: (r.note as string | null) ?? null,
		details: (r.details as Record<string, unknown>) ?? {},
		actor: (r.actor as Record<string, unknown>) ?? {},
		at: r.at as string,
	};
}

export interface TimelineQuery {
	incident: IncidentRef;
	/** Only these kinds of events. */
	kinds?: EventKind[];
}

/** An incident's events in the order they were written. */
export async function timeline(uow: UnitOfWork, q: TimelineQuery): Promise<TimelineEntry[]> {
	const id = await resolveIncident(uow, q.incident);
	const kinds = checkList<EventKind>(q.kinds, Object.keys(EVENT_KINDS), 'Event Kinds');
	const { rows } = await sql(uow,
		`SELECT ${EVENT_COLUMNS} FROM incident_event e JOIN incident i ON i.id = e.incident_id
		WHERE e.incident_id = ?${kinds ? ' AND e.kind = ANY(?::text[])' : ''} ORDER BY e.id`,
		kinds ? [id, kinds] : [id]);
	return rows.map(toTimelineEntry);
}

/** The last `count` events this transaction wrote for an incident, oldest first. */
export async function eventsWrittenNow(uow: UnitOfWork, incidentId: number, count: number): Promise<TimelineEntry[]> {
	if (count <= 0) return [];
	const { rows } = await sql(uow,
		`SELECT * FROM (
			SELECT ${EVENT_COLUMNS} FROM incident_event e JOIN incident i ON i.id = e.incident_id
			WHERE e.incident_id = ? AND e.tx = pg_current_xact_id() ORDER BY e.id DESC LIMIT ?
		) x ORDER BY x.id`,
		[incidentId, count]);
	return rows.map(toTimelineEntry);
}
