import { sql } from '../../db/sql';
import { FieldError, describeValue } from '../../validation/errors';
import { requiredText, text } from '../../validation/text';
import type { UnitOfWork } from '../context';
import { responsibleMany } from '../grid/assignments';
import { type StaffRef, resolveStaff } from '../grid/staff';
import { DEFAULT_CALENDAR, type WorkingCalendar } from './calendar';
import { type Category, DEFAULT_CATEGORIES, resolveCategory } from './categories';
import { appendEvents, type NewIncidentEvent } from './events';
import { type IncidentRecord, loadIncidentRecords } from './incidentRecord';
import { type IncidentRef, type TimelineEntry, eventsWrittenNow, unknownIncident } from './queries';
import { type RiskLevel, RISK_LEVEL_LABELS, RISK_LEVELS, isRiskLevel, riskRank } from './risk';
import { DEFAULT_SLA_MATRIX, type SlaMatrix, addDuration, dueTime, slaFor } from './sla';
import { INCIDENT_STATUSES, type IncidentStatus, OPEN_STATUSES, STATUS_MOVES, SUPERVISION_THRESHOLD } from './vocabulary';

/** SLA settings for operations that set a new due time. */
export interface SlaPolicy {
	sla: SlaMatrix;
	calendar: WorkingCalendar;
}

export const DEFAULT_SLA_POLICY: SlaPolicy = { sla: DEFAULT_SLA_MATRIX, calendar: DEFAULT_CALENDAR };

/** What every lifecycle operation returns: the incident as it is now and the timeline entries written. */
export type IncidentChange = IncidentRecord & {
	previousStatus: IncidentStatus;
	events: TimelineEntry[];
};

export const NOTE_MAX = 2000;

/** The state of an incident, read under a row lock before it is changed. */
export interface LockedIncident {
	id: number;
	reference: string;
	unit_id: number;
	handling_unit_id: number;
	handling_code: string | null;
	handling_level: number | null;
	handling_parent_id: number | null;
	status: IncidentStatus;
	category: string;
	risk_level: RiskLevel;
	created_at: string;
	due_at: string | null;
	assignee_staff_id: number | null;
	assignee_name: string | null;
	assignee_team: string | null;
	escalation_count: number;
	transfer_count: number;
	reopen_count: number;
	supervised: boolean;
}

/** Locks one incident (FOR UPDATE) and reads the state a change depends on. */
export async function lockIncident(uow: UnitOfWork, ref: IncidentRef): Promise<LockedIncident> {
	const byId = 'id' in ref;
	const { rows } = await sql<LockedIncident>(uow,
		`SELECT i.id, i.reference, i.unit_id, i.handling_unit_id, hu.code AS handling_code, hu.level AS handling_level,
			hu.parent_id AS handling_parent_id, i.status, i.category, i.risk_level, i.created_at, i.due_at,
			i.assignee_staff_id, st.name AS assignee_name, i.assignee_team, i.escalation_count, i.transfer_count,
			i.reopen_count, i.supervised
		FROM incident i
			LEFT JOIN grid_unit hu ON hu.id = i.handling_unit_id
			LEFT JOIN staff st ON st.id = i.assignee_staff_id
		WHERE ${byId ? 'i.id = ?' : 'i.reference = ?'}
		FOR UPDATE OF i`,
		[byId ? ref.id : ref.reference.trim()]);
	if (!rows.length) throw unknownIncident(uow, ref);
	return rows[0];
}

function isOpen(status: IncidentStatus): boolean {
	return OPEN_STATUSES.includes(status);
}

function label(status: IncidentStatus): string {
	return INCIDENT_STATUSES[status];
}

function requireOpen(inc: LockedIncident, what: string): void {
	if (!isOpen(inc.status)) {
		throw new FieldError('Incident', `incident ${inc.reference} is ${label(inc.status)}; only open incidents (${OPEN_STATUSES.map(label).join(', ')}) can be ${what}`);
	}
}

