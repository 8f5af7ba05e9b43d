import { sql } from '../../db/sql';
import { FieldError, describeValue } from '../../validation/errors';
import { text } from '../../validation/text';
import type { Outcome, UnitOfWork } from '../context';
import { loadUnit, loadUnits } from '../grid/unitLookup';
import { type UnitRef, subtreeBounds } from '../grid/unitRecord';
import { SKILLS } from '../volunteer/vocabulary';
import { type ResolvedTask, TITLE_MAX, insertTasks } from './tasks';

/** A checkpoint shift (卡口值守) to create: a unit, a time span and how many people it needs. */
export interface NewShift {
	unit: UnitRef;
	startsAt: Date;
	endsAt: Date;
	/** People needed, 1–100: one task each. */
	slots: number;
	requiredSkills?: string[];
	note?: string;
	/** Priority of the slot tasks, 1–4 (default 3: a checkpoint must be manned). */
	priority?: number;
}

export interface ShiftRecord {
	id: number;
	unitCode: string;
	unitName: string;
	startsAt: string;
	endsAt: string;
	slots: number;
	requiredSkills: string[];
	note: string | null;
	/** Slots whose task is assigned, accepted, in progress or done. */
	filled: number;
	/** Slots whose task is open or offered. */
	open: number;
	cancelled: number;
	taskIds: number[];
	createdAt: string;
}

export const SHIFT_SLOTS_MAX = 100;

export function checkNewShift(s: NewShift): void {
	if (!(s.startsAt instanceof Date) || Number.isNaN(s.startsAt.getTime())) throw new FieldError('Starts At', 'Starts At is required');
	if (!(s.endsAt instanceof Date) || Number.isNaN(s.endsAt.getTime())) throw new FieldError('Ends At', 'Ends At is required');
	if (s.endsAt <= s.startsAt) throw new FieldError('Ends At', `Ends At ${s.endsAt.toISOString()} must be after Starts At ${s.startsAt.toISOString()}`);
	if (!Number.isInteger(s.slots) || s.slots < 1 || s.slots > SHIFT_SLOTS_MAX) {
		throw new FieldError('Slots', `Slots must be a whole number from 1 to ${SHIFT_SLOTS_MAX}, got ${describeValue(s.slots)}`);
	}
	for (const skill of s.requiredSkills ?? []) {
		if (!Object.prototype.hasOwnProperty.call(SKILLS, skill)) throw new FieldError('Required Skills', `Required Skills ${describeValue(skill)} is not a known skill`);
	}
	const p = s.priority ?? 3;
	if (!Number.isInteger(p) || p < 1 || p > 4) throw new FieldError('Priority', `Priority must be 1 (low) to 4 (urgent), got ${describeValue(s.priority)}`);
	text(s.note, { field: 'Note', max: 2000, multiline: true });
}

const SHIFT_SELECT = `SELECT cs.id, u.code AS unit_code, u.name AS unit_name, cs.starts_at, cs.ends_at, cs.slots, cs.required_skills, cs.note, cs.created_at,
		count(t.id) FILTER (WHERE t.status IN ('assigned', 'accepted', 'in_progress', 'done'))::int AS filled,
		count(t.id) FILTER (WHERE t.status IN ('open', 'offered'))::int AS open,
		count(t.id) FILTER (WHERE t.status = 'cancelled')::int AS cancelled,
		coalesce(array_agg(t.id ORDER BY t.id) FILTER (WHERE t.id IS NOT NULL), '{}') AS task_ids
	FROM checkpoint_shift cs JOIN grid_unit u ON u.id = cs.unit_id LEFT JOIN task t ON t.shift_id = cs.id`;

function toShift(r: Record<string, unknown>): ShiftRecord {
	return {
		id: Number(r.id),
		unitCode: r.unit_code as string,
		unitName: r.unit_name as string,
		startsAt: r.starts_at as string,
		endsAt: r.ends_at as string,
		slots: Number(r.slots),
		requiredSkills: (r.required_skills as string[]) ?? [],
		note: (r.note as string | null) ?? null,
		filled: Number(r.filled),
		open: Number(r.open),
		cancelled: Number(r.cancelled),
		taskIds: ((r.task_ids as Array<string | number>) ?? []).map(Number),
		createdAt: r.created_at as string,
	};
}

async function loadShifts(uow: UnitOfWork, ids: number[]): Promise<Map<number, ShiftRecord>> {
	const { rows } = await sql(uow, `${SHIFT_SELECT} WHERE cs.id = ANY(?::bigint[]) GROUP BY cs.id, u.code, u.name`, [ids]);
	return new Map(rows.map((r) => [Number(r.id), toShift(r)]));
}

/**
 * Creates checkpoint shifts and one open checkpoint_shift task per slot (window = the shift, due by
 * its start: a slot not taken up by then expires), set-based, for dispatch to fill.
 */
