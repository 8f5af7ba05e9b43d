import { sql } from '../../db/sql';
import { FieldError } from '../../validation/errors';
import type { UnitOfWork } from '../context';
import { loadUnit } from '../grid/unitLookup';
import { type UnitRef, subtreeBounds } from '../grid/unitRecord';
import { breakdownSql, forAnalytics } from './breakdown';
import type { Period } from './period';
import { count as n, average, ratio } from './figures';

export interface PerformanceInput {
	unit: UnitRef;
	period: Period;
	/** One row per staff member, or per unit at a level. */
	groupBy: 'staff' | 'unit';
	/** For groupBy unit: the level of the rows; 0 or none is the unit itself. */
	byLevel?: number;
	/** Minutes an assignee has to sign for (签收) a case: move it to in progress after assignment. */
	signForMinutes: number;
}

/** The 12345-hotline assessment figures (考核督办) of one staff member or unit for a period. */
export interface PerformanceRow {
	staffId?: number;
	staffNo?: string | null;
	staffName?: string;
	unitCode: string;
	unitName: string;
	/** Cases assigned (派单) in the period, and of those signed for, and signed for in time. */
	assignments: number;
	signedFor: number;
	signedOnTime: number;
	signForRate: number | null;
	/** Cases resolved in the period, those with a due time, and of those resolved by it. */
	resolved: number;
	resolvedWithDue: number;
	resolvedOnTime: number;
	onTimeRate: number | null;
	/** Cases sent back for redoing (reopened) in the period. */
	reopens: number;
	/** Cases transferred away from this staff member or unit in the period. */
	transfers: number;
	satisfactionCount: number;
	satisfactionAverage: number | null;
	/** Cases put under supervision (提级督办) in the period. */
	supervisionFlags: number;
}


/**
 * Staff performance for a subtree and period, in one set-based query: every fact (an assignment, a
 * transfer away, a resolution, a reopen, a rating, a supervision flag) becomes a row carrying the staff
 * member it counts against and the unit, and the rows are summed per staff member or per unit.
 * Resolutions, reopens, ratings and flags count against the case's assignee at the time of the query.
 */
