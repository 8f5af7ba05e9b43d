/**
 * Delivery of exports through the ledger, against a real loopback HTTP server that fails on purpose
 * and real PostgreSQL: exactly once under failures and parallel workers, Retry-After, a refused
 * credential, updates of a changed payload, dry runs, authentication headers, secrets kept out of
 * the ledger, and the credential's scope.
 */
import { createHash, createHmac } from 'crypto';
import { closeAllPools } from '../../nodes/shared/db/pool';
import { type DeliverExportRequest, deliverExport } from '../../nodes/shared/domain/export/deliverExport';
import { type UpstreamConfig, checkUpstream } from '../../nodes/shared/domain/export/upstream';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { FlakyUpstream } from '../helpers/flakyUpstream';
import { seedSmallDistrict } from '../helpers/uow';

let db: TestDatabase;
let server: FlakyUpstream;
const ACTOR = { node: 'test delivery' };
const FAST = { baseDelayMs: 5, maxDelayMs: 40, maxRetryAfterMs: 5_000 };
const TOKEN = 'tok-3f9a2c1d-secret-value';

const upstream = (over: Partial<UpstreamConfig> = {}): UpstreamConfig =>
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

describe('delivery through the ledger', () => {
	it('delivers, then skips the same payload without a request, and sends a changed one as an update', async () => {
		const first = await deliverExport(db.config(), ACTOR, request('20261101'));
		expect(first).toMatchObject({ action: 'sent', revision: 1, attempts: 1, status: 200 });
		expect(server.requests[0].headers['idempotency-key']).toBe(first.idempotencyKey);
		expect(server.requests[0].url).toBe('/api/dataValueSets');

		const again = await deliverExport(db.config(), ACTOR, request('20261101'));
		expect(again).toMatchObject({ action: 'skipped', batchId: first.batchId, attempts: 0 });
		expect(server.requests).toHaveLength(1);

		const changed = await deliverExport(db.config(), ACTOR, request('20261101', '{"period":"20261101","late":1}'));
		expect(changed).toMatchObject({ action: 'updated', revision: 2, batchId: first.batchId });
		expect(server.requests[1].headers).toMatchObject({ 'x-grid-export-kind': 'update', 'x-grid-export-revision': '2' });
		expect(changed.idempotencyKey).not.toBe(first.idempotencyKey);

		const forced = await deliverExport(db.config(), ACTOR, request('20261101', '{"period":"20261101","late":1}', { force: true }));
		expect(forced).toMatchObject({ action: 'resent', revision: 3 });
		const [row] = await ledger('20261101');
		expect(row).toMatchObject({ status: 'acknowledged', revision: 3, attempts: 3, last_status: 200, scope_code: '370614-001', dataset: 'GRID_DAILY' });
		expect(row.acknowledged_hash).toBe(payload('{"period":"20261101","late":1}').sha256);
	});

	it('retries 500s, timeouts and dropped connections until acknowledged, with one acknowledgement', async () => {
		server.plan({ status: 500 }, 'timeout', 'drop', { status: 502 });
		const r = await deliverExport(db.config(), ACTOR, request('20261102'));
		expect(r).toMatchObject({ action: 'sent', attempts: 5, status: 200 });
		expect(server.requests.map((q) => q.headers['idempotency-key'])).toEqual(Array(5).fill(r.idempotencyKey));
		expect([...server.acknowledged.values()]).toEqual([1]);
		expect((await ledger('20261102'))[0]).toMatchObject({ status: 'acknowledged', attempts: 5 });
	});

	it('honours Retry-After on a 429', async () => {
		server.plan({ status: 429, headers: { 'Retry-After': '1' } });
		const r = await deliverExport(db.config(), ACTOR, request('20261103'));
		expect(r.action).toBe('sent');
		expect(server.requests[1].at - server.requests[0].at).toBeGreaterThanOrEqual(950);
	});

	it('gives up after Max Attempts, records the failure and keeps the upstream\'s answer', async () => {
		server.plan(...Array(3).fill({ status: 503, body: { message: 'maintenance' } }));
		const r = await deliverExport(db.config(), ACTOR, request('20261104', undefined, { maxAttempts: 3 }));
		expect(r).toMatchObject({ action: 'failed', attempts: 3, status: 503, response: { message: 'maintenance' } });
		expect((await ledger('20261104'))[0]).toMatchObject({ status: 'failed', attempts: 3, last_status: 503, last_response: { message: 'maintenance' } });
		// the next run delivers it
		expect((await deliverExport(db.config(), ACTOR, request('20261104'))).action).toBe('sent');
	});

	it('stops at once on 401, saying the credentials were refused, and never stores a secret', async () => {
		server.plan({ status: 401, body: { message: `bad token ${TOKEN}`, echo: `Authorization: Bearer ${TOKEN}` } });
		const r = await deliverExport(db.config(), ACTOR, request('20261105'));
		expect(r).toMatchObject({ action: 'failed', attempts: 1, status: 401, unauthorized: true });
		expect(server.requests).toHaveLength(1);
		const [row] = await ledger('20261105');
		expect(row.last_error).toMatch(/refused the credentials \(HTTP 401\)/);
		expect(JSON.stringify(row)).not.toContain(TOKEN);
		expect(JSON.stringify(r)).not.toContain(TOKEN);
		expect(JSON.stringify(r.response)).toContain('[redacted]');
		const audit = await db.query(`SELECT * FROM grid.audit_log WHERE entity = 'export_batch'`);
		expect(JSON.stringify(audit)).not.toContain(TOKEN);
	});

	it('sends a dry run without counting it as delivered', async () => {
		const dry = await deliverExport(db.config(), ACTOR, request('20261106', undefined, { dryRun: true }));
		expect(dry.action).toBe('dry_run');
		expect((await ledger('20261106'))[0]).toMatchObject({ status: 'pending', acknowledged_hash: null });
		expect((await deliverExport(db.config(), ACTOR, request('20261106'))).action).toBe('sent');
	});

	it('sends each export once when two workers deliver it at the same time', async () => {
		const both = await Promise.all([deliverExport(db.config(), ACTOR, request('20261107')), deliverExport(db.config(), ACTOR, request('20261107'))]);
		expect(both.map((r) => r.action).sort()).toEqual(['sent', 'skipped']);
		expect(server.requests).toHaveLength(1);
	});

	it('acknowledges each of 20 periods exactly once while 30% of requests fail', async () => {
		let seed = 7;
		server.failing(0.3, () => ((seed = (seed * 16807) % 2147483647) / 2147483647));
		const periods = Array.from({ length: 20 }, (_, k) => `202612${String(k + 1).padStart(2, '0')}`);
		const results = [];
		for (let k = 0; k < periods.length; k += 4) {
			results.push(...await Promise.all(periods.slice(k, k + 4).map((p) => deliverExport(db.config(), ACTOR, request(p, undefined, { maxAttempts: 10 })))));
		}
		expect(results.every((r) => r.action === 'sent')).toBe(true);
		expect(server.acknowledged.size).toBe(20);
		expect(server.duplicates()).toEqual([]);
		expect(server.requests.length).toBeGreaterThan(20);
		const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.export_batch WHERE period LIKE '202612%' AND status = 'acknowledged'`);
		expect(n).toBe(20);
	});
});

describe('authentication and configuration', () => {
	it('signs the body with HMAC-SHA256 so that the upstream can check it', async () => {
		await deliverExport(db.config(), ACTOR, request('20261108', undefined, { upstream: upstream({ auth: 'hmac', keyId: 'penglai-1', secret: 'shared-secret-xyz', token: undefined }) }));
		const h = server.requests[0].headers;
		const expected = createHmac('sha256', 'shared-secret-xyz').update(`${h['x-grid-timestamp']}.`).update(server.requests[0].body).digest('hex');
		expect(h['x-grid-key-id']).toBe('penglai-1');
		expect(h['x-grid-signature']).toBe(`sha256=${expected}`);
		expect(Math.abs(Number(h['x-grid-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
	});

	it('sends bearer and basic credentials and the extra headers', async () => {
		await deliverExport(db.config(), ACTOR, request('20261109', undefined, { upstream: upstream({ headers: { 'X-Org-Code': '370614' } }) }));
		await deliverExport(db.config(), ACTOR, request('20261110', undefined, { upstream: upstream({ auth: 'basic', user: 'penglai', password: 'pw-9', token: undefined }) }));
		expect(server.requests[0].headers).toMatchObject({ authorization: `Bearer ${TOKEN}`, 'x-org-code': '370614' });
		expect(server.requests[1].headers.authorization).toBe(`Basic ${Buffer.from('penglai:pw-9').toString('base64')}`);
	});

	it('refuses an upstream that is not http(s), writing nothing', async () => {
		await expect(deliverExport(db.config(), ACTOR, request('20261111', undefined, { upstream: { ...upstream(), baseUrl: 'ftp://upstream.example/' } })))
			.rejects.toMatchObject({ field: 'Base URL', message: expect.stringContaining('ftp is not allowed') });
		expect(() => checkUpstream({ baseUrl: 'not a url' })).toThrow(/Base URL must be an http or https address/);
		expect(await ledger('20261111')).toEqual([]);
		expect(server.requests).toHaveLength(0);
	});

	it('refuses to export a unit outside the credential\'s scope, sending nothing', async () => {
		const scoped = db.config({ scopeCode: '370614-002' });
		await expect(deliverExport(scoped, ACTOR, request('20261112'))).rejects.toMatchObject({ field: 'Unit', message: expect.stringContaining('outside this credential\'s scope 370614-002') });
		expect(server.requests).toHaveLength(0);
		expect(await ledger('20261112')).toEqual([]);
	});
});
