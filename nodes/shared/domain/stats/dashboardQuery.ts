import { sql } from '../../db/sql';
import type { UnitOfWork } from '../context';
import { loadUnit } from '../grid/unitLookup';
import { type UnitRef, subtreeBounds } from '../grid/unitRecord';
import { INCIDENT_STATUSES, OPEN_STATUSES } from '../incident/vocabulary';
import { breakdownSql, inTurn } from './breakdown';
import type { DashboardData } from './dashboardTypes';
import { localToday, periodOf, shiftDate } from './period';
import { rollup } from './rollup';
import { ratio } from './figures';

export interface DashboardInput {
	unit: UnitRef;
	/** Level of the units the per-unit chart shows; default the level below the unit (communities under a street). */
	byLevel?: number;
	/** Days the window covers, ending today in the credential's time zone. */
	days: number;
	/** How many of the most overdue open cases to list. */
	topOverdue: number;
}


/**
 * Everything the dashboard page shows, from the same figures the rollup exports: health, tasks and
 * totals come from a rollup over the window; the SLA line is the per-day resolution counts; the
 * status chart and the overdue list read the live cases.
 */
export async function dashboardData(uow: UnitOfWork, input: DashboardInput): Promise<DashboardData> {
	const root = await loadUnit(uow, input.unit, 'Unit');
	const level = Math.min(5, Math.max(Number(root.level), input.byLevel || Number(root.level) + 1));
	const today = localToday(uow.timezone);
	const window = periodOf({ type: 'custom', startDate: shiftDate(today, -(input.days - 1)), endDate: today }, uow.timezone);
	const figures = await rollup(uow, { unit: { id: Number(root.id) }, period: window, byLevel: level });
	const [lo, hi] = subtreeBounds(root.path);
	const b = breakdownSql(level, false);

	const [statuses, daily, overdue, open] = await inTurn([
		() => sql(uow,
			`${b.members}
			SELECT m.target_id, i.status, count(*) AS c
			FROM incident i JOIN members m ON m.unit_id = i.unit_id
			WHERE i.created_at >= ?::timestamptz AND i.created_at < ?::timestamptz
			GROUP BY m.target_id, i.status`, [lo, hi, window.start, window.end]),
		() => sql(uow,
			`${b.members}
			SELECT to_char(coalesce(i.resolved_at, i.closed_at) AT TIME ZONE ?, 'YYYY-MM-DD') AS day,
				count(*) FILTER (WHERE i.due_at IS NOT NULL) AS with_due,
				count(*) FILTER (WHERE coalesce(i.resolved_at, i.closed_at) <= i.due_at) AS on_time
			FROM incident i JOIN members m ON m.unit_id = i.unit_id
			WHERE coalesce(i.resolved_at, i.closed_at) >= ?::timestamptz AND coalesce(i.resolved_at, i.closed_at) < ?::timestamptz
			GROUP BY 1`, [lo, hi, uow.timezone, window.start, window.end]),
		() => sql(uow,
			`SELECT i.reference, i.category, i.risk_level, i.status, i.due_at, u.name AS unit_name,
				floor(extract(epoch FROM now() - i.due_at) / 60) AS overdue_minutes
			FROM incident i JOIN grid_unit u ON u.id = i.unit_id
			WHERE u.path >= ? AND u.path < ? AND i.status = ANY(?::text[]) AND i.due_at < now()
			ORDER BY i.due_at, i.id LIMIT ?`, [lo, hi, OPEN_STATUSES, input.topOverdue]),
		() => sql(uow,
			`SELECT count(*) AS open, count(*) FILTER (WHERE i.due_at < now()) AS overdue
			FROM incident i JOIN grid_unit u ON u.id = i.unit_id
			WHERE u.path >= ? AND u.path < ? AND i.status = ANY(?::text[])`, [lo, hi, OPEN_STATUSES]),
	]);

	const byTarget = new Map<string, Record<string, number>>();
	for (const r of statuses.rows) {
		const counts = byTarget.get(String(r.target_id)) ?? Object.fromEntries(Object.keys(INCIDENT_STATUSES).map((s) => [s, 0]));
		counts[r.status] = Number(r.c);
		byTarget.set(String(r.target_id), counts);
	}
	const perDay = new Map(daily.rows.map((r) => [r.day as string, r]));
	const slaDaily = [];
	for (let d = window.startDate; d <= window.endDate; d = shiftDate(d, 1)) {
		const r = perDay.get(d);
		const withDue = Number(r?.with_due ?? 0);
		const onTime = Number(r?.on_time ?? 0);
		slaDaily.push({ date: d, resolvedWithDue: withDue, resolvedOnTime: onTime, rate: ratio(onTime, withDue) });
	}
	const total = figures.total;
	return {
		unit: { code: root.code, name: root.name, level: Number(root.level) },
		generatedAt: figures.computedAt,
		timezone: uow.timezone,
		periodLabel: `${window.startDate} – ${window.endDate}`,
		incidentsByStatus: figures.rows.map((r) => ({
			unitCode: r.unitCode,
			unitName: r.unitName,
			counts: byTarget.get(String(r.unitId)) ?? Object.fromEntries(Object.keys(INCIDENT_STATUSES).map((s) => [s, 0])),
		})),
		slaDaily,
		healthStatus: { ...total.residents.byHealthStatus },
		tasksDoneByKind: { ...total.tasks.doneByKind },
		topOverdue: overdue.rows.map((r) => ({
			reference: r.reference,
			category: r.category,
			riskLevel: r.risk_level,
			unitName: r.unit_name,
			dueAt: new Date(r.due_at).toISOString(),
			overdueMinutes: Number(r.overdue_minutes),
			status: r.status,
		})),
		totals: {
			incidentsOpen: Number(open.rows[0].open),
			incidentsOverdue: Number(open.rows[0].overdue),
			onTimeRate30d: total.incidents.onTimeRate,
			residents: total.residents.total,
			tasksDone: total.tasks.done,
		},
	};
}
