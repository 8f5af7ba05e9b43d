import { sql } from '../../db/sql';
import { FieldError, describeValue } from '../../validation/errors';
import { requiredText, text } from '../../validation/text';
import type { Outcome, UnitOfWork } from '../context';
import { loadUnit } from '../grid/unitLookup';
import { type UnitRef, subtreeBounds } from '../grid/unitRecord';
import { SKILLS } from '../volunteer/vocabulary';

/**
 * Residents' supply needs (物资需求): recorded per resident, planned into supply_delivery tasks (one per
 * building and delivery window), fulfilled when the delivery task completes, and summed per community.
 */

export const SUPPLY_CATEGORIES = {
	groceries: 'Groceries (生活物资)',
	medicine: 'Medicine (药品)',
	daily: 'Daily necessities (日用品)',
} as const;
export type SupplyCategory = keyof typeof SUPPLY_CATEGORIES;

export const URGENCIES = { low: 'Low (不急)', normal: 'Normal (一般)', urgent: 'Urgent (紧急)' } as const;
export type Urgency = keyof typeof URGENCIES;

export const NEED_STATUSES = {
	open: 'Open (待安排)',
	planned: 'Planned (已安排配送)',
	fulfilled: 'Fulfilled (已送达)',
	cancelled: 'Cancelled (已取消)',
} as const;
export type NeedStatus = keyof typeof NEED_STATUSES;

/** Task priority of a delivery: its most urgent need decides. */
export const URGENCY_PRIORITY: Record<Urgency, number> = { low: 1, normal: 2, urgent: 4 };

export interface SupplyItem {
	item: string;
	quantity: number;
	unit: string;
	category: SupplyCategory;
}

export interface NewSupplyNeed {
	residentId: number;
	items: SupplyItem[];
	urgency?: Urgency;
	windowStart: Date;
	windowEnd: Date;
	note?: string;
}

export interface SupplyNeedRecord {
	id: number;
	residentId: number;
	residentName: string;
	householdId: number | null;
	unitCode: string;
	unitName: string;
	items: SupplyItem[];
	urgency: Urgency;
	windowStart: string;
	windowEnd: string;
	status: NeedStatus;
	taskId: number | null;
	note: string | null;
	createdAt: string;
	fulfilledAt: string | null;
}

export const MAX_ITEMS = 50;
export const MAX_QUANTITY = 100_000;

const isDate = (d: unknown): d is Date => d instanceof Date && !Number.isNaN(d.getTime());

/** Checks and normalizes one item list; throws FieldError naming the item's position. */
export function supplyItems(value: unknown, field = 'Items'): SupplyItem[] {
	let v = value;
	if (typeof v === 'string') {
		try {
			v = JSON.parse(v);
		} catch (e) {
			throw new FieldError(field, `${field} is not valid JSON (${(e as Error).message})`);
		}
	}
	if (!Array.isArray(v) || !v.length) throw new FieldError(field, `${field} must list at least one item, got ${describeValue(value)}`);
	if (v.length > MAX_ITEMS) throw new FieldError(field, `${field} lists ${v.length} items; at most ${MAX_ITEMS} are allowed`);
	return v.map((raw, k) => {
		const at = `${field} #${k + 1}`;
		if (!raw || typeof raw !== 'object') throw new FieldError(field, `${at} must be an object with item, quantity, unit and category, got ${describeValue(raw)}`);
		const r = raw as Record<string, unknown>;
		const item = requiredText(r.item, { field: `${at} item`, max: 100 });
		const q = typeof r.quantity === 'string' && r.quantity.trim() !== '' ? Number(r.quantity) : r.quantity;
		if (typeof q !== 'number' || !Number.isFinite(q) || q <= 0 || q > MAX_QUANTITY) {
			throw new FieldError(field, `${at} quantity must be a number above 0 and at most ${MAX_QUANTITY}, got ${describeValue(r.quantity)}`);
		}
		const unit = text(r.unit, { field: `${at} unit`, max: 20 }) ?? '份';
		const category = r.category ?? 'groceries';
		if (typeof category !== 'string' || !Object.prototype.hasOwnProperty.call(SUPPLY_CATEGORIES, category)) {
			throw new FieldError(field, `${at} category must be one of ${Object.keys(SUPPLY_CATEGORIES).join(', ')}, got ${describeValue(r.category)}`);
		}
		return { item, quantity: q, unit, category: category as SupplyCategory };
	});
}

