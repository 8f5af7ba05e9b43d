import { sql } from '../../db/sql';
import { FieldError } from '../../validation/errors';
import type { UnitOfWork } from '../context';
import { loadUnit } from '../grid/unitLookup';
import { type UnitRef, subtreeBounds } from '../grid/unitRecord';
import { DEFAULT_CATEGORIES } from '../incident/categories';
import { RISK_LEVELS } from '../incident/risk';
import { HEALTH_STATUS_KEYS, QUARANTINE_STATUSES, TAG_KEYS } from '../resident/vocabulary';
import { TASK_KINDS } from '../task/vocabulary';
import type { Period } from './period';
import { breakdownSql, forAnalytics, inTurn } from './breakdown';
import type { IncidentCounts, Rollup, RollupRow } from './types';
import { count as n, average, ratio } from './figures';

export interface RollupInput {
	unit: UnitRef;
	period: Period;
	/** Grid level (1–5) to break down by; the unit's own level (or 0) gives one row, the unit itself. */
	byLevel: number;
}

// Figures keyed by breakdown unit id; the key TOTAL holds the grouping-set row over all of them.
const TOTAL = 'total';

const minutes = (v: unknown) => (v === null || v === undefined ? null : Math.round(Number(v) * 10) / 10);
const zeros = (keys: readonly string[]) => Object.fromEntries(keys.map((k) => [k, 0]));
const zeroCounts = (): IncidentCounts => ({ created: 0, closed: 0, overdue: 0, escalated: 0 });
const keyOf = (id: unknown) => (id === null || id === undefined ? TOTAL : String(id));

function emptyRow(unit: { id: number; code: string; name: string; level: number }): RollupRow {
	return {
		unitId: unit.id, unitCode: unit.code, unitName: unit.name, level: unit.level,
		residents: { total: 0, byHealthStatus: zeros(HEALTH_STATUS_KEYS), byTag: zeros(TAG_KEYS) },
		health: { observations: 0, fevers: 0, quarantinesStarted: 0, quarantinesEnded: 0 },
		incidents: {
			...zeroCounts(),
			byCategory: Object.fromEntries(DEFAULT_CATEGORIES.map((c) => [c.code, zeroCounts()])),
			byRisk: Object.fromEntries(RISK_LEVELS.map((r) => [r, zeroCounts()])),
			resolvedWithDue: 0, resolvedOnTime: 0, onTimeRate: null,
			handlingMinutesMedian: null, handlingMinutesP90: null,
			duplicates: 0, duplicateRate: null,
			satisfactionCount: 0, satisfactionSum: 0, satisfactionAverage: null,
		},
		tasks: { created: 0, done: 0, createdByKind: zeros(Object.keys(TASK_KINDS)), doneByKind: zeros(Object.keys(TASK_KINDS)), doneWithDue: 0, doneOnTime: 0, onTimeRate: null },
		volunteers: { tasksDone: 0, seconds: 0, hours: 0 },
	};
}

/**
 * Every figure of a subtree for a period, one row per unit at the breakdown level, in a fixed number
 * of set-based queries whatever the number of units: each fact table is scanned once and grouped by
 * the breakdown ancestor read off the materialized path, with a grouping set for the total. Facts
 * recorded on a unit above the breakdown level (a case in a community's intake queue, broken down by
 * base grid) get a row of their own for that unit, marked `direct`, so that the rows always add up.
 */
export async function rollup(uow: UnitOfWork, input: RollupInput): Promise<Rollup> {
	const { root, level } = await rootAndLevel(uow, input);
	const [lo, hi] = subtreeBounds(root.path);
	await forAnalytics(uow);
	const { rows: targets } = await sql(uow,
		`SELECT id, code, name, level FROM grid_unit
		WHERE path >= ? AND path < ? AND level = ? AND active ORDER BY path`, [lo, hi, level]);
	const pass = await rollupPass(uow, { root, level, period: input.period, lo, hi, members: 'all', narrow: Number(root.level) >= 3, targets });
	return {
		unit: unitOf(root),
		period: input.period,
		byLevel: level,
		computedAt: new Date().toISOString(),
		rows: pass.rows,
		total: pass.total,
	};
}

/** A rollup whose rows are read page by page, for exports whose size must not grow with the units. */
export type StreamedRollup = Omit<Rollup, 'rows'> & { rows: () => AsyncIterable<RollupRow> };

