/**
 * The upstream configuration, signing and redaction, the ledger's plan, and the retry loop against a
 * real loopback server (no database): what is retried, how long it waits, and what it says.
 */
import { execFileSync } from 'child_process';
import { createHash, createHmac } from 'crypto';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { createServer as createHttpsServer } from 'https';
import { type AddressInfo, createServer as createNetServer } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { type RetryPolicy, backoffMs, postWithRetries, retryAfterMs, waitBeforeRetry } from '../../nodes/shared/domain/export/delivery';
import { type BatchRow, type LedgerKey, idempotencyKey, planDelivery } from '../../nodes/shared/domain/export/ledger';
import {
	type UpstreamInput, authHeaders, checkUpstream, keepableBody, ledgerTarget, redactText, redactValue, targetUrl,
} from '../../nodes/shared/domain/export/upstream';
import { FieldError } from '../../nodes/shared/validation/errors';
import { FlakyUpstream } from '../helpers/flakyUpstream';

const TOKEN = 'tok-8d1e-upstream-secret';
const PASSWORD = 'pa55-w0rd/with+signs';

function fieldOf(fn: () => unknown): FieldError {
	try {
		fn();
	} catch (error) {
		if (error instanceof FieldError) return error;
		throw error;
	}
	throw new Error('expected a FieldError');
}

describe('checkUpstream', () => {
	it('takes http and https base URLs, with defaults for timeout and attempts', () => {
		expect(checkUpstream({ baseUrl: 'https://dhis2.example.gov.cn' })).toMatchObject({ baseUrl: 'https://dhis2.example.gov.cn/', auth: 'none', timeoutMs: 30_000, maxAttempts: 5, headers: {} });
		expect(checkUpstream({ baseUrl: ' http://10.0.0.5:8080/dhis#x ', auth: 'bearer', token: TOKEN, timeoutMs: 500, maxAttempts: 2 }))
			.toMatchObject({ baseUrl: 'http://10.0.0.5:8080/dhis', token: TOKEN, timeoutMs: 500, maxAttempts: 2 });
	});

	it.each(['ftp://upstream.example/', 'file:///etc/passwd', 'javascript:alert(1)', 'upstream.example/api', '', 'ws://upstream.example'])(
		'refuses %j as Base URL', (baseUrl) => {
			const e = fieldOf(() => checkUpstream({ baseUrl }));
			expect(e.field).toBe('Base URL');
			expect(e.message).toMatch(/Base URL must be an http or https address/);
		});

	it('refuses a user and password in the Base URL without repeating them', () => {
		for (const baseUrl of [`https://penglai:${PASSWORD}@upstream.example/`, `sftp://penglai:${PASSWORD}@upstream.example/`]) {
			const e = fieldOf(() => checkUpstream({ baseUrl }));
			expect(e.field).toBe('Base URL');
			expect(e.message).not.toContain(PASSWORD);
		}
	});

	it('requires the fields of the chosen authentication', () => {
		expect(fieldOf(() => checkUpstream({ baseUrl: 'https://u.example', auth: 'bearer' })).field).toBe('Token');
		expect(fieldOf(() => checkUpstream({ baseUrl: 'https://u.example', auth: 'basic' })).field).toBe('User');
		expect(fieldOf(() => checkUpstream({ baseUrl: 'https://u.example', auth: 'hmac', keyId: 'k1' })).field).toBe('Secret');
		expect(fieldOf(() => checkUpstream({ baseUrl: 'https://u.example', auth: 'oauth' as never })).field).toBe('Authentication');
		// secrets of another authentication are not carried along
		expect(checkUpstream({ baseUrl: 'https://u.example', auth: 'basic', user: 'u', password: PASSWORD, token: TOKEN }).token).toBeUndefined();
	});

	it('checks extra headers, timeout, attempts and the CA certificate', () => {
		expect(checkUpstream({ baseUrl: 'https://u.example', headers: '{"X-Org-Code": "370614", "X-Level": 3}' }).headers).toEqual({ 'X-Org-Code': '370614', 'X-Level': '3' });
		const bad: Array<[UpstreamInput, string]> = [
			[{ headers: '[1]' }, 'Extra Headers'],
			[{ headers: 'not json' }, 'Extra Headers'],
			[{ headers: { 'Bad Name': 'x' } }, 'Extra Headers'],
			[{ headers: { Authorization: 'Bearer other' } }, 'Extra Headers'],
			[{ headers: { 'Idempotency-Key': 'mine' } }, 'Extra Headers'],
			[{ headers: { 'X-A': 'one\r\nX-B: two' } }, 'Extra Headers'],
			[{ timeoutMs: 50 }, 'Timeout (Ms)'],
			[{ maxAttempts: 0 }, 'Max Attempts'],
			[{ maxAttempts: 2.5 }, 'Max Attempts'],
			[{ caCertificate: 'not a certificate' }, 'CA Certificate'],
		];
		for (const [over, field] of bad) expect(fieldOf(() => checkUpstream({ baseUrl: 'https://u.example', ...over })).field).toBe(field);
	});
});

