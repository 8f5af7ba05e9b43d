import { sql } from '../../db/sql';
import { FieldError, describeValue } from '../../validation/errors';
import { text } from '../../validation/text';
import type { Outcome, UnitOfWork } from '../context';
import { loadUnit } from '../grid/unitLookup';
import { type UnitRef, subtreeBounds } from '../grid/unitRecord';
import { searchConditions } from '../resident/search';
import {
	type CampaignRun,
	type CampaignTarget,
	DEFAULT_HORIZON_HOURS,
	DEFAULT_MAX_TASKS,
	DEFAULT_WINDOW_MINUTES,
	MAX_PLAN_DAYS,
	checkCampaignRun,
	timeOfDay,
} from './campaignInput';
import { TASK_KINDS, type TaskKind, type TaskStatus } from './vocabulary';

export * from './campaignInput';

/**
 * Campaigns (任务活动): one task per resident or grid unit matching a filter, at each occurrence of a
 * schedule. A run is idempotent: the campaign's tasks are keyed (campaign, target, occurrence) by a
 * unique index, so running again creates only what is missing.
 *
 * What one run does, in the caller's transaction, set-based (a handful of statements whatever the size):
 * 1. creates the campaign under its key, or updates its definition when it differs (the output names
 *    the changed parts); the campaign row stays locked, so runs of one campaign never interleave;
 * 2. computes the wanted tasks: matching targets × occurrences. "once" has one occurrence, created while
 *    its due time is ahead. "timesOfDay" has one per local time per day, from the later of Start At and
 *    now (an occurrence whose window has not ended yet still counts) up to the horizon (default the next
 *    24 hours) or, with Create Up to the End, up to End At / the residents' quarantine end (at most 366
 *    days); for Until Quarantine Ends no occurrence starts at or after the resident's quarantine end;
 * 3. refuses, writing nothing, if more than Max Tasks per Run (default 50,000) would be created;
 * 4. cancels the open and offered tasks of targets that no longer match, and those not yet started
 *    whose occurrence is no longer scheduled (quarantine ended earlier, a time of day removed, End At
 *    moved). Assigned, accepted and in-progress tasks are left with their assignee and only counted
 *    (keptAssigned): someone is already on them; cancel them with the Task node if need be;
 * 5. reopens tasks that an earlier run cancelled (target stopped matching, occurrence unscheduled) when
 *    they are wanted again: the target matches and the occurrence is scheduled (the unique key would
 *    otherwise block them);
 * 6. inserts the missing tasks (ON CONFLICT DO NOTHING on the unique index) and a "created" event each.
 * Template changes (title, skills, priority) apply to tasks created from then on.
 */

export type CampaignRef = { key: string } | { id: number };

export interface CampaignRunResult {
	campaignId: number;
	campaignKey: string;
	name: string;
	kind: TaskKind;
	target: CampaignTarget;
	unitCode: string;
	/** What happened to the definition stored under the key. */
	definition: 'created' | 'updated' | 'unchanged';
	/** Parts of the definition this run changed. */
	changed: string[];
	run: number;
	asOf: string;
	/** Occurrences up to this time were planned (null for a one-time campaign). */
	plannedUntil: string | null;
	targetsMatched: number;
	created: number;
	alreadyPresent: number;
	reopened: number;
	cancelled: number;
	/** Tasks of targets that no longer match, left alone because they are assigned or under way. */
	keptAssigned: number;
	notice?: string;
}

export interface CampaignRecord {
	id: number;
	key: string;
	name: string;
	kind: TaskKind;
	target: CampaignTarget;
	unitCode: string;
	unitName: string;
	filter: Record<string, unknown>;
	schedule: Record<string, unknown>;
	template: Record<string, unknown>;
	runs: number;
	lastRunAt: string | null;
	/** Task counts by status. */
	tasks: Partial<Record<TaskStatus, number>> & { total: number };
	createdAt: string;
	updatedAt: string;
}

/** Why a run cancelled a task; a run reopens a task it cancelled once it is wanted again. */
export const CANCEL_UNMATCHED = 'campaign: target no longer matches the filter';
export const CANCEL_UNSCHEDULED = 'campaign: occurrence no longer scheduled';

