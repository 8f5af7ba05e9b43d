import { sql } from '../../db/sql';
import { fulfilNeedsForTask, releaseNeedsForTask } from './supply';
import { FieldError, describeValue } from '../../validation/errors';
import { requiredText, text } from '../../validation/text';
import type { UnitOfWork } from '../context';
import { type StaffRef, resolveStaff } from '../grid/staff';
import { DEFAULT_CALENDAR } from '../incident/calendar';
import { DEFAULT_CATEGORIES } from '../incident/categories';
import { createIncidents } from '../incident/intake';
import type { IntakePolicy } from '../incident/intakeInput';
import { DEFAULT_RISK_RULES } from '../incident/risk';
import { DEFAULT_SLA_MATRIX } from '../incident/sla';
import { recordObservations } from '../resident/health';
import { updateHousehold } from '../resident/households';
import { FEVER_THRESHOLD_C } from '../resident/vocabulary';
import { appendTaskEvents, type NewTaskEvent, type TaskEventEntry, taskEventsWrittenNow } from './events';
import { type LoadChange, applyLoadChanges } from './loads';
import { type TaskRecord, type TaskRef, loadTaskRecords, unknownTask } from './taskRecord';
import { type VolunteerRef, resolveVolunteer } from './tasks';
import { FIND_KINDS, FIND_RESULTS, type FindResult, LOADED_STATUSES, OPEN_TASK_STATUSES, TASK_STATUSES, type TaskKind, type TaskStatus } from './vocabulary';

/** What every lifecycle operation returns: the task as it is now and the timeline entries written. */
export type TaskChange = TaskRecord & { previousStatus: TaskStatus; events: TaskEventEntry[] };

export const NOTE_MAX = 2000;
export const TEMPERATURE_MIN_C = 34;
export const TEMPERATURE_MAX_C = 43;

/**
 * Intake settings for incidents that tasks open (a fever found, a task that keeps expiring): the
 * default vocabulary, risk rules and SLAs; no dedupe, since two residents' fevers in one building
 * are two cases.
 */
export const TASK_INTAKE_POLICY: IntakePolicy = {
	categories: DEFAULT_CATEGORIES,
	riskRules: DEFAULT_RISK_RULES,
	sla: DEFAULT_SLA_MATRIX,
	calendar: DEFAULT_CALENDAR,
	dedupeWindowHours: 0,
	dedupeSimilarity: 0.5,
	autoAssign: false,
};

/** The state of a task, read under a row lock before it is changed. */
export interface LockedTask {
	id: number;
	unit_id: number;
	kind: TaskKind;
	title: string;
	status: TaskStatus;
	resident_id: number | null;
	household_id: number | null;
	offered_volunteer_id: number | null;
	assignee_volunteer_id: number | null;
	assignee_staff_id: number | null;
	assignee_team_id: number | null;
	volunteer_name: string | null;
	staff_name: string | null;
}

const label = (s: TaskStatus) => TASK_STATUSES[s];
const id = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** Locks one task (FOR UPDATE) and reads the state a change depends on. */
export async function lockTask(uow: UnitOfWork, ref: TaskRef): Promise<LockedTask> {
	if (!Number.isSafeInteger(ref.id) || ref.id <= 0) throw new FieldError('Task ID', `Task ID must be a positive whole number, got ${describeValue(ref.id)}`);
	const { rows } = await sql(uow,
		`SELECT t.id, t.unit_id, t.kind, t.title, t.status, t.resident_id, t.household_id, t.offered_volunteer_id,
			t.assignee_volunteer_id, t.assignee_staff_id, t.assignee_team_id, v.name AS volunteer_name, st.name AS staff_name
		FROM task t LEFT JOIN volunteer v ON v.id = t.assignee_volunteer_id LEFT JOIN staff st ON st.id = t.assignee_staff_id
		WHERE t.id = ? FOR UPDATE OF t`, [ref.id]);
	if (!rows.length) throw unknownTask(uow, ref.id);
	const r = rows[0];
	return {
		...r,
		id: Number(r.id),
		unit_id: Number(r.unit_id),
		resident_id: id(r.resident_id),
		household_id: id(r.household_id),
		offered_volunteer_id: id(r.offered_volunteer_id),
		assignee_volunteer_id: id(r.assignee_volunteer_id),
		assignee_staff_id: id(r.assignee_staff_id),
		assignee_team_id: id(r.assignee_team_id),
	};
}