export function checkSupplyNeed(n: NewSupplyNeed): void {
	if (!Number.isSafeInteger(n.residentId) || n.residentId <= 0) throw new FieldError('Resident ID', `Resident ID must be a positive whole number, got ${describeValue(n.residentId)}`);
	supplyItems(n.items);
	if (n.urgency !== undefined && !Object.prototype.hasOwnProperty.call(URGENCIES, n.urgency)) {
		throw new FieldError('Urgency', `Urgency must be one of ${Object.keys(URGENCIES).join(', ')}, got ${describeValue(n.urgency)}`);
	}
	if (!isDate(n.windowStart)) throw new FieldError('Window Start', 'Window Start is required');
	if (!isDate(n.windowEnd)) throw new FieldError('Window End', 'Window End is required');
	if (n.windowEnd <= n.windowStart) {
		throw new FieldError('Window End', `Window End ${n.windowEnd.toISOString()} must be after Window Start ${n.windowStart.toISOString()}`);
	}
	text(n.note, { field: 'Note', max: 1000, multiline: true });
}

const NEED_SELECT = `SELECT s.id, s.resident_id, r.name AS resident_name, s.household_id, b.code AS unit_code, b.name AS unit_name, s.items, s.urgency,
		s.window_start, s.window_end, s.status, s.task_id, s.note, s.created_at, s.fulfilled_at
	FROM supply_need s JOIN resident r ON r.id = s.resident_id JOIN grid_unit b ON b.id = s.unit_id`;

function toNeed(r: Record<string, unknown>): SupplyNeedRecord {
	return {
		id: Number(r.id),
		residentId: Number(r.resident_id),
		residentName: r.resident_name as string,
		householdId: r.household_id === null ? null : Number(r.household_id),
		unitCode: r.unit_code as string,
		unitName: r.unit_name as string,
		items: r.items as SupplyItem[],
		urgency: r.urgency as Urgency,
		windowStart: r.window_start as string,
		windowEnd: r.window_end as string,
		status: r.status as NeedStatus,
		taskId: r.task_id === null ? null : Number(r.task_id),
		note: (r.note as string | null) ?? null,
		createdAt: r.created_at as string,
		fulfilledAt: (r.fulfilled_at as string | null) ?? null,
	};
}

/**
 * Records needs set-based: residents resolved in one query (their building and household are copied
 * onto the need), then one INSERT. A bad item gets its own error; without partial, nothing is written.
 */
export async function recordSupplyNeeds(uow: UnitOfWork, inputs: NewSupplyNeed[]): Promise<Array<Outcome<SupplyNeedRecord>>> {
	const errors = new Map<number, FieldError>();
	inputs.forEach((n, i) => {
		try {
			checkSupplyNeed(n);
		} catch (e) {
			if (e instanceof FieldError) errors.set(i, e);
			else throw e;
		}
	});
	const ids = [...new Set(inputs.map((n) => n.residentId))];
	const { rows } = await sql<{ id: number; unit_id: number; household_id: number | null; active: boolean }>(uow,
		`SELECT id, unit_id, household_id, active FROM resident WHERE id = ANY(?::bigint[])`, [ids]);
	const residents = new Map(rows.map((r) => [Number(r.id), r]));
	const outside = uow.scopeCode ? ` (or outside this credential's scope ${uow.scopeCode})` : '';
	inputs.forEach((n, i) => {
		if (errors.has(i)) return;
		const r = residents.get(n.residentId);
		if (!r) errors.set(i, new FieldError('Resident ID', `unknown resident ${n.residentId}${outside}`));
		else if (!r.active) errors.set(i, new FieldError('Resident ID', `resident ${n.residentId} is inactive (moved away or deceased)`));
	});
	const out = (values: Map<number, SupplyNeedRecord>): Array<Outcome<SupplyNeedRecord>> => inputs.map((_, i) => {
		const e = errors.get(i);
		if (e) return { ok: false, error: e };
		const v = values.get(i);
		return v ? { ok: true, value: v } : { ok: true, value: [] };
	});
	const good = inputs.map((n, i) => ({ n, i })).filter(({ i }) => !errors.has(i));
	if ((errors.size && !uow.partial) || !good.length) return out(new Map());
	const { rows: made } = await sql<{ id: number }>(uow,
		`INSERT INTO supply_need (resident_id, household_id, unit_id, items, urgency, window_start, window_end, note)
		SELECT x.resident_id, x.household_id, x.unit_id, x.items, x.urgency, x.window_start, x.window_end, x.note
		FROM jsonb_to_recordset(?::jsonb) AS x(ord int, resident_id bigint, household_id bigint, unit_id bigint, items jsonb, urgency text,
			window_start timestamptz, window_end timestamptz, note text)
		ORDER BY x.ord
		RETURNING id`,
		[JSON.stringify(good.map(({ n }, k) => {
			const r = residents.get(n.residentId)!;
			return {
				ord: k,
				resident_id: n.residentId,
				household_id: r.household_id,
				unit_id: r.unit_id,
				items: supplyItems(n.items),
				urgency: n.urgency ?? 'normal',
				window_start: n.windowStart.toISOString(),
				window_end: n.windowEnd.toISOString(),
				note: text(n.note, { field: 'Note', max: 1000, multiline: true }) ?? null,
			};
		}))]);
	// one statement inserts in ord order, and a bigserial hands out ascending ids within it
	const newIds = made.map((r) => Number(r.id)).sort((a, b) => a - b);
	const { rows: recs } = await sql(uow, `${NEED_SELECT} WHERE s.id = ANY(?::bigint[])`, [newIds]);
	const byId = new Map(recs.map((r) => [Number(r.id), toNeed(r)]));
	return out(new Map(good.map(({ i }, k) => [i, byId.get(newIds[k])!])));
}

