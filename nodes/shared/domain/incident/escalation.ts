import { sql } from '../../db/sql';
import { FieldError, describeValue } from '../../validation/errors';
import { requiredText } from '../../validation/text';
import type { UnitOfWork } from '../context';
import { type ResponsibleFound, responsibleMany } from '../grid/assignments';
import { loadUnit } from '../grid/unitLookup';
import { type UnitRef, subtreeBounds } from '../grid/unitRecord';
import { appendEvents, type NewIncidentEvent } from './events';
import { loadIncidentRecords } from './incidentRecord';
import {
	DEFAULT_SLA_POLICY, type IncidentChange, NOTE_MAX, type SlaPolicy, lockIncident, needsSupervision, supervisionEvent,
} from './lifecycle';
import { type IncidentRef, eventsWrittenNow, unknownIncident } from './queries';
import type { RiskLevel } from './risk';
import { addDuration, slaFor } from './sla';
import { INCIDENT_STATUSES, type IncidentStatus, OPEN_STATUSES } from './vocabulary';

const label = (s: IncidentStatus) => INCIDENT_STATUSES[s];

/** The status after a new assignee takes over: cases not yet dispatched become assigned. */
function statusAfterHandover(status: IncidentStatus, newAssignee: boolean): IncidentStatus {
	return newAssignee && (status === 'new' || status === 'triaged') ? 'assigned' : status;
}

function firstResponsible(found: ResponsibleFound | undefined): { staffId: number; name: string } | null {
	const s = found?.staff[0];
	return s ? { staffId: s.staffId, name: s.name } : null;
}

// ---------------------------------------------------------------------------------------------------
// Escalate one incident

export interface EscalateInput {
	incident: IncidentRef;
	reason: string;
}

/**
 * Escalates one level up the grid (上报升级): the handling unit becomes its parent, whoever answers
 * for the parent (walking up past vacant posts) takes the case, and a new due time runs from now. An
 * incident already handled by the district cannot go higher; nor can a scoped credential send one
 * above its scope. When nobody holds a post up there the current assignee keeps the case.
 */
export async function escalate(uow: UnitOfWork, input: EscalateInput, policy: SlaPolicy = DEFAULT_SLA_POLICY): Promise<IncidentChange> {
	const reason = requiredText(input.reason, { field: 'Reason', max: NOTE_MAX, multiline: true });
	const inc = await lockIncident(uow, input.incident);
	if (!OPEN_STATUSES.includes(inc.status)) {
		throw new FieldError('Incident', `incident ${inc.reference} is ${label(inc.status)}; only open incidents (${OPEN_STATUSES.map(label).join(', ')}) can be escalated`);
	}
	if (inc.handling_code === null) {
		throw new FieldError('Incident', `incident ${inc.reference} is handled above this credential's scope ${uow.scopeCode}; escalate it with a credential that covers its handling unit`);
	}
	if (inc.handling_level === 1 || inc.handling_parent_id === null) {
		throw new FieldError('Incident', `cannot escalate above the district: incident ${inc.reference} is already handled by the district ${inc.handling_code} (level 1)`);
	}
	const { rows: [parent] } = await sql<{ id: number; code: string; level: number }>(uow,
		`SELECT id, code, level FROM grid_unit WHERE id = ?`, [inc.handling_parent_id]);
	if (!parent) {
		throw new FieldError('Incident', `cannot escalate incident ${inc.reference} above ${inc.handling_code}: the unit above lies outside this credential's scope ${uow.scopeCode}; use a credential that covers it`);
	}
	const found = (await responsibleMany(uow, [parent.id])).get(parent.id);
	const who = firstResponsible(found);
	const due = addDuration(new Date(), slaFor(inc.risk_level, inc.category, policy.sla), policy.calendar);
	const toStatus = statusAfterHandover(inc.status, who !== null);
	const escalationCount = inc.escalation_count + 1;
	await sql(uow,
		`UPDATE incident SET handling_unit_id = ?, escalation_count = ?, due_at = ?::timestamptz, status = ?,
			assignee_staff_id = CASE WHEN ?::boolean THEN ?::bigint ELSE assignee_staff_id END,
			assignee_team = CASE WHEN ?::boolean THEN NULL ELSE assignee_team END,
			updated_at = now()
		WHERE id = ?`,
		[parent.id, escalationCount, due.toISOString(), toStatus, who !== null, who?.staffId ?? null, who !== null, inc.id]);
	await appendEvents(uow, [{
		incidentId: inc.id,
		unitId: inc.unit_id,
		kind: 'escalated',
		fromStatus: inc.status,
		toStatus,
		note: reason,
		details: {
			fromUnitCode: inc.handling_code,
			fromLevel: inc.handling_level,
			toUnitCode: parent.code,
			toLevel: parent.level,
			answeredByCode: found?.answeredByCode ?? null,
			assignee: who ? { staffId: who.staffId, name: who.name } : null,
			previousAssignee: inc.assignee_staff_id !== null || inc.assignee_team !== null ? { staffId: inc.assignee_staff_id, name: inc.assignee_name, team: inc.assignee_team } : null,
			escalationCount,
			dueAt: { from: inc.due_at, to: due.toISOString() },
			automatic: false,
		},
	}]);
	const events = await eventsWrittenNow(uow, inc.id, 1);
	const record = (await loadIncidentRecords(uow, [inc.id])).get(inc.id);
	if (!record) throw unknownIncident(uow, { id: inc.id });
	return { ...record, previousStatus: inc.status, events };
}

