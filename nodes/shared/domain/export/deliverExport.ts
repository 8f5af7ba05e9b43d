import type { ConnectionConfig } from '../../db/config';
import { withUnitOfWork } from '../../db/unitOfWork';
import { FieldError, describeValue } from '../../validation/errors';
import type { Actor, UnitOfWork } from '../context';
import { loadUnit } from '../grid/unitLookup';
import { DEFAULT_RETRY, type PostResult, type RetryHooks, type RetryPolicy, postWithRetries } from './delivery';
import { LEDGER_FORMATS, type LedgerFormat, type LedgerKey, allowHold, claimBatch, idempotencyKey, planDelivery, recordDelivery } from './ledger';
import { type UpstreamConfig, checkUpstream, ledgerTarget, redactText, targetUrl } from './upstream';

export interface ExportPayload {
	body: Buffer;
	contentType: string;
	/** Hex SHA-256 of the content: the ledger compares it to tell an unchanged export from a changed one. */
	sha256: string;
}

export interface DeliverExportRequest {
	/** Checked again here, so a hand-built one is held to the credential's rules. */
	upstream: UpstreamConfig;
	/** Path (and query) under the base URL. */
	path: string;
	dataset: string;
	period: string;
	/** The grid code of the exported unit: the ledger's scope, and the row-level security check. */
	scopeCode: string;
	format: LedgerFormat;
	payload: ExportPayload;
	/** Send even when the same payload was acknowledged before. */
	force?: boolean;
	/** Send, but never count as delivered (DHIS2 dryRun). */
	dryRun?: boolean;
	/** Attempts for this delivery; else the credential's Max Attempts. */
	maxAttempts?: number;
	/** Backoff base, cap and Retry-After cap. */
	retry?: Partial<Omit<RetryPolicy, 'maxAttempts'>>;
}

export type DeliveryAction = 'sent' | 'updated' | 'skipped' | 'failed' | 'dry_run';

export interface DeliverExportResult {
	/** sent: delivered (first time, after a failure, or forced); updated: a changed payload sent as a new
	 * revision; skipped: already acknowledged with this payload, nothing sent; dry_run: sent, never
	 * counted as delivered; failed: see status, response and message. */
	action: DeliveryAction;
	batchId: number;
	revision: number;
	/** Requests made by this call. */
	attempts: number;
	/** HTTP status of the last answer; undefined when nothing was sent or no answer came. */
	status?: number;
	/** The last answer: parsed JSON if JSON, else text; secrets cut out, truncated. */
	response?: unknown;
	idempotencyKey: string;
	/** Why it failed, for people: status, an excerpt of the answer, what to fix. */
	message?: string;
	/** The upstream refused the credentials (401, 403). */
	unauthorized?: boolean;
}

/** The upstream's 2xx answer, for a caller that reads it before it counts as delivered. */
export interface UpstreamAnswer {
	status: number;
	body: unknown;
	dryRun: boolean;
}

/**
 * A caller's judgement of a 2xx answer: a DHIS2 import summary with status ERROR comes with HTTP 200
 * from older servers. Not accepted means failed (not retried: the same payload would fail again).
 */
export type ResponseCheck = (answer: UpstreamAnswer) => { accepted: boolean; reason?: string } | void;

export interface DeliverExportOptions {
	/** Test seams for the retry loop's waiting and jitter. */
	hooks?: RetryHooks;
}

/**
 * Delivers one export exactly once, through the ledger, in a transaction of its own (so that an
 * item failing later in the same execution does not take this delivery's record with it). The
 * ledger row stays locked across the HTTP call: a parallel worker waits, then finds it acknowledged.
 * A final failure is recorded (committed) and returned as action 'failed'; the caller makes it an
 * error item. Bad input throws FieldError before anything is written or sent.
 */
