import { Agent as HttpsAgent } from 'https';
import axios from 'axios';
import { type UpstreamConfig, authHeaders, redactBody, redactText } from './upstream';

export interface RetryPolicy {
	/** Attempts in all, the first included. */
	maxAttempts: number;
	/** Backoff before attempt n+1 is a random time up to min(maxDelayMs, baseDelayMs * 2^(n-1)). */
	baseDelayMs: number;
	maxDelayMs: number;
	/** The longest Retry-After (of a 429 or 503) that is honoured; longer ones are cut to this. */
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

/** How a POST ended after its retries. Bodies and messages are already redacted. */
export interface PostResult {
	ok: boolean;
	status?: number;
	body?: unknown;
	attempts: number;
	/** Set when the last attempt got no HTTP answer (timeout, dropped or refused connection). */
	error?: string;
	/** A 401 or 403: the upstream refused the credentials. */
	unauthorized?: boolean;
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ERR_SOCKET_CONNECTION_TIMEOUT']);

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Retry-After in seconds or as an HTTP date, in milliseconds from now; undefined when absent or unreadable. */
export function retryAfterMs(value: unknown, now = Date.now()): number | undefined {
	if (typeof value !== 'string' || !value.trim()) return undefined;
	const text = value.trim();
	if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
	const at = Date.parse(text);
	return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function parseBody(text: unknown): unknown {
	if (typeof text !== 'string') return text;
	if (!text) return '';
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
}

/**
 * POSTs a body, retrying server errors (5xx), 429, timeouts and dropped or refused connections with
 * exponential backoff and full jitter, honouring Retry-After. 401 and 403 end at once (the credentials
 * are wrong and retrying cannot help), as does any other 4xx.
 */
export async function postWithRetries(
	config: UpstreamConfig,
	req: PostRequest,
	policy: RetryPolicy = DEFAULT_RETRY,
	hooks: { sleep?: (ms: number) => Promise<void>; random?: () => number } = {},
): Promise<PostResult> {
	const sleep = hooks.sleep ?? delay;
	const random = hooks.random ?? Math.random;
	const httpsAgent = config.caCertificate ? new HttpsAgent({ ca: config.caCertificate, keepAlive: false }) : undefined;
	let last: PostResult = { ok: false, attempts: 0 };
	for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
		let wait = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
		try {
			const response = await axios.post(req.url, req.body, {
				headers: { ...config.headers, ...req.headers, 'Content-Type': req.contentType, ...authHeaders(config, req.body) },
				timeout: config.timeoutMs,
				httpsAgent,
				proxy: false,
				maxBodyLength: Infinity,
				maxContentLength: 50 * 1024 * 1024,
				responseType: 'text',
				transformResponse: [(data: unknown) => data],
				validateStatus: () => true,
			});
			const status = response.status;
			last = { ok: status >= 200 && status < 300, status, body: redactBody(parseBody(response.data), config), attempts: attempt };
			if (last.ok) return last;
			if (status === 401 || status === 403) return { ...last, unauthorized: true };
			if (status !== 429 && status < 500) return last;
			const after = retryAfterMs(response.headers['retry-after']);
			if (after !== undefined) wait = Math.max(wait, Math.min(after, policy.maxRetryAfterMs));
			else wait = random() * wait;
		} catch (error) {
			const e = error as { code?: string; message?: string };
			const message = redactText(`${e.code ? `${e.code}: ` : ''}${e.message ?? String(error)}`, config);
			last = { ok: false, attempts: attempt, error: message };
			const retryable = (e.code && NETWORK_CODES.has(e.code)) || /socket hang up|timeout|ECONNRESET/i.test(e.message ?? '');
			if (!retryable) return last;
			wait = random() * wait;
		}
		if (attempt < policy.maxAttempts) await sleep(wait);
	}
	return last;
}
