import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { GridError } from '../validation/errors';
import { deriveKeys, type PersonalDataKeys } from '../domain/personalData';
import { FINGERPRINT_SETTING, ROTATION_SETTING, resolveKeys } from '../domain/keyRotation/keyState';
import { storedKeyState } from './keySettings';
import { type ConnectionConfig, isValidSchemaName, poolKey } from './config';
import { translateDbError } from './errors';
import { migrateToLatest } from './migrate';
import { bigintArray, bigintValue, timestampToIso } from './typeParsers';

export const APPLICATION_NAME = 'n8n-grid-governance';
const DEFAULT_IDLE_CLOSE_MS = 5 * 60_000;

export interface Database {
	knex: Knex;
	config: ConnectionConfig;
	keys: PersonalDataKeys;
}

interface Entry {
	ready: Promise<Database>;
	knex: Knex;
	lastUsed: number;
	busy: number;
	idleCloseMs: number;
}

const pools = new Map<string, Entry>();
let sweeper: NodeJS.Timeout | undefined;

// Parsers live on each pool's connections, so this package never changes pg's global parsers
// that other nodes in the same n8n process rely on, nor depends on what they set there.
function typeParsers() {
	return {
		getTypeParser(oid: number, format?: 'text' | 'binary') {
			if (format === undefined || format === 'text') {
				switch (oid) {
					case 20: return bigintValue;
					case 1016: return bigintArray;
					case 1700: return (v: string) => Number(v);
					case 1184: return (v: string) => timestampToIso(v, true);
					case 1114: return (v: string) => timestampToIso(v, false);
					case 1082: return (v: string) => v;
				}
			}
			return pg.types.getTypeParser(oid, format as 'text');
		},
	};
}

function sslOption(c: ConnectionConfig) {
	if (c.ssl === 'disable') return false;
	if (c.ssl === 'require') return { rejectUnauthorized: false };
	return { rejectUnauthorized: true, ca: c.caCertificate || undefined };
}

export function pgConnectionOptions(c: ConnectionConfig) {
	return {
		host: c.host,
		port: c.port,
		database: c.database,
		user: c.user,
		password: c.password,
		ssl: sslOption(c),
		application_name: APPLICATION_NAME,
		types: typeParsers(),
		connectionTimeoutMillis: 15_000,
	};
}

function createKnex(c: ConnectionConfig): Knex {
	return knexFactory({
		client: 'pg',
		connection: pgConnectionOptions(c),
		pool: { min: 0, max: Math.max(1, c.maxConnections), idleTimeoutMillis: 30_000 },
		// Executions wait for a free connection instead of failing under pressure.
		acquireConnectionTimeout: 120_000,
		// Connection failures reach the user translated; knex's own console lines would only repeat them.
		log: { warn: () => undefined, error: () => undefined, deprecate: () => undefined, debug: () => undefined },
	});
}

async function prepare(c: ConnectionConfig, knex: Knex): Promise<Database> {
	if (!isValidSchemaName(c.schema)) {
		throw new GridError('config', `Schema "${c.schema}" is not a valid schema name`, 'Use lower-case letters, digits and underscores, starting with a letter.');
	}
	// refuses a short key before any connection is made
	const initial = deriveKeys(c.personalDataKey);
	let keys: PersonalDataKeys;
	try {
		await migrateToLatest(knex, c.schema);
		keys = await knex.transaction(async (trx) => {
			await trx.raw(`SELECT set_config('grid.actor', ?, true)`, [JSON.stringify({ system: 'key-fingerprint' })]);
			// through the first-use function: a login granted only the application role may not write settings
			await trx.raw(`SELECT "${c.schema}".settings_first_use(?, to_jsonb(?::text))`, [FINGERPRINT_SETTING, initial.fingerprint]);
			const where = `the database "${c.database}" (schema ${c.schema})`;
			let resolved = resolveKeys(await storedKeyState(trx, c.schema), c.personalDataKey, c.previousPersonalDataKey, where);
			if (resolved.start) {
				// a rotation starts with the first use of the new key; whoever records it first, all join the same one
				await trx.raw(`SELECT "${c.schema}".settings_first_use(?, ?::jsonb)`, [ROTATION_SETTING, JSON.stringify(resolved.start)]);
				resolved = resolveKeys(await storedKeyState(trx, c.schema), c.personalDataKey, c.previousPersonalDataKey, where);
			}
			return resolved.keys;
		});
	} catch (error) {
		throw translateDbError(error, c);
	}
	return { knex, config: c, keys };
}

function sweep() {
	const now = Date.now();
	for (const [key, entry] of pools) {
		if (entry.busy === 0 && now - entry.lastUsed > entry.idleCloseMs) {
			pools.delete(key);
			void entry.knex.destroy();
		}
	}
	if (pools.size === 0 && sweeper) {
		clearInterval(sweeper);
		sweeper = undefined;
	}
}

/**
 * Runs fn with this process's pool for the credential, creating, migrating and checking it on
 * first use. The pool stays open for later executions and closes itself after being idle.
 */
export async function withDatabase<T>(c: ConnectionConfig, fn: (db: Database) => Promise<T>): Promise<T> {
	const key = poolKey(c);
	let entry = pools.get(key);
	if (!entry) {
		const knex = createKnex(c);
		const created: Entry = {
			knex,
			ready: prepare(c, knex),
			lastUsed: Date.now(),
			busy: 0,
			idleCloseMs: c.idleCloseMs ?? DEFAULT_IDLE_CLOSE_MS,
		};
		entry = created;
		pools.set(key, created);
		// A failed start (server down, wrong key) is not cached: the next execution tries again.
		created.ready.catch(() => {
			if (pools.get(key) === created) pools.delete(key);
			void knex.destroy();
		});
		if (!sweeper) {
			sweeper = setInterval(sweep, Math.min(10_000, Math.max(250, created.idleCloseMs / 4)));
			sweeper.unref();
		}
	}
	entry.busy++;
	try {
		const db = await entry.ready;
		return await fn(db);
	} finally {
		entry.busy--;
		entry.lastUsed = Date.now();
	}
}

/** Closes every pool of this process (tests, scripts and shutdown). */
export async function closeAllPools(): Promise<void> {
	const entries = [...pools.values()];
	pools.clear();
	if (sweeper) clearInterval(sweeper);
	sweeper = undefined;
	await Promise.all(entries.map((e) => e.knex.destroy()));
}

export function openPoolCount(): number {
	return pools.size;
}
