import type { ConnectionConfig } from '../../db/config';
import { withUnitOfWork } from '../../db/unitOfWork';
import { FieldError } from '../../validation/errors';
import type { Actor } from '../context';
import { loadUnit } from '../grid/unitLookup';
import { DEFAULT_RETRY, type RetryPolicy, postWithRetries } from './delivery';
import { claimBatch, recordDelivery } from './ledger';
import { type UpstreamConfig, checkUpstream, ledgerTarget, targetUrl } from './upstream';

export interface DeliverExportRequest {
	upstream: UpstreamConfig;
	/** Path (and query) under the base URL. */
	path: string;
	dataset: string;
	period: string;
	/** The grid code of the exported unit: the ledger's scope, and the row-level security check. */
	scopeCode: string;
	format: 'dhis2' | 'fhir' | 'csv' | 'json';
	payload: { body: Buffer; contentType: string; sha256: string };
	/** Send even when the same payload was acknowledged before. */
	force?: boolean;
	/** Send, but never count as delivered (DHIS2 dryRun). */
	dryRun?: boolean;
	maxAttempts?: number;
	retry?: Partial<RetryPolicy>;
}

export interface DeliverExportResult {
	/** sent: first delivery; updated: a changed payload sent as a new revision; resent: forced;
	 * skipped: already acknowledged with this payload; dry_run: checked, not delivered; failed. */
	action: 'sent' | 'updated' | 'resent' | 'skipped' | 'dry_run' | 'failed';
	batchId: number;
	revision: number;
	attempts: number;
	status?: number;
	response?: unknown;
	error?: string;
	unauthorized?: boolean;
	idempotencyKey: string;
}

/**
 * Delivers one export exactly once, through the ledger, in a transaction of its own (so that an
 * item failing later in the same execution does not take this delivery's record with it). The
 * ledger row stays locked across the HTTP call: a parallel worker waits, then finds it acknowledged.
 * A final failure is recorded and returned as action 'failed'; the caller makes it an error item.
 */
export async function deliverExport(config: ConnectionConfig, actor: Actor, req: DeliverExportRequest): Promise<DeliverExportResult> {
	const upstream = checkUpstream(req.upstream);
	const url = targetUrl(upstream, req.path);
	const policy: RetryPolicy = { ...DEFAULT_RETRY, ...req.retry, ...(req.maxAttempts ? { maxAttempts: req.maxAttempts } : {}) };
	return withUnitOfWork(config, { actor }, async (uow) => {
		const unit = await loadUnit(uow, { code: req.scopeCode }, 'Unit').catch((error) => {
			if (error instanceof FieldError) {
				throw new FieldError('Unit', `${req.scopeCode} is not a grid unit this credential may export${uow.scopeCode ? `: it lies outside this credential's scope ${uow.scopeCode}` : ''}`);
			}
			throw error;
		});
		const key = { target: ledgerTarget(url), dataset: req.dataset, period: req.period, scopeCode: unit.code, format: req.format };
		const row = await claimBatch(uow, key, Number(unit.id), req.payload.sha256);
		const same = row.acknowledged_hash === req.payload.sha256;
		if (row.status === 'acknowledged' && same && !req.force && !req.dryRun) {
			return { action: 'skipped', batchId: row.id, revision: row.revision, attempts: 0, idempotencyKey: row.idempotency_key ?? '' };
		}
		// a new revision for a changed payload after an acknowledged one, or for a forced resend
		const bump = row.acknowledged_hash !== null && (!same || req.force);
		const revision = bump ? row.revision + 1 : row.revision;
		const idempotencyKey = `grid-export-${row.id}-r${revision}${req.dryRun ? '-dry-run' : ''}`;
		const result = await postWithRetries(upstream, {
			url,
			body: req.payload.body,
			contentType: req.payload.contentType,
			headers: { 'Idempotency-Key': idempotencyKey, 'X-Grid-Export-Revision': String(revision), 'X-Grid-Export-Kind': bump && !same ? 'update' : 'create' },
		}, policy);
		const delivered = result.ok && !req.dryRun;
		await recordDelivery(uow, row.id, {
			status: delivered ? 'acknowledged' : result.ok ? row.status : 'failed',
			revision: req.dryRun ? row.revision : revision,
			attempts: result.attempts,
			payloadHash: req.dryRun ? row.payload_hash : req.payload.sha256,
			acknowledged: delivered,
			idempotencyKey,
			lastStatus: result.status,
			lastResponse: result.body,
			lastError: result.error ?? (result.unauthorized ? `the upstream refused the credentials (HTTP ${result.status})` : undefined),
		});
		const action: DeliverExportResult['action'] = !result.ok ? 'failed' : req.dryRun ? 'dry_run' : !bump ? 'sent' : same ? 'resent' : 'updated';
		return {
			action,
			batchId: row.id,
			revision: req.dryRun ? row.revision : revision,
			attempts: result.attempts,
			status: result.status,
			response: result.body,
			error: result.error,
			unauthorized: result.unauthorized,
			idempotencyKey,
		};
	});
}
