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
}

/** The headers an HMAC-signed request carries. */
export const HMAC_HEADERS = { keyId: 'X-Grid-Key-Id', timestamp: 'X-Grid-Timestamp', signature: 'X-Grid-Signature' } as const;

const RESERVED = new Set(['content-type', 'content-length', 'idempotency-key', 'authorization', 'host']);

/** Checks an upstream configuration; throws FieldError naming the credential field. */
export function checkUpstream(raw: Partial<UpstreamConfig> & { headers?: unknown }): UpstreamConfig {
	const base = String(raw.baseUrl ?? '').trim();
	let url: URL;
	try {
		url = new URL(base);
	} catch {
		throw new FieldError('Base URL', `Base URL must be an http or https address like https://dhis2.example.gov.cn (got ${describeValue(base)})`);
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		throw new FieldError('Base URL', `Base URL must be an http or https address; ${url.protocol.replace(/:$/, '')} is not allowed (got ${describeValue(base)})`);
	}
	if (url.username || url.password) throw new FieldError('Base URL', 'Base URL must not carry a user or password: put them in the credential\'s authentication fields');
	const auth = (raw.auth ?? 'none') as UpstreamAuth;
	if (!UPSTREAM_AUTH.includes(auth)) throw new FieldError('Authentication', `Authentication must be one of ${UPSTREAM_AUTH.join(', ')} (got ${describeValue(raw.auth)})`);
	const need = (value: string | undefined, field: string) => {
		if (!value) throw new FieldError(field, `${field} is required for ${auth} authentication`);
		return value;
	};
	if (auth === 'bearer') need(raw.token, 'Token');
	if (auth === 'basic') need(raw.user, 'User');
	if (auth === 'hmac') {
		need(raw.keyId, 'Key ID');
		need(raw.secret, 'Secret');
	}
	const timeoutMs = Number(raw.timeoutMs ?? 30_000);
	if (!Number.isFinite(timeoutMs) || timeoutMs < 100 || timeoutMs > 600_000) throw new FieldError('Timeout (Ms)', `Timeout must be 100 to 600000 milliseconds (got ${describeValue(raw.timeoutMs)})`);
	return {
		baseUrl: url.toString(),
		auth,
		token: raw.token || undefined,
		user: raw.user || undefined,
		password: raw.password || undefined,
		keyId: raw.keyId || undefined,
		secret: raw.secret || undefined,
		headers: checkHeaders(raw.headers),
		timeoutMs,
		caCertificate: raw.caCertificate?.trim() || undefined,
	};
}

function checkHeaders(raw: unknown): Record<string, string> {
	if (raw === undefined || raw === null || raw === '') return {};
	let value = raw;
	if (typeof value === 'string') {
		try {
			value = JSON.parse(value);
		} catch {
			throw new FieldError('Extra Headers', 'Extra Headers must be a JSON object like {"X-Org": "370614"}');
		}
	}
	if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FieldError('Extra Headers', 'Extra Headers must be a JSON object like {"X-Org": "370614"}');
	const out: Record<string, string> = {};
	for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
		if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) throw new FieldError('Extra Headers', `"${name}" is not a valid header name`);
		if (RESERVED.has(name.toLowerCase())) throw new FieldError('Extra Headers', `the header ${name} is set by the delivery itself; remove it from Extra Headers`);
		if (typeof v !== 'string' && typeof v !== 'number') throw new FieldError('Extra Headers', `the header ${name} needs a text value`);
		out[name] = String(v);
	}
	return out;
}

/** The URL to POST to: the base URL with the path (and query) joined on. */
export function targetUrl(config: UpstreamConfig, path: string): string {
	const base = new URL(config.baseUrl);
	if (!path) return base.toString();
	const [p, query] = path.split('?', 2);
	const joined = `${base.pathname.replace(/\/+$/, '')}/${p.replace(/^\/+/, '')}`;
	base.pathname = joined;
	base.search = query ? `?${query}` : '';
	return base.toString();
}

/** The ledger's name for a target: scheme, host and path; never credentials, never the query string. */
export function ledgerTarget(url: string): string {
	const u = new URL(url);
	return `${u.protocol}//${u.host}${u.pathname}`;
}

/**
 * Authentication headers for one request. HMAC signs `<timestamp>.<body>` with the secret (SHA-256,
 * hex), and sends the key id, the timestamp (Unix seconds) and `sha256=<signature>`.
 */
export function authHeaders(config: UpstreamConfig, body: Buffer, now: Date = new Date()): Record<string, string> {
	if (config.auth === 'bearer') return { Authorization: `Bearer ${config.token}` };
	if (config.auth === 'basic') return { Authorization: `Basic ${Buffer.from(`${config.user}:${config.password ?? ''}`).toString('base64')}` };
	if (config.auth === 'hmac') {
		const timestamp = String(Math.floor(now.getTime() / 1000));
		const signature = createHmac('sha256', config.secret!).update(`${timestamp}.`).update(body).digest('hex');
		return { [HMAC_HEADERS.keyId]: config.keyId!, [HMAC_HEADERS.timestamp]: timestamp, [HMAC_HEADERS.signature]: `sha256=${signature}` };
	}
	return {};
}

/** Every secret of the configuration, as it could appear in a message or a response body. */
function secretsOf(config: UpstreamConfig): string[] {
	const out = [config.token, config.password, config.secret];
	if (config.auth === 'basic') out.push(Buffer.from(`${config.user}:${config.password ?? ''}`).toString('base64'));
	return out.filter((s): s is string => typeof s === 'string' && s.length >= 3);
}

/** Cuts every secret of the configuration out of a text, and any Authorization header value. */
export function redactText(text: string, config: UpstreamConfig): string {
	let out = text;
	for (const secret of secretsOf(config)) out = out.split(secret).join('[redacted]');
	return out.replace(/(authorization["']?\s*[:=]\s*["']?)(bearer|basic)?\s*[^"',\s}]+/gi, '$1[redacted]');
}

/** Redacts a parsed body (object or text) by way of its JSON text. */
export function redactBody(body: unknown, config: UpstreamConfig, limit = 20_000): unknown {
	if (body === undefined || body === null) return body;
	const text = typeof body === 'string' ? body : JSON.stringify(body);
	const clean = redactText(text, config);
	if (typeof body === 'string') return clean.length > limit ? `${clean.slice(0, limit)}…` : clean;
	if (clean.length > limit) return `${clean.slice(0, limit)}…`;
	return JSON.parse(clean);
}
