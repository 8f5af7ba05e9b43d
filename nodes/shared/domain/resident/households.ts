import { sql } from '../../db/sql';
import { FieldError, batchError } from '../../validation/errors';
import { LEVEL_NAMES, type Level } from '../../validation/gridCode';
import type { Outcome, UnitOfWork } from '../context';
import { loadUnit, loadUnits } from '../grid/unitLookup';
import { type UnitRef, subtreeBounds } from '../grid/unitRecord';
import { generatedColumn, split, textColumn } from './columnText';

export interface NewHousehold {
	unit: UnitRef;
	unitNo?: string;
	roomNo: string;
	facts?: Record<string, unknown>;
}

export interface HouseholdRecord {
	id: number;
	buildingCode: string;
	buildingName: string;
	unitNo: string | null;
	roomNo: string;
	facts: Record<string, unknown>;
	active: boolean;
	members?: number;
	createdAt: string;
	updatedAt: string;
}

const BASE_COLUMNS = 'h.id, u.code AS building_code, u.name AS building_name, h.unit_no, h.room_no, h.facts, h.active, h.created_at, h.updated_at';
const COLUMNS = `${BASE_COLUMNS}, (SELECT count(*)::int FROM resident r WHERE r.household_id = h.id AND r.active) AS members`;

function toRecord(r: Record<string, unknown>): HouseholdRecord {
	return {
		id: r.id as number,
		buildingCode: r.building_code as string,
		buildingName: r.building_name as string,
		unitNo: r.unit_no as string | null,
		roomNo: r.room_no as string,
		facts: (r.facts ?? {}) as Record<string, unknown>,
		active: r.active as boolean,
		members: r.members as number,
		createdAt: r.created_at as string,
		updatedAt: r.updated_at as string,
	};
}

export function notABuilding(code: string, level: number): FieldError {
	return new FieldError('Building Code', `a household belongs to a building (level 5); ${code} is a ${LEVEL_NAMES[level as Level]} (level ${level})`);
}

export const addressKey = (unitId: number, unitNo: string | null | undefined, roomNo: string) => `${unitId}|${unitNo ?? ''}|${roomNo}`;

/** Creates households; each must sit in a building and have an address not used in that building. */
export async function createHouseholds(uow: UnitOfWork, inputs: NewHousehold[]): Promise<Array<Outcome<HouseholdRecord>>> {
	const errors = new Map<number, FieldError>();
	const units = await loadUnits(uow, inputs.map((h) => h.unit), 'Building Code');
	const seen = new Map<string, number>();
	inputs.forEach((h, i) => {
		const u = units[i];
		if (u instanceof FieldError) {
			errors.set(i, u);
			return;
		}
		if (u.level !== 5) {
			errors.set(i, notABuilding(u.code, u.level));
			return;
		}
		if (!u.active) {
			errors.set(i, new FieldError('Building Code', `building ${u.code} is deactivated`));
			return;
		}
		const key = addressKey(u.id, h.unitNo, h.roomNo);
		const first = seen.get(key);
		if (first !== undefined) {
			errors.set(i, batchError('Room Number', [first, i], (a, b) => `items ${a} and ${b} give the same address in ${u.code}`));
			return;
		}
		seen.set(key, i);
	});
	const good = inputs.map((h, i) => ({ h, i })).filter(({ i }) => !errors.has(i));
	if (good.length) {
		const { rows } = await sql<{ idx: number }>(uow,
			`SELECT t.idx FROM unnest(?::int[], ?::bigint[], ?::text[], ?::text[]) AS t(idx, unit_id, unit_no, room_no)
			JOIN household h ON h.unit_id = t.unit_id AND coalesce(h.unit_no, '') = coalesce(t.unit_no, '') AND h.room_no = t.room_no`,
			[good.map(({ i }) => i), good.map(({ i }) => (units[i] as { id: number }).id), good.map(({ h }) => h.unitNo ?? null), good.map(({ h }) => h.roomNo)],
		);
		for (const r of rows) errors.set(r.idx, new FieldError('Room Number', `a household at this address already exists in ${(units[r.idx] as { code: string }).code}`));
	}
	const outcomes: Array<Outcome<HouseholdRecord>> = inputs.map((_, i) => (errors.has(i) ? { ok: false, error: errors.get(i)! } : { ok: true, value: [] }));
	if (errors.size && !uow.partial) return outcomes;
	const write = good.filter(({ i }) => !errors.has(i));
	if (!write.length) return outcomes;
	const { rows } = await sql(uow,
		`WITH ins AS (
			INSERT INTO household (unit_id, unit_no, room_no, facts)
			SELECT * FROM unnest(?::bigint[], ?::text[], ?::text[], ?::jsonb[]) RETURNING *
		)
		SELECT ${BASE_COLUMNS}, 0 AS members FROM ins h JOIN grid_unit u ON u.id = h.unit_id ORDER BY h.id`,
		[
			write.map(({ i }) => (units[i] as { id: number }).id),
			write.map(({ h }) => h.unitNo ?? null),
			write.map(({ h }) => h.roomNo),
			write.map(({ h }) => JSON.stringify(h.facts ?? {})),
		],
	);
	write.forEach(({ i }, k) => {
		outcomes[i] = { ok: true, value: toRecord(rows[k]) };
	});
	return outcomes;
}