describe('targets', () => {
	const base = (baseUrl: string) => checkUpstream({ baseUrl });

	it('joins the path onto the base URL, keeping the query of both', () => {
		expect(targetUrl(base('https://u.example'), '/api/dataValueSets')).toBe('https://u.example/api/dataValueSets');
		expect(targetUrl(base('https://u.example/dhis/'), 'api/dataValueSets')).toBe('https://u.example/dhis/api/dataValueSets');
		expect(targetUrl(base('https://u.example/dhis?org=370614'), '//api/x?dryRun=true')).toBe('https://u.example/dhis/api/x?org=370614&dryRun=true');
		expect(targetUrl(base('https://u.example/reports?org=370614'), '')).toBe('https://u.example/reports?org=370614');
	});

	it('names a target in the ledger by scheme, host and path alone', () => {
		expect(ledgerTarget('https://U.Example:443/dhis/api/dataValueSets/?dryRun=false')).toBe('https://u.example/dhis/api/dataValueSets');
		expect(ledgerTarget('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
	});
});

describe('authentication headers', () => {
	const body = Buffer.from('{"dataValues":[{"value":"3"}]}');

	it('sends a bearer token and basic credentials', () => {
		expect(authHeaders(checkUpstream({ baseUrl: 'https://u.example', auth: 'bearer', token: TOKEN }), body)).toEqual({ Authorization: `Bearer ${TOKEN}` });
		const basic = authHeaders(checkUpstream({ baseUrl: 'https://u.example', auth: 'basic', user: 'penglai', password: PASSWORD }), body);
		expect(Buffer.from(basic.Authorization.replace(/^Basic /, ''), 'base64').toString()).toBe(`penglai:${PASSWORD}`);
		expect(authHeaders(checkUpstream({ baseUrl: 'https://u.example' }), body)).toEqual({});
	});

	it('signs "<timestamp>.<body>" with HMAC-SHA256', () => {
		const at = new Date('2026-11-20T08:00:00Z');
		const h = authHeaders(checkUpstream({ baseUrl: 'https://u.example', auth: 'hmac', keyId: 'penglai-1', secret: 'k3y' }), body, at);
		const timestamp = String(at.getTime() / 1000);
		expect(h).toEqual({
			'X-Grid-Key-Id': 'penglai-1',
			'X-Grid-Timestamp': timestamp,
			'X-Grid-Signature': `sha256=${createHmac('sha256', 'k3y').update(Buffer.concat([Buffer.from(`${timestamp}.`), body])).digest('hex')}`,
		});
	});
});

describe('redaction', () => {
	const basic = checkUpstream({ baseUrl: 'https://u.example', auth: 'basic', user: 'penglai', password: PASSWORD });
	const bearer = checkUpstream({ baseUrl: 'https://u.example', auth: 'bearer', token: TOKEN });

	it('cuts secrets in every form they are echoed, and Authorization values of any credential', () => {
		const b64 = Buffer.from(`penglai:${PASSWORD}`).toString('base64');
		const text = `pw ${PASSWORD} enc ${encodeURIComponent(PASSWORD)} b64 ${b64} url https://penglai:${PASSWORD}@x.example/ other Authorization: Bearer abc.def`;
		const clean = redactText(text, basic);
		for (const s of [PASSWORD, encodeURIComponent(PASSWORD), b64, 'abc.def']) expect(clean).not.toContain(s);
		expect(clean).toContain('url https://[redacted]@x.example/');
		expect(redactText(`{"authorization":"Token zz-99"}`, bearer)).toBe('{"authorization":"[redacted]"}');
		expect(redactText('nothing secret here', bearer)).toBe('nothing secret here');
	});

	it('redacts parsed bodies throughout, and credential-like keys whole', () => {
		expect(redactValue({ a: [`x ${TOKEN} y`], headers: { Authorization: 'whatever', Token: 'other' }, n: 3 }, bearer))
			.toEqual({ a: ['x [redacted] y'], headers: { Authorization: '[redacted]', Token: '[redacted]' }, n: 3 });
	});

	it('keeps a body as JSON when it is JSON, as text when not, and cuts long ones', () => {
		expect(keepableBody('{"status":"OK"}', bearer)).toEqual({ status: 'OK' });
		expect(keepableBody('<html>busy</html>', bearer)).toBe('<html>busy</html>');
		expect(keepableBody('{broken', bearer)).toBe('{broken');
		expect(keepableBody('', bearer)).toBe('');
		const long = keepableBody(JSON.stringify({ text: 'x'.repeat(50_000) }), bearer, 1000) as string;
		expect(typeof long).toBe('string');
		expect(long.length).toBeLessThan(1100);
		expect(long).toMatch(/more characters cut\)$/);
		// a huge text is redacted by its head only, and says how much was left out
		const huge = `${'y'.repeat(100_000)} ${TOKEN}`;
		expect(keepableBody(huge, bearer, 1000)).toBe(`${'y'.repeat(1000)}… (${huge.length - 1000} more characters cut)`);
	});
});

describe('the ledger\'s plan', () => {
	const A = 'a'.repeat(64);
	const B = 'b'.repeat(64);
	const row = (over: Partial<BatchRow>): BatchRow => ({ id: 1, status: 'sending', revision: 1, attempts: 0, payloadHash: A, acknowledgedHash: null, ...over });

	it.each<[string, Partial<BatchRow>, string, { force?: boolean; dryRun?: boolean }, object]>([
		['a new export', {}, A, {}, { send: true, revision: 1, kind: 'create', changed: false }],
		['a row only dry runs reached, new payload', { payloadHash: B }, A, {}, { send: true, revision: 1, kind: 'create' }],
		['acknowledged, same payload', { status: 'acknowledged', acknowledgedHash: A }, A, {}, { send: false, revision: 1 }],
		['acknowledged, same payload, forced', { status: 'acknowledged', acknowledgedHash: A }, A, { force: true }, { send: true, revision: 2, kind: 'update', changed: false }],
		['acknowledged, changed payload', { status: 'acknowledged', acknowledgedHash: A }, B, {}, { send: true, revision: 2, kind: 'update', changed: true }],
		['acknowledged, same payload, dry run', { status: 'acknowledged', acknowledgedHash: A }, A, { dryRun: true }, { send: true, revision: 1 }],
		['failed, same payload: same revision, same key', { status: 'failed' }, A, {}, { send: true, revision: 1, kind: 'create' }],
		['failed, changed payload', { status: 'failed' }, B, {}, { send: true, revision: 2, kind: 'create', changed: false }],
		['a failed update, retried', { status: 'failed', revision: 2, payloadHash: B, acknowledgedHash: A }, B, {}, { send: true, revision: 2, kind: 'update', changed: true }],
	])('%s', (_, over, hash, opts, expected) => {
		expect(planDelivery(row(over), hash, opts)).toMatchObject(expected);
	});

	it('derives the Idempotency-Key from the export, the revision and the payload', () => {
		const key: LedgerKey = { target: 'https://u.example/api/dataValueSets', dataset: 'GRID_DAILY', period: '20261101', scopeCode: '370614-001', format: 'dhis2' };
		const k = idempotencyKey(key, 1, A);
		expect(k).toMatch(/^grid-export-[0-9a-f]{20}-r1-a{12}$/);
		expect(idempotencyKey({ ...key }, 1, A)).toBe(k);
		const others = [idempotencyKey(key, 2, A), idempotencyKey(key, 1, B), idempotencyKey(key, 1, A, true), idempotencyKey({ ...key, period: '20261102' }, 1, A), idempotencyKey({ ...key, format: 'json' }, 1, A)];
		expect(new Set([k, ...others]).size).toBe(6);
	});
});

describe('backoff', () => {
	const policy: RetryPolicy = { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };

	it('waits a random time up to an exponentially growing, capped ceiling', () => {
		expect([1, 2, 3, 4, 5].map((n) => backoffMs(n, policy, () => 1))).toEqual([100, 200, 400, 800, 1000]);
		expect(backoffMs(3, policy, () => 0)).toBe(0);
		expect(backoffMs(3, policy, () => 0.5)).toBe(200);
	});

	it('never waits less than a Retry-After, up to its cap', () => {
		expect(waitBeforeRetry(1, policy, 2000, () => 0.5)).toBe(2000);
		expect(waitBeforeRetry(1, policy, 60_000, () => 0.5)).toBe(5000);
		expect(waitBeforeRetry(5, policy, 10, () => 1)).toBe(1000);
	});

	it('reads Retry-After as seconds or an HTTP date', () => {
		const now = Date.parse('2026-11-20T08:00:00Z');
		expect(retryAfterMs('3', now)).toBe(3000);
		expect(retryAfterMs('0.5', now)).toBe(500);
		expect(retryAfterMs('Fri, 20 Nov 2026 08:00:07 GMT', now)).toBe(7000);
		expect(retryAfterMs('Fri, 20 Nov 2026 07:59:00 GMT', now)).toBe(0);
		expect(retryAfterMs('soon', now)).toBeUndefined();
		expect(retryAfterMs(undefined, now)).toBeUndefined();
	});
});

describe('postWithRetries against a loopback server', () => {
	let server: FlakyUpstream;
	const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 800, maxRetryAfterMs: 10_000 };
	const body = Buffer.from('{"x":1}');
	const post = (over: UpstreamInput = {}, p: Partial<RetryPolicy> = {}) => {
		const waits: number[] = [];
		const sleep = async (ms: number) => {
			waits.push(ms);
		};
		const config = checkUpstream({ baseUrl: server.url, auth: 'bearer', token: TOKEN, timeoutMs: 250, ...over });
		const done = postWithRetries(config, { url: `${server.url}/in`, body, contentType: 'application/json', headers: { 'Idempotency-Key': 'k-1' } }, { ...policy, ...p }, { sleep, random: () => 1 });
		return { done, waits };
	};

	beforeAll(async () => {
		server = await new FlakyUpstream().start();
	});
	afterEach(() => server.reset());
	afterAll(() => server.close());

	it('retries 5xx, 429, timeouts and dropped connections with growing waits', async () => {
		server.plan({ status: 503 }, { status: 429 }, 'timeout');
		const { done, waits } = post();
		const r = await done;
		expect(r).toMatchObject({ ok: true, status: 200, attempts: 4 });
		expect(waits).toEqual([100, 200, 400]);
		expect(server.requests.map((q) => q.headers['idempotency-key'])).toEqual(['k-1', 'k-1', 'k-1', 'k-1']);
	});

	it('waits as long as Retry-After says, in seconds or as a date, within its cap', async () => {
		server.plan(
			{ status: 429, headers: { 'Retry-After': '2' } },
			{ status: 503, headers: { 'Retry-After': new Date(Date.now() + 4000).toUTCString() } },
			{ status: 429, headers: { 'Retry-After': '3600' } },
		);
		const { done, waits } = post();
		expect((await done).ok).toBe(true);
		expect(waits[0]).toBe(2000);
		// an HTTP date has whole seconds
		expect(waits[1]).toBeGreaterThan(2500);
		expect(waits[1]).toBeLessThanOrEqual(4000);
		expect(waits[2]).toBe(10_000);
	});

	it('gives up after the last attempt with the last answer', async () => {
		server.plan(...Array(3).fill({ status: 500, body: `stack trace with ${TOKEN}` }));
		const { done, waits } = post({}, { maxAttempts: 3 });
		const r = await done;
		expect(r).toMatchObject({ ok: false, status: 500, attempts: 3, failure: 'exhausted', body: 'stack trace with [redacted]' });
		expect(r.message).toBe('The upstream still answered HTTP 500 after 3 attempt(s): stack trace with [redacted]');
		expect(waits).toHaveLength(2);
	});

	it('never retries 401, 403, other 4xx or a redirect', async () => {
		server.plan({ status: 401 }, { status: 403 }, { status: 409, body: { error: 'conflict' } }, { status: 302, headers: { Location: `https://penglai:${PASSWORD}@elsewhere.example/login` } });
		const none = await post({ auth: 'none', token: undefined }).done;
		expect(none).toMatchObject({ ok: false, status: 401, attempts: 1, failure: 'unauthorized' });
		expect(none.message).toMatch(/refused the credentials \(HTTP 401\): check the Authentication/);
		const forbidden = await post().done;
		expect(forbidden).toMatchObject({ status: 403, attempts: 1, failure: 'unauthorized' });
		expect(forbidden.message).toMatch(/check the Token of the Grid Upstream API credential/);
		expect(await post().done).toMatchObject({ status: 409, attempts: 1, failure: 'rejected', body: { error: 'conflict' } });
		const redirect = await post({ auth: 'basic', user: 'penglai', password: PASSWORD, token: undefined }).done;
		expect(redirect).toMatchObject({ status: 302, attempts: 1, failure: 'rejected' });
		expect(redirect.message).toMatch(/redirect to https:\/\/\[redacted\]@elsewhere\.example\/login/);
		expect(server.requests).toHaveLength(4);
	});

	it('retries a refused connection, then says there was no answer', async () => {
		const closed = createNetServer();
		await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
		const port = (closed.address() as AddressInfo).port;
		await new Promise<void>((resolve) => closed.close(() => resolve()));
		const waits: number[] = [];
		const config = checkUpstream({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 250 });
		const r = await postWithRetries(config, { url: `http://127.0.0.1:${port}/in`, body, contentType: 'application/json', headers: {} }, { ...policy, maxAttempts: 3 },
			{ sleep: async (ms) => { waits.push(ms); }, random: () => 1 });
		expect(r).toMatchObject({ ok: false, attempts: 3, failure: 'network' });
		expect(r.status).toBeUndefined();
		expect(r.message).toMatch(/^No answer from the upstream after 3 attempt\(s\); last: ECONNREFUSED/);
		expect(waits).toEqual([100, 200]);
	});

	it('retries a request the server never answers until the client\'s timeout', async () => {
		server.plan('timeout', 'timeout');
		const { done } = post({}, { maxAttempts: 2 });
		const r = await done;
		expect(r).toMatchObject({ ok: false, attempts: 2, failure: 'network' });
		expect(r.message).toMatch(/timeout/i);
		expect(server.requests).toHaveLength(2);
	});
});