/** The event that puts a case under supervision, when a count has just reached the threshold. */
export function supervisionEvent(inc: Pick<LockedIncident, 'id' | 'unit_id' | 'reference'>, reopenCount: number, transferCount: number): NewIncidentEvent {
	const why = [
		reopenCount >= SUPERVISION_THRESHOLD ? `reopened ${reopenCount} times` : null,
		transferCount >= SUPERVISION_THRESHOLD ? `transferred ${transferCount} times` : null,
	].filter(Boolean).join(' and ');
	return {
		incidentId: inc.id,
		unitId: inc.unit_id,
		kind: 'supervision',
		note: `put under supervision (提级督办): ${why}`,
		details: { reopenCount, transferCount, threshold: SUPERVISION_THRESHOLD },
	};
}

export function needsSupervision(supervised: boolean, reopenCount: number, transferCount: number): boolean {
	return !supervised && (reopenCount >= SUPERVISION_THRESHOLD || transferCount >= SUPERVISION_THRESHOLD);
}

/** Applies a change to one incident row; `set` maps columns to SQL expressions with bindings. */
async function update(uow: UnitOfWork, id: number, set: Array<[string, string, unknown[]]>): Promise<void> {
	await sql(uow,
		`UPDATE incident SET ${set.map(([col, expr]) => `${col} = ${expr}`).join(', ')}${set.length ? ', ' : ''}updated_at = now() WHERE id = ?`,
		[...set.flatMap(([, , args]) => args), id]);
}

async function finish(uow: UnitOfWork, inc: LockedIncident, events: NewIncidentEvent[]): Promise<IncidentChange> {
	await appendEvents(uow, events);
	const written = await eventsWrittenNow(uow, inc.id, events.length);
	const record = (await loadIncidentRecords(uow, [inc.id])).get(inc.id);
	if (!record) throw unknownIncident(uow, { id: inc.id });
	return { ...record, previousStatus: inc.status, events: written };
}

function reasonText(value: unknown, field = 'Reason'): string {
	return requiredText(value, { field, max: NOTE_MAX, multiline: true });
}

// ---------------------------------------------------------------------------------------------------
// Triage

export interface TriageInput {
	incident: IncidentRef;
	/** A category code or label from the vocabulary. */
	category?: string;
	riskLevel?: RiskLevel;
	reason: string;
}

export type TriagePolicy = SlaPolicy & { categories: readonly Category[] };

/**
 * Sets the category and/or risk level by hand (研判), with a reason. A change of risk or category
 * recomputes the due time from the SLA matrix, counted from when the incident was created. A new
 * incident becomes triaged; with neither given, the automatic assessment is confirmed.
 */
