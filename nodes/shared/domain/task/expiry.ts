import { sql } from '../../db/sql';
import { FieldError, describeValue } from '../../validation/errors';
import type { UnitOfWork } from '../context';
import { loadUnit } from '../grid/unitLookup';
import { type UnitRef, subtreeBounds } from '../grid/unitRecord';
import { createIncidents } from '../incident/intake';
import type { IntakePolicy, NewIncident } from '../incident/intakeInput';
import { appendTaskEvents, type NewTaskEvent } from './events';
import { TASK_INTAKE_POLICY, holdsLoad } from './lifecycle';
import { type LoadChange, applyLoadChanges } from './loads';
import { DEFAULT_MAX_ATTEMPTS, ESCALATION_CATEGORY, TASK_KINDS, type TaskKind, type TaskStatus } from './vocabulary';

/**
 * Statuses an overdue task is taken back from. A task in progress is left alone: someone is doing
 * it, and taking it away would only lose the work; it shows as overdue in lists and to the trigger.
 */
export const EXPIRING_STATUSES: readonly TaskStatus[] = ['offered', 'assigned', 'accepted'];

export interface ExpireOverdueInput {
	/** The attempt on which an expiring task escalates as an incident instead (default 3). */
	maxAttempts?: number;
	/** Only tasks of units in this subtree (always within the credential's scope). */
	within?: UnitRef;
	/** At most this many tasks in one run. */
	limit?: number;
}

export interface ExpiredTask {
	id: number;
	title: string;
	kind: TaskKind;
	unitCode: string;
	fromStatus: TaskStatus;
	status: TaskStatus;
	attempts: number;
	dueAt: string;
	/** The volunteer whose load was released, if any. */
	releasedVolunteerId: number | null;
	escalated: boolean;
	incidentId: number | null;
	incidentReference: string | null;
}

export interface ExpireOverdueResult {
	ranAt: string;
	processed: number;
	/** Back to open for another attempt. */
	reopened: number;
	/** Escalated as an incident and cancelled. */
	escalated: number;
	tasks: ExpiredTask[];
}

interface OverdueRow {
	id: number;
	unit_id: number;
	unit_code: string;
	kind: TaskKind;
	title: string;
	status: TaskStatus;
	attempts: number;
	due_at: string;
	resident_id: number | null;
	assignee_volunteer_id: number | null;
}

const CHUNK = 500;

/**
 * Takes back tasks past their due time that were offered, assigned or accepted but not started:
 * they return to open with one more attempt, their volunteer's load released, and an "expired"
 * timeline entry. On the maxAttempts-th attempt the task is instead escalated as an incident about
 * its unit (and resident), with a category that fits its kind, and cancelled ("escalated" entry).
 * Set-based per chunk; rows another run holds are skipped (FOR UPDATE SKIP LOCKED), so parallel runs
 * never expire one task twice.
 */
export async function expireOverdue(uow: UnitOfWork, input: ExpireOverdueInput = {}, policy: IntakePolicy = TASK_INTAKE_POLICY): Promise<ExpireOverdueResult> {
	const maxAttempts = input.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
	if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100) {
		throw new FieldError('Max Attempts', `Max Attempts must be a whole number from 1 to 100, got ${describeValue(input.maxAttempts)}`);
	}
	if (input.limit !== undefined && (!Number.isInteger(input.limit) || input.limit < 1)) {
		throw new FieldError('Limit', `Limit must be a whole number of at least 1, got ${describeValue(input.limit)}`);
	}
	const join: string[] = [];
	const joinArgs: unknown[] = [];
	if (input.within) {
		const root = await loadUnit(uow, input.within, 'Within Unit');
		const [lo, hi] = subtreeBounds(root.path);
		join.push('AND u.path >= ? AND u.path < ?');
		joinArgs.push(lo, hi);
	}
	const { rows: [clock] } = await sql<{ now: string }>(uow, `SELECT now() AS now`);
	const now = new Date(clock.now);
	const result: ExpireOverdueResult = { ranAt: now.toISOString(), processed: 0, reopened: 0, escalated: 0, tasks: [] };
	for (;;) {
		const want = Math.min(CHUNK, (input.limit ?? Infinity) - result.processed);
		if (want <= 0) break;
		// handled rows become open or cancelled and no longer match
		const { rows } = await sql<OverdueRow>(uow,
			`SELECT t.id, t.unit_id, u.code AS unit_code, t.kind, t.title, t.status, t.attempts, t.due_at, t.resident_id, t.assignee_volunteer_id
			FROM task t JOIN grid_unit u ON u.id = t.unit_id ${join.join(' ')}
			WHERE t.status IN (${EXPIRING_STATUSES.map((s) => `'${s}'`).join(', ')}) AND t.due_at < ?::timestamptz
			ORDER BY t.due_at, t.id
			LIMIT ?
			FOR UPDATE OF t SKIP LOCKED`,
			[...joinArgs, now.toISOString(), want]);
		if (!rows.length) break;
		await expireChunk(uow, rows.map((r) => ({
			...r, id: Number(r.id), unit_id: Number(r.unit_id), assignee_volunteer_id: r.assignee_volunteer_id === null ? null : Number(r.assignee_volunteer_id),
			resident_id: r.resident_id === null ? null : Number(r.resident_id),
		})), maxAttempts, policy, result);
		if (rows.length < want) break;
	}
	return result;
}

