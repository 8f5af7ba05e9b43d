/**
 * Delivery of exports through the ledger, against a real loopback HTTP server that fails on purpose
 * and real PostgreSQL: exactly once under failures and parallel workers, Retry-After, refused
 * credentials, updates of a changed payload, dry runs, authentication headers, secrets kept out of
 * the ledger, and the credential's scope.
 */
import { createHash, createHmac } from 'crypto';
import { closeAllPools } from '../../nodes/shared/db/pool';
import { sql } from '../../nodes/shared/db/sql';
import { type DeliverExportRequest, deliverExport } from '../../nodes/shared/domain/export/deliverExport';
import { type UpstreamConfig, type UpstreamInput, checkUpstream } from '../../nodes/shared/domain/export/upstream';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { FlakyUpstream } from '../helpers/flakyUpstream';
import { run, seedSmallDistrict } from '../helpers/uow';

let db: TestDatabase;
let server: FlakyUpstream;
const ACTOR = { node: 'test delivery' };
const FAST = { baseDelayMs: 5, maxDelayMs: 40, maxRetryAfterMs: 5_000 };
const TOKEN = 'tok-3f9a2c1d-secret-value';
const PASSWORD = 'pw-9c81-Penglai!';
const HMAC_SECRET = 'shared-secret-xyz-77';

const upstream = (over: UpstreamInput = {}): UpstreamConfig =>
	checkUpstream({ baseUrl: server.url, auth: 'bearer', token: TOKEN, timeoutMs: 400, ...over });

function payload(text: string) {
	const body = Buffer.from(text);
	return { body, contentType: 'application/json; charset=utf-8', sha256: createHash('sha256').update(body).digest('hex') };
}

const request = (period: string, text = `{"period":"${period}"}`, over: Partial<DeliverExportRequest> = {}): DeliverExportRequest => ({
	upstream: upstream(),
	path: '/api/dataValueSets',
	dataset: 'GRID_DAILY',
	period,
	scopeCode: '370614-001',
	format: 'dhis2',
	payload: payload(text),
	retry: FAST,
	...over,
});

const ledger = (period: string) => db.query<Record<string, any>>(`SELECT * FROM grid.export_batch WHERE period = $1`, [period]);

/** Everything stored about an export, as one text to search for secrets. */
async function storedText(period: string): Promise<string> {
	const rows = await ledger(period);
	const audit = await db.query(`SELECT a.* FROM grid.audit_log a WHERE a.entity = 'export_batch' AND a.entity_id = ANY($1::text[])`, [rows.map((r) => String(r.id))]);
	return JSON.stringify({ rows, audit });
}

beforeAll(async () => {
	db = await createTestDatabase('export_delivery');
	await seedSmallDistrict(db.config());
	server = await new FlakyUpstream().start();
});

afterEach(() => server.reset());

afterAll(async () => {
	await server.close();
	await closeAllPools();
	await db.drop();
});