export async function triage(uow: UnitOfWork, input: TriageInput, policy: TriagePolicy = { ...DEFAULT_SLA_POLICY, categories: DEFAULT_CATEGORIES }): Promise<IncidentChange> {
	const reason = reasonText(input.reason);
	const category = input.category !== undefined && input.category !== '' ? resolveCategory(policy.categories, input.category, 'Category').code : undefined;
	if (input.riskLevel !== undefined && !isRiskLevel(input.riskLevel)) {
		throw new FieldError('Risk Level', `Risk Level ${describeValue(input.riskLevel)} is not a risk level; use one of ${RISK_LEVELS.join(', ')}`);
	}
	const inc = await lockIncident(uow, input.incident);
	requireOpen(inc, 'triaged');
	const newCategory = category ?? inc.category;
	const newRisk = input.riskLevel ?? inc.risk_level;
	const changed = newCategory !== inc.category || newRisk !== inc.risk_level;
	const toStatus: IncidentStatus = inc.status === 'new' ? 'triaged' : inc.status;
	if (!changed && toStatus === inc.status) {
		throw new FieldError(input.riskLevel !== undefined ? 'Risk Level' : category !== undefined ? 'Category' : 'Incident',
			`incident ${inc.reference} is already ${label(inc.status)} with category ${inc.category} and risk ${RISK_LEVEL_LABELS[inc.risk_level]}; nothing to change`);
	}
	const due = changed ? dueTime(new Date(inc.created_at), newRisk, newCategory, policy.sla, policy.calendar) : null;
	const set: Array<[string, string, unknown[]]> = [['status', '?', [toStatus]]];
	if (newCategory !== inc.category) set.push(['category', '?', [newCategory]]);
	if (newRisk !== inc.risk_level) {
		set.push(['risk_level', '?', [newRisk]], ['risk_score', '?', [riskRank(newRisk)]],
			['risk_reasons', `jsonb_build_array(?::text) || risk_reasons`, [`set to ${newRisk} by hand: ${reason}`]]);
	}
	if (due) set.push(['due_at', '?::timestamptz', [due.toISOString()]]);
	await update(uow, inc.id, set);
	const details: Record<string, unknown> = {};
	if (newCategory !== inc.category) details.category = { from: inc.category, to: newCategory };
	if (newRisk !== inc.risk_level) details.riskLevel = { from: inc.risk_level, to: newRisk };
	if (due) details.dueAt = { from: inc.due_at, to: due.toISOString() };
	return finish(uow, inc, [{
		incidentId: inc.id, unitId: inc.unit_id, kind: 'triaged', fromStatus: inc.status, toStatus, note: reason, details,
	}]);
}

// ---------------------------------------------------------------------------------------------------
// Assign

export interface AssignInput {
	incident: IncidentRef;
	/** A staff member or a team; by default whoever is responsible for the handling unit. */
	to?: { staff: StaffRef } | { team: string };
	note?: string;
}

/**
 * Assigns (派单) to a staff member, a team, or by default to whoever answers for the handling unit.
 * Replacing an earlier assignee is a transfer (转派); the third transfer puts the case under supervision.
 */