export async function staffPerformance(uow: UnitOfWork, input: PerformanceInput): Promise<PerformanceRow[]> {
	const root = await loadUnit(uow, input.unit, 'Unit');
	// per staff the level only bounds the subtree; per unit, 0 or none means the unit itself
	const level = input.groupBy === 'unit' && input.byLevel ? input.byLevel : Number(root.level);
	if (input.groupBy === 'unit' && (level < root.level || level > 5)) {
		throw new FieldError('Break Down By', `${root.code} is a level-${root.level} unit: break it down by level ${root.level} to 5 (got ${level})`);
	}
	const [lo, hi] = subtreeBounds(root.path);
	await forAnalytics(uow);
	const inP = (col: string) => `(${col} >= ?::timestamptz AND ${col} < ?::timestamptz)`;
	const p = [input.period.start, input.period.end];
	const key = input.groupBy === 'staff' ? 'f.staff_id' : 'f.target_id';
	const { rows } = await sql(uow,
		`${breakdownSql(level, false).members},
		asg AS (
			SELECT e.incident_id, e.at, m.target_id,
				(e.details->'to'->>'staffId')::bigint AS staff_id,
				(e.details->'from'->>'staffId')::bigint AS from_staff,
				coalesce((e.details->>'transfer')::boolean, false) AS transfer,
				lead(e.at) OVER (PARTITION BY e.incident_id ORDER BY e.at, e.id) AS next_at
			FROM incident_event e JOIN members m ON m.unit_id = e.unit_id
			WHERE e.kind = 'assigned' AND ${inP('e.at')}
		),
		signed AS (
			SELECT a.*, (
				SELECT min(s.at) FROM incident_event s
				WHERE s.incident_id = a.incident_id AND s.to_status = 'in_progress' AND s.at >= a.at
					AND (a.next_at IS NULL OR s.at < a.next_at)
			) AS signed_at
			FROM asg a
		),
		cases AS (
			SELECT i.id, i.assignee_staff_id AS staff_id, m.target_id, i.due_at, i.satisfaction,
				coalesce(i.resolved_at, i.closed_at) AS resolved_at,
				${inP('coalesce(i.resolved_at, i.closed_at)')} AS resolved,
				${inP('i.closed_at')} AS closed
			FROM incident i JOIN members m ON m.unit_id = i.unit_id
			WHERE ${inP('i.resolved_at')} OR ${inP('i.closed_at')}
		),
		flags AS (
			SELECT i.assignee_staff_id AS staff_id, m.target_id, e.kind
			FROM incident_event e JOIN incident i ON i.id = e.incident_id JOIN members m ON m.unit_id = e.unit_id
			WHERE e.kind IN ('reopened', 'supervision') AND ${inP('e.at')}
		),
		f AS (
			SELECT staff_id, target_id, 1 AS assignments, (signed_at IS NOT NULL)::int AS signed_for,
				(signed_at <= at + make_interval(mins => ?))::int AS signed_on_time,
				0 AS resolved, 0 AS resolved_with_due, 0 AS resolved_on_time, 0 AS reopens, 0 AS transfers,
				0 AS satisfaction_count, 0 AS satisfaction_sum, 0 AS supervision
			FROM signed
			UNION ALL
			SELECT from_staff, target_id, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 FROM asg WHERE transfer
			UNION ALL
			SELECT staff_id, target_id, 0, 0, 0, resolved::int, (resolved AND due_at IS NOT NULL)::int,
				(resolved AND resolved_at <= due_at)::int, 0, 0,
				(closed AND satisfaction IS NOT NULL)::int, CASE WHEN closed THEN coalesce(satisfaction, 0) ELSE 0 END, 0
			FROM cases
			UNION ALL
			SELECT staff_id, target_id, 0, 0, 0, 0, 0, 0, (kind = 'reopened')::int, 0, 0, 0, (kind = 'supervision')::int FROM flags
		)
		SELECT ${key} AS k, sum(assignments) AS assignments, sum(signed_for) AS signed_for, sum(coalesce(signed_on_time, 0)) AS signed_on_time,
			sum(resolved) AS resolved, sum(resolved_with_due) AS resolved_with_due, sum(resolved_on_time) AS resolved_on_time,
			sum(reopens) AS reopens, sum(transfers) AS transfers, sum(satisfaction_count) AS satisfaction_count,
			sum(satisfaction_sum) AS satisfaction_sum, sum(supervision) AS supervision
		FROM f WHERE ${key} IS NOT NULL
		GROUP BY ${key}`,
		[lo, hi, ...p, ...p, ...p, ...p, ...p, ...p, input.signForMinutes],
	);
	const ids = rows.map((r) => r.k);
	// who each key is: a staff member with their unit, or a unit
	const who = new Map<string, { unitCode: string; unitName: string; staffNo?: string | null; staffName?: string }>();
	if (ids.length) {
		const { rows: found } = input.groupBy === 'staff'
			? await sql(uow, `SELECT s.id, s.staff_no, s.name AS staff_name, u.code, u.name FROM staff s JOIN grid_unit u ON u.id = s.unit_id WHERE s.id = ANY(?::bigint[])`, [ids])
			: await sql(uow, `SELECT id, code, name FROM grid_unit WHERE id = ANY(?::bigint[])`, [ids]);
		for (const f of found) who.set(String(f.id), { unitCode: f.code, unitName: f.name, staffNo: f.staff_no, staffName: f.staff_name });
	}
	const out = rows.map((r): PerformanceRow => {
		const w = who.get(String(r.k));
		const unitCode = w?.unitCode ?? '';
		const unitName = w?.unitName ?? '';
		const satisfactionCount = n(r.satisfaction_count);
		return {
			...(input.groupBy === 'staff' ? { staffId: Number(r.k), staffNo: w?.staffNo ?? null, staffName: w?.staffName ?? `#${r.k}` } : {}),
			unitCode,
			unitName,
			assignments: n(r.assignments),
			signedFor: n(r.signed_for),
			signedOnTime: n(r.signed_on_time),
			signForRate: ratio(n(r.signed_on_time), n(r.assignments)),
			resolved: n(r.resolved),
			resolvedWithDue: n(r.resolved_with_due),
			resolvedOnTime: n(r.resolved_on_time),
			onTimeRate: ratio(n(r.resolved_on_time), n(r.resolved_with_due)),
			reopens: n(r.reopens),
			transfers: n(r.transfers),
			satisfactionCount,
			satisfactionAverage: average(n(r.satisfaction_sum), satisfactionCount),
			supervisionFlags: n(r.supervision),
		};
	});
	return out.sort((a, b) => (a.unitCode + (a.staffNo ?? a.staffName ?? '')).localeCompare(b.unitCode + (b.staffNo ?? b.staffName ?? '')));
}
