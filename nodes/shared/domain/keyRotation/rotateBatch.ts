import { sql } from '../../db/sql';
import { GridError } from '../../validation/errors';
import { writeAudit } from '../audit';
import type { UnitOfWork } from '../context';
import { type PersonalDataKeys, decrypt, encrypt, encryptedBy, rewrapHash } from '../personalData';
import { ROTATION_SETTING, type RotationState, sealLineage } from './keyState';
import { PROTECTED_TABLES, type ProtectedTable } from './protectedColumns';

export interface BatchOutcome {
	/** No rotation is in progress (and this credential has no previous key): nothing to do. */
	idle: boolean;
	/** The rotation finished in this batch, or had already finished. */
	finished: boolean;
	from?: string;
	to?: string;
	/** Rows re-keyed in this batch, per table. */
	rotated: Record<string, number>;
}

/** The test of a row still holding a value the new key did not make: one bound pattern per column. */
function stalePredicate(t: ProtectedTable, keys: PersonalDataKeys): { sql: string; bindings: string[] } {
	const cols = [
		...t.hashes.map((c) => ({ c, pattern: `${keys.fingerprint}:%` })),
		...t.ciphers.map((c) => ({ c, pattern: `v2.${keys.fingerprint}.%` })),
	];
	return {
		sql: `(${cols.map(({ c }) => `(${c} IS NOT NULL AND ${c} NOT LIKE ?)`).join(' OR ')})`,
		bindings: cols.map((x) => x.pattern),
	};
}

function rekey(keys: PersonalDataKeys, t: ProtectedTable, row: Record<string, string | null>): Array<string | null> {
	return [
		...t.hashes.map((c) => (row[c] === null ? null : rewrapHash(keys, row[c]!))),
		...t.ciphers.map((c) => (row[c] === null || encryptedBy(keys, row[c]!) ? row[c] : encrypt(keys, decrypt(keys, row[c]!)))),
	];
}

/** Re-keys up to limit rows of one table after the cursor; rows other executions hold locked are left for a later pass. */
async function rotateRows(uow: UnitOfWork, t: ProtectedTable, cursor: number, limit: number): Promise<{ count: number; last: number }> {
	const stale = stalePredicate(t, uow.keys);
	const cols = [...t.hashes, ...t.ciphers];
	const { rows } = await sql<Record<string, string | null> & { id: number }>(uow,
		`SELECT id, ${cols.join(', ')} FROM ${t.table} WHERE id > ? AND ${stale.sql} ORDER BY id LIMIT ? FOR NO KEY UPDATE SKIP LOCKED`,
		[cursor, ...stale.bindings, limit]);
	if (!rows.length) return { count: 0, last: cursor };
	const values = rows.map((r) => rekey(uow.keys, t, r));
	await sql(uow,
		`UPDATE ${t.table} AS t SET ${cols.map((c) => `${c} = u.${c}`).join(', ')}
		FROM unnest(?::bigint[], ${cols.map(() => '?::text[]').join(', ')}) AS u(id, ${cols.join(', ')})
		WHERE t.id = u.id`,
		[rows.map((r) => r.id), ...cols.map((_, k) => values.map((v) => v[k]))]);
	return { count: rows.length, last: Number(rows[rows.length - 1].id) };
}

/** Rows still holding a value of the previous key, per table (a full scan of each table). */
export async function remainingRows(uow: UnitOfWork): Promise<Record<string, number>> {
	const out: Record<string, number> = {};
	for (const t of PROTECTED_TABLES) {
		const stale = stalePredicate(t, uow.keys);
		const { rows } = await sql<{ n: number }>(uow, `SELECT count(*)::int AS n FROM ${t.table} WHERE ${stale.sql}`, stale.bindings);
		out[t.table] = rows[0].n;
	}
	return out;
}

async function readState(uow: UnitOfWork): Promise<RotationState | undefined> {
	const { rows } = await sql<{ value: RotationState }>(uow, `SELECT value FROM settings WHERE key = ?`, [ROTATION_SETTING]);
	return rows[0]?.value;
}

/**
 * One batch of a key rotation, in the caller's transaction: re-keys up to batchSize rows, table by
 * table in id order from where the last batch stopped, and records how far it got. When a pass over
 * every table is complete and no value of the old key is left anywhere (values written meanwhile by
 * executions still holding the old key get another pass), the rotation finishes: the stored
 * fingerprint becomes the new key's, and the previous key is no longer needed. Runs of it exclude each
 * other; other executions keep reading and writing throughout.
 */
export async function rotateBatch(uow: UnitOfWork, batchSize: number): Promise<BatchOutcome> {
	if (uow.scopeCode) {
		throw new GridError('scope', `Key rotation needs a credential without a scope (this one is confined to ${uow.scopeCode}), so that it reaches every row`,
			'Run Rotate Personal Data Key with an unscoped credential holding the new and previous keys.');
	}
	await sql(uow, `SELECT pg_advisory_xact_lock(hashtext('grid.key-rotation:' || current_schema()))::text`);
	const state = await readState(uow);
	const keys = uow.keys;
	if (!state) return { idle: !keys.previous, finished: !!keys.previous, rotated: {} };
	if (!keys.previous || state.to !== keys.fingerprint || state.from !== keys.previous.fingerprint) {
		throw new GridError('key_rotation', `The rotation in progress (${state.from} → ${state.to}) is not the one this credential's keys make`,
			'Use the new key as Personal Data Key and the old key as Previous Personal Data Key.');
	}

	const rotated: Record<string, number> = {};
	let budget = batchSize;
	while (budget > 0 && state.table < PROTECTED_TABLES.length) {
		const t = PROTECTED_TABLES[state.table];
		const { count, last } = await rotateRows(uow, t, state.cursor, budget);
		if (count) rotated[t.table] = (rotated[t.table] ?? 0) + count;
		budget -= count;
		if (count && budget === 0) state.cursor = last;
		else {
			// fewer than asked: nothing after the cursor is left in this table
			state.table++;
			state.cursor = 0;
		}
	}
	for (const [table, n] of Object.entries(rotated)) state.rotated[table] = (state.rotated[table] ?? 0) + n;
	state.batches++;
	state.lastBatchAt = new Date().toISOString();

	let finished = false;
	if (state.table >= PROTECTED_TABLES.length) {
		const left = Object.values(await remainingRows(uow)).reduce((a, b) => a + b, 0);
		if (left === 0) {
			const { rows } = await sql<{ ok: boolean }>(uow, `SELECT key_rotation_finish(?, ?, ?) AS ok`,
				[state.from, state.to, sealLineage(keys, keys.lineage ?? [])]);
			finished = rows[0].ok;
		} else {
			state.pass++;
			state.table = 0;
			state.cursor = 0;
		}
	}
	if (!finished) await sql(uow, `SELECT key_rotation_save(?::jsonb)`, [JSON.stringify(state)]);
	// fingerprints and counts only: nothing here is personal data
	await writeAudit(uow, [{
		action: finished ? 'key_rotation_finished' : 'key_rotation_batch',
		entity: 'settings',
		entityId: ROTATION_SETTING,
		details: { from: state.from, to: state.to, pass: state.pass, batch: state.batches, rotated, total: state.rotated },
	}]);
	return { idle: false, finished, from: state.from, to: state.to, rotated };
}