export async function assign(uow: UnitOfWork, input: AssignInput): Promise<IncidentChange> {
	const note = text(input.note, { field: 'Note', max: NOTE_MAX, multiline: true }) ?? null;
	let staff: { id: number; name: string } | null = null;
	let team: string | null = null;
	if (input.to && 'team' in input.to) {
		team = requiredText(input.to.team, { field: 'Team', max: 200 });
	} else if (input.to) {
		const s = await resolveStaff(uow, input.to.staff, 'Assignee');
		if (!s.active) throw new FieldError('Assignee', `staff member ${s.name} (#${s.id}) is inactive`);
		staff = { id: s.id, name: s.name };
	}
	const inc = await lockIncident(uow, input.incident);
	requireOpen(inc, 'assigned');
	let byDefault = false;
	if (!staff && team === null) {
		const found = (await responsibleMany(uow, [inc.handling_unit_id])).get(inc.handling_unit_id);
		const first = found?.staff[0];
		if (!first) {
			throw new FieldError('Assignee', `no one holds a responsible post at ${inc.handling_code ?? `unit #${inc.handling_unit_id}`} or any unit above it${uow.scopeCode ? ` within this credential's scope ${uow.scopeCode}` : ''}; name a staff member or a team`);
		}
		staff = { id: first.staffId, name: first.name };
		byDefault = true;
	}
	const same = staff ? inc.assignee_staff_id === staff.id && inc.assignee_team === null : inc.assignee_team === team && inc.assignee_staff_id === null;
	if (same) {
		throw new FieldError('Assignee', `incident ${inc.reference} is already assigned to ${staff ? `${staff.name} (#${staff.id})` : `team ${team}`}`);
	}
	const transfer = inc.assignee_staff_id !== null || inc.assignee_team !== null;
	const transferCount = inc.transfer_count + (transfer ? 1 : 0);
	const supervise = needsSupervision(inc.supervised, inc.reopen_count, transferCount);
	const toStatus: IncidentStatus = inc.status === 'new' || inc.status === 'triaged' ? 'assigned' : inc.status;
	await update(uow, inc.id, [
		['assignee_staff_id', '?::bigint', [staff?.id ?? null]],
		['assignee_team', '?::text', [team]],
		['transfer_count', '?', [transferCount]],
		['supervised', 'supervised OR ?::boolean', [supervise]],
		['status', '?', [toStatus]],
	]);
	const events: NewIncidentEvent[] = [{
		incidentId: inc.id,
		unitId: inc.unit_id,
		kind: 'assigned',
		fromStatus: inc.status,
		toStatus,
		note,
		details: {
			from: transfer ? { staffId: inc.assignee_staff_id, name: inc.assignee_name, team: inc.assignee_team } : null,
			to: { staffId: staff?.id ?? null, name: staff?.name ?? null, team },
			responsibleByDefault: byDefault,
			transfer,
			transferCount,
		},
	}];
	if (supervise) events.push(supervisionEvent(inc, inc.reopen_count, transferCount));
	return finish(uow, inc, events);
}

// ---------------------------------------------------------------------------------------------------
// Update status

export interface StatusUpdate {
	incident: IncidentRef;
	status: IncidentStatus;
	/** Required when rejecting. */
	note?: string;
}

/** Moves an incident along STATUS_MOVES. Closing and reopening have their own operations. */
export async function updateStatus(uow: UnitOfWork, input: StatusUpdate): Promise<IncidentChange> {
	if (!Object.prototype.hasOwnProperty.call(INCIDENT_STATUSES, input.status)) {
		throw new FieldError('New Status', `New Status ${describeValue(input.status)} is not a status; use one of ${Object.keys(INCIDENT_STATUSES).join(', ')}`);
	}
	const note = input.status === 'rejected'
		? requiredText(input.note, { field: 'Note', max: NOTE_MAX, multiline: true })
		: text(input.note, { field: 'Note', max: NOTE_MAX, multiline: true }) ?? null;
	const inc = await lockIncident(uow, input.incident);
	const from = inc.status;
	const to = input.status;
	if (from === to) throw new FieldError('New Status', `incident ${inc.reference} is already ${label(from)}`);
	// moves that need more than a status: counted reopens, closes with a callback
	const dedicated = (s: IncidentStatus) => s === 'closed' || (s === 'in_progress' && (from === 'resolved' || from === 'closed'));
	const allowed = STATUS_MOVES[from].filter((s) => !dedicated(s));
	if (!allowed.includes(to)) {
		const hint = to === 'closed' ? '; use Close, which records the satisfaction and the callback'
			: dedicated(to) ? '; use Reopen, which counts the reopen and sets a new due time' : '';
		const next = allowed.length ? `; allowed next: ${allowed.map(label).join(', ')}` : ': no status change is allowed from there';
		throw new FieldError('New Status', `an incident that is ${label(from)} cannot become ${label(to)} through Update Status${next}${hint}`);
	}
	if (to === 'assigned' && inc.assignee_staff_id === null && inc.assignee_team === null) {
		throw new FieldError('New Status', `incident ${inc.reference} has no assignee; use Assign, which sets one and the status`);
	}
	const set: Array<[string, string, unknown[]]> = [['status', '?', [to]]];
	if (to === 'resolved') set.push(['resolved_at', 'now()', []]);
	await update(uow, inc.id, set);
	return finish(uow, inc, [{ incidentId: inc.id, unitId: inc.unit_id, kind: 'status_changed', fromStatus: from, toStatus: to, note }]);
}

// ---------------------------------------------------------------------------------------------------
// Comment

export interface CommentInput {
	incident: IncidentRef;
	text: string;
}

/** Adds a comment (备注) to the timeline; allowed in every status. */
export async function comment(uow: UnitOfWork, input: CommentInput): Promise<IncidentChange> {
	const body = requiredText(input.text, { field: 'Comment', max: NOTE_MAX, multiline: true });
	const inc = await lockIncident(uow, input.incident);
	await update(uow, inc.id, []);
	return finish(uow, inc, [{ incidentId: inc.id, unitId: inc.unit_id, kind: 'commented', note: body }]);
}

// ---------------------------------------------------------------------------------------------------
// Reopen

export interface ReopenInput {
	incident: IncidentRef;
	reason: string;
}

/**
 * Reopens a resolved or closed incident (重新办理): back to in progress with a new due time counted
 * from now; the closure's satisfaction and callback are cleared (the timeline keeps them). The third
 * reopen puts the case under supervision.
 */
export async function reopen(uow: UnitOfWork, input: ReopenInput, policy: SlaPolicy = DEFAULT_SLA_POLICY): Promise<IncidentChange> {
	const reason = reasonText(input.reason);
	const inc = await lockIncident(uow, input.incident);
	if (inc.status !== 'resolved' && inc.status !== 'closed') {
		throw new FieldError('Incident', `incident ${inc.reference} is ${label(inc.status)}; only ${label('resolved')} or ${label('closed')} incidents can be reopened`);
	}
	const reopenCount = inc.reopen_count + 1;
	const supervise = needsSupervision(inc.supervised, reopenCount, inc.transfer_count);
	const due = addDuration(new Date(), slaFor(inc.risk_level, inc.category, policy.sla), policy.calendar);
	await update(uow, inc.id, [
		['status', "'in_progress'", []],
		['reopen_count', '?', [reopenCount]],
		['supervised', 'supervised OR ?::boolean', [supervise]],
		['due_at', '?::timestamptz', [due.toISOString()]],
		['resolved_at', 'NULL', []],
		['closed_at', 'NULL', []],
		['satisfaction', 'NULL', []],
		['callback_result', 'NULL', []],
	]);
	const events: NewIncidentEvent[] = [{
		incidentId: inc.id, unitId: inc.unit_id, kind: 'reopened', fromStatus: inc.status, toStatus: 'in_progress', note: reason,
		details: { reopenCount, dueAt: { from: inc.due_at, to: due.toISOString() } },
	}];
	if (supervise) events.push(supervisionEvent(inc, reopenCount, inc.transfer_count));
	return finish(uow, inc, events);
}

// ---------------------------------------------------------------------------------------------------
// Close

export interface CloseInput {
	incident: IncidentRef;
	/** The reporter's satisfaction at the callback (回访), 1–5. */
	satisfaction: number;
	callbackResult: string;
}

/** Closes a resolved (or in-progress) incident with the callback's satisfaction and result (回访关闭). */
export async function close(uow: UnitOfWork, input: CloseInput): Promise<IncidentChange> {
	const s = input.satisfaction;
	if (typeof s !== 'number' || !Number.isInteger(s) || s < 1 || s > 5) {
		throw new FieldError('Satisfaction', `Satisfaction must be a whole number from 1 to 5, got ${describeValue(s)}`);
	}
	const callback = requiredText(input.callbackResult, { field: 'Callback Result', max: NOTE_MAX, multiline: true });
	const inc = await lockIncident(uow, input.incident);
	if (inc.status !== 'resolved' && inc.status !== 'in_progress') {
		throw new FieldError('Incident', `incident ${inc.reference} is ${label(inc.status)}; only ${label('resolved')} or ${label('in_progress')} incidents can be closed`);
	}
	await update(uow, inc.id, [
		['status', "'closed'", []],
		['satisfaction', '?', [s]],
		['callback_result', '?', [callback]],
		['closed_at', 'now()', []],
		['resolved_at', 'coalesce(resolved_at, now())', []],
	]);
	return finish(uow, inc, [{
		incidentId: inc.id, unitId: inc.unit_id, kind: 'closed', fromStatus: inc.status, toStatus: 'closed', note: callback,
		details: { satisfaction: s, callbackResult: callback },
	}]);
}
