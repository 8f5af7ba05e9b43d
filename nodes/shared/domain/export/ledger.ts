import { createHash } from 'crypto';
import { sql } from '../../db/sql';
import type { UnitOfWork } from '../context';

export const LEDGER_FORMATS = ['dhis2', 'fhir', 'csv', 'json'] as const;
export type LedgerFormat = (typeof LEDGER_FORMATS)[number];

/** What identifies one export in the ledger. */
export interface LedgerKey {
	target: string;
	dataset: string;
	period: string;
	scopeCode: string;
	format: LedgerFormat;
}

export type BatchStatus = 'sending' | 'acknowledged' | 'failed';

export interface BatchRow {
	id: number;
	status: BatchStatus;
	revision: number;
	attempts: number;
	/** The payload of the current revision: the last one really sent, or the first one claimed. */
	payloadHash: string;
	/** The payload the upstream last acknowledged, if ever. */
	acknowledgedHash: string | null;
}

/**
 * Takes the ledger row of an export, creating it when new, and locks it until the transaction ends:
 * a second worker exporting the same thing waits here (on the insert or on the lock), then sees
 * what the first one did.
 */
export async function claimBatch(uow: UnitOfWork, key: LedgerKey, unitId: number, payloadHash: string): Promise<BatchRow> {
	const where = [key.target, key.dataset, key.period, key.scopeCode, key.format];
	await sql(uow,
		`INSERT INTO export_batch (target, dataset, period, scope_code, format, unit_id, payload_hash)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT ON CONSTRAINT export_batch_key DO NOTHING`,
		[...where, unitId, payloadHash]);
	const { rows: [row] } = await sql<{ id: string; status: BatchStatus; revision: number; attempts: number; payload_hash: string; acknowledged_hash: string | null }>(uow,
		`SELECT id, status, revision, attempts, payload_hash, acknowledged_hash FROM export_batch
		WHERE target = ? AND dataset = ? AND period = ? AND scope_code = ? AND format = ?
		FOR UPDATE`,
		where);
	return {
		id: Number(row.id),
		status: row.status,
		revision: Number(row.revision),
		attempts: Number(row.attempts),
		payloadHash: row.payload_hash,
		acknowledgedHash: row.acknowledged_hash,
	};
}

/**
 * The row lock is held across the HTTP exchange, retries and backoff included. A server-wide
 * idle-in-transaction or transaction timeout shorter than that would end the session after the
 * upstream took the export but before the ledger says so; for this transaction only, such a
 * timeout is raised to the longest the delivery can take. Larger settings and 0 (none) are left alone.
 */
export async function allowHold(uow: UnitOfWork, holdMs: number): Promise<void> {
	const ms = Math.ceil(holdMs);
	await sql(uow,
		`SELECT set_config(name, ?, true) FROM pg_settings
		WHERE name IN ('idle_in_transaction_session_timeout', 'transaction_timeout') AND setting::bigint > 0 AND setting::bigint < ?`,
		[String(ms), ms]);
}

/** What to do with an export, decided on the locked row. */
export type DeliveryPlan =
	| { send: false; revision: number; payloadHash: string }
	| {
		send: true;
		revision: number;
		/** update: the upstream already holds an earlier version of this export. */
		kind: 'create' | 'update';
		/** A changed payload after an acknowledged one. */
		changed: boolean;
	};

/**
 * Skip an export acknowledged with this payload (unless forced or a dry run). Otherwise send the
 * current revision when its payload is unchanged and was never acknowledged (so that retries across
 * runs keep one Idempotency-Key), or a new revision when the payload changed after a real attempt
 * or a forced resend must get past the upstream's idempotency. A dry run decides the same way but
 * records no revision.
 */
export function planDelivery(row: BatchRow, payloadHash: string, opts: { force?: boolean; dryRun?: boolean } = {}): DeliveryPlan {
	if (row.status === 'acknowledged' && row.payloadHash === payloadHash && !opts.force && !opts.dryRun) {
		return { send: false, revision: row.revision, payloadHash: row.payloadHash };
	}
	// only dry runs (or nothing yet) went out under this revision: its key is still unused
	const unused = row.status === 'sending';
	const bump = !unused && (row.payloadHash !== payloadHash || (row.status === 'acknowledged' && !!opts.force));
	return {
		send: true,
		revision: bump ? row.revision + 1 : row.revision,
		kind: row.acknowledgedHash === null ? 'create' : 'update',
		changed: row.acknowledgedHash !== null && row.acknowledgedHash !== payloadHash,
	};
}

/**
 * The Idempotency-Key of one revision of an export. Derived from the ledger key, not the row id:
 * a row created in a transaction that then failed after the upstream answered is rolled back, and
 * the next run must offer the upstream the same key again. The payload's hash is in it too, so one
 * key never stands for two different bodies.
 */
export function idempotencyKey(key: LedgerKey, revision: number, payloadHash: string, dryRun = false): string {
	const digest = createHash('sha256').update([key.target, key.dataset, key.period, key.scopeCode, key.format].join('\u0000')).digest('hex');
	return `grid-export-${digest.slice(0, 20)}-r${revision}-${payloadHash.slice(0, 12)}${dryRun ? '-dry-run' : ''}`;
}

export interface DeliveryRecord {
	/** Requests made. */
	attempts: number;
	idempotencyKey: string;
	lastStatus?: number;
	lastResponse?: unknown;
	lastError?: string;
	/** Set for a real delivery: what it did to the row. A dry run leaves status, revision and payload alone. */
	outcome?: { status: 'acknowledged' | 'failed'; revision: number; payloadHash: string };
}

/** Writes the outcome of a delivery onto the locked ledger row. */
export async function recordDelivery(uow: UnitOfWork, id: number, r: DeliveryRecord): Promise<void> {
	const o = r.outcome;
	const acknowledged = o?.status === 'acknowledged';
	await sql(uow,
		`UPDATE export_batch SET
			status = coalesce(?, status),
			revision = coalesce(?::int, revision),
			payload_hash = coalesce(?, payload_hash),
			acknowledged_hash = CASE WHEN ?::boolean THEN ? ELSE acknowledged_hash END,
			acknowledged_at = CASE WHEN ?::boolean THEN now() ELSE acknowledged_at END,
			attempts = attempts + ?,
			idempotency_key = ?,
			last_status = ?,
			last_response = ?::jsonb,
			last_error = ?,
			updated_at = now()
		WHERE id = ?`,
		[o?.status ?? null, o?.revision ?? null, o?.payloadHash ?? null, acknowledged, o?.payloadHash ?? null, acknowledged,
			r.attempts, r.idempotencyKey, r.lastStatus ?? null, r.lastResponse === undefined ? null : JSON.stringify(r.lastResponse), r.lastError ?? null, id]);
}