const sorted = <T>(xs: readonly T[] | undefined): T[] => [...new Set(xs ?? [])].sort();

interface Stored {
	filter: Record<string, unknown>;
	schedule: Record<string, unknown>;
	template: Record<string, unknown>;
}

/** The definition as stored in campaign.filter/schedule/template (jsonb, compared as values). */
function stored(c: CampaignRun, unitCode: string, timezone: string): Stored {
	const f = c.residentFilter ?? {};
	const filter = c.target === 'unit'
		? { within: unitCode, level: c.unitLevel ?? 5 }
		: {
			within: unitCode,
			statuses: sorted(f.statuses),
			tags: sorted(f.tags),
			tagMatch: f.tagMatch ?? 'all',
			quarantineEndsWithinDays: f.quarantineEndsWithinDays ?? null,
			includeUnregistered: f.includeUnregistered ?? true,
		};
	const s = c.schedule;
	const schedule = s.mode === 'once'
		? { mode: 'once', dueAt: s.dueAt.toISOString(), startAt: s.startAt?.toISOString() ?? null }
		: {
			mode: 'timesOfDay',
			times: sorted(s.times.map((t) => timeOfDay(t))),
			timezone,
			startAt: s.startAt?.toISOString() ?? null,
			endAt: s.endAt?.toISOString() ?? null,
			untilQuarantineEnds: Boolean(s.untilQuarantineEnds),
			windowMinutes: s.windowMinutes ?? DEFAULT_WINDOW_MINUTES,
		};
	const t = c.template ?? {};
	const template = {
		title: text(t.title, { field: 'Title Pattern', max: 200 }) ?? null,
		description: text(t.description, { field: 'Description', max: 2000, multiline: true }) ?? null,
		requiredSkills: sorted(t.requiredSkills),
		priority: t.priority ?? 2,
		customKind: c.kind === 'custom' ? t.customKind!.trim() : null,
	};
	return { filter, schedule, template };
}

function kindLabel(kind: TaskKind, customKind: string | null): string {
	return kind === 'custom' ? customKind! : TASK_KINDS[kind].replace(/\s*\(.*\)$/, '');
}

function defaultTitle(c: CampaignRun, customKind: string | null): string {
	const who = c.target === 'resident' ? '{name} · {unit}' : '{unit}';
	const when = c.schedule.mode === 'timesOfDay' ? ' · {date} {time}' : '';
	return `${kindLabel(c.kind, customKind)} · ${who}${when}`;
}

/** The CTEs targets, occ and desired with their bindings, shared by every statement of a run. */
interface Plan {
	ctes: string;
	args: unknown[];
	plannedUntil: Date | null;
}

