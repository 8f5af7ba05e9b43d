import type { Knex } from 'knex';
import { GridError } from '../validation/errors';
import type { Actor, UnitOfWork } from '../domain/context';
import type { ConnectionConfig } from './config';
import { isRetryable, translateDbError } from './errors';
import { appRoleFor } from './migrate';
import { withDatabase } from './pool';

export interface UnitOfWorkOptions {
	actor: Actor;
	partial?: boolean;
	/** Attempts for serialization failures and deadlocks before giving up. */
	maxAttempts?: number;
}

async function begin(config: ConnectionConfig, trx: Knex.Transaction, actor: Actor): Promise<void> {
	const { schema, scopeCode } = config;
	// The scope path is read as the login role; the role switch comes last (OFFSET 0 keeps the order),
	// so that from here on PostgreSQL row-level security confines every statement.
	const result = await trx.raw(
		`SELECT set_config('role', ?, true) AS role, s.scope_path
		FROM (
			SELECT set_config('search_path', ?, true) AS search_path,
				-- statements here are short and planned fresh: LLVM compilation would cost more than it saves
				set_config('jit', 'off', true) AS jit,
				set_config('grid.actor', ?, true) AS actor,
				set_config('grid.scope_path',
					CASE WHEN ?::text IS NULL THEN '/'
					ELSE coalesce((SELECT path FROM "${schema}".grid_unit WHERE code = ?), '') END, true) AS scope_path
			OFFSET 0
		) s`,
		[appRoleFor(schema), `"${schema}", public`, JSON.stringify(actor), scopeCode ?? null, scopeCode ?? null],
	);
	if (result.rows[0].scope_path === '') {
		throw new GridError(
			'scope',
			`The credential's scope grid code ${scopeCode} does not exist in this database`,
			'Fix the Scope field of the Grid Governance Postgres credential, or create that grid unit first with an unscoped credential.',
		);
	}
}

function delay(ms: number) {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs fn in one transaction as the application role, with actor and scope set. Serialization
 * failures and deadlocks rerun the whole unit a bounded number of times; other errors roll back
 * and come out translated.
 */
export async function withUnitOfWork<T>(
	config: ConnectionConfig,
	options: UnitOfWorkOptions,
	fn: (uow: UnitOfWork) => Promise<T>,
): Promise<T> {
	const maxAttempts = options.maxAttempts ?? 4;
	try {
		return await withDatabase(config, async (db) => {
			for (let attempt = 1; ; attempt++) {
				try {
					return await db.knex.transaction(async (trx) => {
						await begin(config, trx, options.actor);
						return fn({
							trx,
							keys: db.keys,
							scopeCode: config.scopeCode,
							timezone: config.timezone,
							segmentWidths: config.segmentWidths,
							actor: options.actor,
							partial: options.partial ?? false,
						});
					});
				} catch (error) {
					if (attempt < maxAttempts && isRetryable(error)) {
						await delay(20 * 2 ** attempt + Math.random() * 50);
						continue;
					}
					throw error;
				}
			}
		});
	} catch (error) {
		throw translateDbError(error, config);
	}
}

/** Runs fn inside a savepoint; an error rolls back only that part. */
export async function inSavepoint<T>(uow: UnitOfWork, fn: (uow: UnitOfWork) => Promise<T>): Promise<T> {
	return uow.trx.transaction(async (sp) => fn({ ...uow, trx: sp }));
}