export interface SupplyNeedQuery {
	within?: UnitRef;
	statuses?: NeedStatus[];
	urgencies?: Urgency[];
	residentId?: number;
	taskId?: number;
	/** Needs whose window ends after this time. */
	windowFrom?: Date;
	/** Needs whose window starts before this time. */
	windowTo?: Date;
	limit?: number;
}

async function windowAndSubtree(uow: UnitOfWork, q: { within?: UnitRef; windowFrom?: Date; windowTo?: Date }, where: string[], args: unknown[]) {
	if (q.windowFrom && q.windowTo && q.windowTo <= q.windowFrom) {
		throw new FieldError('Window To', `Window To ${q.windowTo.toISOString()} must be after Window From ${q.windowFrom.toISOString()}`);
	}
	if (q.within) {
		const root = await loadUnit(uow, q.within, 'Within Unit');
		const [lo, hi] = subtreeBounds(root.path);
		where.push('b.path >= ? AND b.path < ?');
		args.push(lo, hi);
	}
	if (q.windowFrom) {
		where.push('s.window_end > ?::timestamptz');
		args.push(q.windowFrom.toISOString());
	}
	if (q.windowTo) {
		where.push('s.window_start < ?::timestamptz');
		args.push(q.windowTo.toISOString());
	}
}

/** Needs by window start, most urgent first within a window. */
export async function listSupplyNeeds(uow: UnitOfWork, q: SupplyNeedQuery): Promise<SupplyNeedRecord[]> {
	const limit = q.limit ?? 100;
	if (!Number.isInteger(limit) || limit < 1) throw new FieldError('Limit', `Limit must be a whole number of at least 1, got ${describeValue(q.limit)}`);
	const where: string[] = [];
	const args: unknown[] = [];
	await windowAndSubtree(uow, q, where, args);
	if (q.statuses?.length) {
		where.push('s.status = ANY(?::text[])');
		args.push(q.statuses);
	}
	if (q.urgencies?.length) {
		where.push('s.urgency = ANY(?::text[])');
		args.push(q.urgencies);
	}
	if (q.residentId) {
		where.push('s.resident_id = ?');
		args.push(q.residentId);
	}
	if (q.taskId) {
		where.push('s.task_id = ?');
		args.push(q.taskId);
	}
	const { rows } = await sql(uow,
		`${NEED_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
		ORDER BY s.window_start, CASE s.urgency WHEN 'urgent' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END, s.id LIMIT ?`,
		[...args, limit]);
	return rows.map(toNeed);
}

export interface DeliveryPlanInput {
	within?: UnitRef;
	/** Only needs whose window ends after this time. */
	windowFrom?: Date;
	/** Only needs whose window starts before this time. */
	windowTo?: Date;
	urgencies?: Urgency[];
	/** Skills the delivery tasks ask for (default delivery). */
	requiredSkills?: string[];
}

export interface PlannedDelivery {
	taskId: number;
	unitCode: string;
	unitName: string;
	windowStart: string;
	windowEnd: string;
	priority: number;
	households: number;
	needIds: number[];
}