async function buildPlan(uow: UnitOfWork, c: CampaignRun, root: { id: number; path: string }, now: Date): Promise<Plan> {
	const args: unknown[] = [];
	let targets: string;
	const s = c.schedule;
	const untilQ = s.mode === 'timesOfDay' && Boolean(s.untilQuarantineEnds);
	if (c.target === 'resident') {
		const f = c.residentFilter ?? {};
		const cond = await searchConditions(uow, {
			within: { id: root.id },
			...(f.tags?.length ? { tags: f.tags } : {}),
			tagMatch: f.tagMatch ?? 'all',
			...(f.statuses?.length ? { statuses: f.statuses } : {}),
			...(f.quarantineEndsWithinDays !== undefined ? { quarantineEndsWithinDays: f.quarantineEndsWithinDays } : {}),
			includeInactive: false,
			includeUnregistered: f.includeUnregistered ?? true,
		});
		targets = `SELECT r.id::text AS target, r.id AS resident_id, r.household_id, r.unit_id, r.name AS target_name,
				b.name AS unit_name, b.code AS unit_code, ${untilQ ? 'r.quarantine_ends_at' : 'NULL::timestamptz'} AS target_end
			FROM resident r JOIN grid_unit b ON b.id = r.unit_id
			WHERE ${cond.where.length ? cond.where.join(' AND ') : 'true'}`;
		args.push(...cond.args);
	} else {
		const [lo, hi] = subtreeBounds(root.path);
		targets = `SELECT u.id::text AS target, NULL::bigint AS resident_id, NULL::bigint AS household_id, u.id AS unit_id, u.name AS target_name,
				u.name AS unit_name, u.code AS unit_code, NULL::timestamptz AS target_end
			FROM grid_unit u WHERE u.path >= ? AND u.path < ? AND u.level = ? AND u.active`;
		args.push(lo, hi, c.unitLevel ?? 5);
	}
	let occ: string;
	let plannedUntil: Date | null = null;
	if (s.mode === 'once') {
		occ = `SELECT 'once'::text AS occurrence, ?::timestamptz AS at, ?::timestamptz AS win_start, ?::timestamptz AS win_end, ?::timestamptz AS due_at
			WHERE ?::timestamptz > ?::timestamptz`;
		const due = s.dueAt.toISOString();
		args.push(due, s.startAt?.toISOString() ?? null, due, due, due, now.toISOString());
	} else {
		const windowMs = (s.windowMinutes ?? DEFAULT_WINDOW_MINUTES) * 60_000;
		const farthest = new Date(now.getTime() + MAX_PLAN_DAYS * 86_400_000);
		const horizon = new Date(now.getTime() + (c.horizonHours ?? DEFAULT_HORIZON_HOURS) * 3_600_000);
		let hiExpr = '?::timestamptz';
		const hiArgs: unknown[] = [];
		if (!c.upToEnd) plannedUntil = s.endAt && s.endAt < horizon ? s.endAt : horizon;
		else if (s.endAt) plannedUntil = s.endAt < farthest ? s.endAt : farthest;
		if (plannedUntil) hiArgs.push(plannedUntil.toISOString());
		else {
			// up to the residents' quarantine ends: the latest of them, bounded
			hiExpr = 'least(coalesce((SELECT max(target_end) FROM targets), ?::timestamptz), ?::timestamptz)';
			hiArgs.push(horizon.toISOString(), farthest.toISOString());
		}
		occ = `SELECT to_char(x.l, 'YYYY-MM-DD"T"HH24:MI') AS occurrence, x.at, x.at AS win_start,
				x.at + make_interval(mins => ?) AS win_end, x.at + make_interval(mins => ?) AS due_at
			FROM (SELECT ${hiExpr} AS hi) bounds
			CROSS JOIN LATERAL (
				SELECT g + t::time AS l, (g + t::time) AT TIME ZONE ? AS at
				FROM generate_series((?::timestamptz AT TIME ZONE ?)::date::timestamp - interval '1 day',
					(bounds.hi AT TIME ZONE ?)::date::timestamp + interval '1 day', interval '1 day') g
				CROSS JOIN unnest(?::text[]) t
			) x
			WHERE x.at >= ?::timestamptz AND x.at > ?::timestamptz AND x.at < bounds.hi`;
		const lo = new Date(now.getTime() - windowMs);
		const tz = uow.timezone;
		args.push(s.windowMinutes ?? DEFAULT_WINDOW_MINUTES, s.windowMinutes ?? DEFAULT_WINDOW_MINUTES, ...hiArgs, tz,
			lo.toISOString(), tz, tz, sorted(s.times.map((t) => timeOfDay(t))), s.startAt?.toISOString() ?? '-infinity', lo.toISOString());
	}
	const desired = `SELECT t.target, t.resident_id, t.household_id, t.unit_id, t.target_name, t.unit_name, t.unit_code,
			o.occurrence, o.win_start, o.win_end, o.due_at,
			to_char(o.at AT TIME ZONE ?, 'YYYY-MM-DD') AS local_date, to_char(o.at AT TIME ZONE ?, 'HH24:MI') AS local_time
		FROM targets t CROSS JOIN occ o
		WHERE t.target_end IS NULL OR o.at < t.target_end`;
	args.push(uow.timezone, uow.timezone);
	return {
		// tmap: target → its end, one jsonb object looked up by key (O(log n)), whatever the planner thinks of
		// the CTE's size: an anti-join of the campaign's tasks against targets stays linear
		ctes: `targets AS MATERIALIZED (${targets}), occ AS MATERIALIZED (${occ}), desired AS (${desired}),
			tmap AS MATERIALIZED (SELECT coalesce(jsonb_object_agg(target, target_end), '{}'::jsonb) AS m FROM targets)`,
		args,
		plannedUntil,
	};
}

