/**
 * Fault: pool pressure. 50 executions of the Incident node run at once in one n8n process (the BUILT
 * package, in-process) on one Grid Governance Postgres credential with Max Connections 5. None may
 * fail for want of a connection: they queue for the pool. An admin session samples pg_stat_activity
 * every few milliseconds throughout, and the sessions of the credential's pool (application_name
 * n8n-grid-governance on this test's own database) must never number more than 5. SQL then checks
 * that every report of every execution was written once, to the right unit.
 */
import type { IDataObject } from 'n8n-workflow';
import { APPLICATION_NAME, closeAllPools } from '../../nodes/shared/db/pool';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { keyedIntakeWorkflow, sampleActivity } from '../helpers/faultPg';
import { type CredentialsByType, type N8nHarness, type WorkflowJson, type WorkflowRunResult, getHarness, gridCredentials } from '../helpers/n8nHarness';
import { seedSmallDistrict } from '../helpers/uow';

const EXECUTIONS = 50;
const ITEMS = 20;
const MAX_CONNECTIONS = 5;
const BUILDINGS = ['370614-001-001-001-0001', '370614-001-002-002-0002', '370614-002-001-001-0001', '370614-002-002-002-0001'];

let db: TestDatabase;
let harness: N8nHarness;
let credentials: CredentialsByType;

const intake: WorkflowJson = keyedIntakeWorkflow('resident');

const itemsOf = (e: number): IDataObject[] => Array.from({ length: ITEMS }, (_, i) => ({
	key: `pressure-${e}-${i}`, text: `压力测试 执行${e} 第${i}条`, unit: BUILDINGS[(e + i) % BUILDINGS.length],
}));

beforeAll(async () => {
	db = await createTestDatabase('fault_pool_pressure');
	await seedSmallDistrict(db.config());
	// the seeding pool (source modules) is gone before the run: only the credential's pool remains
	await closeAllPools();
	credentials = { gridGovernancePostgres: gridCredentials({ ...db.config(), maxConnections: MAX_CONNECTIONS }) };
	harness = await getHarness();
});

afterAll(async () => {
	await harness?.closeGridPools();
	await db?.drop();
});

it(`${EXECUTIONS} concurrent executions on Max Connections ${MAX_CONNECTIONS}: all succeed by queueing, never more than ${MAX_CONNECTIONS} sessions`, async () => {
	const sampler = await sampleActivity(db.url, 'datname = $1 AND application_name = $2', [db.name, APPLICATION_NAME], 3);
	let results: WorkflowRunResult[] = [];
	let sampled = { peak: 0, samples: 0 };
	try {
		results = await Promise.all(Array.from({ length: EXECUTIONS }, (_, e) => harness.runWorkflow(intake, { credentials, inputItems: itemsOf(e) })));
	} finally {
		sampled = await sampler.stop();
	}
	const { peak, samples } = sampled;
	expect(results.map((r) => r.node('Intake').error?.message).filter(Boolean)).toEqual([]);
	expect(results.map((r) => r.output('Intake').length)).toEqual(Array(EXECUTIONS).fill(ITEMS));
	// the pool was at its limit (the executions really queued) and never above it
	expect(samples).toBeGreaterThan(20);
	expect(peak).toBe(MAX_CONNECTIONS);

	// every report written once, with its own text and unit
	const rows = await db.query<{ idempotency_key: string; description: string; code: string }>(
		`SELECT i.idempotency_key, i.description, u.code FROM grid.incident i JOIN grid.grid_unit u ON u.id = i.unit_id`);
	expect(rows).toHaveLength(EXECUTIONS * ITEMS);
	const expected = Array.from({ length: EXECUTIONS }, (_, e) => itemsOf(e)).flat()
		.map((x) => `${x.key}|${x.text}|${x.unit}`).sort();
	expect(rows.map((r) => `${r.idempotency_key}|${r.description}|${r.code}`).sort()).toEqual(expected);
	const [{ refs }] = await db.query<{ refs: number }>(`SELECT count(DISTINCT reference)::int AS refs FROM grid.incident`);
	expect(refs).toBe(EXECUTIONS * ITEMS);
	// each execution's output pairs with its own reports
	results.forEach((r, e) => expect(r.output('Intake').map((o) => o.json.idempotencyKey)).toEqual(itemsOf(e).map((x) => x.key)));
});