/**
 * The same figures as rollup(), with the rows computed a page of breakdown units at a time (each page
 * a contiguous stretch of the path index, its facts fetched through the unit index), so memory stays
 * bounded however many units there are. The total is one pass of its own; units above the breakdown
 * level that have figures of their own come last. The rows must be read inside the unit of work.
 */
export async function streamRollup(uow: UnitOfWork, input: RollupInput, pageSize = 1000): Promise<StreamedRollup> {
	const { root, level } = await rootAndLevel(uow, input);
	const [lo, hi] = subtreeBounds(root.path);
	await forAnalytics(uow);
	const whole = await rollupPass(uow, { root, level: Number(root.level), period: input.period, lo, hi, members: 'all', narrow: Number(root.level) >= 3, targets: [] });
	return {
		unit: unitOf(root),
		period: input.period,
		byLevel: level,
		computedAt: new Date().toISOString(),
		total: whole.total,
		rows: async function* () {
			// consecutive pages cover the subtree without a gap, so inactive units between them still count
			let from = lo;
			for (;;) {
				const { rows: targets } = await sql(uow,
					`SELECT id, code, name, level, path FROM grid_unit
					WHERE path >= ? AND path < ? AND level = ? AND active ORDER BY path LIMIT ?`, [from, hi, level, pageSize]);
				const lastPage = targets.length < pageSize;
				const to = lastPage ? hi : `${targets[targets.length - 1].path}~`;
				const pass = await rollupPass(uow, { root, level, period: input.period, lo: from, hi: to, members: 'atLevel', narrow: true, targets });
				for (const row of pass.rows) yield row;
				if (lastPage) break;
				from = to;
			}
			if (level > Number(root.level)) {
				const above = await rollupPass(uow, { root, level, period: input.period, lo, hi, members: 'aboveLevel', narrow: true, targets: [] });
				for (const row of above.rows) yield row;
			}
		},
	};
}

async function rootAndLevel(uow: UnitOfWork, input: RollupInput) {
	const root = await loadUnit(uow, input.unit, 'Unit');
	const level = input.byLevel === 0 ? Number(root.level) : input.byLevel;
	if (!Number.isInteger(level) || level < root.level || level > 5) {
		throw new FieldError('Break Down By', `${root.code} is a level-${root.level} unit: break it down by its own level (${root.level}) or a lower one, down to 5 (got ${level})`);
	}
	return { root, level };
}

const unitOf = (u: { id: unknown; code: string; name: string; level: unknown }) => ({ id: Number(u.id), code: u.code, name: u.name, level: Number(u.level) });

interface Pass {
	root: { id: unknown; code: string; name: string; level: unknown };
	level: number;
	period: Period;
	/** The stretch of the path index whose units count. */
	lo: string;
	hi: string;
	/** Which of those units: all, those at or below the breakdown level, or those above it. */
	members: 'all' | 'atLevel' | 'aboveLevel';
	/** Fetch facts through the unit index (a small share of the table) rather than scanning it all. */
	narrow: boolean;
	/** The breakdown units that get a row even without figures. */
	targets: Array<{ id: unknown; code: string; name: string; level: unknown }>;
}

