import { sql } from '../../db/sql';
import { FieldError, batchError } from '../../validation/errors';
import { LEVEL_NAMES, type Level } from '../../validation/gridCode';
import type { Outcome, UnitOfWork } from '../context';
import { loadUnit, loadUnits } from './unitLookup';
import {
	UNIT_COLUMNS, type UnitRecord, type UnitRef, type UnitRow, subtreeBounds, toUnitRecord,
} from './unitRecord';

/** One unit to create, already checked for shape (code pattern, level, name). */
export interface NewUnit {
	code: string;
	name: string;
	level: Level;
	parentCode?: string;
	plannedHouseholds?: number;
	geojson?: unknown;
	/** Postal address, used to resolve claimed addresses to units. */
	address?: string;
}

const INSERT_CHUNK = 10_000;

/** Finds parent chains within the batch that loop back on themselves. */
function findCycles(inputs: NewUnit[], indexByCode: Map<string, number>): Set<number> {
	const inCycle = new Set<number>();
	const state = new Array<number>(inputs.length).fill(0); // 0 new, 1 on stack, 2 done
	for (let start = 0; start < inputs.length; start++) {
		const stack: number[] = [];
		let i: number | undefined = start;
		while (i !== undefined && state[i] === 0) {
			state[i] = 1;
			stack.push(i);
			const parent: string | undefined = inputs[i].parentCode;
			i = parent === undefined ? undefined : indexByCode.get(parent);
		}
		if (i !== undefined && state[i] === 1) {
			for (let k = stack.indexOf(i); k < stack.length; k++) inCycle.add(stack[k]);
		}
		for (const k of stack) state[k] = 2;
	}
	return inCycle;
}

/**
 * Creates units given as a flat list whose parents may come later in the same batch or
 * already exist. Checks everything first; writes level by level with one statement per chunk.
 */