/** The condition, on task x of a matching target (end in tmap), that its occurrence is no longer scheduled. */
function unscheduled(c: CampaignRun): { cond: string; args: unknown[] } {
	const s = c.schedule;
	if (s.mode === 'once') return { cond: `x.occurrence <> 'once'`, args: [] };
	return {
		cond: `(x.occurrence = 'once' OR right(x.occurrence, 5) <> ALL(?::text[]) OR x.window_start < ?::timestamptz OR x.window_start >= ?::timestamptz
			OR x.window_start >= (tmap.m ->> x.campaign_target)::timestamptz)`,
		args: [sorted(s.times.map((t) => timeOfDay(t))), s.startAt?.toISOString() ?? '-infinity', s.endAt?.toISOString() ?? 'infinity'],
	};
}

interface CampaignRow {
	id: number;
	name: string;
	kind: TaskKind;
	unit_id: number;
	target: CampaignTarget;
	same_filter: boolean;
	same_schedule: boolean;
	same_template: boolean;
	runs: number;
}

/** Creates or updates the campaign under its key and runs it; see the module comment. */
export async function runCampaign(uow: UnitOfWork, c: CampaignRun): Promise<CampaignRunResult> {
	checkCampaignRun(c);
	const key = c.key.trim();
	const root = await loadUnit(uow, c.within, 'Within Unit');
	if (!root.active) throw new FieldError('Within Unit', `grid unit ${root.code} is deactivated`);
	const def = stored(c, root.code, uow.timezone);
	const name = text(c.name, { field: 'Name', max: 200 }) ?? key;
	const now = c.asOf ?? new Date((await sql<{ now: Date }>(uow, `SELECT now() AS now`)).rows[0].now);

	// 1. the definition, locked for the rest of the run
	const inserted = await sql<{ id: number }>(uow,
		`INSERT INTO campaign (campaign_key, name, kind, unit_id, target, filter, schedule, template)
		VALUES (?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb) ON CONFLICT (campaign_key) DO NOTHING RETURNING id`,
		[key, name, c.kind, root.id, c.target, JSON.stringify(def.filter), JSON.stringify(def.schedule), JSON.stringify(def.template)]);
	let campaignId: number;
	let definition: CampaignRunResult['definition'] = 'created';
	const changed: string[] = [];
	let runs = 0;
	if (inserted.rows.length) campaignId = Number(inserted.rows[0].id);
	else {
		const { rows } = await sql<CampaignRow>(uow,
			`SELECT id, name, kind, unit_id, target, runs, filter = ?::jsonb AS same_filter, schedule = ?::jsonb AS same_schedule, template = ?::jsonb AS same_template
			FROM campaign WHERE campaign_key = ? FOR UPDATE`,
			[JSON.stringify(def.filter), JSON.stringify(def.schedule), JSON.stringify(def.template), key]);
		const row = rows[0];
		if (!row) {
			throw new FieldError('Campaign Key', `campaign key ${describeValue(key)} is taken by a campaign outside this credential's scope${uow.scopeCode ? ` ${uow.scopeCode}` : ''}; choose another key`);
		}
		if (row.target !== c.target) {
			throw new FieldError('Target', `campaign ${describeValue(key)} targets ${row.target}s; its target cannot change to ${c.target}. Use a new campaign key`);
		}
		campaignId = Number(row.id);
		runs = row.runs;
		if (row.name !== name) changed.push('name');
		if (row.kind !== c.kind) changed.push('kind');
		if (Number(row.unit_id) !== root.id) changed.push('unit');
		if (!row.same_filter) changed.push('filter');
		if (!row.same_schedule) changed.push('schedule');
		if (!row.same_template) changed.push('template');
		definition = changed.length ? 'updated' : 'unchanged';
	}

	// 2. what is wanted, and what of it exists. Right after a large run the task statistics are stale
	// and the planner would memoize index probes by occurrence alone, comparing every wanted task with
	// every task of that occurrence: probes on the whole unique key are what is meant, so memoize is off
	// for the rest of this transaction (or savepoint) and restored at the end.
	const { rows: [memo] } = await sql<{ was: string }>(uow, `SELECT current_setting('enable_memoize') AS was, set_config('enable_memoize', 'off', true)`);
	const plan = await buildPlan(uow, c, root, now);
	const { rows: [n] } = await sql<{ matched: number; desired: number; present: number; to_create: number; to_reopen: number }>(uow,
		`WITH ${plan.ctes}
		SELECT (SELECT count(*) FROM targets)::int AS matched, count(d.target)::int AS desired, count(x.id)::int AS present,
			count(*) FILTER (WHERE d.target IS NOT NULL AND x.id IS NULL)::int AS to_create,
			count(*) FILTER (WHERE x.status = 'cancelled' AND x.cancel_reason IN (?, ?))::int AS to_reopen
		FROM desired d LEFT JOIN task x ON x.campaign_id = ? AND x.campaign_target = d.target AND x.occurrence = d.occurrence`,
		[...plan.args, CANCEL_UNMATCHED, CANCEL_UNSCHEDULED, campaignId]);

	// 3. the cap: an error rolls back the whole unit of work, the definition included
	const cap = c.maxTasks ?? DEFAULT_MAX_TASKS;
	if (n.to_create > cap) {
		throw new FieldError('Max Tasks per Run',
			`this run of campaign ${describeValue(key)} would create ${n.to_create} tasks (${n.matched} targets), more than Max Tasks per Run ${cap}; nothing was written. Narrow the filter, shorten the horizon or raise Max Tasks per Run`);
	}

	// 4. cancel what is no longer wanted
	const un = unscheduled(c);
	const { rows: [cx] } = await sql<{ cancelled: number }>(uow,
		`WITH ${plan.ctes},
		old AS (
			SELECT x.id, x.status, CASE WHEN (tmap.m -> x.campaign_target) IS NULL THEN ? ELSE ? END AS reason
			FROM task x CROSS JOIN tmap
			WHERE x.campaign_id = ? AND x.status IN ('open', 'offered')
				AND ((tmap.m -> x.campaign_target) IS NULL OR (coalesce(x.window_start, x.due_at) > ?::timestamptz AND ${un.cond}))
			FOR UPDATE OF x
		), upd AS (
			UPDATE task x SET status = 'cancelled', cancel_reason = old.reason, offered_volunteer_id = NULL, updated_at = now()
			FROM old WHERE x.id = old.id
			RETURNING x.id, x.unit_id, old.status AS from_status, old.reason
		), ev AS (
			INSERT INTO task_event (task_id, unit_id, kind, from_status, to_status, note, details, actor)
			SELECT id, unit_id, 'cancelled', from_status, 'cancelled', reason, jsonb_build_object('campaignId', ?::bigint, 'campaignKey', ?::text), (SELECT current_actor())
			FROM upd ORDER BY id
		)
		SELECT count(*)::int AS cancelled FROM upd`,
		[...plan.args, CANCEL_UNMATCHED, CANCEL_UNSCHEDULED, campaignId, now.toISOString(), ...un.args, campaignId, key]);

	// 5. reopen tasks of targets that match again
	let reopened = 0;
	if (n.to_reopen) {
		const { rows: [r] } = await sql<{ reopened: number }>(uow,
			`WITH ${plan.ctes},
			upd AS (
				UPDATE task x SET status = 'open', cancel_reason = NULL, updated_at = now()
				FROM desired d
				WHERE x.campaign_id = ? AND x.campaign_target = d.target AND x.occurrence = d.occurrence AND x.status = 'cancelled' AND x.cancel_reason IN (?, ?)
				RETURNING x.id, x.unit_id
			), ev AS (
				INSERT INTO task_event (task_id, unit_id, kind, from_status, to_status, note, details, actor)
				SELECT id, unit_id, 'created', 'cancelled', 'open', 'campaign: wanted again (target matches, occurrence scheduled)', jsonb_build_object('campaignId', ?::bigint, 'reopened', true), (SELECT current_actor())
				FROM upd ORDER BY id
			)
			SELECT count(*)::int AS reopened FROM upd`,
			[...plan.args, campaignId, CANCEL_UNMATCHED, CANCEL_UNSCHEDULED, campaignId]);
		reopened = r.reopened;
	}

	// 6. the missing tasks and their "created" events, in one statement
	let created = 0;
	if (n.to_create) {
		const customKind = def.template.customKind as string | null;
		const title = (def.template.title as string | null) ?? defaultTitle(c, customKind);
		const { rows: [r] } = await sql<{ created: number }>(uow,
			`WITH ${plan.ctes},
			ins AS (
				INSERT INTO task (kind, custom_kind, title, description, unit_id, resident_id, household_id, campaign_id, campaign_target, occurrence,
					window_start, window_end, due_at, required_skills, priority, details)
				SELECT ?, ?, left(replace(replace(replace(replace(replace(?::text, '{name}', d.target_name), '{unit}', d.unit_name), '{code}', d.unit_code),
						'{date}', d.local_date), '{time}', d.local_time), 200),
					?, d.unit_id, d.resident_id, d.household_id, ?::bigint, d.target, d.occurrence, d.win_start, d.win_end, d.due_at, ?::text[], ?,
					jsonb_build_object('campaignKey', ?::text, 'occurrence', d.occurrence)
				FROM desired d ORDER BY d.unit_id, d.target, d.occurrence
				ON CONFLICT (campaign_id, campaign_target, occurrence) WHERE campaign_id IS NOT NULL DO NOTHING
				RETURNING id, unit_id, due_at
			), ev AS (
				INSERT INTO task_event (task_id, unit_id, kind, to_status, details, actor)
				SELECT id, unit_id, 'created', 'open', jsonb_build_object('kind', ?::text, 'dueAt', due_at, 'campaignId', ?::bigint), (SELECT current_actor())
				FROM ins ORDER BY id
			)
			SELECT count(*)::int AS created FROM ins`,
			[...plan.args, c.kind, customKind, title, def.template.description, campaignId, def.template.requiredSkills, def.template.priority, key, c.kind, campaignId]);
		created = r.created;
	}

	// assigned work of targets that no longer match stays; count it for the output
	const { rows: [k] } = await sql<{ n: number }>(uow,
		`WITH ${plan.ctes}
		SELECT count(*)::int AS n FROM task x CROSS JOIN tmap
		WHERE x.campaign_id = ? AND x.status IN ('assigned', 'accepted', 'in_progress') AND (tmap.m -> x.campaign_target) IS NULL`,
		[...plan.args, campaignId]);

	const { rows: [after] } = await sql<{ runs: number }>(uow,
		`UPDATE campaign SET name = ?, kind = ?, unit_id = ?, filter = ?::jsonb, schedule = ?::jsonb, template = ?::jsonb,
			runs = runs + 1, last_run_at = ?::timestamptz, updated_at = now()
		WHERE id = ? RETURNING runs`,
		[name, c.kind, root.id, JSON.stringify(def.filter), JSON.stringify(def.schedule), JSON.stringify(def.template), now.toISOString(), campaignId]);
	runs = after?.runs ?? runs + 1;
	await sql(uow, `SELECT set_config('enable_memoize', ?, true)`, [memo.was]);

	const result: CampaignRunResult = {
		campaignId,
		campaignKey: key,
		name,
		kind: c.kind,
		target: c.target,
		unitCode: root.code,
		definition,
		changed,
		run: runs,
		asOf: now.toISOString(),
		plannedUntil: plan.plannedUntil?.toISOString() ?? null,
		targetsMatched: n.matched,
		created,
		alreadyPresent: n.present - reopened,
		reopened,
		cancelled: cx.cancelled,
		keptAssigned: k.n,
	};
	const what = c.target === 'resident' ? 'residents' : `units at level ${c.unitLevel ?? 5}`;
	if (!n.matched) {
		result.notice = `The filter matches no ${what} in ${root.code}: no tasks were created${cx.cancelled ? `, and ${cx.cancelled} open tasks of earlier matches were cancelled` : ''}.`;
	} else if (!n.desired) {
		result.notice = c.schedule.mode === 'once'
			? `Due At ${c.schedule.dueAt.toISOString()} has passed: no tasks were created.`
			: `No occurrence of the schedule falls between ${now.toISOString()} and the end of the horizon: no tasks were created.`;
	}
	if (definition === 'updated') {
		const note = `The stored definition of campaign "${key}" was updated (${changed.join(', ')}); tasks already created keep their title and due times.`;
		result.notice = result.notice ? `${note} ${result.notice}` : note;
	}
	return result;
}