export async function deliverExport(
	config: ConnectionConfig,
	actor: Actor,
	req: DeliverExportRequest,
	onResponse?: ResponseCheck,
	options: DeliverExportOptions = {},
): Promise<DeliverExportResult> {
	const upstream = checkUpstream(req.upstream);
	const url = targetUrl(upstream, req.path);
	const input = checkRequest(req);
	const policy: RetryPolicy = { ...DEFAULT_RETRY, ...definedOnly(req.retry), maxAttempts: attemptsOf(req.maxAttempts, upstream) };
	// no rerun of the unit of work on a deadlock: by then the upstream may hold the export
	return withUnitOfWork(config, { actor, maxAttempts: 1 }, async (uow) => {
		const unitId = await scopeUnit(uow, input.scopeCode);
		const key: LedgerKey = { target: ledgerTarget(url), dataset: input.dataset, period: input.period, scopeCode: input.scopeCode, format: input.format };
		const row = await claimBatch(uow, key, unitId, input.sha256);
		const plan = planDelivery(row, input.sha256, { force: req.force, dryRun: req.dryRun });
		if (!plan.send) {
			return { action: 'skipped', batchId: row.id, revision: row.revision, attempts: 0, idempotencyKey: idempotencyKey(key, plan.revision, plan.payloadHash) };
		}
		const dryRun = Boolean(req.dryRun);
		const keyOfRequest = idempotencyKey(key, plan.revision, input.sha256, dryRun);
		await allowHold(uow, longestHold(policy, upstream));
		let result: PostResult = await postWithRetries(upstream, {
			url,
			body: req.payload.body,
			contentType: req.payload.contentType,
			headers: { 'Idempotency-Key': keyOfRequest, 'X-Grid-Export-Revision': String(plan.revision), 'X-Grid-Export-Kind': plan.kind },
		}, policy, options.hooks);
		if (result.ok && onResponse) result = judged(result, onResponse, dryRun, upstream);
		await recordDelivery(uow, row.id, {
			attempts: result.attempts,
			idempotencyKey: keyOfRequest,
			lastStatus: result.status,
			lastResponse: result.body,
			lastError: result.message,
			outcome: dryRun ? undefined : { status: result.ok ? 'acknowledged' : 'failed', revision: plan.revision, payloadHash: input.sha256 },
		});
		const action: DeliveryAction = !result.ok ? 'failed' : dryRun ? 'dry_run' : plan.changed ? 'updated' : 'sent';
		return {
			action,
			batchId: row.id,
			revision: plan.revision,
			attempts: result.attempts,
			status: result.status,
			response: result.body,
			idempotencyKey: keyOfRequest,
			...(result.message ? { message: result.message } : {}),
			...(result.failure === 'unauthorized' ? { unauthorized: true } : {}),
		};
	});
}

function checkRequest(req: DeliverExportRequest) {
	const field = (value: unknown, name: string, max: number) => {
		const text = typeof value === 'string' ? value.trim() : '';
		if (!text || text.length > max) throw new FieldError(name, `${name} must be text of 1 to ${max} characters (got ${describeValue(value)})`);
		return text;
	};
	const format = req.format;
	if (!LEDGER_FORMATS.includes(format)) throw new FieldError('Format', `Format must be one of ${LEDGER_FORMATS.join(', ')} (got ${describeValue(format)})`);
	if (!req.payload || !Buffer.isBuffer(req.payload.body)) throw new FieldError('Payload', 'the payload to deliver must be a Buffer');
	const sha256 = String(req.payload.sha256 ?? '').toLowerCase();
	if (!/^[0-9a-f]{64}$/.test(sha256)) throw new FieldError('Payload', `the payload's sha256 must be 64 hex digits (got ${describeValue(req.payload.sha256)})`);
	if (!req.payload.contentType || /[\r\n]/.test(req.payload.contentType)) throw new FieldError('Payload', 'the payload needs a one-line content type');
	return {
		dataset: field(req.dataset, 'Dataset', 100),
		period: field(req.period, 'Period', 40),
		scopeCode: field(req.scopeCode, 'Unit', 200),
		format,
		sha256,
	};
}

function attemptsOf(given: number | undefined, upstream: UpstreamConfig): number {
	if (given === undefined || given === null) return upstream.maxAttempts;
	if (!Number.isInteger(given) || given < 1 || given > 20) throw new FieldError('Max Attempts', `Max Attempts must be a whole number from 1 to 20 (got ${describeValue(given)})`);
	return given;
}

function definedOnly<T extends object>(o: T | undefined): Partial<T> {
	return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The scope unit's id, read under row-level security: a unit outside the credential's scope is not there. */
async function scopeUnit(uow: UnitOfWork, code: string): Promise<number> {
	try {
		return Number((await loadUnit(uow, { code }, 'Unit')).id);
	} catch (error) {
		if (!(error instanceof FieldError)) throw error;
		throw new FieldError('Unit', uow.scopeCode
			? `${code} is not a grid unit this credential may export: it is unknown or lies outside the credential's scope ${uow.scopeCode}`
			: `${code} is not a known grid unit`);
	}
}

/** The longest the row can stay locked: every attempt timing out, and the longest wait between them. */
function longestHold(policy: RetryPolicy, upstream: UpstreamConfig): number {
	return policy.maxAttempts * (upstream.timeoutMs + Math.max(policy.maxDelayMs, policy.maxRetryAfterMs)) + 60_000;
}

function judged(result: PostResult, check: ResponseCheck, dryRun: boolean, upstream: UpstreamConfig): PostResult {
	let verdict: ReturnType<ResponseCheck>;
	try {
		verdict = check({ status: result.status!, body: result.body, dryRun });
	} catch (error) {
		verdict = { accepted: false, reason: `its answer could not be read: ${(error as Error).message}` };
	}
	if (!verdict || verdict.accepted) return result;
	return {
		...result,
		ok: false,
		failure: 'rejected',
		message: redactText(`The upstream answered HTTP ${result.status} but did not accept the export${verdict.reason ? `: ${verdict.reason}` : ''}`, upstream),
	};
}
