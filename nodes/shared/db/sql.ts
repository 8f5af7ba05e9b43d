import type { UnitOfWork } from '../domain/context';

export interface SqlResult<T> {
	rows: T[];
	rowCount: number;
}

/**
 * Runs one parameterised statement in the unit of work. Bindings are passed to pg as they are
 * (arrays become PostgreSQL arrays for unnest), which knex's typings do not express.
 */
export async function sql<T = any>(uow: UnitOfWork, text: string, bindings: unknown[] = []): Promise<SqlResult<T>> {
		const result = await uow.trx.raw(text, bindings as any);
	return { rows: result.rows as T[], rowCount: result.rowCount ?? 0 };
}