/** One set of queries over the members of a pass: its rows and their total. */
async function rollupPass(uow: UnitOfWork, pass: Pass): Promise<{ rows: RollupRow[]; total: RollupRow }> {
	const { level } = pass;
	const b = breakdownSql(level, pass.narrow, pass.members);
	const base = [pass.lo, pass.hi];
	const p = pass.period;
	const period = [p.start, p.end];
	const rows = new Map<string, RollupRow>();
	for (const t of pass.targets) rows.set(String(t.id), emptyRow(unitOf(t)));
	const total = emptyRow(unitOf(pass.root));
	const rowFor = new Map<string, RollupRow>();
	const extra = new Set<string>();
	const row = (key: string): RollupRow => {
		if (key === TOTAL) return total;
		let r = rows.get(key) ?? rowFor.get(key);
		if (!r) {
			// a unit outside the active targets that has facts: inactive, or facts recorded above the level
			r = emptyRow({ id: Number(key), code: '', name: '', level: 0 });
			rowFor.set(key, r);
			extra.add(key);
		}
		return r;
	};

	const [residents, tags, health, quarantines, incidents, handling, escalated, tasks] = await inTurn([
		() => sql(uow,
			`${b.members}
			SELECT m.target_id, f.k, sum(f.c) AS c
			FROM (
				SELECT r.unit_id, r.health_status AS k, count(*) AS c FROM resident r
				WHERE r.active ${b.within('r')} GROUP BY 1, 2
			) f JOIN members m ON m.unit_id = f.unit_id
			GROUP BY GROUPING SETS ((m.target_id, f.k), (f.k))`, base),
		() => sql(uow,
			`${b.members}
			SELECT m.target_id, f.k, sum(f.c) AS c
			FROM (
				SELECT r.unit_id, x.tag AS k, count(*) AS c FROM resident r CROSS JOIN unnest(r.tags) AS x(tag)
				WHERE r.active AND r.tags <> '{}' ${b.within('r')} GROUP BY 1, 2
			) f JOIN members m ON m.unit_id = f.unit_id
			GROUP BY GROUPING SETS ((m.target_id, f.k), (f.k))`, base),
		() => sql(uow,
			`${b.members}
			SELECT m.target_id, sum(f.observations) AS observations, sum(f.fevers) AS fevers
			FROM (
				SELECT o.unit_id, count(*) AS observations, count(*) FILTER (WHERE o.fever) AS fevers FROM health_observation o
				WHERE o.observed_at >= ?::timestamptz AND o.observed_at < ?::timestamptz ${b.within('o')}
				GROUP BY 1
			) f JOIN members m ON m.unit_id = f.unit_id
			GROUP BY GROUPING SETS ((m.target_id), ())`, [...base, ...period]),
		() => sql(uow,
			`${b.members}
			SELECT m.target_id,
				count(*) FILTER (WHERE h.started_at >= ?::timestamptz AND h.started_at < ?::timestamptz) AS started,
				count(*) FILTER (WHERE h.ended_at >= ?::timestamptz AND h.ended_at < ?::timestamptz) AS ended
			FROM health_status_history h JOIN members m ON m.unit_id = h.unit_id
			WHERE h.status = ANY(?::text[])
				AND ((h.started_at >= ?::timestamptz AND h.started_at < ?::timestamptz) OR (h.ended_at >= ?::timestamptz AND h.ended_at < ?::timestamptz))
			GROUP BY GROUPING SETS ((m.target_id), ())`, [...base, ...period, ...period, QUARANTINE_STATUSES, ...period, ...period]),
		() => incidentFigures(uow, b.members, base, p),
		() => handlingTimes(uow, b.members, b.within, base, p),
		() => sql(uow,
			`${b.members}, hit AS (
				SELECT DISTINCT e.incident_id FROM incident_event e
				WHERE e.kind = 'escalated' AND e.at >= ?::timestamptz AND e.at < ?::timestamptz
			)
			SELECT m.target_id, i.category, i.risk_level, count(*) AS c
			FROM hit JOIN incident i ON i.id = hit.incident_id JOIN members m ON m.unit_id = i.unit_id
			GROUP BY GROUPING SETS ((m.target_id, i.category), (m.target_id, i.risk_level), (m.target_id), (i.category), (i.risk_level), ())`,
			[...base, ...period]),
		() => sql(uow,
			`${b.members}
			SELECT m.target_id, f.k, sum(f.created) AS created, sum(f.done) AS done, sum(f.done_with_due) AS done_with_due,
				sum(f.done_on_time) AS done_on_time, sum(f.volunteer_done) AS volunteer_done, sum(f.volunteer_seconds) AS volunteer_seconds
			FROM (
				SELECT t.unit_id, t.kind AS k,
					count(*) FILTER (WHERE t.created_at >= ?::timestamptz AND t.created_at < ?::timestamptz) AS created,
					count(*) FILTER (WHERE t.done) AS done,
					count(*) FILTER (WHERE t.done AND t.due_at IS NOT NULL) AS done_with_due,
					count(*) FILTER (WHERE t.done AND t.completed_at <= t.due_at) AS done_on_time,
					count(*) FILTER (WHERE t.done AND t.assignee_volunteer_id IS NOT NULL) AS volunteer_done,
					coalesce(sum(floor(extract(epoch FROM t.completed_at - coalesce(t.started_at, t.assigned_at, t.completed_at))))
						FILTER (WHERE t.done AND t.assignee_volunteer_id IS NOT NULL), 0) AS volunteer_seconds
				FROM (
					SELECT t.*, (t.status = 'done' AND t.completed_at >= ?::timestamptz AND t.completed_at < ?::timestamptz) AS done
					FROM task t
					WHERE ((t.created_at >= ?::timestamptz AND t.created_at < ?::timestamptz)
						OR (t.completed_at >= ?::timestamptz AND t.completed_at < ?::timestamptz))
						${b.within('t')}
				) t
				GROUP BY 1, 2
			) f JOIN members m ON m.unit_id = f.unit_id
			GROUP BY GROUPING SETS ((m.target_id, f.k), (f.k))`,
			[...base, ...period, ...period, ...period, ...period]),
	]);

	for (const r of residents.rows) {
		const target = row(keyOf(r.target_id));
		target.residents.byHealthStatus[r.k] = n(r.c);
		target.residents.total += n(r.c);
	}
	for (const r of tags.rows) row(keyOf(r.target_id)).residents.byTag[r.k] = n(r.c);
	for (const r of health.rows) Object.assign(row(keyOf(r.target_id)).health, { observations: n(r.observations), fevers: n(r.fevers) });
	for (const r of quarantines.rows) Object.assign(row(keyOf(r.target_id)).health, { quarantinesStarted: n(r.started), quarantinesEnded: n(r.ended) });
	applyIncidents(incidents, row);
	for (const r of handling.rows) Object.assign(row(keyOf(r.target_id)).incidents, { handlingMinutesMedian: minutes(r.median), handlingMinutesP90: minutes(r.p90) });
	for (const r of escalated.rows) {
		const inc = row(keyOf(r.target_id)).incidents;
		const slice = r.category !== null ? (inc.byCategory[r.category] ??= zeroCounts()) : r.risk_level !== null ? (inc.byRisk[r.risk_level] ??= zeroCounts()) : inc;
		slice.escalated = n(r.c);
	}
	for (const r of tasks.rows) {
		const t = row(keyOf(r.target_id));
		t.tasks.createdByKind[r.k] = n(r.created);
		t.tasks.doneByKind[r.k] = n(r.done);
		t.tasks.created += n(r.created);
		t.tasks.done += n(r.done);
		t.tasks.doneWithDue += n(r.done_with_due);
		t.tasks.doneOnTime += n(r.done_on_time);
		t.volunteers.tasksDone += n(r.volunteer_done);
		t.volunteers.seconds += n(r.volunteer_seconds);
	}

	if (extra.size) {
		const { rows: found } = await sql(uow, `SELECT id, code, name, level FROM grid_unit WHERE id = ANY(?::bigint[])`, [[...extra]]);
		for (const u of found) Object.assign(rowFor.get(String(u.id))!, { unitCode: u.code, unitName: u.name, level: Number(u.level) });
	}
	const out = [...rows.values(), ...[...rowFor.values()].map((r) => Object.assign(r, { direct: r.level < level }))]
		.sort((a, b2) => (a.unitCode < b2.unitCode ? -1 : a.unitCode > b2.unitCode ? 1 : 0));
	for (const r of [...out, total]) derive(r);
	return { rows: out, total };
}