describe('the ledger', () => {
	it('delivers, skips the same payload without a request, sends a changed one as an update, and resends only when forced', async () => {
		const first = await deliverExport(db.config(), ACTOR, request('20261101'));
		expect(first).toMatchObject({ action: 'sent', revision: 1, attempts: 1, status: 200, response: { status: 'SUCCESS' } });
		expect(server.requests[0]).toMatchObject({ method: 'POST', url: '/api/dataValueSets' });
		expect(server.requests[0].headers).toMatchObject({ 'idempotency-key': first.idempotencyKey, 'x-grid-export-revision': '1', 'content-type': 'application/json; charset=utf-8' });
		expect(server.requests[0].body.toString()).toBe('{"period":"20261101"}');

		const again = await deliverExport(db.config(), ACTOR, request('20261101'));
		expect(again).toMatchObject({ action: 'skipped', batchId: first.batchId, revision: 1, attempts: 0, idempotencyKey: first.idempotencyKey });
		expect(server.requests).toHaveLength(1);

		const changedText = '{"period":"20261101","late":1}';
		const changed = await deliverExport(db.config(), ACTOR, request('20261101', changedText));
		expect(changed).toMatchObject({ action: 'updated', revision: 2, batchId: first.batchId });
		expect(server.requests[1].headers).toMatchObject({ 'x-grid-export-kind': 'update', 'x-grid-export-revision': '2', 'idempotency-key': changed.idempotencyKey });
		expect(changed.idempotencyKey).not.toBe(first.idempotencyKey);

		expect((await deliverExport(db.config(), ACTOR, request('20261101', changedText))).action).toBe('skipped');
		const forced = await deliverExport(db.config(), ACTOR, request('20261101', changedText, { force: true }));
		expect(forced).toMatchObject({ action: 'sent', revision: 3 });
		expect(server.requests).toHaveLength(3);

		const [row] = await ledger('20261101');
		expect(row).toMatchObject({
			status: 'acknowledged', revision: 3, attempts: 3, last_status: 200, scope_code: '370614-001', dataset: 'GRID_DAILY', format: 'dhis2',
			target: `${server.url}/api/dataValueSets`, payload_hash: payload(changedText).sha256, acknowledged_hash: payload(changedText).sha256,
			idempotency_key: forced.idempotencyKey, last_error: null, last_response: { status: 'SUCCESS', importCount: { imported: 1, updated: 0, ignored: 0, deleted: 0 } },
		});
		expect(row.acknowledged_at).toBeInstanceOf(Date);
	});

	it('retries 500s, timeouts and dropped connections with one Idempotency-Key until acknowledged once', async () => {
		server.plan({ status: 500 }, 'timeout', 'drop', { status: 502 });
		const r = await deliverExport(db.config(), ACTOR, request('20261102'));
		expect(r).toMatchObject({ action: 'sent', attempts: 5, status: 200 });
		expect(server.requests.map((q) => q.headers['idempotency-key'])).toEqual(Array(5).fill(r.idempotencyKey));
		expect([...server.acknowledged]).toEqual([[r.idempotencyKey, 1]]);
		expect((await ledger('20261102'))[0]).toMatchObject({ status: 'acknowledged', attempts: 5 });
	});

	it('honours Retry-After on a 429', async () => {
		server.plan({ status: 429, headers: { 'Retry-After': '1' }, body: { message: 'slow down' } });
		const r = await deliverExport(db.config(), ACTOR, request('20261103'));
		expect(r).toMatchObject({ action: 'sent', attempts: 2 });
		// the backoff alone would wait at most 5 ms
		expect(server.requests[1].at - server.requests[0].at).toBeGreaterThanOrEqual(950);
		expect(server.requests[1].at - server.requests[0].at).toBeLessThan(3000);
	});

	it('gives up after Max Attempts, records the failure, and a later run retries it under the same key', async () => {
		server.plan(...Array(3).fill({ status: 503, body: { message: 'maintenance' } }));
		const r = await deliverExport(db.config(), ACTOR, request('20261104', undefined, { maxAttempts: 3 }));
		expect(r).toMatchObject({ action: 'failed', attempts: 3, status: 503, response: { message: 'maintenance' } });
		expect(r.message).toMatch(/HTTP 503 after 3 attempt\(s\): \{"message":"maintenance"\}/);
		expect((await ledger('20261104'))[0]).toMatchObject({ status: 'failed', attempts: 3, last_status: 503, last_response: { message: 'maintenance' }, acknowledged_at: null, last_error: r.message });
		// the upstream may have stored one of them: the next run offers it the same key
		const next = await deliverExport(db.config(), ACTOR, request('20261104'));
		expect(next).toMatchObject({ action: 'sent', revision: 1, idempotencyKey: r.idempotencyKey });
		expect((await ledger('20261104'))[0]).toMatchObject({ status: 'acknowledged', attempts: 4, last_error: null });
	});

	it('sends a dry run without counting it as delivered, under a key of its own', async () => {
		const dry = await deliverExport(db.config(), ACTOR, request('20261106', undefined, { dryRun: true }));
		expect(dry).toMatchObject({ action: 'dry_run', status: 200 });
		expect(dry.idempotencyKey).toMatch(/-dry-run$/);
		expect((await ledger('20261106'))[0]).toMatchObject({ status: 'sending', acknowledged_at: null, acknowledged_hash: null, attempts: 1 });
		const real = await deliverExport(db.config(), ACTOR, request('20261106'));
		expect(real).toMatchObject({ action: 'sent', revision: 1 });
		expect(real.idempotencyKey).not.toBe(dry.idempotencyKey);
		// a dry run of a changed payload after delivery leaves the delivered state alone
		const dryChange = await deliverExport(db.config(), ACTOR, request('20261106', '{"changed":true}', { dryRun: true }));
		expect(dryChange).toMatchObject({ action: 'dry_run', revision: 2 });
		expect((await ledger('20261106'))[0]).toMatchObject({ status: 'acknowledged', revision: 1, payload_hash: payload('{"period":"20261106"}').sha256 });
		expect(server.requests).toHaveLength(3);
	});

	it('lets a caller refuse a 2xx answer, such as a DHIS2 import summary with status ERROR', async () => {
		server.okBody = () => ({ status: 'ERROR', importCount: { imported: 0, ignored: 1 }, conflicts: [{ object: 'DE_X', value: 'unknown data element' }] });
		try {
			const check = ({ body }: { body: unknown }) => ((body as { status?: string }).status === 'ERROR' ? { accepted: false, reason: 'DHIS2 import status ERROR' } : undefined);
			const r = await deliverExport(db.config(), ACTOR, request('20261113'), check);
			expect(r).toMatchObject({ action: 'failed', status: 200, attempts: 1, message: 'The upstream answered HTTP 200 but did not accept the export: DHIS2 import status ERROR' });
			expect((await ledger('20261113'))[0]).toMatchObject({ status: 'failed', acknowledged_at: null });
		} finally {
			server.okBody = () => ({ status: 'SUCCESS' });
		}
	});

	it('keeps the lock across the HTTP call even when the server ends idle transactions sooner', async () => {
		await db.query(`ALTER DATABASE "${db.name}" SET idle_in_transaction_session_timeout = '150ms'`);
		await closeAllPools();
		try {
			server.plan('timeout');
			const r = await deliverExport(db.config(), ACTOR, request('20261114'));
			expect(r).toMatchObject({ action: 'sent', attempts: 2 });
			expect((await ledger('20261114'))[0]).toMatchObject({ status: 'acknowledged' });
		} finally {
			await db.query(`ALTER DATABASE "${db.name}" RESET idle_in_transaction_session_timeout`);
			await closeAllPools();
		}
	});
});

