/**
 * Fault: the higher-level system accepts the connection and then hangs, beyond the Grid Upstream API
 * credential's timeout. The Grid Statistics export, run in-process by n8n (the BUILT package) with
 * delivery through the ledger, must give up on each hung attempt in bounded time, retry with the same
 * Idempotency-Key, and end with exactly one delivery in the ledger and one export stored upstream;
 * a re-run sends nothing. The upstream is a real loopback HTTP server (test/helpers/flakyUpstream).
 */
import { createHash } from 'crypto';
import type { IDataObject, INodeParameters } from 'n8n-workflow';
import { closeAllPools } from '../../nodes/shared/db/pool';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { FlakyUpstream } from '../helpers/flakyUpstream';
import { type CredentialsByType, type N8nHarness, type WorkflowJson, getHarness, gridCredentials } from '../helpers/n8nHarness';
import { seedSmallDistrict } from '../helpers/uow';

const TIMEOUT_MS = 400;
let db: TestDatabase;
let harness: N8nHarness;
let upstream: FlakyUpstream;
let credentials: CredentialsByType;

function exportWorkflow(parameters: INodeParameters): WorkflowJson {
	return {
		nodes: [
			{ name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {} },
			{
				name: 'Export', type: 'n8n-nodes-grid-governance.gridStatistics', typeVersion: 1, onError: 'continueRegularOutput',
				parameters: {
					resource: 'export', operation: 'create', unit: { mode: 'code', value: '370614' }, periodType: 'month',
					dataset: 'GRID_MONTHLY', byLevel: 3, format: 'dhis2', deliver: true, ...parameters,
				},
			},
		],
		connections: { Start: { main: [[{ node: 'Export', type: 'main', index: 0 }]] } },
	};
}

async function runExport(parameters: INodeParameters) {
	const started = Date.now();
	const result = await harness.runWorkflow(exportWorkflow(parameters), { credentials, inputItems: [{}] });
	const run = result.node('Export');
	if (run.error) throw new Error(`Export failed: ${run.error.message}`);
	return { json: run.items[0].json as IDataObject & { delivery?: IDataObject }, ms: Date.now() - started };
}

/** The ledger's rows for a period, and how many times the audit log saw one become acknowledged. */
async function ledger(period: string) {
	const rows = await db.query<{ id: string; status: string; attempts: number; revision: number; payload_hash: string; idempotency_key: string }>(
		`SELECT id, status, attempts, revision, payload_hash, idempotency_key FROM grid.export_batch WHERE period = $1`, [period]);
	const [{ acknowledged }] = await db.query<{ acknowledged: number }>(
		`SELECT count(*)::int AS acknowledged FROM grid.audit_log a JOIN grid.export_batch b ON a.entity = 'export_batch' AND a.entity_id = b.id::text
		WHERE b.period = $1 AND a.action = 'update' AND a.details -> 'status' ->> 1 = 'acknowledged'`, [period]);
	return { rows, acknowledged };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
	db = await createTestDatabase('fault_upstream_hang');
	await seedSmallDistrict(db.config());
	upstream = await new FlakyUpstream().start();
	harness = await getHarness();
	credentials = {
		gridGovernancePostgres: gridCredentials(db.config()),
		gridUpstreamApi: { baseUrl: upstream.url, authentication: 'bearer', token: 'hang-token-1', headers: '{}', timeoutMs: TIMEOUT_MS, maxAttempts: 5 },
	};
});

afterEach(() => upstream.reset());

afterAll(async () => {
	await upstream?.close();
	await harness?.closeGridPools();
	await closeAllPools();
	await db?.drop();
});

it('hung attempts (one never read, one stored but never answered) are given up after the timeout and retried with one key; one delivery, one stored', async () => {
	upstream.plan('hang', 'hangAfterProcessing');
	const { json, ms } = await runExport({ periodDate: '2026-10-15', maxAttempts: 3 });
	expect(json.delivery).toMatchObject({ action: 'sent', attempts: 3, status: 200 });
	// each hung attempt ended at the timeout, not later
	expect(ms).toBeGreaterThanOrEqual(2 * TIMEOUT_MS);
	expect(ms).toBeLessThan(15_000);
	expect(upstream.requests.map((r) => r.fault)).toEqual(['hang', 'hangAfterProcessing', 'ok']);
	const keys = new Set(upstream.requests.map((r) => r.headers['idempotency-key']));
	expect(keys.size).toBe(1);
	// the upstream processed the export twice under one key: honouring the key, it stored one
	expect(upstream.stored()).toBe(1);

	const { rows, acknowledged } = await ledger('202610');
	expect(rows).toHaveLength(1);
	expect(rows[0]).toMatchObject({ status: 'acknowledged', attempts: 3, revision: 1, idempotency_key: [...keys][0] });
	expect(rows[0].payload_hash).toBe(sha256(upstream.requests[2].body));
	expect(acknowledged).toBe(1);

	const again = await runExport({ periodDate: '2026-10-15', maxAttempts: 3 });
	expect(again.json.delivery).toMatchObject({ action: 'skipped', attempts: 0 });
	expect(upstream.requests).toHaveLength(3);
	expect((await ledger('202610')).acknowledged).toBe(1);
});

it('an upstream hung for every attempt of one execution fails it in bounded time; the next execution delivers once and a re-run sends nothing', async () => {
	upstream.plan('hang', 'hang');
	const failed = await runExport({ periodDate: '2026-09-15', maxAttempts: 2 });
	expect(String(failed.json.error)).toMatch(/No answer from the upstream after 2 attempt\(s\).*timeout/);
	expect(failed.ms).toBeLessThan(15_000);
	let state = await ledger('202609');
	expect(state.rows).toHaveLength(1);
	expect(state.rows[0]).toMatchObject({ status: 'failed', attempts: 2 });
	expect(state.acknowledged).toBe(0);
	expect(upstream.stored()).toBe(0);

	const retried = await runExport({ periodDate: '2026-09-15', maxAttempts: 2 });
	expect(retried.json.delivery).toMatchObject({ action: 'sent', attempts: 1, status: 200 });
	state = await ledger('202609');
	expect(state.rows).toHaveLength(1);
	expect(state.rows[0].status).toBe('acknowledged');
	expect(state.acknowledged).toBe(1);
	// the retry used the key of the hung attempts: the upstream can tell it is the same export
	expect(new Set(upstream.requests.map((r) => r.headers['idempotency-key'])).size).toBe(1);
	expect(upstream.stored()).toBe(1);
	expect(upstream.duplicates()).toEqual([]);

	const again = await runExport({ periodDate: '2026-09-15', maxAttempts: 2 });
	expect(again.json.delivery).toMatchObject({ action: 'skipped' });
	expect(upstream.requests).toHaveLength(3);
});

it('an upstream that answers a byte at a time and never finishes is given up on by the timeout too', async () => {
	upstream.plan('trickle');
	const { json, ms } = await runExport({ periodDate: '2026-08-15', maxAttempts: 2 });
	expect(json.delivery).toMatchObject({ action: 'sent', attempts: 2, status: 200 });
	expect(ms).toBeLessThan(15_000);
	const { rows, acknowledged } = await ledger('202608');
	expect(rows).toHaveLength(1);
	expect(rows[0]).toMatchObject({ status: 'acknowledged', attempts: 2 });
	expect(acknowledged).toBe(1);
	expect(upstream.stored()).toBe(1);
}, 60_000);