/** Whether a task in this status counts against its volunteer assignee's load. */
export function holdsLoad(t: Pick<LockedTask, 'status' | 'assignee_volunteer_id'>): boolean {
	return t.assignee_volunteer_id !== null && LOADED_STATUSES.includes(t.status);
}

function requireStatus(t: LockedTask, allowed: readonly TaskStatus[], what: string): void {
	if (!allowed.includes(t.status)) {
		throw new FieldError('Task ID', `task ${t.id} is ${label(t.status)}; only ${allowed.map(label).join(', ')} tasks can be ${what}`);
	}
}

async function update(uow: UnitOfWork, taskId: number, set: Array<[string, string, unknown[]]>): Promise<void> {
	await sql(uow,
		`UPDATE task SET ${set.map(([col, expr]) => `${col} = ${expr}`).join(', ')}, updated_at = now() WHERE id = ?`,
		[...set.flatMap(([, , args]) => args), taskId]);
}

async function finish(uow: UnitOfWork, t: LockedTask, events: NewTaskEvent[], loads: LoadChange[] = []): Promise<TaskChange> {
	await applyLoadChanges(uow, loads);
	await appendTaskEvents(uow, events);
	const record = (await loadTaskRecords(uow, [t.id])).get(t.id);
	if (!record) throw unknownTask(uow, t.id);
	return { ...record, previousStatus: t.status, events: await taskEventsWrittenNow(uow, t.id) };
}

const note = (v: unknown) => text(v, { field: 'Note', max: NOTE_MAX, multiline: true }) ?? null;
const reason = (v: unknown) => requiredText(v, { field: 'Reason', max: NOTE_MAX, multiline: true });

async function activeVolunteer(uow: UnitOfWork, ref: VolunteerRef) {
	const v = await resolveVolunteer(uow, ref, 'Volunteer');
	if (!v.active) throw new FieldError('Volunteer', `volunteer ${v.name} (#${v.id}) is inactive`);
	return v;
}

async function declinedBy(uow: UnitOfWork, taskId: number, volunteerId: number): Promise<string | null> {
	const { rows } = await sql<{ reason: string }>(uow, `SELECT reason FROM task_decline WHERE task_id = ? AND volunteer_id = ?`, [taskId, volunteerId]);
	return rows.length ? rows[0].reason : null;
}

// ---------------------------------------------------------------------------------------------------
// Assign and offer

export type Assignee = { volunteer: VolunteerRef } | { staff: StaffRef } | { teamId: number };

export interface AssignTaskInput {
	task: TaskRef;
	to: Assignee;
	note?: string;
}

/**
 * Assigns (派单) an open, offered, assigned or accepted task to a volunteer, a staff member or a team.
 * A volunteer's load rises by one (failing if they are at their maximum); a volunteer it is taken
 * from has theirs released. A volunteer who declined the task cannot be given it.
 */