// ---------------------------------------------------------------------------------------------------
// Escalate every overdue incident

export interface EscalateOverdueInput {
	/** Only incidents owned by units in this subtree (within the credential's scope in any case). */
	within?: UnitRef;
	/** At most this many incidents in one run, oldest due time first. */
	limit?: number;
	/** Incidents locked and written per round; default 5,000. */
	chunkSize?: number;
}

/** What happened to one overdue incident. */
export interface OverdueEscalation {
	id: number;
	reference: string;
	/** False when the handling unit is already the top (the district, or the top of the credential's scope). */
	escalated: boolean;
	fromUnitCode: string | null;
	toUnitCode: string | null;
	toLevel: number | null;
	assigneeStaffId: number | null;
	assigneeName: string | null;
	status: IncidentStatus;
	previousDueAt: string;
	dueAt: string;
	/** Put under supervision by this run. */
	supervised: boolean;
}

export interface EscalateOverdueResult {
	/** The moment that counted as "now": incidents due before it were overdue, new due times start from it. */
	ranAt: string;
	processed: number;
	escalated: number;
	/** Overdue incidents that were already at the top and got a new due time only. */
	atTop: number;
	newlySupervised: number;
	incidents: OverdueEscalation[];
}

interface OverdueRow {
	id: number;
	reference: string;
	unit_id: number;
	handling_unit_id: number;
	status: IncidentStatus;
	category: string;
	risk_level: RiskLevel;
	due_at: string;
	assignee_staff_id: number | null;
	assignee_team: string | null;
	reopen_count: number;
	transfer_count: number;
	supervised: boolean;
	escalation_count: number;
	breach_noted_due_at: string | null;
	handling_code: string | null;
	handling_level: number | null;
	parent_id: number | null;
	parent_code: string | null;
	parent_level: number | null;
}

export const OVERDUE_CHUNK = 5_000;

/**
 * Escalates every open incident whose due time has passed, one level up, set-based: per chunk one
 * statement locks the incidents (FOR UPDATE SKIP LOCKED, so parallel runs never take the same one),
 * three find who answers for the new handling units, one writes every incident (UPDATE … FROM unnest)
 * and one appends every timeline entry. Incidents already at the top stay there with a new due time
 * and an entry that says so. Incidents reopened or transferred SUPERVISION_THRESHOLD times are put
 * under supervision. New due times come from the SLA matrix, counted from the run's start.
 */