/**
 * Incidents created, closed, overdue, resolved and rated, by category and risk: counted per unit,
 * category and risk first (a few thousand groups), then summed up the breakdown with grouping sets.
 */
function incidentFigures(uow: UnitOfWork, members: string, base: unknown[], p: Period) {
	const inP = (col: string) => `(${col} >= ?::timestamptz AND ${col} < ?::timestamptz)`;
	const period = [p.start, p.end];
	const sums = ['created', 'closed', 'overdue', 'duplicates', 'resolved_with_due', 'resolved_on_time', 'satisfaction_count', 'satisfaction_sum'];
	// overdue: the due time fell in the period and has passed, and the case was not resolved by then
	return sql(uow,
		`${members}
		SELECT m.target_id, f.category, f.risk_level, ${sums.map((c) => `sum(f.${c}) AS ${c}`).join(', ')}
		FROM (
			SELECT i.unit_id, i.category, i.risk_level,
				count(*) FILTER (WHERE i.created) AS created,
				count(*) FILTER (WHERE i.closed) AS closed,
				count(*) FILTER (WHERE i.overdue) AS overdue,
				count(*) FILTER (WHERE i.created AND i.status = 'duplicate') AS duplicates,
				count(*) FILTER (WHERE i.resolved AND i.due_at IS NOT NULL) AS resolved_with_due,
				count(*) FILTER (WHERE i.resolved AND i.resolved_at <= i.due_at) AS resolved_on_time,
				count(i.satisfaction) FILTER (WHERE i.closed) AS satisfaction_count,
				coalesce(sum(i.satisfaction) FILTER (WHERE i.closed), 0) AS satisfaction_sum
			FROM (
				SELECT i.unit_id, i.category, i.risk_level, i.status, i.due_at, i.satisfaction,
					coalesce(i.resolved_at, i.closed_at) AS resolved_at,
					${inP('i.created_at')} AS created,
					${inP('i.closed_at')} AS closed,
					${inP('coalesce(i.resolved_at, i.closed_at)')} AS resolved,
					(i.status <> 'duplicate' AND i.due_at >= ?::timestamptz AND i.due_at < least(?::timestamptz, now())
						AND coalesce(i.resolved_at, i.closed_at, 'infinity') > i.due_at) AS overdue
				FROM incident i
				WHERE ${inP('i.created_at')} OR ${inP('i.closed_at')} OR ${inP('i.resolved_at')} OR ${inP('i.due_at')}
			) i
			GROUP BY 1, 2, 3
		) f JOIN members m ON m.unit_id = f.unit_id
		GROUP BY GROUPING SETS ((m.target_id, f.category), (m.target_id, f.risk_level), (m.target_id), (f.category), (f.risk_level), ())`,
		[...base, ...period, ...period, ...period, ...period, ...period, ...period, ...period, ...period]);
}