export async function createShifts(uow: UnitOfWork, inputs: NewShift[]): Promise<Array<Outcome<ShiftRecord>>> {
	const errors = new Map<number, FieldError>();
	inputs.forEach((s, i) => {
		try {
			checkNewShift(s);
		} catch (e) {
			if (e instanceof FieldError) errors.set(i, e);
			else throw e;
		}
	});
	const units = await loadUnits(uow, inputs.map((s) => s.unit), 'Checkpoint Unit');
	units.forEach((u, i) => {
		if (errors.has(i)) return;
		if (u instanceof FieldError) errors.set(i, u);
		else if (!u.active) errors.set(i, new FieldError('Checkpoint Unit', `grid unit ${u.code} is deactivated`));
	});
	const out = (values: Map<number, ShiftRecord>): Array<Outcome<ShiftRecord>> => inputs.map((_, i) => {
		const e = errors.get(i);
		if (e) return { ok: false, error: e };
		const v = values.get(i);
		return v ? { ok: true, value: v } : { ok: true, value: [] };
	});
	const good = inputs.map((s, i) => ({ s, i })).filter(({ i }) => !errors.has(i));
	if ((errors.size && !uow.partial) || !good.length) return out(new Map());
	const { rows } = await sql<{ id: number }>(uow,
		`INSERT INTO checkpoint_shift (unit_id, starts_at, ends_at, slots, required_skills, note)
		SELECT x.unit_id, x.starts_at, x.ends_at, x.slots, x.required_skills, x.note
		FROM jsonb_to_recordset(?::jsonb) AS x(ord int, unit_id bigint, starts_at timestamptz, ends_at timestamptz, slots int, required_skills text[], note text)
		ORDER BY x.ord
		RETURNING id`,
		[JSON.stringify(good.map(({ s, i }, k) => ({
			ord: k,
			unit_id: (units[i] as { id: number }).id,
			starts_at: s.startsAt.toISOString(),
			ends_at: s.endsAt.toISOString(),
			slots: s.slots,
			required_skills: [...new Set(s.requiredSkills ?? [])],
			note: text(s.note, { field: 'Note', max: 2000, multiline: true }) ?? null,
		})))]);
	const shiftIds = rows.map((r) => Number(r.id)).sort((a, b) => a - b);
	const tasks: ResolvedTask[] = [];
	good.forEach(({ s, i }, k) => {
		const unit = units[i] as { id: number; name: string };
		for (let slot = 1; slot <= s.slots; slot++) {
			tasks.push({
				kind: 'checkpoint_shift',
				title: `Checkpoint shift · ${unit.name} · slot ${slot}/${s.slots}`.slice(0, TITLE_MAX),
				description: text(s.note, { field: 'Note', max: 2000, multiline: true }),
				unitId: unit.id,
				shiftId: shiftIds[k],
				windowStart: s.startsAt,
				windowEnd: s.endsAt,
				dueAt: s.startsAt,
				requiredSkills: s.requiredSkills,
				priority: s.priority ?? 3,
				details: { slot, slots: s.slots },
			});
		}
	});
	await insertTasks(uow, tasks);
	const records = await loadShifts(uow, shiftIds);
	return out(new Map(good.map(({ i }, k) => [i, records.get(shiftIds[k])!])));
}

export interface ShiftQuery {
	within?: UnitRef;
	/** Shifts that end after this time. */
	from?: Date;
	/** Shifts that start before this time. */
	to?: Date;
	/** Only shifts with open slots. */
	openOnly?: boolean;
	limit?: number;
}

/** Lists shifts by start time with their filled and open slot counts. */
export async function listShifts(uow: UnitOfWork, q: ShiftQuery): Promise<ShiftRecord[]> {
	if (q.from && q.to && q.to <= q.from) throw new FieldError('To', `To ${q.to.toISOString()} must be after From ${q.from.toISOString()}`);
	const limit = q.limit ?? 100;
	if (!Number.isInteger(limit) || limit < 1) throw new FieldError('Limit', `Limit must be a whole number of at least 1, got ${describeValue(q.limit)}`);
	const where: string[] = [];
	const args: unknown[] = [];
	if (q.within) {
		const root = await loadUnit(uow, q.within, 'Within Unit');
		const [lo, hi] = subtreeBounds(root.path);
		where.push('u.path >= ? AND u.path < ?');
		args.push(lo, hi);
	}
	if (q.from) {
		where.push('cs.ends_at > ?::timestamptz');
		args.push(q.from.toISOString());
	}
	if (q.to) {
		where.push('cs.starts_at < ?::timestamptz');
		args.push(q.to.toISOString());
	}
	const { rows } = await sql(uow,
		`${SHIFT_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
		GROUP BY cs.id, u.code, u.name
		${q.openOnly ? `HAVING count(t.id) FILTER (WHERE t.status IN ('open', 'offered')) > 0` : ''}
		ORDER BY cs.starts_at, cs.id LIMIT ?`,
		[...args, limit]);
	return rows.map(toShift);
}