export async function escalateOverdue(uow: UnitOfWork, input: EscalateOverdueInput = {}, policy: SlaPolicy = DEFAULT_SLA_POLICY): Promise<EscalateOverdueResult> {
	if (input.limit !== undefined && (!Number.isInteger(input.limit) || input.limit < 1)) {
		throw new FieldError('Limit', `Limit must be a whole number of at least 1, got ${describeValue(input.limit)}`);
	}
	const chunk = input.chunkSize ?? OVERDUE_CHUNK;
	if (!Number.isInteger(chunk) || chunk < 1 || chunk > 50_000) {
		throw new FieldError('Chunk Size', `Chunk Size must be a whole number from 1 to 50000, got ${describeValue(input.chunkSize)}`);
	}
	const joins: string[] = [];
	const joinArgs: unknown[] = [];
	if (input.within) {
		const root = await loadUnit(uow, input.within, 'Grid Unit');
		const [lo, hi] = subtreeBounds(root.path);
		joins.push('JOIN grid_unit u ON u.id = i.unit_id AND u.path >= ? AND u.path < ?');
		joinArgs.push(lo, hi);
	}
	const { rows: [clock] } = await sql<{ now: string }>(uow, `SELECT now() AS now`);
	const now = new Date(clock.now);
	const dueCache = new Map<string, string>();
	const newDue = (risk: RiskLevel, category: string): string => {
		const key = `${risk}\u0000${category}`;
		let due = dueCache.get(key);
		if (due === undefined) {
			due = addDuration(now, slaFor(risk, category, policy.sla), policy.calendar).toISOString();
			dueCache.set(key, due);
		}
		return due;
	};

	const result: EscalateOverdueResult = { ranAt: now.toISOString(), processed: 0, escalated: 0, atTop: 0, newlySupervised: 0, incidents: [] };
	const seen = new Set<number>();
	for (;;) {
		const want = Math.min(chunk, (input.limit ?? Infinity) - result.processed);
		if (want <= 0) break;
		// Ordered by the partial index incident_open_due_idx. Rows written by an earlier round now have
		// a due time after `now` and no longer match; rows another run holds are skipped, and rows it
		// committed meanwhile are rechecked against their new due time before they are locked.
		const { rows } = await sql<OverdueRow>(uow,
			`SELECT i.id, i.reference, i.unit_id, i.handling_unit_id, i.status, i.category, i.risk_level, i.due_at,
				i.assignee_staff_id, i.assignee_team, i.reopen_count, i.transfer_count, i.supervised, i.escalation_count,
				i.breach_noted_due_at, hu.code AS handling_code, hu.level AS handling_level, hu.parent_id, pu.code AS parent_code, pu.level AS parent_level
			FROM incident i
				${joins.join(' ')}
				LEFT JOIN grid_unit hu ON hu.id = i.handling_unit_id
				LEFT JOIN grid_unit pu ON pu.id = hu.parent_id
			WHERE i.status IN (${OPEN_STATUSES.map((s) => `'${s}'`).join(', ')}) AND i.due_at < ?::timestamptz
			ORDER BY i.due_at, i.id
			LIMIT ?
			FOR UPDATE OF i SKIP LOCKED`,
			[...joinArgs, now.toISOString(), want]);
		const fresh = rows.filter((r) => !seen.has(r.id));
		if (!fresh.length) break;
		await escalateChunk(uow, fresh, newDue, result);
		for (const r of fresh) seen.add(r.id);
		if (rows.length < want || fresh.length < rows.length) break;
	}
	return result;
}