/** Median and p90 minutes from report to resolution of the cases resolved in the period. */
function handlingTimes(uow: UnitOfWork, members: string, within: (alias: string) => string, base: unknown[], p: Period) {
	const resolved = 'coalesce(i.resolved_at, i.closed_at)';
	return sql(uow,
		`${members}
		SELECT m.target_id,
			percentile_cont(0.5) WITHIN GROUP (ORDER BY i.minutes) AS median,
			percentile_cont(0.9) WITHIN GROUP (ORDER BY i.minutes) AS p90
		FROM (
			SELECT i.unit_id, extract(epoch FROM ${resolved} - i.created_at) / 60 AS minutes FROM incident i
			WHERE ((i.resolved_at >= ?::timestamptz AND i.resolved_at < ?::timestamptz) OR (i.closed_at >= ?::timestamptz AND i.closed_at < ?::timestamptz))
				AND ${resolved} >= ?::timestamptz AND ${resolved} < ?::timestamptz
				${within('i')}
		) i JOIN members m ON m.unit_id = i.unit_id
		GROUP BY GROUPING SETS ((m.target_id), ())`,
		[...base, p.start, p.end, p.start, p.end, p.start, p.end]);
}

function applyIncidents(result: { rows: any[] }, row: (key: string) => RollupRow) {
	for (const r of result.rows) {
		const inc = row(keyOf(r.target_id)).incidents;
		const counts = { created: n(r.created), closed: n(r.closed), overdue: n(r.overdue) };
		if (r.category !== null) Object.assign((inc.byCategory[r.category] ??= zeroCounts()), counts);
		else if (r.risk_level !== null) Object.assign((inc.byRisk[r.risk_level] ??= zeroCounts()), counts);
		else {
			Object.assign(inc, counts, {
				duplicates: n(r.duplicates),
				resolvedWithDue: n(r.resolved_with_due),
				resolvedOnTime: n(r.resolved_on_time),
				satisfactionCount: n(r.satisfaction_count),
				satisfactionSum: n(r.satisfaction_sum),
			});
		}
	}
}

/** Rates and averages from the additive parts of a row. */
function derive(r: RollupRow) {
	const i = r.incidents;
	i.onTimeRate = ratio(i.resolvedOnTime, i.resolvedWithDue);
	i.duplicateRate = ratio(i.duplicates, i.created);
	i.satisfactionAverage = average(i.satisfactionSum, i.satisfactionCount);
	r.tasks.onTimeRate = ratio(r.tasks.doneOnTime, r.tasks.doneWithDue);
	r.volunteers.hours = Math.round((r.volunteers.seconds / 3600) * 100) / 100;
}
