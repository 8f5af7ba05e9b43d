import { sql } from '../../db/sql';
import type { UnitOfWork } from '../context';

/** What identifies one export in the ledger. */
export interface LedgerKey {
	target: string;
	dataset: string;
	period: string;
	scopeCode: string;
	format: string;
}

export interface BatchRow {
	id: number;
	status: 'pending' | 'acknowledged' | 'failed';
	revision: number;
	attempts: number;
	payload_hash: string;
	acknowledged_hash: string | null;
	idempotency_key: string | null;
}

/**
 * Takes the ledger row of an export, creating it when new, and locks it until the transaction ends:
 * a second worker exporting the same thing waits here, then sees what the first one did.
 */
export async function claimBatch(uow: UnitOfWork, key: LedgerKey, unitId: number, payloadHash: string): Promise<BatchRow> {
	await sql(uow,
		`INSERT INTO export_batch (target, dataset, period, scope_code, unit_id, format, payload_hash)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT ON CONSTRAINT export_batch_key DO NOTHING`,
		[key.target, key.dataset, key.period, key.scopeCode, unitId, key.format, payloadHash]);
	const { rows } = await sql<BatchRow>(uow,
		`SELECT id, status, revision, attempts, payload_hash, acknowledged_hash, idempotency_key FROM export_batch
		WHERE target = ? AND dataset = ? AND period = ? AND scope_code = ? AND format = ?
		FOR UPDATE`,
		[key.target, key.dataset, key.period, key.scopeCode, key.format]);
	const row = rows[0];
	return { ...row, id: Number(row.id), revision: Number(row.revision), attempts: Number(row.attempts) };
}

export interface AttemptRecord {
	status: BatchRow['status'];
	revision: number;
	attempts: number;
	payloadHash: string;
	acknowledged: boolean;
	idempotencyKey: string;
	lastStatus?: number;
	lastResponse?: unknown;
	lastError?: string;
}

/** Writes the outcome of a delivery onto the locked ledger row. */
export async function recordDelivery(uow: UnitOfWork, id: number, r: AttemptRecord): Promise<void> {
	await sql(uow,
		`UPDATE export_batch SET status = ?, revision = ?, attempts = attempts + ?, payload_hash = ?,
			acknowledged_hash = CASE WHEN ?::boolean THEN ? ELSE acknowledged_hash END,
			acknowledged_at = CASE WHEN ?::boolean THEN now() ELSE acknowledged_at END,
			idempotency_key = ?, last_status = ?, last_response = ?::jsonb, last_error = ?, updated_at = now()
		WHERE id = ?`,
		[r.status, r.revision, r.attempts, r.payloadHash, r.acknowledged, r.payloadHash, r.acknowledged, r.idempotencyKey,
			r.lastStatus ?? null, r.lastResponse === undefined ? null : JSON.stringify(r.lastResponse), r.lastError ?? null, id]);
}