async function escalateChunk(
	uow: UnitOfWork,
	rows: OverdueRow[],
	newDue: (risk: RiskLevel, category: string) => string,
	result: EscalateOverdueResult,
): Promise<void> {
	// Up one level when the handling unit and its parent are visible and it is not the district.
	const canRise = (r: OverdueRow) => r.handling_code !== null && r.parent_id !== null && r.parent_code !== null;
	const answers = await responsibleMany(uow, [...new Set(rows.filter(canRise).map((r) => r.parent_id!))]);
	// names of the assignees who keep their case (at the top, or nobody posted above)
	const keep = [...new Set(rows.filter((r) => r.assignee_staff_id !== null && !firstResponsible(canRise(r) ? answers.get(r.parent_id!) : undefined))
		.map((r) => r.assignee_staff_id!))];
	const names = new Map<number, string>();
	if (keep.length) {
		const { rows: staff } = await sql<{ id: number; name: string }>(uow, `SELECT id, name FROM staff WHERE id = ANY(?::bigint[])`, [keep]);
		for (const s of staff) names.set(s.id, s.name);
	}
	const ids: number[] = [];
	const handling: number[] = [];
	const assignees: Array<number | null> = [];
	const reassign: boolean[] = [];
	const increments: number[] = [];
	const dues: string[] = [];
	const supervise: boolean[] = [];
	const statuses: IncidentStatus[] = [];
	const events: NewIncidentEvent[] = [];
	for (const r of rows) {
		const rise = canRise(r);
		const found = rise ? answers.get(r.parent_id!) : undefined;
		const who = firstResponsible(found);
		const status = statusAfterHandover(r.status, who !== null);
		const due = newDue(r.risk_level, r.category);
		const sup = needsSupervision(r.supervised, r.reopen_count, r.transfer_count);
		ids.push(r.id);
		handling.push(rise ? r.parent_id! : r.handling_unit_id);
		assignees.push(who?.staffId ?? null);
		reassign.push(who !== null);
		increments.push(rise ? 1 : 0);
		dues.push(due);
		supervise.push(sup);
		statuses.push(status);
		// A breach the Grid Trigger has not announced yet is announced here, before its due time is replaced.
		if (r.breach_noted_due_at === null || new Date(r.breach_noted_due_at).getTime() !== new Date(r.due_at).getTime()) {
			events.push({
				incidentId: r.id,
				unitId: r.unit_id,
				kind: 'sla_breached',
				note: `Due ${r.due_at} passed while ${r.status}`,
				details: {
					reference: r.reference, dueAt: r.due_at, status: r.status, riskLevel: r.risk_level, handlingUnitCode: r.handling_code,
					escalationCount: r.escalation_count, overdueMinutes: Math.floor((Date.parse(result.ranAt) - Date.parse(r.due_at)) / 60_000),
				},
			});
		}
		const top = r.handling_code === null
			? `its handling unit lies above this credential's scope ${uow.scopeCode}`
			: r.handling_level === 1 || r.parent_id === null
				? `already handled by the district ${r.handling_code}, the top of the grid`
				: `already handled by ${r.handling_code}, the top of this credential's scope ${uow.scopeCode}`;
		events.push({
			incidentId: r.id,
			unitId: r.unit_id,
			kind: 'escalated',
			fromStatus: r.status,
			toStatus: status,
			note: rise
				? `overdue since ${new Date(r.due_at).toISOString()}: escalated automatically from ${r.handling_code} to ${r.parent_code}`
				: `overdue since ${new Date(r.due_at).toISOString()}: ${top}; it stays there with a new due time`,
			details: {
				automatic: true,
				atTop: !rise,
				fromUnitCode: r.handling_code,
				fromLevel: r.handling_level,
				toUnitCode: rise ? r.parent_code : r.handling_code,
				toLevel: rise ? r.parent_level : r.handling_level,
				answeredByCode: found?.answeredByCode ?? null,
				assignee: who ? { staffId: who.staffId, name: who.name } : null,
				escalationCount: r.escalation_count + (rise ? 1 : 0),
				dueAt: { from: r.due_at, to: due },
			},
		});
		if (sup) events.push(supervisionEvent(r, r.reopen_count, r.transfer_count));
		result.processed++;
		if (rise) result.escalated++;
		else result.atTop++;
		if (sup) result.newlySupervised++;
		result.incidents.push({
			id: r.id,
			reference: r.reference,
			escalated: rise,
			fromUnitCode: r.handling_code,
			toUnitCode: rise ? r.parent_code : r.handling_code,
			toLevel: rise ? r.parent_level : r.handling_level,
			assigneeStaffId: who?.staffId ?? r.assignee_staff_id,
			assigneeName: who ? who.name : r.assignee_staff_id !== null ? names.get(r.assignee_staff_id) ?? null : null,
			status,
			previousDueAt: r.due_at,
			dueAt: due,
			supervised: sup,
		});
	}
	await sql(uow,
		`UPDATE incident i SET
			handling_unit_id = t.handling_unit_id,
			assignee_staff_id = CASE WHEN t.reassign THEN t.assignee ELSE i.assignee_staff_id END,
			assignee_team = CASE WHEN t.reassign THEN NULL ELSE i.assignee_team END,
			escalation_count = i.escalation_count + t.inc,
			breach_noted_due_at = i.due_at,
			due_at = t.due_at,
			supervised = i.supervised OR t.supervise,
			status = t.status,
			updated_at = now()
		FROM unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::boolean[], ?::int[], ?::timestamptz[], ?::boolean[], ?::text[])
			AS t(id, handling_unit_id, assignee, reassign, inc, due_at, supervise, status)
		WHERE i.id = t.id`,
		[ids, handling, assignees, reassign, increments, dues, supervise, statuses]);
	await appendEvents(uow, events);
}
