import pg from 'pg';
import { deriveKeys } from '../domain/personalData';
import { resolveKeys } from '../domain/keyRotation/keyState';
import { storedKeyState } from './keySettings';
import { GridError } from '../validation/errors';
import { type ConnectionConfig, isValidSchemaName } from './config';
import { translateDbError } from './errors';
import { schemaStatus } from './migrate';
import { pgConnectionOptions } from './pool';
import knexFactory from 'knex';

export interface ConnectionReport {
	serverVersion: string;
	migrated: boolean;
	version: string | null;
	codeVersion: string;
	keyMatches: boolean | null;
	scopeFound: boolean | null;
	message: string;
}

/**
 * Checks a credential on a connection of its own (never a pool that executions share):
 * reachability, login, server version, migration state, key fingerprint and scope.
 */
export async function testConnection(c: ConnectionConfig): Promise<ConnectionReport> {
	if (!isValidSchemaName(c.schema)) throw new GridError('config', `Schema "${c.schema}" is not a valid schema name`);
	// refuses a short key before connecting
	deriveKeys(c.personalDataKey);
	const client = new pg.Client(pgConnectionOptions(c));
	// a dropped connection must not become an unhandled 'error' event in the n8n process;
	// failures reach the caller through the awaited calls
	client.on('error', () => undefined);
	// knex is used here only to build the status queries over this one client
	const qb = knexFactory({ client: 'pg' });
	try {
		await client.connect();
		const v = await client.query(`SELECT current_setting('server_version_num')::int AS num, current_setting('server_version') AS text`);
		const { num, text } = v.rows[0] as { num: number; text: string };
		if (num < 130000) {
			throw new GridError('version', `PostgreSQL ${text} is too old: version 13 or newer is required`);
		}
		const raw = (sql: string, bindings: unknown[] = []) => {
			const q = qb.raw(sql, bindings as never[]).toSQL().toNative();
			return client.query(q.sql, q.bindings as unknown[]);
		};
		const status = await schemaStatus({ raw } as never, c.schema);
		let keyMatches: boolean | null = null;
		let keyNote = '';
		let scopeFound: boolean | null = null;
		if (status.migrated) {
			const state = await storedKeyState({ raw } as never, c.schema);
			if (state.fingerprint) {
				try {
					const resolved = resolveKeys(state, c.personalDataKey, c.previousPersonalDataKey, 'this database');
					keyMatches = true;
					if (state.rotation || resolved.start) keyNote = 'A personal-data key rotation is in progress (or starts on first use): run Rotate Personal Data Key until it reports done.';
				} catch (error) {
					keyMatches = false;
					keyNote = error instanceof GridError ? `${error.message}. ${error.description ?? ''}`.trim() : '';
				}
			}
			if (c.scopeCode) {
				scopeFound = (await client.query(`SELECT 1 FROM "${c.schema}".grid_unit WHERE code = $1`, [c.scopeCode])).rows.length > 0;
			}
		}
		const parts = [`Connected to PostgreSQL ${text}.`];
		if (!status.migrated) parts.push(`Schema "${c.schema}" is not migrated yet; it will be created on first use (version ${status.codeVersion}).`);
		else if (status.unknown.length) parts.push(`Schema "${c.schema}" is at ${status.version}, newer than this package (${status.codeVersion}): upgrade the package.`);
		else if (status.pending.length) parts.push(`Schema "${c.schema}" is at ${status.version}; ${status.pending.length} migration(s) will run on first use.`);
		else parts.push(`Schema "${c.schema}" is migrated (version ${status.version}).`);
		if (keyMatches === false) parts.push(`The personal-data key does NOT match the key this database was set up with. ${keyNote}`.trim());
		else if (keyNote) parts.push(keyNote);
		if (scopeFound === false) parts.push(`Scope grid code ${c.scopeCode} does not exist.`);
		return { serverVersion: text, migrated: status.migrated, version: status.version, codeVersion: status.codeVersion, keyMatches, scopeFound, message: parts.join(' ') };
	} catch (error) {
		throw translateDbError(error, c);
	} finally {
		await client.end().catch(() => undefined);
		await qb.destroy();
	}
}
