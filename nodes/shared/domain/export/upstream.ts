import { createHmac } from 'crypto';
import { FieldError, describeValue } from '../../validation/errors';

export const UPSTREAM_AUTH = ['none', 'bearer', 'basic', 'hmac'] as const;
export type UpstreamAuth = (typeof UPSTREAM_AUTH)[number];

/** A higher-level system to deliver exports to, as the Grid Upstream API credential describes it. */
export interface UpstreamConfig {
	baseUrl: string;
	auth: UpstreamAuth;
	token?: string;
	user?: string;
	password?: string;
	keyId?: string;
	secret?: string;
	headers: Record<string, string>;
	timeoutMs: number;
	caCertificate?: string;
	/** Attempts per delivery when the caller does not choose; the first one included. */
	maxAttempts: number;
}

/** What checkUpstream accepts: loosely typed, as a credential or a caller hands it over. */
export type UpstreamInput = Partial<Omit<UpstreamConfig, 'headers'>> & { headers?: unknown };

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_ATTEMPTS = 5;

/** The headers an HMAC-signed request carries. */
export const HMAC_HEADERS = { keyId: 'X-Grid-Key-Id', timestamp: 'X-Grid-Timestamp', signature: 'X-Grid-Signature' } as const;

// set by the delivery itself: letting Extra Headers override them would break signing or idempotency
const RESERVED = new Set(['content-type', 'content-length', 'idempotency-key', 'authorization', 'host', 'transfer-encoding',
	'x-grid-export-revision', 'x-grid-export-kind', ...Object.values(HMAC_HEADERS).map((h) => h.toLowerCase())]);