// a private certificate authority needs openssl to make one; without it this part cannot run
const openssl = (() => {
	try {
		execFileSync('openssl', ['version'], { stdio: 'ignore' });
		return true;
	} catch {
		return false;
	}
})();

(openssl ? describe : describe.skip)('TLS with a private certificate authority', () => {
	let dir: string;
	let cert: string;
	let url: string;
	let close: () => Promise<void>;

	beforeAll(async () => {
		dir = mkdtempSync(join(tmpdir(), 'grid-tls-'));
		execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
			'-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
		cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
		const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (c: Buffer) => chunks.push(c));
			req.on('end', () => {
				res.writeHead(200, { 'Content-Type': 'application/json' });
				res.end(JSON.stringify({ sha256: createHash('sha256').update(Buffer.concat(chunks)).digest('hex') }));
			});
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
		close = () => new Promise<void>((resolve) => server.close(() => resolve()));
	});
	afterAll(async () => {
		await close?.();
		rmSync(dir, { recursive: true, force: true });
	});

	it('trusts the upstream through the credential\'s CA certificate, and says so at once without it', async () => {
		const body = Buffer.from('{"tls":true}');
		const req = { url: `${url}/in`, body, contentType: 'application/json', headers: {} };
		const policy = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 };
		const trusted = await postWithRetries(checkUpstream({ baseUrl: url, caCertificate: cert }), req, policy);
		expect(trusted).toMatchObject({ ok: true, status: 200, body: { sha256: createHash('sha256').update(body).digest('hex') } });
		const untrusted = await postWithRetries(checkUpstream({ baseUrl: url }), req, policy);
		expect(untrusted).toMatchObject({ ok: false, attempts: 1, failure: 'network' });
		expect(untrusted.message).toMatch(/TLS connection to the upstream failed .*CA Certificate/);
	});
});