const CAMPAIGN_SELECT = `SELECT c.id, c.campaign_key, c.name, c.kind, c.target, u.code AS unit_code, u.name AS unit_name, c.filter, c.schedule, c.template,
		c.runs, c.last_run_at, c.created_at, c.updated_at,
		(SELECT coalesce(jsonb_object_agg(s.status, s.n), '{}'::jsonb) FROM (SELECT t.status, count(*)::int AS n FROM task t WHERE t.campaign_id = c.id GROUP BY t.status) s) AS tasks
	FROM campaign c JOIN grid_unit u ON u.id = c.unit_id`;

function toCampaign(r: Record<string, unknown>): CampaignRecord {
	const tasks = (r.tasks as Record<string, number>) ?? {};
	return {
		id: Number(r.id),
		key: r.campaign_key as string,
		name: r.name as string,
		kind: r.kind as TaskKind,
		target: r.target as CampaignTarget,
		unitCode: r.unit_code as string,
		unitName: r.unit_name as string,
		filter: r.filter as Record<string, unknown>,
		schedule: r.schedule as Record<string, unknown>,
		template: r.template as Record<string, unknown>,
		runs: Number(r.runs),
		lastRunAt: (r.last_run_at as string | null) ?? null,
		tasks: { ...tasks, total: Object.values(tasks).reduce((a, b) => a + Number(b), 0) },
		createdAt: r.created_at as string,
		updatedAt: r.updated_at as string,
	};
}