describe('exactly once', () => {
	it('sends an export once when two workers deliver it at the same time', async () => {
		// the first request hangs until the client's timeout, so the second worker surely waits on the lock
		server.plan('timeout');
		const both = await Promise.all([deliverExport(db.config(), ACTOR, request('20261107')), deliverExport(db.config(), ACTOR, request('20261107'))]);
		expect(both.map((r) => r.action).sort()).toEqual(['sent', 'skipped']);
		expect(server.requests).toHaveLength(2);
		expect(new Set(server.requests.map((q) => q.headers['idempotency-key'])).size).toBe(1);
		expect([...server.acknowledged.values()]).toEqual([1]);
		expect((await ledger('20261107'))[0]).toMatchObject({ status: 'acknowledged', attempts: 2 });
	});

	it('sends an export once when two workers deliver it at the same time and its ledger row exists already', async () => {
		// a dry run leaves the row behind, so the insert does not hold the second worker back: the row lock must
		expect((await deliverExport(db.config(), ACTOR, request('20261120', undefined, { dryRun: true }))).action).toBe('dry_run');
		server.reset();
		server.plan('timeout');
		const both = await Promise.all([deliverExport(db.config(), ACTOR, request('20261120')), deliverExport(db.config(), ACTOR, request('20261120'))]);
		expect(both.map((r) => r.action).sort()).toEqual(['sent', 'skipped']);
		expect(server.requests).toHaveLength(2);
		expect([...server.acknowledged.values()]).toEqual([1]);
	});

	it('acknowledges each of 24 periods exactly once while 30% of requests fail', async () => {
		let seed = 7;
		server.failing(0.3, () => ((seed = (seed * 16807) % 2147483647) / 2147483647));
		const periods = Array.from({ length: 24 }, (_, k) => `202612${String(k + 1).padStart(2, '0')}`);
		// each period twice, four workers at a time: a second schedule firing while the first still runs
		const jobs = [...periods, ...periods];
		const results = [];
		for (let k = 0; k < jobs.length; k += 4) {
			results.push(...await Promise.all(jobs.slice(k, k + 4).map((p) => deliverExport(db.config(), ACTOR, request(p, undefined, { maxAttempts: 12 })))));
		}
		expect(results.filter((r) => r.action === 'sent')).toHaveLength(24);
		expect(results.filter((r) => r.action === 'skipped')).toHaveLength(24);
		expect(server.requests.some((q) => q.fault !== 'ok')).toBe(true);
		const processedPeriods = server.requests.filter((q) => q.processed).map((q) => JSON.parse(q.body.toString()).period).sort();
		expect(processedPeriods).toEqual([...periods].sort());
		expect(server.duplicates()).toEqual([]);
		const [{ n, attempts }] = await db.query<{ n: number; attempts: number }>(
			`SELECT count(*)::int AS n, sum(attempts)::int AS attempts FROM grid.export_batch WHERE period LIKE '202612%' AND status = 'acknowledged'`);
		expect(n).toBe(24);
		expect(attempts).toBe(server.requests.length);
	});

	it('leaves one stored delivery per export when answers are lost on the way back', async () => {
		server.plan('lostAnswer', 'lostAnswer');
		const r = await deliverExport(db.config(), ACTOR, request('20261115'));
		expect(r).toMatchObject({ action: 'sent', attempts: 3 });
		// the upstream processed all three under one key: honouring it, it keeps one
		expect(server.acknowledged.get(r.idempotencyKey)).toBe(3);
		expect(server.stored()).toBe(1);
	});
});