export interface DeliveryPlan {
	tasksCreated: number;
	needsPlanned: number;
	deliveries: PlannedDelivery[];
	notice?: string;
}

/**
 * Needs to deliveries: the open needs (locked, SKIP LOCKED, so parallel planners never plan one need
 * twice) are grouped by building and window into one open supply_delivery task each, due at the
 * window's end, with priority from the most urgent need and details listing every household with its
 * items and the building's item totals; the needs become planned with the task's ID. One statement.
 */
export async function planDeliveries(uow: UnitOfWork, input: DeliveryPlanInput): Promise<DeliveryPlan> {
	const skills = input.requiredSkills ?? ['delivery'];
	for (const s of skills) {
		if (!Object.prototype.hasOwnProperty.call(SKILLS, s)) throw new FieldError('Required Skills', `Required Skills ${describeValue(s)} is not a known skill`);
	}
	for (const u of input.urgencies ?? []) {
		if (!Object.prototype.hasOwnProperty.call(URGENCIES, u)) throw new FieldError('Urgencies', `Urgencies ${describeValue(u)} is not an urgency`);
	}
	const where: string[] = [`s.status = 'open'`];
	const args: unknown[] = [];
	await windowAndSubtree(uow, input, where, args);
	if (input.urgencies?.length) {
		where.push('s.urgency = ANY(?::text[])');
		args.push(input.urgencies);
	}
	const { rows } = await sql<{ task_id: number; unit_code: string; unit_name: string; window_start: string; window_end: string; priority: number; households: number; need_ids: Array<string | number> }>(uow,
		`WITH n AS MATERIALIZED (
			SELECT s.id, s.unit_id, s.household_id, s.resident_id, s.items, s.urgency, s.window_start, s.window_end, b.name AS unit_name, b.code AS unit_code,
				h.unit_no, h.room_no
			FROM supply_need s JOIN grid_unit b ON b.id = s.unit_id LEFT JOIN household h ON h.id = s.household_id
			WHERE ${where.join(' AND ')}
			ORDER BY s.id
			FOR UPDATE OF s SKIP LOCKED
		), hh0 AS (
			SELECT n.unit_id, n.window_start, n.window_end, min(n.household_id) AS household_id, min(n.unit_no) AS unit_no, min(n.room_no) AS room_no,
				jsonb_agg(DISTINCT n.resident_id) AS resident_ids, jsonb_agg(n.id ORDER BY n.id) AS need_ids,
				min(CASE n.urgency WHEN 'urgent' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END) AS rank, jsonb_agg(n.items ORDER BY n.id) AS item_lists
			FROM n GROUP BY n.unit_id, n.window_start, n.window_end, coalesce('h' || n.household_id, 'r' || n.resident_id)
		), hh AS (
			SELECT hh0.unit_id, hh0.window_start, hh0.window_end,
				jsonb_build_object('householdId', hh0.household_id, 'unitNo', hh0.unit_no, 'roomNo', hh0.room_no, 'residentIds', hh0.resident_ids,
					'needIds', hh0.need_ids, 'urgency', (ARRAY['urgent', 'normal', 'low'])[hh0.rank + 1],
					'items', (SELECT jsonb_agg(x.e) FROM jsonb_array_elements(hh0.item_lists) a(arr) CROSS JOIN jsonb_array_elements(a.arr) x(e))) AS detail
			FROM hh0
		), totals AS (
			SELECT i.unit_id, i.window_start, i.window_end,
				jsonb_agg(jsonb_build_object('item', i.item, 'unit', i.unit, 'category', i.category, 'quantity', i.q) ORDER BY i.category, i.item, i.unit) AS items
			FROM (SELECT n.unit_id, n.window_start, n.window_end, e->>'item' AS item, e->>'unit' AS unit, e->>'category' AS category, sum((e->>'quantity')::numeric) AS q
				FROM n CROSS JOIN jsonb_array_elements(n.items) e GROUP BY 1, 2, 3, 4, 5, 6) i
			GROUP BY i.unit_id, i.window_start, i.window_end
		), g AS (
			SELECT n.unit_id, n.window_start, n.window_end, min(n.unit_name) AS unit_name, min(n.unit_code) AS unit_code,
				max(CASE n.urgency WHEN 'urgent' THEN 4 WHEN 'normal' THEN 2 ELSE 1 END) AS priority,
				array_agg(n.id ORDER BY n.id) AS need_ids,
				(SELECT jsonb_agg(hh.detail ORDER BY hh.detail->>'unitNo', hh.detail->>'roomNo') FROM hh
					WHERE hh.unit_id = n.unit_id AND hh.window_start = n.window_start AND hh.window_end = n.window_end) AS households
			FROM n GROUP BY n.unit_id, n.window_start, n.window_end
		), ins AS (
			INSERT INTO task (kind, title, unit_id, window_start, window_end, due_at, required_skills, priority, details)
			SELECT 'supply_delivery', left('Supply delivery · ' || g.unit_name || ' · ' || jsonb_array_length(g.households) || ' households', 200),
				g.unit_id, g.window_start, g.window_end, g.window_end, ?::text[], g.priority,
				jsonb_build_object('needIds', to_jsonb(g.need_ids), 'households', g.households, 'totals', t.items)
			FROM g JOIN totals t USING (unit_id, window_start, window_end)
			ORDER BY g.unit_id, g.window_start, g.window_end
			RETURNING id, unit_id, window_start, window_end, priority
		), ev AS (
			INSERT INTO task_event (task_id, unit_id, kind, to_status, details, actor)
			SELECT id, unit_id, 'created', 'open', jsonb_build_object('kind', 'supply_delivery', 'dueAt', window_end), (SELECT current_actor()) FROM ins ORDER BY id
		), upd AS (
			UPDATE supply_need s SET status = 'planned', task_id = ins.id, updated_at = now()
			FROM g JOIN ins USING (unit_id, window_start, window_end)
			WHERE s.id = ANY(g.need_ids)
			RETURNING s.id
		)
		SELECT ins.id AS task_id, g.unit_code, g.unit_name, ins.window_start, ins.window_end, ins.priority,
			jsonb_array_length(g.households) AS households, g.need_ids,
			(SELECT count(*) FROM upd) AS planned
		FROM ins JOIN g USING (unit_id, window_start, window_end)
		ORDER BY ins.id`,
		[...args, [...new Set(skills)]]);
	const deliveries: PlannedDelivery[] = rows.map((r) => ({
		taskId: Number(r.task_id),
		unitCode: r.unit_code,
		unitName: r.unit_name,
		windowStart: r.window_start,
		windowEnd: r.window_end,
		priority: Number(r.priority),
		households: Number(r.households),
		needIds: r.need_ids.map(Number),
	}));
	const plan: DeliveryPlan = {
		tasksCreated: deliveries.length,
		needsPlanned: deliveries.reduce((a, d) => a + d.needIds.length, 0),
		deliveries,
	};
	if (!deliveries.length) plan.notice = 'No open supply needs match: no delivery tasks were created.';
	return plan;
}