export async function assignTask(uow: UnitOfWork, input: AssignTaskInput): Promise<TaskChange> {
	const n = note(input.note);
	let volunteer: { id: number; name: string } | null = null;
	let staff: { id: number; name: string } | null = null;
	let team: { id: number; name: string } | null = null;
	if ('volunteer' in input.to) volunteer = await activeVolunteer(uow, input.to.volunteer);
	else if ('staff' in input.to) {
		const s = await resolveStaff(uow, input.to.staff, 'Staff Member');
		if (!s.active) throw new FieldError('Staff Member', `staff member ${s.name} (#${s.id}) is inactive`);
		staff = { id: s.id, name: s.name };
	} else {
		const { rows } = await sql<{ id: number; name: string; active: boolean }>(uow, `SELECT id, name, active FROM team WHERE id = ?`, [input.to.teamId]);
		if (!rows.length) throw new FieldError('Team ID', `unknown team ${input.to.teamId}${uow.scopeCode ? ` (or it lies outside this credential's scope ${uow.scopeCode})` : ''}`);
		if (!rows[0].active) throw new FieldError('Team ID', `team ${rows[0].name} (#${rows[0].id}) is inactive`);
		team = { id: Number(rows[0].id), name: rows[0].name };
	}
	const t = await lockTask(uow, input.task);
	requireStatus(t, ['open', 'offered', 'assigned', 'accepted'], 'assigned');
	const same = volunteer ? t.assignee_volunteer_id === volunteer.id && t.assignee_team_id === null
		: staff ? t.assignee_staff_id === staff.id : t.assignee_team_id === team!.id && t.assignee_volunteer_id === null;
	if (same && t.status !== 'open' && t.status !== 'offered') {
		const who = volunteer ? `volunteer ${volunteer.name}` : staff ? `staff member ${staff.name}` : `team ${team!.name}`;
		throw new FieldError('Assign To', `task ${t.id} is already assigned to ${who}`);
	}
	if (volunteer) {
		const declined = await declinedBy(uow, t.id, volunteer.id);
		if (declined !== null) throw new FieldError('Volunteer', `volunteer ${volunteer.name} (#${volunteer.id}) declined task ${t.id} ("${declined}"); choose someone else`);
	}
	const loads: LoadChange[] = [];
	if (holdsLoad(t)) loads.push({ volunteerId: t.assignee_volunteer_id!, delta: -1 });
	if (volunteer) loads.push({ volunteerId: volunteer.id, delta: 1 });
	await update(uow, t.id, [
		['status', "'assigned'", []],
		['offered_volunteer_id', 'NULL', []],
		['assignee_volunteer_id', '?::bigint', [volunteer?.id ?? null]],
		['assignee_staff_id', '?::bigint', [staff?.id ?? null]],
		['assignee_team_id', '?::bigint', [team?.id ?? null]],
		['assigned_at', 'now()', []],
	]);
	const from = t.assignee_volunteer_id ?? t.assignee_staff_id ?? t.assignee_team_id;
	return finish(uow, t, [{
		taskId: t.id, unitId: t.unit_id, kind: 'assigned', fromStatus: t.status, toStatus: 'assigned', note: n,
		details: {
			from: from !== null ? { volunteerId: t.assignee_volunteer_id, staffId: t.assignee_staff_id, teamId: t.assignee_team_id } : null,
			to: { volunteerId: volunteer?.id ?? null, staffId: staff?.id ?? null, teamId: team?.id ?? null, name: (volunteer ?? staff ?? team)!.name },
		},
	}], loads);
}

export interface OfferTaskInput {
	task: TaskRef;
	volunteer: VolunteerRef;
	note?: string;
}

/** Offers (推送) an open or offered task to a volunteer, who may accept or decline it. Loads change only on accepting. */
export async function offerTask(uow: UnitOfWork, input: OfferTaskInput): Promise<TaskChange> {
	const n = note(input.note);
	const v = await activeVolunteer(uow, input.volunteer);
	const t = await lockTask(uow, input.task);
	requireStatus(t, ['open', 'offered'], 'offered');
	if (t.offered_volunteer_id === v.id) throw new FieldError('Volunteer', `task ${t.id} is already offered to volunteer ${v.name} (#${v.id})`);
	const declined = await declinedBy(uow, t.id, v.id);
	if (declined !== null) throw new FieldError('Volunteer', `volunteer ${v.name} (#${v.id}) declined task ${t.id} ("${declined}") and is never offered it again`);
	await update(uow, t.id, [['status', "'offered'", []], ['offered_volunteer_id', '?::bigint', [v.id]]]);
	return finish(uow, t, [{
		taskId: t.id, unitId: t.unit_id, kind: 'offered', fromStatus: t.status, toStatus: 'offered', note: n,
		details: { volunteerId: v.id, name: v.name, previouslyOfferedTo: t.offered_volunteer_id },
	}]);
}

// ---------------------------------------------------------------------------------------------------
// Accept and decline

export interface AcceptTaskInput {
	task: TaskRef;
	volunteer: VolunteerRef;
	note?: string;
}

async function isTeamMember(uow: UnitOfWork, teamId: number, volunteerId: number): Promise<boolean> {
	const { rows } = await sql(uow, `SELECT 1 FROM team_member WHERE team_id = ? AND volunteer_id = ? AND left_at IS NULL`, [teamId, volunteerId]);
	return rows.length > 0;
}

function heldBy(t: LockedTask): string {
	if (t.status === 'offered') return `offered to volunteer #${t.offered_volunteer_id}`;
	if (t.assignee_volunteer_id !== null) return `assigned to volunteer ${t.volunteer_name ?? ''} (#${t.assignee_volunteer_id})`;
	if (t.assignee_staff_id !== null) return `assigned to staff member ${t.staff_name ?? ''} (#${t.assignee_staff_id})`;
	if (t.assignee_team_id !== null) return `assigned to team #${t.assignee_team_id}`;
	return 'not offered or assigned to anyone';
}

/**
 * Accepts (接单) a task offered or assigned to this volunteer, or assigned to a team they belong to.
 * Accepting an offer (or a team's task) raises the volunteer's load; an assignment already counted.
 */
export async function acceptTask(uow: UnitOfWork, input: AcceptTaskInput): Promise<TaskChange> {
	const n = note(input.note);
	const v = await activeVolunteer(uow, input.volunteer);
	const t = await lockTask(uow, input.task);
	requireStatus(t, ['offered', 'assigned'], 'accepted');
	const loads: LoadChange[] = [];
	if (t.status === 'offered') {
		if (t.offered_volunteer_id !== v.id) throw new FieldError('Volunteer', `task ${t.id} was offered to volunteer #${t.offered_volunteer_id}, not to ${v.name} (#${v.id})`);
		loads.push({ volunteerId: v.id, delta: 1 });
	} else if (t.assignee_volunteer_id !== null) {
		if (t.assignee_volunteer_id !== v.id) throw new FieldError('Volunteer', `task ${t.id} is ${heldBy(t)}, not to ${v.name} (#${v.id})`);
	} else if (t.assignee_team_id !== null && await isTeamMember(uow, t.assignee_team_id, v.id)) {
		loads.push({ volunteerId: v.id, delta: 1 });
	} else {
		throw new FieldError('Volunteer', `task ${t.id} is ${heldBy(t)}; volunteer ${v.name} (#${v.id}) cannot accept it`);
	}
	await update(uow, t.id, [
		['status', "'accepted'", []],
		['offered_volunteer_id', 'NULL', []],
		['assignee_volunteer_id', '?::bigint', [v.id]],
		['assigned_at', 'coalesce(assigned_at, now())', []],
	]);
	return finish(uow, t, [{
		taskId: t.id, unitId: t.unit_id, kind: 'accepted', fromStatus: t.status, toStatus: 'accepted', note: n,
		details: { volunteerId: v.id, name: v.name, teamId: t.assignee_team_id },
	}], loads);
}

export interface DeclineTaskInput {
	task: TaskRef;
	volunteer: VolunteerRef;
	reason: string;
}

/**
 * Declines (拒单) a task offered or assigned to this volunteer: it goes back to open, their load is
 * released if it counted, and the decline is kept so that they are never offered it again.
 */
export async function declineTask(uow: UnitOfWork, input: DeclineTaskInput): Promise<TaskChange> {
	const r = reason(input.reason);
	const v = await resolveVolunteer(uow, input.volunteer, 'Volunteer');
	const t = await lockTask(uow, input.task);
	requireStatus(t, ['offered', 'assigned', 'accepted'], 'declined');
	const mine = t.status === 'offered' ? t.offered_volunteer_id === v.id : t.assignee_volunteer_id === v.id;
	if (!mine) throw new FieldError('Volunteer', `task ${t.id} is ${heldBy(t)}, not to ${v.name} (#${v.id}); only they can decline it`);
	const loads: LoadChange[] = holdsLoad(t) ? [{ volunteerId: v.id, delta: -1 }] : [];
	await sql(uow,
		`INSERT INTO task_decline (task_id, volunteer_id, unit_id, reason) VALUES (?, ?, ?, ?)
		ON CONFLICT (task_id, volunteer_id) DO NOTHING`, [t.id, v.id, t.unit_id, r]);
	await update(uow, t.id, [
		['status', "'open'", []],
		['offered_volunteer_id', 'NULL', []],
		['assignee_volunteer_id', 'NULL', []],
		['assignee_staff_id', 'NULL', []],
		['assignee_team_id', 'NULL', []],
		['assigned_at', 'NULL', []],
	]);
	return finish(uow, t, [{
		taskId: t.id, unitId: t.unit_id, kind: 'declined', fromStatus: t.status, toStatus: 'open', note: r,
		details: { volunteerId: v.id, name: v.name, loadReleased: loads.length > 0 },
	}], loads);
}

// ---------------------------------------------------------------------------------------------------
// Start, complete, cancel

export interface StartTaskInput {
	task: TaskRef;
	note?: string;
}

/** Starts (开始) an assigned or accepted task. */
export async function startTask(uow: UnitOfWork, input: StartTaskInput): Promise<TaskChange> {
	const n = note(input.note);
	const t = await lockTask(uow, input.task);
	requireStatus(t, ['assigned', 'accepted'], 'started');
	if (t.assignee_volunteer_id === null && t.assignee_staff_id === null) {
		throw new FieldError('Task ID', `task ${t.id} is assigned to team #${t.assignee_team_id}; a member must accept it before it starts`);
	}
	await update(uow, t.id, [['status', "'in_progress'", []], ['started_at', 'now()', []]]);
	return finish(uow, t, [{ taskId: t.id, unitId: t.unit_id, kind: 'started', fromStatus: t.status, toStatus: 'in_progress', note: n }]);
}

/** The outcome of a task, by kind: a temperature, a find result, household facts, or a note. */
export interface TaskOutcomeInput {
	/** temperature_check: required, °C. */
	temperatureC?: number;
	symptoms?: string[];
	/** verification and locate_person: required. */
	result?: FindResult;
	/** door_survey: merged into the household's facts. */
	householdFacts?: Record<string, unknown>;
	note?: string;
}

export interface CompleteTaskInput {
	task: TaskRef;
	outcome: TaskOutcomeInput;
}

export type CompleteResult = TaskChange & {
	observation: { id: number; temperatureC: number | null; fever: boolean } | null;
	incident: { id: number; reference: string; riskLevel: string; repeatedRequest: boolean } | null;
	household: { id: number; facts: Record<string, unknown> } | null;
};

/** Checks an outcome against a task's kind; throws FieldError naming the field. */
export function checkOutcome(kind: TaskKind, o: TaskOutcomeInput, taskId: number): void {
	if (kind === 'temperature_check') {
		if (o.temperatureC === undefined || o.temperatureC === null) {
			throw new FieldError('Temperature', `task ${taskId} is a temperature check; its outcome needs the temperature measured`);
		}
		if (typeof o.temperatureC !== 'number' || !Number.isFinite(o.temperatureC) || o.temperatureC < TEMPERATURE_MIN_C || o.temperatureC > TEMPERATURE_MAX_C) {
			throw new FieldError('Temperature', `Temperature must lie between ${TEMPERATURE_MIN_C} and ${TEMPERATURE_MAX_C} °C, got ${describeValue(o.temperatureC)}`);
		}
	} else if (o.temperatureC !== undefined) {
		throw new FieldError('Temperature', `a temperature is the outcome of a temperature check; task ${taskId} is ${kind}`);
	}
	if (FIND_KINDS.includes(kind)) {
		if (!o.result || !Object.prototype.hasOwnProperty.call(FIND_RESULTS, o.result)) {
			throw new FieldError('Result', `task ${taskId} is a ${kind}; its outcome needs a result: ${Object.keys(FIND_RESULTS).join(', ')} (got ${describeValue(o.result)})`);
		}
	} else if (o.result !== undefined) {
		throw new FieldError('Result', `a find result is the outcome of verification and locate-person tasks; task ${taskId} is ${kind}`);
	}
	if (o.householdFacts !== undefined) {
		if (kind !== 'door_survey') throw new FieldError('Household Facts', `household facts are the outcome of a door survey; task ${taskId} is ${kind}`);
		if (!o.householdFacts || typeof o.householdFacts !== 'object' || Array.isArray(o.householdFacts)) {
			throw new FieldError('Household Facts', `Household Facts must be a JSON object, got ${describeValue(o.householdFacts)}`);
		}
	}
	note(o.note);
	for (const s of o.symptoms ?? []) text(s, { field: 'Symptoms', max: 100 });
}

/**
 * Completes (完成) a started task with its kind's outcome, in one transaction: a temperature check
 * records a health observation for the task's resident, and a fever (≥ 37.3 °C) opens a fever
 * incident about them (its idempotency key derived from the task, so it is never opened twice); a
 * door survey merges facts into the household; verification and locate-person record what was found.
 * The volunteer's load is released.
 */
export async function completeTask(uow: UnitOfWork, input: CompleteTaskInput, policy: IntakePolicy = TASK_INTAKE_POLICY): Promise<CompleteResult> {
	const t = await lockTask(uow, input.task);
	if (t.status !== 'in_progress') {
		throw new FieldError('Task ID', `task ${t.id} is ${label(t.status)}; only a task that has been started (${label('in_progress')}) can be completed`);
	}
	const o = input.outcome;
	checkOutcome(t.kind, o, t.id);
	const n = note(o.note);
	const outcome: Record<string, unknown> = { note: n };
	let observation: CompleteResult['observation'] = null;
	let incident: CompleteResult['incident'] = null;
	let household: CompleteResult['household'] = null;
	if (t.kind === 'temperature_check') {
		if (t.resident_id === null) throw new FieldError('Task ID', `temperature check task ${t.id} is about no resident; the reading has no one to be recorded for`);
		const [rec] = await recordObservations(uow, [{
			resident: { id: t.resident_id },
			temperatureC: o.temperatureC,
			symptoms: o.symptoms ?? [],
			source: 'task',
			recordedBy: t.volunteer_name ?? t.staff_name ?? undefined,
			note: `task ${t.id}${n ? `: ${n}` : ''}`,
		}]);
		if (!rec.ok) throw rec.error;
		const obs = rec.value as { id: number; temperatureC: number | null; fever: boolean };
		observation = { id: obs.id, temperatureC: obs.temperatureC, fever: obs.fever };
		Object.assign(outcome, { temperatureC: o.temperatureC, symptoms: o.symptoms ?? [], fever: obs.fever, observationId: obs.id });
		if (o.temperatureC! >= FEVER_THRESHOLD_C) {
			const symptoms = o.symptoms?.length ? `; symptoms: ${o.symptoms.join(', ')}` : '';
			const [made] = await createIncidents(uow, [{
				idempotencyKey: `task:${t.id}:fever`,
				source: 'staff',
				category: 'fever_symptoms',
				description: `Fever of ${o.temperatureC} °C found by temperature check task ${t.id} (${t.title})${symptoms}`,
				resident: { id: t.resident_id },
				attributes: { taskId: t.id, temperatureC: o.temperatureC, observationId: obs.id },
			}], policy);
			if (!made.ok) throw made.error;
			const inc = made.value as { id: number; reference: string; riskLevel: string; repeatedRequest: boolean };
			incident = { id: inc.id, reference: inc.reference, riskLevel: inc.riskLevel, repeatedRequest: inc.repeatedRequest };
			Object.assign(outcome, { incidentId: inc.id, incidentReference: inc.reference });
		}
	}
	if (FIND_KINDS.includes(t.kind)) outcome.result = o.result;
	if (t.kind === 'door_survey' && o.householdFacts && Object.keys(o.householdFacts).length) {
		if (t.household_id === null) throw new FieldError('Household Facts', `door survey task ${t.id} is linked to no household; its facts have nowhere to go`);
		const h = await updateHousehold(uow, t.household_id, { facts: o.householdFacts });
		household = { id: h.id, facts: h.facts };
		Object.assign(outcome, { householdId: h.id, householdFacts: o.householdFacts });
	}
	if (t.kind === 'supply_delivery') {
		// closes the loop: the residents' needs this delivery carried are met
		const { needIds } = await fulfilNeedsForTask(uow, [t.id]);
		outcome.fulfilledNeedIds = needIds;
	}
	await update(uow, t.id, [
		['status', "'done'", []],
		['outcome', '?::jsonb', [JSON.stringify(outcome)]],
		['completed_at', 'now()', []],
	]);
	const change = await finish(uow, t, [{
		taskId: t.id, unitId: t.unit_id, kind: 'completed', fromStatus: t.status, toStatus: 'done', note: n, details: outcome,
	}], holdsLoad(t) ? [{ volunteerId: t.assignee_volunteer_id!, delta: -1 }] : []);
	return { ...change, observation, incident, household };
}

export interface CancelTaskInput {
	task: TaskRef;
	reason: string;
}

/** Cancels (取消) a task that is not done, with a reason; a volunteer's load is released. */
export async function cancelTask(uow: UnitOfWork, input: CancelTaskInput): Promise<TaskChange> {
	const r = reason(input.reason);
	const t = await lockTask(uow, input.task);
	requireStatus(t, OPEN_TASK_STATUSES, 'cancelled');
	// a cancelled delivery gives its needs back to planning
	if (t.kind === 'supply_delivery') await releaseNeedsForTask(uow, [t.id]);
	await update(uow, t.id, [['status', "'cancelled'", []], ['cancel_reason', '?', [r]], ['offered_volunteer_id', 'NULL', []]]);
	return finish(uow, t, [{ taskId: t.id, unitId: t.unit_id, kind: 'cancelled', fromStatus: t.status, toStatus: 'cancelled', note: r }],
		holdsLoad(t) ? [{ volunteerId: t.assignee_volunteer_id!, delta: -1 }] : []);
}