async function expireChunk(uow: UnitOfWork, rows: OverdueRow[], maxAttempts: number, policy: IntakePolicy, result: ExpireOverdueResult): Promise<void> {
	const escalating = rows.filter((r) => r.attempts + 1 >= maxAttempts);
	const incidents = new Map<number, { id: number; reference: string }>();
	if (escalating.length) {
		const inputs: NewIncident[] = escalating.map((r) => ({
			idempotencyKey: `task:${r.id}:escalated`,
			source: 'staff',
			category: ESCALATION_CATEGORY[r.kind],
			description: `Task ${r.id} "${r.title}" (${TASK_KINDS[r.kind]}) at ${r.unit_code} was not done: it expired ${r.attempts + 1} times, last due ${new Date(r.due_at).toISOString()}`,
			location: { unit: { id: r.unit_id } },
			...(r.resident_id !== null ? { resident: { id: r.resident_id } } : {}),
			attributes: { taskId: r.id, taskKind: r.kind, attempts: r.attempts + 1 },
		}));
		const outcomes = await createIncidents(uow, inputs, policy);
		outcomes.forEach((o, k) => {
			if (!o.ok) throw o.error;
			const inc = o.value as { id: number; reference: string };
			incidents.set(escalating[k].id, { id: inc.id, reference: inc.reference });
		});
	}
	const loads: LoadChange[] = [];
	const events: NewTaskEvent[] = [];
	const set = { ids: [] as number[], statuses: [] as string[], reasons: [] as Array<string | null>, extra: [] as string[] };
	for (const r of rows) {
		const attempts = r.attempts + 1;
		const inc = incidents.get(r.id);
		const status: TaskStatus = inc ? 'cancelled' : 'open';
		const released = holdsLoad(r) ? r.assignee_volunteer_id : null;
		if (released !== null) loads.push({ volunteerId: released, delta: -1 });
		set.ids.push(r.id);
		set.statuses.push(status);
		set.reasons.push(inc ? `escalated as incident ${inc.reference} after ${attempts} expired attempts` : null);
		set.extra.push(JSON.stringify(inc ? { escalatedIncident: inc } : {}));
		const dueAt = new Date(r.due_at).toISOString();
		events.push(inc
			? {
				taskId: r.id, unitId: r.unit_id, kind: 'escalated', fromStatus: r.status, toStatus: 'cancelled',
				note: `overdue since ${dueAt} on attempt ${attempts} of ${maxAttempts}: escalated as incident ${inc.reference}`,
				details: { attempts, maxAttempts, dueAt, incidentId: inc.id, incidentReference: inc.reference, releasedVolunteerId: released },
			}
			: {
				taskId: r.id, unitId: r.unit_id, kind: 'expired', fromStatus: r.status, toStatus: 'open',
				note: `overdue since ${dueAt}: back to open (attempt ${attempts} of ${maxAttempts})`,
				details: { attempts, maxAttempts, dueAt, releasedVolunteerId: released },
			});
		result.processed++;
		if (inc) result.escalated++;
		else result.reopened++;
		result.tasks.push({
			id: r.id, title: r.title, kind: r.kind, unitCode: r.unit_code, fromStatus: r.status, status, attempts, dueAt,
			releasedVolunteerId: released, escalated: Boolean(inc), incidentId: inc?.id ?? null, incidentReference: inc?.reference ?? null,
		});
	}
	// an escalated task keeps its last assignee for the record; a reopened one is free for dispatch
	await sql(uow,
		`UPDATE task t SET
			status = x.status,
			attempts = t.attempts + 1,
			offered_volunteer_id = NULL,
			assignee_volunteer_id = CASE WHEN x.status = 'open' THEN NULL ELSE t.assignee_volunteer_id END,
			assignee_staff_id = CASE WHEN x.status = 'open' THEN NULL ELSE t.assignee_staff_id END,
			assignee_team_id = CASE WHEN x.status = 'open' THEN NULL ELSE t.assignee_team_id END,
			assigned_at = CASE WHEN x.status = 'open' THEN NULL ELSE t.assigned_at END,
			cancel_reason = x.reason,
			details = t.details || x.extra::jsonb,
			updated_at = now()
		FROM unnest(?::bigint[], ?::text[], ?::text[], ?::text[]) AS x(id, status, reason, extra)
		WHERE t.id = x.id`,
		[set.ids, set.statuses, set.reasons, set.extra]);
	await applyLoadChanges(uow, loads);
	await appendTaskEvents(uow, events);
}
