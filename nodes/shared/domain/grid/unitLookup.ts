import { sql } from '../../db/sql';
import { FieldError } from '../../validation/errors';
import type { UnitOfWork } from '../context';
import { UNIT_COLUMNS, type UnitRef, type UnitRow, describeRef } from './unitRecord';

/** Loads the referenced units in one query; a missing one is an error naming the field. */
export async function loadUnits(
	uow: UnitOfWork,
	refs: UnitRef[],
	field: string,
	opts: { forUpdate?: boolean } = {},
): Promise<Array<UnitRow | FieldError>> {
	const codes = refs.filter((r): r is { code: string } => 'code' in r).map((r) => r.code);
	const ids = refs.filter((r): r is { id: number } => 'id' in r).map((r) => r.id);
	const { rows } = await sql(uow,
		`SELECT ${UNIT_COLUMNS} FROM grid_unit u LEFT JOIN grid_unit p ON p.id = u.parent_id
		WHERE u.code = ANY(?::text[]) OR u.id = ANY(?::bigint[])${opts.forUpdate ? ' FOR UPDATE OF u' : ''}`,
		[codes, ids],
	);
	const byCode = new Map<string, UnitRow>();
	const byId = new Map<number, UnitRow>();
	for (const r of rows as UnitRow[]) {
		byCode.set(r.code, r);
		byId.set(r.id, r);
	}
	return refs.map((ref) => {
		const row = 'code' in ref ? byCode.get(ref.code) : byId.get(ref.id);
		return row ?? new FieldError(field, `unknown grid unit ${describeRef(ref)}${uow.scopeCode ? ` (or it lies outside this credential's scope ${uow.scopeCode})` : ''}`);
	});
}

export async function loadUnit(uow: UnitOfWork, ref: UnitRef, field: string, opts: { forUpdate?: boolean } = {}): Promise<UnitRow> {
	const [row] = await loadUnits(uow, [ref], field, opts);
	if (row instanceof FieldError) throw row;
	return row;
}
