import type { Knex } from 'knex';
import { GridError } from '../validation/errors';
import { CodeMigrationSource, migrationList } from './migrations';

export interface SchemaStatus {
	migrated: boolean;
	/** Name of the newest migration applied, or null. */
	version: string | null;
	/** Name of the newest migration this code knows. */
	codeVersion: string;
	pending: string[];
	/** Applied migrations this code does not know: the schema is newer than the package. */
	unknown: string[];
}

export const MIGRATION_TABLE = 'knex_migrations';

export function appRoleFor(schema: string): string {
	return `${schema}_app`;
}

export async function schemaStatus(knex: Knex | Knex.Transaction, schema: string): Promise<SchemaStatus> {
	const known = migrationList(schema, appRoleFor(schema)).map((m) => m.name);
	const codeVersion = known[known.length - 1];
	const exists = await knex.raw(`SELECT to_regclass(?) AS t`, [`"${schema}".${MIGRATION_TABLE}`]);
	if (!exists.rows[0].t) {
		return { migrated: false, version: null, codeVersion, pending: known, unknown: [] };
	}
	const applied: string[] = (
		await knex.raw(`SELECT name FROM "${schema}".${MIGRATION_TABLE} ORDER BY id`)
	).rows.map((r: { name: string }) => r.name);
	return {
		migrated: applied.length > 0,
		version: applied[applied.length - 1] ?? null,
		codeVersion,
		pending: known.filter((n) => !applied.includes(n)),
		unknown: applied.filter((n) => !known.includes(n)),
	};
}

function tooNew(schema: string, status: SchemaStatus): GridError {
	return new GridError(
		'schema_too_new',
		`The database schema "${schema}" is at version ${status.version}, newer than this package knows (${status.codeVersion})`,
		`Unknown migrations: ${status.unknown.join(', ')}. Upgrade n8n-nodes-grid-governance on every n8n instance that uses this database; the schema is never downgraded.`,
	);
}

/**
 * Brings the schema to the code's version in one transaction on one connection, under a
 * transaction-scoped advisory lock, so that many workers starting at once migrate exactly once
 * and a failed migration leaves nothing behind. Records runs in knex's migration table format.
 */
export async function migrateToLatest(knex: Knex, schema: string): Promise<SchemaStatus> {
	const before = await schemaStatus(knex, schema);
	if (before.unknown.length) throw tooNew(schema, before);
	if (before.pending.length === 0) return before;

	await knex.transaction(async (trx) => {
		await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`grid-governance-migrate:${schema}`]);
		await trx.raw(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
		await trx.raw(`CREATE TABLE IF NOT EXISTS "${schema}".${MIGRATION_TABLE} (
			id serial PRIMARY KEY, name varchar(255), batch integer, migration_time timestamptz)`);
		const status = await schemaStatus(trx, schema);
		if (status.unknown.length) throw tooNew(schema, status);
		if (!status.pending.length) return;
		const batch = Number((await trx.raw(`SELECT coalesce(max(batch), 0) + 1 AS b FROM "${schema}".${MIGRATION_TABLE}`)).rows[0].b);
		const source = new CodeMigrationSource(schema, appRoleFor(schema));
		for (const entry of await source.getMigrations()) {
			if (!status.pending.includes(entry.name)) continue;
			await entry.migration.up(trx);
			await trx.raw(`INSERT INTO "${schema}".${MIGRATION_TABLE} (name, batch, migration_time) VALUES (?, ?, now())`, [entry.name, batch]);
		}
	});
	return schemaStatus(knex, schema);
}