/**
 * Marks the planned needs of completed supply_delivery tasks fulfilled. For the Task node's complete
 * operation, in its transaction; tasks with no needs are ignored.
 */
export async function fulfilNeedsForTask(uow: UnitOfWork, taskIds: number[]): Promise<{ needIds: number[] }> {
	if (!taskIds.length) return { needIds: [] };
	const { rows } = await sql<{ id: number }>(uow,
		`UPDATE supply_need SET status = 'fulfilled', fulfilled_at = now(), updated_at = now()
		WHERE task_id = ANY(?::bigint[]) AND status = 'planned' RETURNING id`, [taskIds]);
	return { needIds: rows.map((r) => Number(r.id)).sort((a, b) => a - b) };
}

/**
 * Puts the planned needs of cancelled supply_delivery tasks back to open (task link cleared), so the
 * next planning run picks them up. For the Task node's cancel operation.
 */
export async function releaseNeedsForTask(uow: UnitOfWork, taskIds: number[]): Promise<{ needIds: number[] }> {
	if (!taskIds.length) return { needIds: [] };
	const { rows } = await sql<{ id: number }>(uow,
		`UPDATE supply_need SET status = 'open', task_id = NULL, updated_at = now()
		WHERE task_id = ANY(?::bigint[]) AND status = 'planned' RETURNING id`, [taskIds]);
	return { needIds: rows.map((r) => Number(r.id)).sort((a, b) => a - b) };
}

export interface DemandQuery {
	within?: UnitRef;
	/** The level totals are grouped by: 2 street, 3 community (default), 4 base grid, 5 building. */
	level?: 2 | 3 | 4 | 5;
	windowFrom?: Date;
	windowTo?: Date;
	/** Default open and planned. */
	statuses?: Array<'open' | 'planned'>;
	categories?: SupplyCategory[];
}

