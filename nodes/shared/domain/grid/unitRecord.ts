import { LEVEL_NAMES, type Level } from '../../validation/gridCode';

/** A grid unit as every operation returns it. */
export interface UnitRecord {
	id: number;
	code: string;
	name: string;
	level: Level;
	levelName: string;
	parentCode: string | null;
	plannedHouseholds: number | null;
	geojson: unknown;
	address: string | null;
	active: boolean;
	createdAt: string;
	updatedAt: string;
	deactivatedAt: string | null;
}

/** Columns for SELECT ... FROM grid_unit u LEFT JOIN grid_unit p ON p.id = u.parent_id */
export const UNIT_COLUMNS = `u.id, u.code, u.name, u.level, u.path, p.code AS parent_code, u.planned_households,
	u.geojson, u.address, u.active, u.created_at, u.updated_at, u.deactivated_at`;

export interface UnitRow {
	id: number;
	code: string;
	name: string;
	level: number;
	path: string;
	parent_code: string | null;
	planned_households: number | null;
	geojson: unknown;
	address: string | null;
	active: boolean;
	created_at: string;
	updated_at: string;
	deactivated_at: string | null;
}

export function toUnitRecord(r: UnitRow): UnitRecord {
	return {
		id: r.id,
		code: r.code,
		name: r.name,
		level: r.level as Level,
		levelName: LEVEL_NAMES[r.level as Level],
		parentCode: r.parent_code,
		plannedHouseholds: r.planned_households,
		geojson: r.geojson ?? null,
		address: r.address ?? null,
		active: r.active,
		createdAt: r.created_at,
		updatedAt: r.updated_at,
		deactivatedAt: r.deactivated_at,
	};
}

/** A reference to a unit as users give it: by code or by numeric id. */
export type UnitRef = { code: string } | { id: number };

export function describeRef(ref: UnitRef): string {
	return 'code' in ref ? ref.code : `#${ref.id}`;
}

/** Range bounds that select a subtree on the C-collated path index. */
export function subtreeBounds(path: string): [string, string] {
	return [path, `${path}~`];
}