describe('refusals and secrets', () => {
	it('stops at once on 401, saying the credentials were refused, and never stores the token', async () => {
		server.plan({ status: 401, body: { message: `bad token ${TOKEN}`, echo: `Authorization: Bearer ${TOKEN}`, authorization: `Bearer ${TOKEN}` } });
		const r = await deliverExport(db.config(), ACTOR, request('20261105'));
		expect(r).toMatchObject({ action: 'failed', attempts: 1, status: 401, unauthorized: true });
		expect(r.message).toMatch(/^The upstream refused the credentials \(HTTP 401\): check the Token of the Grid Upstream API credential/);
		expect(server.requests).toHaveLength(1);
		const [row] = await ledger('20261105');
		expect(row).toMatchObject({ status: 'failed', attempts: 1, last_status: 401, last_error: r.message });
		expect(JSON.stringify(row.last_response)).toContain('[redacted]');
		expect(await storedText('20261105')).not.toContain(TOKEN);
		expect(JSON.stringify(r)).not.toContain(TOKEN);
	});

	it('stops at once on 403 with basic authentication, keeping user:password and its base64 out of the result and ledger', async () => {
		const basic = Buffer.from(`penglai:${PASSWORD}`).toString('base64');
		server.plan({ status: 403, body: `forbidden for ${basic} (${PASSWORD}) at http://penglai:${PASSWORD}@upstream.example/` });
		const r = await deliverExport(db.config(), ACTOR, request('20261116', undefined, { upstream: upstream({ auth: 'basic', user: 'penglai', password: PASSWORD }) }));
		expect(r).toMatchObject({ action: 'failed', attempts: 1, status: 403, unauthorized: true });
		expect(r.message).toContain('check the User and Password of the Grid Upstream API credential');
		expect(server.requests).toHaveLength(1);
		const stored = await storedText('20261116');
		for (const secret of [PASSWORD, basic]) {
			expect(stored).not.toContain(secret);
			expect(JSON.stringify(r)).not.toContain(secret);
		}
		expect((await ledger('20261116'))[0].status).toBe('failed');
	});

	it('fails other 4xx at once with the status and body', async () => {
		server.plan({ status: 422, body: { conflicts: [{ value: 'period 20261117 is locked' }] } });
		const r = await deliverExport(db.config(), ACTOR, request('20261117'));
		expect(r).toMatchObject({ action: 'failed', attempts: 1, status: 422, response: { conflicts: [{ value: 'period 20261117 is locked' }] } });
		expect(r.unauthorized).toBeUndefined();
		expect(r.message).toBe('The upstream rejected the export with HTTP 422: {"conflicts":[{"value":"period 20261117 is locked"}]}');
		expect(server.requests).toHaveLength(1);
	});

	it('keeps an HMAC secret echoed by a failing upstream out of the ledger', async () => {
		server.plan(...Array(2).fill({ status: 500, body: { debug: `secret=${HMAC_SECRET}` } }));
		const hmac = upstream({ auth: 'hmac', keyId: 'penglai-1', secret: HMAC_SECRET });
		const r = await deliverExport(db.config(), ACTOR, request('20261118', undefined, { upstream: hmac, maxAttempts: 2 }));
		expect(r).toMatchObject({ action: 'failed', attempts: 2, status: 500, response: { debug: 'secret=[redacted]' } });
		expect(await storedText('20261118')).not.toContain(HMAC_SECRET);
		expect(JSON.stringify(r)).not.toContain(HMAC_SECRET);
	});
});