export interface DemandRow {
	unitCode: string | null;
	unitName: string | null;
	level: number;
	needs: number;
	urgentNeeds: number;
	households: number;
	residents: number;
	items: Array<{ item: string; unit: string; category: SupplyCategory; quantity: number }>;
}

/**
 * Totals of item quantities per community (or another level) for open and planned needs in a window:
 * needs are summed per building first, then each building is mapped to its ancestor through the path.
 * An ancestor above the credential's scope is not visible: its rows come out with unitCode null.
 */
export async function demandSummary(uow: UnitOfWork, q: DemandQuery): Promise<DemandRow[]> {
	const level = q.level ?? 3;
	if (![2, 3, 4, 5].includes(level)) throw new FieldError('Group By Level', `Group By Level must be 2 to 5, got ${describeValue(q.level)}`);
	const statuses = q.statuses?.length ? q.statuses : ['open', 'planned'];
	for (const s of statuses) if (s !== 'open' && s !== 'planned') throw new FieldError('Statuses', `Statuses must be open or planned, got ${describeValue(s)}`);
	for (const c of q.categories ?? []) {
		if (!Object.prototype.hasOwnProperty.call(SUPPLY_CATEGORIES, c)) throw new FieldError('Categories', `Categories ${describeValue(c)} is not a category`);
	}
	const where: string[] = ['s.status = ANY(?::text[])'];
	const args: unknown[] = [statuses];
	await windowAndSubtree(uow, q, where, args);
	if (q.categories?.length) {
		where.push(`EXISTS (SELECT 1 FROM jsonb_array_elements(s.items) x(e) WHERE x.e->>'category' = ANY(?::text[]))`);
		args.push(q.categories);
	}
	const { rows } = await sql(uow,
		`WITH n AS MATERIALIZED (
			SELECT s.id, s.unit_id, s.household_id, s.resident_id, s.urgency, s.items, b.path
			FROM supply_need s JOIN grid_unit b ON b.id = s.unit_id
			WHERE ${where.join(' AND ')}
		), anc AS (
			SELECT DISTINCT ON (n.unit_id) n.unit_id, a.id AS ancestor_id
			FROM n LEFT JOIN grid_unit a ON a.id = ANY(string_to_array(trim(both '/' from n.path), '/')::bigint[]) AND a.level = ?
			ORDER BY n.unit_id
		), e AS (
			SELECT anc.ancestor_id, x.e->>'item' AS item, x.e->>'unit' AS unit, x.e->>'category' AS category, sum((x.e->>'quantity')::numeric) AS quantity
			FROM n JOIN anc USING (unit_id) CROSS JOIN jsonb_array_elements(n.items) x(e)
			WHERE cardinality(?::text[]) = 0 OR x.e->>'category' = ANY(?::text[])
			GROUP BY 1, 2, 3, 4
		)
		SELECT a.code AS unit_code, a.name AS unit_name, g.needs, g.urgent_needs, g.households, g.residents,
			(SELECT jsonb_agg(jsonb_build_object('item', e.item, 'unit', e.unit, 'category', e.category, 'quantity', e.quantity) ORDER BY e.category, e.item, e.unit)
				FROM e WHERE e.ancestor_id IS NOT DISTINCT FROM g.ancestor_id) AS items
		FROM (
			SELECT anc.ancestor_id, count(*)::int AS needs, count(*) FILTER (WHERE n.urgency = 'urgent')::int AS urgent_needs,
				count(DISTINCT n.household_id)::int AS households, count(DISTINCT n.resident_id)::int AS residents
			FROM n JOIN anc USING (unit_id) GROUP BY anc.ancestor_id
		) g LEFT JOIN grid_unit a ON a.id = g.ancestor_id
		ORDER BY a.code NULLS LAST`,
		[...args, level, q.categories ?? [], q.categories ?? []]);
	return rows.map((r) => ({
		unitCode: (r.unit_code as string | null) ?? null,
		unitName: (r.unit_name as string | null) ?? null,
		level,
		needs: Number(r.needs),
		urgentNeeds: Number(r.urgent_needs),
		households: Number(r.households),
		residents: Number(r.residents),
		items: ((r.items as Array<Record<string, unknown>> | null) ?? []).map((i) => ({
			item: i.item as string,
			unit: i.unit as string,
			category: i.category as SupplyCategory,
			quantity: Number(i.quantity),
		})),
	}));
}