export async function createUnits(uow: UnitOfWork, inputs: NewUnit[]): Promise<Array<Outcome<UnitRecord>>> {
	const errors = new Map<number, FieldError>();
	const fail = (i: number, field: string, message: string) => {
		if (!errors.has(i)) errors.set(i, new FieldError(field, message));
	};

	const indexByCode = new Map<string, number>();
	inputs.forEach((u, i) => {
		const first = indexByCode.get(u.code);
		if (first !== undefined) {
			errors.set(i, batchError('Code', [first, i], (a, b) => `Code ${u.code} appears twice in this batch: items ${a} and ${b}`));
		} else indexByCode.set(u.code, i);
	});

	const lookup = [...new Set(inputs.flatMap((u) => (u.parentCode ? [u.code, u.parentCode] : [u.code])))];
	const { rows } = await sql(uow,
		`SELECT id, code, level, path, active FROM grid_unit WHERE code = ANY(?::text[])`,
		[lookup],
	);
	const existing = new Map<string, { id: number; level: number; path: string; active: boolean }>(
		(rows as Array<{ id: number; code: string; level: number; path: string; active: boolean }>).map((r) => [r.code, r]),
	);

	const cycles = findCycles(inputs, indexByCode);
	inputs.forEach((u, i) => {
		if (cycles.has(i)) {
			fail(i, 'Parent Code', `Parent Code ${u.parentCode} of ${u.code} leads back to ${u.code} through this batch: the parents form a cycle`);
			return;
		}
		if (existing.has(u.code)) fail(i, 'Code', `Code ${u.code} already exists`);
		if (u.level === 1) {
			if (u.parentCode) fail(i, 'Parent Code', `${u.code} is a district (level 1) and cannot have a parent, got ${u.parentCode}`);
			else if (uow.scopeCode) fail(i, 'Code', `A credential scoped to ${uow.scopeCode} cannot create a district`);
			return;
		}
		if (!u.parentCode) {
			fail(i, 'Parent Code', `Parent Code is required for a ${LEVEL_NAMES[u.level]} (level ${u.level})`);
			return;
		}
		const batchParent = indexByCode.get(u.parentCode);
		const parentLevel = batchParent !== undefined && batchParent !== i ? inputs[batchParent].level : existing.get(u.parentCode)?.level;
		if (parentLevel === undefined) {
			fail(i, 'Parent Code', `unknown parent code ${u.parentCode}${uow.scopeCode ? ` (or it lies outside this credential's scope ${uow.scopeCode})` : ''}`);
			return;
		}
		if (parentLevel !== u.level - 1) {
			fail(i, 'Level', `${u.code} is a ${LEVEL_NAMES[u.level]} (level ${u.level}), so its parent must be a ${LEVEL_NAMES[(u.level - 1) as Level]} (level ${u.level - 1}); ${u.parentCode} is level ${parentLevel}`);
			return;
		}
		if (!u.code.startsWith(`${u.parentCode}-`)) {
			fail(i, 'Code', `Code ${u.code} must extend its parent's code ${u.parentCode} (e.g. ${u.parentCode}-${u.code.split('-').pop()})`);
			return;
		}
		if (batchParent === undefined && existing.get(u.parentCode)?.active === false) {
			fail(i, 'Parent Code', `parent unit ${u.parentCode} is deactivated`);
		}
	});

	// A unit whose parent in this batch was rejected is rejected too, down the chain.
	for (let changed = true; changed; ) {
		changed = false;
		inputs.forEach((u, i) => {
			if (errors.has(i) || !u.parentCode) return;
			const p = indexByCode.get(u.parentCode);
			if (p !== undefined && errors.has(p)) {
				const reason = errors.get(p)!.message;
				if (!errors.has(i)) errors.set(i, batchError('Parent Code', [p, i], (a) => `parent ${u.parentCode} (item ${a}) was rejected: ${reason}`));
				changed = true;
			}
		});
	}

	const outcomes: Array<Outcome<UnitRecord>> = inputs.map((_, i) =>
		errors.has(i) ? { ok: false, error: errors.get(i)! } : { ok: true, value: [] },
	);
	if (errors.size && !uow.partial) return outcomes;

	// Parents are resolved here rather than joined in SQL: known from the lookup or from the level
	// inserted just before, so each chunk is one plain INSERT from unnest.
	const placed = new Map<string, { id: number; path: string }>();
	for (const [code, r] of existing) placed.set(code, { id: r.id, path: r.path });
	const { rows: clock } = await sql<{ now: string }>(uow, 'SELECT now() AS now');
	const now = clock[0].now;
	const byLevel: Array<Array<{ u: NewUnit; i: number }>> = [[], [], [], [], [], []];
	inputs.forEach((u, i) => {
		if (!errors.has(i)) byLevel[u.level].push({ u, i });
	});
	for (let level = 1; level <= 5; level++) {
		const batch = byLevel[level];
		for (let start = 0; start < batch.length; start += INSERT_CHUNK) {
			const chunk = batch.slice(start, start + INSERT_CHUNK);
			const parents = chunk.map(({ u }) => (u.parentCode ? placed.get(u.parentCode)! : null));
			const { rows: inserted } = await sql<{ id: number; code: string }>(
				uow,
				`INSERT INTO grid_unit (id, code, name, level, parent_id, path, planned_households, geojson, address)
				SELECT t.id, t.code, t.name, ?, t.parent_id, t.parent_path || t.id || '/', t.planned, t.geo::jsonb, t.address
				FROM (
					SELECT nextval('grid_unit_id_seq') AS id, u.*
					FROM unnest(?::text[], ?::text[], ?::bigint[], ?::text[], ?::int[], ?::text[], ?::text[]) AS u(code, name, parent_id, parent_path, planned, geo, address)
				) t
				RETURNING id, code`,
				[
					level,
					chunk.map(({ u }) => u.code),
					chunk.map(({ u }) => u.name),
					parents.map((p) => p?.id ?? null),
					parents.map((p) => p?.path ?? '/'),
					chunk.map(({ u }) => u.plannedHouseholds ?? null),
					chunk.map(({ u }) => (u.geojson === undefined || u.geojson === null ? null : JSON.stringify(u.geojson))),
					chunk.map(({ u }) => u.address ?? null),
				],
			);
			for (const r of inserted) {
				const i = indexByCode.get(r.code)!;
				const u = inputs[i];
				const parentPath = u.parentCode ? placed.get(u.parentCode)!.path : '/';
				placed.set(r.code, { id: r.id, path: `${parentPath}${r.id}/` });
				outcomes[i] = {
					ok: true,
					value: {
						id: r.id,
						code: u.code,
						name: u.name,
						level: u.level,
						levelName: LEVEL_NAMES[u.level],
						parentCode: u.parentCode ?? null,
						plannedHouseholds: u.plannedHouseholds ?? null,
						geojson: u.geojson ?? null,
						address: u.address ?? null,
						active: true,
						createdAt: now,
						updatedAt: now,
						deactivatedAt: null,
					},
				};
			}
		}
	}
	return outcomes;
}

export async function getUnits(uow: UnitOfWork, refs: UnitRef[]): Promise<Array<Outcome<UnitRecord>>> {
	const rows = await loadUnits(uow, refs, 'Grid Unit');
	return rows.map((r) => (r instanceof FieldError ? { ok: false, error: r } : { ok: true, value: toUnitRecord(r) }));
}

export interface ListUnitsInput {
	root: UnitRef;
	includeRoot: boolean;
	levels?: Level[];
	activeOnly: boolean;
	/** Undefined: return all. */
	limit?: number;
}

const PAGE = 2_000;

/** Lists a subtree in path order, page by page on the path index. */
export async function listUnits(uow: UnitOfWork, input: ListUnitsInput): Promise<UnitRecord[]> {
	const root = await loadUnit(uow, input.root, 'Grid Unit');
	const [lo, hi] = subtreeBounds(root.path);
	const out: UnitRecord[] = [];
	let after = input.includeRoot ? '' : root.path;
	const levels = input.levels?.length ? input.levels : null;
	for (;;) {
		const want = input.limit === undefined ? PAGE : Math.min(PAGE, input.limit - out.length);
		if (want <= 0) break;
		const { rows } = await sql(uow,
			`SELECT ${UNIT_COLUMNS} FROM grid_unit u LEFT JOIN grid_unit p ON p.id = u.parent_id
			WHERE u.path >= ? AND u.path < ? AND u.path > ?
				${levels ? 'AND u.level = ANY(?::smallint[])' : ''}
				${input.activeOnly ? 'AND u.active' : ''}
			ORDER BY u.path LIMIT ?`,
			[lo, hi, after, ...(levels ? [levels] : []), want],
		);
		for (const r of rows as UnitRow[]) out.push(toUnitRecord(r));
		if (rows.length < want) break;
		after = (rows[rows.length - 1] as UnitRow).path;
	}
	return out;
}

/** The chain from the district down to the unit (the unit itself last when asked for). */
export async function ancestors(uow: UnitOfWork, ref: UnitRef, includeSelf: boolean): Promise<UnitRecord[]> {
	const unit = await loadUnit(uow, ref, 'Grid Unit');
	const ids = unit.path.split('/').filter(Boolean).map(Number);
	if (!includeSelf) ids.pop();
	if (!ids.length) return [];
	const { rows } = await sql(uow,
		`SELECT ${UNIT_COLUMNS} FROM grid_unit u LEFT JOIN grid_unit p ON p.id = u.parent_id
		WHERE u.id = ANY(?::bigint[]) ORDER BY u.level`,
		[ids],
	);
	return (rows as UnitRow[]).map(toUnitRecord);
}

export interface MoveResult extends UnitRecord {
	previousParentCode: string | null;
	movedUnits: number;
}

/** Re-parents a unit with its whole subtree; every path below it is rewritten in one statement. */
export async function moveUnit(uow: UnitOfWork, ref: UnitRef, newParentRef: UnitRef): Promise<MoveResult> {
	const unit = await loadUnit(uow, ref, 'Grid Unit', { forUpdate: true });
	const parent = await loadUnit(uow, newParentRef, 'New Parent', { forUpdate: true });
	if (parent.id === unit.id || parent.path.startsWith(unit.path)) {
		throw new FieldError('New Parent', `cannot move ${unit.code} under ${parent.code}: ${parent.code} lies inside ${unit.code}'s own subtree, so the move would create a cycle`);
	}
	if (parent.level !== unit.level - 1) {
		throw new FieldError('New Parent', `${unit.code} is a ${LEVEL_NAMES[unit.level as Level]} (level ${unit.level}); its new parent must be level ${unit.level - 1}, but ${parent.code} is a ${LEVEL_NAMES[parent.level as Level]} (level ${parent.level})`);
	}
	if (!parent.active) throw new FieldError('New Parent', `new parent ${parent.code} is deactivated`);
	if (unit.parent_code === parent.code) {
		return { ...toUnitRecord(unit), previousParentCode: unit.parent_code, movedUnits: 0 };
	}
	const newPath = `${parent.path}${unit.id}/`;
	const [lo, hi] = subtreeBounds(unit.path);
	const result = await sql(uow,
		`UPDATE grid_unit SET path = ? || substr(path, ?),
			parent_id = CASE WHEN id = ? THEN ?::bigint ELSE parent_id END,
			updated_at = now()
		WHERE path >= ? AND path < ?`,
		[newPath, unit.path.length + 1, unit.id, parent.id, lo, hi],
	);
	const moved = await loadUnit(uow, { id: unit.id }, 'Grid Unit');
	return { ...toUnitRecord(moved), previousParentCode: unit.parent_code, movedUnits: result.rowCount };
}

export interface DeactivateResult extends UnitRecord {
	deactivatedUnits: number;
	endedAssignments: number;
}

/** Deactivates a unit; with cascade, its whole active subtree, ending the posts held there. */
export async function deactivateUnit(uow: UnitOfWork, ref: UnitRef, cascade: boolean): Promise<DeactivateResult> {
	const unit = await loadUnit(uow, ref, 'Grid Unit', { forUpdate: true });
	const [lo, hi] = subtreeBounds(unit.path);
	if (!cascade) {
		// children sit one level down inside the path range: the (level, path) index answers this
		const { rows } = await sql(uow,
			`SELECT count(*)::int AS n FROM grid_unit WHERE level = ? AND path > ? AND path < ? AND active`,
			[unit.level + 1, lo, hi],
		);
		if (rows[0].n > 0) {
			throw new FieldError('Cascade', `${unit.code} still has ${rows[0].n} active child unit(s); deactivate them first, or switch on Cascade to deactivate the whole subtree`);
		}
	}
	const { rows: done } = await sql(uow,
		`UPDATE grid_unit SET active = false, deactivated_at = now(), updated_at = now()
		WHERE path >= ? AND path < ? AND active RETURNING id`,
		[lo, hi],
	);
	const ended = await sql(uow,
		`UPDATE grid_assignment a SET valid_to = now(), updated_at = now()
		FROM grid_unit u
		WHERE a.unit_id = u.id AND u.path >= ? AND u.path < ?
			AND a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now())`,
		[lo, hi],
	);
	const after = await loadUnit(uow, { id: unit.id }, 'Grid Unit');
	return { ...toUnitRecord(after), deactivatedUnits: done.length, endedAssignments: ended.rowCount };
}

export interface UnitChoice {
	code: string;
	name: string;
	level: Level;
}

/** For the unit picker in the editor: active units by code prefix or name fragment. */
export async function searchUnitChoices(
	uow: UnitOfWork,
	filter: string | undefined,
	offset: number,
	limit = 50,
): Promise<{ choices: UnitChoice[]; more: boolean }> {
	const f = (filter ?? '').trim();
	const { rows } = await sql(uow,
		`SELECT code, name, level FROM grid_unit
		WHERE active AND (? = '' OR code LIKE ? OR name ILIKE ?)
		ORDER BY code LIMIT ? OFFSET ?`,
		[f, `${f.replace(/[\\%_]/g, '\\$&')}%`, `%${f.replace(/[\\%_]/g, '\\$&')}%`, limit + 1, offset],
	);
	return { choices: rows.slice(0, limit), more: rows.length > limit };
}