describe('authentication and configuration', () => {
	it('signs the body with HMAC-SHA256 so that the upstream can check it', async () => {
		await deliverExport(db.config(), ACTOR, request('20261108', undefined, { upstream: upstream({ auth: 'hmac', keyId: 'penglai-1', secret: HMAC_SECRET }) }));
		const { headers: h, body } = server.requests[0];
		const expected = createHmac('sha256', HMAC_SECRET).update(`${h['x-grid-timestamp']}.${body.toString('utf8')}`).digest('hex');
		expect(h['x-grid-key-id']).toBe('penglai-1');
		expect(h['x-grid-signature']).toBe(`sha256=${expected}`);
		expect(h.authorization).toBeUndefined();
		expect(Math.abs(Number(h['x-grid-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
		expect(JSON.stringify(h)).not.toContain(HMAC_SECRET);
	});

	it('sends bearer and basic credentials and the extra headers', async () => {
		await deliverExport(db.config(), ACTOR, request('20261109', undefined, { upstream: upstream({ headers: '{"X-Org-Code": "370614"}' }) }));
		await deliverExport(db.config(), ACTOR, request('20261110', undefined, { upstream: upstream({ auth: 'basic', user: 'penglai', password: PASSWORD }) }));
		expect(server.requests[0].headers).toMatchObject({ authorization: `Bearer ${TOKEN}`, 'x-org-code': '370614' });
		expect(server.requests[1].headers.authorization).toBe(`Basic ${Buffer.from(`penglai:${PASSWORD}`).toString('base64')}`);
	});

	it('joins the path onto a base URL that has one, and names the target without the query', async () => {
		const r = await deliverExport(db.config(), ACTOR, request('20261119', undefined, { upstream: upstream({ baseUrl: `${server.url}/dhis/` }), path: 'api/dataValueSets?dryRun=false&orgUnitIdScheme=code' }));
		expect(r.action).toBe('sent');
		expect(server.requests[0].url).toBe('/dhis/api/dataValueSets?dryRun=false&orgUnitIdScheme=code');
		expect((await ledger('20261119'))[0].target).toBe(`${server.url}/dhis/api/dataValueSets`);
	});

	it('refuses an upstream that is not http(s), writing and sending nothing', async () => {
		await expect(deliverExport(db.config(), ACTOR, request('20261111', undefined, { upstream: { ...upstream(), baseUrl: 'ftp://upstream.example/' } })))
			.rejects.toMatchObject({ name: 'FieldError', field: 'Base URL', message: expect.stringContaining('ftp is not allowed') });
		await expect(deliverExport(db.config(), ACTOR, request('20261111', undefined, { upstream: { ...upstream(), baseUrl: 'file:///etc/passwd' } })))
			.rejects.toMatchObject({ field: 'Base URL' });
		const withPassword = deliverExport(db.config(), ACTOR, request('20261111', undefined, { upstream: { ...upstream(), baseUrl: `gopher://penglai:${PASSWORD}@upstream.example/` } }));
		await expect(withPassword).rejects.toMatchObject({ field: 'Base URL' });
		await expect(withPassword).rejects.not.toMatchObject({ message: expect.stringContaining(PASSWORD) });
		expect(await ledger('20261111')).toEqual([]);
		expect(server.requests).toHaveLength(0);
	});

	it('refuses to export a unit outside the credential\'s scope, sending nothing', async () => {
		const street2 = db.config({ scopeCode: '370614-002' });
		await expect(deliverExport(street2, ACTOR, request('20261112', undefined, { scopeCode: '370614-001-001' })))
			.rejects.toMatchObject({ field: 'Unit', message: expect.stringContaining('outside the credential\'s scope 370614-002') });
		expect(server.requests).toHaveLength(0);
		expect(await ledger('20261112')).toEqual([]);
		// its own street it may export, and it sees only its own street's ledger rows
		expect((await deliverExport(street2, ACTOR, request('20261112', undefined, { scopeCode: '370614-002-001' }))).action).toBe('sent');
		const [row] = await ledger('20261112');
		expect(row).toMatchObject({ scope_code: '370614-002-001', status: 'acknowledged' });
		const visible = await run(street2, async (uow) => (await sql<{ scope_code: string }>(uow, 'SELECT DISTINCT scope_code FROM export_batch')).rows.map((r) => r.scope_code));
		expect(visible).toEqual(['370614-002-001']);
		const [{ n }] = await db.query<{ n: number }>(`SELECT count(DISTINCT scope_code)::int AS n FROM grid.export_batch`);
		expect(n).toBeGreaterThan(1);
	});
});
