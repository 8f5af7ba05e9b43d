import { Agent as HttpsAgent } from 'https';
import axios from 'axios';
import { type UpstreamConfig, authHeaders, credentialFields, excerpt, keepableBody, redactText } from './upstream';

export interface RetryPolicy {
	/** Attempts in all, the first included. */
	maxAttempts: number;
	/** Backoff before attempt n+1 is a random time up to min(maxDelayMs, baseDelayMs * 2^(n-1)) (full jitter). */
	baseDelayMs: number;
	maxDelayMs: number;
	/** The longest Retry-After (of a 429 or 5xx) that is honoured; longer ones are cut to this. */
	maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 120_000 };

export interface PostRequest {
	url: string;
	body: Buffer;
	contentType: string;
	/** Sent with every attempt besides authentication and the credential's extra headers. */
	headers: Record<string, string>;
}

/**
 * How the last attempt ended when the POST did not succeed. unauthorized: 401/403; rejected: another
 * answer retrying cannot change (4xx, a redirect); exhausted: 5xx or 429 on every attempt; network:
 * no HTTP answer on the last attempt (timeout, dropped or refused connection), or one that retrying
 * cannot fix (TLS).
 */
export type FailureKind = 'unauthorized' | 'rejected' | 'exhausted' | 'network';

/** How a POST ended after its retries. Bodies and messages are already redacted. */
export interface PostResult {
	ok: boolean;
	/** HTTP status of the last answer; undefined when the last attempt got none. */
	status?: number;
	/** The last answer's body: parsed JSON if JSON, else text; redacted and truncated. */
	body?: unknown;
	attempts: number;
	failure?: FailureKind;
	/** What went wrong, for people: status, a body excerpt, and what to do. */
	message?: string;
}

export interface RetryHooks {
	sleep?: (ms: number) => Promise<void>;
	random?: () => number;
	now?: () => number;
}

// no HTTP answer, and one may come on the next try
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED', 'EAI_AGAIN', 'ENETUNREACH',
	'EHOSTUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'ERR_SOCKET_CONNECTION_TIMEOUT', 'UND_ERR_SOCKET']);
const TRANSIENT_MESSAGE = /socket hang up|timeout|ECONNRESET|EPIPE|aborted/i;
const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/i;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Retry-After in seconds or as an HTTP date, in milliseconds from now; undefined when absent or unreadable. */
export function retryAfterMs(value: unknown, now = Date.now()): number | undefined {
	const text = Array.isArray(value) ? value[0] : value;
	if (typeof text !== 'string' || !text.trim()) return undefined;
	const t = text.trim();
	if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
	const at = Date.parse(t);
	return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Full-jitter exponential backoff: the wait before attempt n+1. */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
	return random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
}

/** The wait before the next attempt: the backoff, but never less than a Retry-After (up to its cap). */
export function waitBeforeRetry(attempt: number, policy: RetryPolicy, retryAfter: number | undefined, random: () => number = Math.random): number {
	const backoff = backoffMs(attempt, policy, random);
	return retryAfter === undefined ? backoff : Math.max(backoff, Math.min(retryAfter, policy.maxRetryAfterMs));
}

/**
 * POSTs a body, retrying server errors (5xx), 429, timeouts and dropped or refused connections with
 * exponential backoff and full jitter, honouring Retry-After. 401 and 403 end at once (the credentials
 * are wrong and retrying cannot help), as does any other 4xx. Redirects are not followed: a POST
 * redirected would arrive as a GET, and the credentials would travel to another address.
 */
export async function postWithRetries(
	config: UpstreamConfig,
	req: PostRequest,
	policy: RetryPolicy = DEFAULT_RETRY,
	hooks: RetryHooks = {},
): Promise<PostResult> {
	const sleep = hooks.sleep ?? delay;
	const random = hooks.random ?? Math.random;
	const now = hooks.now ?? Date.now;
	const httpsAgent = config.caCertificate ? new HttpsAgent({ ca: config.caCertificate, keepAlive: false }) : undefined;
	const attempts = Math.max(1, Math.floor(policy.maxAttempts));
	let last: PostResult = { ok: false, attempts: 0 };
	try {
		for (let attempt = 1; attempt <= attempts; attempt++) {
			let retryAfter: number | undefined;
			// axios's timeout only notices a socket gone quiet; an answer that trickles in forever needs a deadline
			const deadline = new AbortController();
			const timer = setTimeout(() => deadline.abort(), config.timeoutMs);
			try {
				const response = await axios.post<string>(req.url, req.body, {
					headers: { ...config.headers, ...req.headers, 'Content-Type': req.contentType, ...authHeaders(config, req.body, new Date(now())) },
					timeout: config.timeoutMs,
					signal: deadline.signal,
					httpsAgent,
					proxy: false,
					maxRedirects: 0,
					maxBodyLength: Infinity,
					maxContentLength: 10 * 1024 * 1024,
					responseType: 'text',
					transformResponse: [(data: unknown) => data],
					validateStatus: () => true,
				});
				const status = response.status;
				const body = keepableBody(typeof response.data === 'string' ? response.data : String(response.data ?? ''), config);
				if (status >= 200 && status < 300) return { ok: true, status, body, attempts: attempt };
				if (status === 401 || status === 403) {
					return { ok: false, status, body, attempts: attempt, failure: 'unauthorized',
						message: `The upstream refused the credentials (HTTP ${status}): check the ${credentialFields(config)} of the Grid Upstream API credential. Upstream said: ${excerpt(body)}` };
				}
				if (status >= 300 && status < 400) {
					const location = redactText(String(response.headers.location ?? 'no Location'), config);
					return { ok: false, status, body, attempts: attempt, failure: 'rejected',
						message: `The upstream answered HTTP ${status}, a redirect to ${location}: deliveries do not follow redirects, so set the credential's Base URL to the final address` };
				}
				if (status !== 429 && status < 500) {
					return { ok: false, status, body, attempts: attempt, failure: 'rejected', message: `The upstream rejected the export with HTTP ${status}: ${excerpt(body)}` };
				}
				retryAfter = retryAfterMs(response.headers['retry-after'], now());
				last = { ok: false, status, body, attempts: attempt, failure: 'exhausted',
					message: `The upstream still answered HTTP ${status} after ${attempt} attempt(s): ${excerpt(body)}` };
			} catch (caught) {
				const error = deadline.signal.aborted
					? { code: 'ETIMEDOUT', message: `the answer did not complete within the timeout of ${config.timeoutMs} ms` }
					: caught;
				const e = error as { code?: string; message?: string };
				const what = redactText(`${e.code ? `${e.code}: ` : ''}${e.message ?? String(error)}`, config);
				if (e.code && TLS_CODE.test(e.code)) {
					return { ok: false, attempts: attempt, failure: 'network',
						message: `The TLS connection to the upstream failed (${what}): if the upstream uses a private certificate authority, put its PEM certificate in the credential's CA Certificate` };
				}
				const transient = (e.code !== undefined && TRANSIENT_CODES.has(e.code)) || TRANSIENT_MESSAGE.test(e.message ?? '');
				if (!transient) return { ok: false, attempts: attempt, failure: 'network', message: `The request to the upstream failed: ${what}` };
				last = { ok: false, attempts: attempt, failure: 'network', message: `No answer from the upstream after ${attempt} attempt(s); last: ${what}` };
			} finally {
				clearTimeout(timer);
			}
			if (attempt < attempts) await sleep(waitBeforeRetry(attempt, policy, retryAfter, random));
		}
		return last;
	} finally {
		httpsAgent?.destroy();
	}
}