/**
 * Finds or creates the households named by building and room, for resident imports and moves.
 * Returns the household id of each address, in the order given.
 */
export async function ensureHouseholds(uow: UnitOfWork, addresses: Array<{ buildingId: number; unitNo?: string; roomNo: string }>): Promise<number[]> {
	const slot = new Map<string, number>();
	const list: Array<{ buildingId: number; unitNo?: string; roomNo: string }> = [];
	const slotOf = addresses.map((a) => {
		const key = addressKey(a.buildingId, a.unitNo, a.roomNo);
		let k = slot.get(key);
		if (k === undefined) {
			k = list.length;
			slot.set(key, k);
			list.push(a);
		}
		return k;
	});
	const idOf = new Array<number | undefined>(list.length);
	const keep = (rows: Array<{ id: number; unit_id: number; unit_no: string | null; room_no: string }>) => {
		for (const r of rows) idOf[slot.get(addressKey(r.unit_id, r.unit_no, r.room_no))!] = r.id;
	};
	const columns = (part: typeof list) => [
		generatedColumn(part.map((a) => a.buildingId)),
		textColumn(part.map((a) => a.unitNo), 'Unit Number'),
		textColumn(part.map((a) => a.roomNo), 'Room Number'),
	];
	if (list.length) {
		// Insert the missing ones, returning their ids: ON CONFLICT keeps concurrent imports from
		// duplicating an address, and only the addresses that existed already need looking up.
		const { rows } = await sql(uow,
			`INSERT INTO household (unit_id, unit_no, room_no)
			SELECT * FROM unnest(${split('bigint')}, ${split()}, ${split()})
			ON CONFLICT (unit_id, coalesce(unit_no, ''), room_no) DO NOTHING
			RETURNING id, unit_id, unit_no, room_no`,
			columns(list),
		);
		keep(rows);
	}
	const rest = list.filter((_, k) => idOf[k] === undefined);
	if (rest.length) {
		const { rows } = await sql(uow,
			`SELECT h.id, h.unit_id, h.unit_no, h.room_no FROM unnest(${split('bigint')}, ${split()}, ${split()}) AS t(unit_id, unit_no, room_no)
			JOIN household h ON h.unit_id = t.unit_id AND coalesce(h.unit_no, '') = coalesce(t.unit_no, '') AND h.room_no = t.room_no`,
			columns(rest),
		);
		keep(rows);
	}
	return slotOf.map((k) => idOf[k]!);
}

export async function getHouseholds(uow: UnitOfWork, ids: number[]): Promise<Array<HouseholdRecord | FieldError>> {
	const { rows } = await sql(uow, `SELECT ${COLUMNS} FROM household h JOIN grid_unit u ON u.id = h.unit_id WHERE h.id = ANY(?::bigint[])`, [ids]);
	const byId = new Map(rows.map((r) => [r.id as number, toRecord(r)]));
	return ids.map((id) => byId.get(id) ?? new FieldError('Household ID', `unknown household ${id}${uow.scopeCode ? ` (or outside this credential's scope ${uow.scopeCode})` : ''}`));
}

export interface HouseholdChanges {
	unitNo?: string | null;
	roomNo?: string;
	/** Merged into the existing facts. */
	facts?: Record<string, unknown>;
	active?: boolean;
}

export async function updateHousehold(uow: UnitOfWork, id: number, changes: HouseholdChanges): Promise<HouseholdRecord> {
	const [current] = await getHouseholds(uow, [id]);
	if (current instanceof FieldError) throw current;
	await sql(uow,
		`UPDATE household SET
			unit_no = CASE WHEN ? THEN ?::text ELSE unit_no END,
			room_no = coalesce(?::text, room_no),
			facts = facts || ?::jsonb,
			active = coalesce(?::boolean, active),
			updated_at = now()
		WHERE id = ?`,
		[changes.unitNo !== undefined, changes.unitNo ?? null, changes.roomNo ?? null, JSON.stringify(changes.facts ?? {}), changes.active ?? null, id],
	).catch((e: { code?: string }) => {
		if (e.code === '23505') throw new FieldError('Room Number', `another household in ${current.buildingCode} already has that address`);
		throw e;
	});
	const [after] = await getHouseholds(uow, [id]);
	return after as HouseholdRecord;
}

export async function listHouseholds(uow: UnitOfWork, within: UnitRef, limit?: number, activeOnly = true): Promise<HouseholdRecord[]> {
	const root = await loadUnit(uow, within, 'Grid Unit');
	const [lo, hi] = subtreeBounds(root.path);
	const out: HouseholdRecord[] = [];
	let after = 0;
	for (;;) {
		const want = limit === undefined ? 1000 : Math.min(1000, limit - out.length);
		if (want <= 0) break;
		const { rows } = await sql(uow,
			`SELECT ${COLUMNS} FROM household h JOIN grid_unit u ON u.id = h.unit_id
			WHERE u.path >= ? AND u.path < ? AND h.id > ? ${activeOnly ? 'AND h.active' : ''}
			ORDER BY h.id LIMIT ?`,
			[lo, hi, after, want],
		);
		out.push(...rows.map(toRecord));
		if (rows.length < want) break;
		after = rows[rows.length - 1].id;
	}
	return out;
}