/** Campaigns by key or ID, one query; an unknown one is an error for its item. */
export async function getCampaigns(uow: UnitOfWork, refs: CampaignRef[]): Promise<Array<Outcome<CampaignRecord>>> {
	const keys = refs.flatMap((r) => ('key' in r ? [r.key.trim()] : []));
	const ids = refs.flatMap((r) => ('id' in r ? [r.id] : []));
	const { rows } = await sql(uow, `${CAMPAIGN_SELECT} WHERE c.campaign_key = ANY(?::text[]) OR c.id = ANY(?::bigint[])`, [keys, ids]);
	const found = rows.map(toCampaign);
	const outside = uow.scopeCode ? ` (or it lies outside this credential's scope ${uow.scopeCode})` : '';
	return refs.map((ref) => {
		const hit = 'key' in ref ? found.find((c) => c.key === ref.key.trim()) : found.find((c) => c.id === ref.id);
		return hit
			? { ok: true, value: hit }
			: { ok: false, error: new FieldError('Campaign', `unknown campaign ${'key' in ref ? describeValue(ref.key) : `#${ref.id}`}${outside}`) };
	});
}

export interface CampaignQuery {
	within?: UnitRef;
	kinds?: TaskKind[];
	target?: CampaignTarget;
	limit?: number;
}

/** Campaigns whose unit lies in a subtree, most recently run first. */
export async function listCampaigns(uow: UnitOfWork, q: CampaignQuery): Promise<CampaignRecord[]> {
	const limit = q.limit ?? 50;
	if (!Number.isInteger(limit) || limit < 1) throw new FieldError('Limit', `Limit must be a whole number of at least 1, got ${describeValue(q.limit)}`);
	const where: string[] = [];
	const args: unknown[] = [];
	if (q.within) {
		const root = await loadUnit(uow, q.within, 'Within Unit');
		const [lo, hi] = subtreeBounds(root.path);
		where.push('u.path >= ? AND u.path < ?');
		args.push(lo, hi);
	}
	if (q.kinds?.length) {
		where.push('c.kind = ANY(?::text[])');
		args.push(q.kinds);
	}
	if (q.target) {
		where.push('c.target = ?');
		args.push(q.target);
	}
	const { rows } = await sql(uow,
		`${CAMPAIGN_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
		ORDER BY c.last_run_at DESC NULLS LAST, c.id DESC LIMIT ?`, [...args, limit]);
	return rows.map(toCampaign);
}