const REDACTED = '[redacted]';
// user, then a password that may hold a slash; every part is bounded so that long texts stay linear
const USERINFO = /\b([a-z][a-z0-9+.-]{0,30}:\/\/)[^\s/?#@:]{0,200}(?::[^\s@]{0,200})?@/gi;

/** Checks an upstream configuration; throws FieldError naming the credential field. */
export function checkUpstream(raw: UpstreamInput): UpstreamConfig {
	const base = String(raw.baseUrl ?? '').trim();
	// the address is echoed in messages, so a password written into it must not be
	const shown = describeValue(base.includes('@') ? base.replace(/^([^:/?#]*:\/\/)?[^]*@/, `$1${REDACTED}@`) : base);
	let url: URL;
	try {
		url = new URL(base);
	} catch {
		throw new FieldError('Base URL', `Base URL must be an http or https address like https://dhis2.example.gov.cn (got ${shown})`);
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		throw new FieldError('Base URL', `Base URL must be an http or https address; ${url.protocol.replace(/:$/, '')} is not allowed (got ${shown})`);
	}
	if (url.username || url.password) {
		throw new FieldError('Base URL', 'Base URL must not carry a user or password: choose Basic authentication and put them in the credential\'s User and Password');
	}
	url.hash = '';
	const auth = (raw.auth ?? 'none') as UpstreamAuth;
	if (!UPSTREAM_AUTH.includes(auth)) throw new FieldError('Authentication', `Authentication must be one of ${UPSTREAM_AUTH.join(', ')} (got ${describeValue(raw.auth)})`);
	const need = (value: string | undefined, field: string) => {
		if (!value) throw new FieldError(field, `${field} is required for ${auth} authentication`);
	};
	if (auth === 'bearer') need(raw.token, 'Token');
	if (auth === 'basic') need(raw.user, 'User');
	if (auth === 'basic' && raw.user?.includes(':')) throw new FieldError('User', 'User must not contain a colon: basic authentication cannot carry it');
	if (auth === 'hmac') {
		need(raw.keyId, 'Key ID');
		need(raw.secret, 'Secret');
	}
	const timeoutMs = raw.timeoutMs === undefined || raw.timeoutMs === null ? DEFAULT_TIMEOUT_MS : Number(raw.timeoutMs);
	if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 600_000) {
		throw new FieldError('Timeout (Ms)', `Timeout must be a whole number of milliseconds from 100 to 600000 (got ${describeValue(raw.timeoutMs)})`);
	}
	const maxAttempts = raw.maxAttempts === undefined || raw.maxAttempts === null ? DEFAULT_MAX_ATTEMPTS : Number(raw.maxAttempts);
	if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 20) {
		throw new FieldError('Max Attempts', `Max Attempts must be a whole number from 1 to 20 (got ${describeValue(raw.maxAttempts)})`);
	}
	const ca = raw.caCertificate?.trim() || undefined;
	if (ca && !/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(ca)) {
		throw new FieldError('CA Certificate', 'CA Certificate must be a PEM certificate, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----');
	}
	return {
		baseUrl: url.toString(),
		auth,
		token: auth === 'bearer' ? raw.token : undefined,
		user: auth === 'basic' ? raw.user : undefined,
		password: auth === 'basic' ? raw.password ?? '' : undefined,
		keyId: auth === 'hmac' ? raw.keyId : undefined,
		secret: auth === 'hmac' ? raw.secret : undefined,
		headers: checkHeaders(raw.headers),
		timeoutMs,
		caCertificate: ca,
		maxAttempts,
	};
}

function checkHeaders(raw: unknown): Record<string, string> {
	if (raw === undefined || raw === null || raw === '') return {};
	const shape = 'Extra Headers must be a JSON object like {"X-Org-Code": "370614"}';
	let value = raw;
	if (typeof value === 'string') {
		try {
			value = JSON.parse(value);
		} catch {
			throw new FieldError('Extra Headers', shape);
		}
	}
	if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FieldError('Extra Headers', shape);
	const out: Record<string, string> = {};
	for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
		if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) throw new FieldError('Extra Headers', `"${name}" is not a valid header name`);
		if (RESERVED.has(name.toLowerCase())) throw new FieldError('Extra Headers', `the header ${name} is set by the delivery itself; remove it from Extra Headers`);
		if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new FieldError('Extra Headers', `the header ${name} needs a text value`);
		const text = String(v);
		if (/[\r\n\0]/.test(text)) throw new FieldError('Extra Headers', `the header ${name} must be one line`);
		out[name] = text;
	}
	return out;
}

/**
 * The URL to POST to: the path joined onto the base URL's path, and the query of both kept (the
 * base URL may carry parameters every request needs).
 */
export function targetUrl(config: UpstreamConfig, path: string): string {
	const url = new URL(config.baseUrl);
	const given = (path ?? '').trim();
	if (!given) return url.toString();
	const [p, query] = given.split('?', 2);
	if (p) url.pathname = `${url.pathname.replace(/\/+$/, '')}/${p.replace(/^\/+/, '')}`;
	if (query) {
		for (const [k, v] of new URLSearchParams(query)) url.searchParams.append(k, v);
	}
	return url.toString();
}

/**
 * The ledger's name for a target: scheme, host and path, without a trailing slash; never
 * credentials, never the query string (which holds options like dryRun, not a different target).
 */
export function ledgerTarget(url: string): string {
	const u = new URL(url);
	const path = u.pathname.replace(/\/+$/, '');
	return `${u.protocol}//${u.host}${path}`;
}

/**
 * Authentication headers for one request. HMAC: X-Grid-Timestamp is the Unix time in seconds,
 * X-Grid-Signature is `sha256=` and the hex HMAC-SHA256, keyed with the secret, of the timestamp,
 * a dot, and the exact body bytes; X-Grid-Key-Id names the secret. Made anew for each attempt, so a
 * retry carries a fresh timestamp.
 */
export function authHeaders(config: UpstreamConfig, body: Buffer, now: Date = new Date()): Record<string, string> {
	if (config.auth === 'bearer') return { Authorization: `Bearer ${config.token}` };
	if (config.auth === 'basic') return { Authorization: `Basic ${basicToken(config)}` };
	if (config.auth === 'hmac') {
		const timestamp = String(Math.floor(now.getTime() / 1000));
		return { [HMAC_HEADERS.keyId]: config.keyId!, [HMAC_HEADERS.timestamp]: timestamp, [HMAC_HEADERS.signature]: `sha256=${hmacSignature(config.secret!, timestamp, body)}` };
	}
	return {};
}

export function hmacSignature(secret: string, timestamp: string, body: Buffer): string {
	return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

function basicToken(config: UpstreamConfig): string {
	return Buffer.from(`${config.user}:${config.password ?? ''}`).toString('base64');
}

/** Which fields of the credential to fix when the upstream refuses it. */
export function credentialFields(config: UpstreamConfig): string {
	switch (config.auth) {
		case 'bearer': return 'Token';
		case 'basic': return 'User and Password';
		case 'hmac': return 'Key ID and Secret';
		default: return 'Authentication (it is None, and the upstream wants credentials)';
	}
}

/** Every secret of the configuration, in the forms it could be echoed back: plain, URL-encoded, JSON-escaped. */
function secretsOf(config: UpstreamConfig): string[] {
	const plain = [config.token, config.password, config.secret];
	if (config.auth === 'basic') plain.push(basicToken(config), `${config.user}:${config.password ?? ''}`);
	const out = new Set<string>();
	for (const s of plain) {
		// shorter ones would cut ordinary words out of every message
		if (typeof s !== 'string' || s.length < 4) continue;
		out.add(s);
		out.add(encodeURIComponent(s));
		out.add(JSON.stringify(s).slice(1, -1));
	}
	// longest first, so that a secret inside another is not left half cut
	return [...out].sort((a, b) => b.length - a.length);
}

/** Cuts the configuration's secrets, Authorization values and user:password@ parts of URLs out of a text. */
export function redactText(text: string, config: UpstreamConfig): string {
	let out = text;
	for (const secret of secretsOf(config)) out = out.split(secret).join(REDACTED);
	out = out.replace(/\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*/g, `$1 ${REDACTED}`);
	// any other scheme's credentials after an Authorization name
	out = out.replace(/(authorization["']?\s*[:=]\s*["']?)(?!(?:Bearer|Basic) \[redacted\])(?:[A-Za-z]+\s+)?[^"',\s}]+/gi, `$1${REDACTED}`);
	return out.includes('@') ? out.replace(USERINFO, `$1${REDACTED}@`) : out;
}

const SENSITIVE_KEY = /^(authorization|proxy-authorization|password|passwd|secret|client_secret|token|access_token|refresh_token|api[-_]?key)$/i;

/** Redacts a value from the upstream (parsed JSON or text): secrets in every string, whole values under credential-like keys. */
export function redactValue(value: unknown, config: UpstreamConfig): unknown {
	if (typeof value === 'string') return redactText(value, config);
	if (Array.isArray(value)) return value.map((v) => redactValue(v, config));
	if (value && typeof value === 'object') {
		const out: Record<string, unknown> = {};
		for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
			out[redactText(k, config)] = SENSITIVE_KEY.test(k) && v !== null && v !== '' ? REDACTED : redactValue(v, config);
		}
		return out;
	}
	return value;
}

/** The longest text of a response kept in results and in the ledger. */
export const BODY_LIMIT = 16_000;

/**
 * A response body as results and the ledger keep it: JSON parsed when it is JSON, else text;
 * redacted; cut to BODY_LIMIT characters (a cut JSON body is kept as its cut text).
 */
export function keepableBody(raw: string | undefined, config: UpstreamConfig, limit = BODY_LIMIT): unknown {
	if (raw === undefined || raw === '') return raw === '' ? '' : undefined;
	// far too long to keep whole: redact only a head (its cut end lies beyond what is kept)
	const head = raw.length > limit * 4 ? raw.slice(0, limit * 4) : raw;
	let parsed: unknown = head;
	if (head === raw && /^\s*[[{"]/.test(raw)) {
		try {
			parsed = JSON.parse(raw);
		} catch {
			parsed = raw;
		}
	}
	const total = raw.length - head.length;
	const clean = redactValue(parsed, config);
	const text = typeof clean === 'string' ? clean : JSON.stringify(clean);
	if (text.length <= limit && total === 0) return clean;
	return `${text.slice(0, limit)}… (${text.length - limit + total} more characters cut)`;
}

/** A short, one-line excerpt of a kept body for messages. */
export function excerpt(body: unknown, max = 300): string {
	if (body === undefined || body === null || body === '') return 'no body';
	const text = (typeof body === 'string' ? body : JSON.stringify(body)).replace(/\s+/g, ' ').trim();
	return text.length > max ? `${text.slice(0, max)}…` : text;
}
