/**
 * Grid → Maintenance → Rotate Personal Data Key as n8n runs it (built package from dist/, n8n-core's
 * WorkflowExecute, real PostgreSQL): its parameters, its report item, and its errors.
 */
import { createHmac } from 'crypto';
import { closeAllPools } from '../../nodes/shared/db/pool';
import { saveResidents } from '../../nodes/shared/domain/resident/residents';
import { checkResident } from '../../nodes/shared/domain/resident/residentInput';
import { DEFAULT_SEGMENT_WIDTHS } from '../../nodes/shared/validation/gridCode';
import { TEST_KEY, type TestDatabase, createTestDatabase } from '../helpers/db';
import { valueOf } from '../helpers/incidents';
import { type N8nHarness, type WorkflowJson, getHarness, gridCredentials } from '../helpers/n8nHarness';
import { idFor, mobile } from '../helpers/people';
import { run, seedSmallDistrict } from '../helpers/uow';

const K2 = 'workflow-test-new-personal-data-key-42';
const RESIDENTS = 30;
const NODE = 'Rotate Key';
const fingerprint = (k: string) => createHmac('sha256', k).update('grid-governance/fingerprint/v1').digest('hex').slice(0, 16);

let harness: N8nHarness;
let db: TestDatabase;

function rotateWorkflow(parameters: Record<string, unknown>, settings: Record<string, unknown> = {}): WorkflowJson {
	return {
		name: 'Rotate the personal data key',
		nodes: [
			{ parameters: {}, name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0] },
			{
				parameters: { resource: 'maintenance', operation: 'rotateKey', ...parameters },
				name: NODE,
				type: 'n8n-nodes-grid-governance.grid',
				typeVersion: 1,
				position: [220, 0],
				credentials: { gridGovernancePostgres: { id: '1', name: 'Grid Governance Postgres account' } },
				...settings,
			},
		],
		connections: { Start: { main: [[{ node: NODE, type: 'main', index: 0 }]] } },
		settings: { executionOrder: 'v1' },
	};
}

const credentialsFor = (over: Record<string, string>) => ({ gridGovernancePostgres: { ...gridCredentials(db.config()), ...over } });
const rotatingCredentials = () => credentialsFor({ personalDataKey: K2, previousPersonalDataKey: TEST_KEY });

beforeAll(async () => {
	db = await createTestDatabase('wf_key_rotation');
	harness = await getHarness();
	await seedSmallDistrict(db.config());
	const rules = { widths: DEFAULT_SEGMENT_WIDTHS, allowCustomTags: false };
	const outcomes = await run(db.config(), (uow) => saveResidents(uow, Array.from({ length: RESIDENTS }, (_, k) => checkResident({
		name: `居民${k}`, documentNumber: idFor('370614', '19700101', 100 + k), phone: mobile(k), buildingCode: '370614-001-001-001-0001', roomNo: `${k}`,
	}, rules)), { mode: 'create', matchPhoneAndName: false, storeFullDocument: true }));
	outcomes.forEach(valueOf);
}, 60_000);

afterAll(async () => {
	await closeAllPools();
	await db.drop();
});

describe('Grid: Rotate Personal Data Key', () => {
	it('refuses bad parameters naming the field and the item', async () => {
		const result = await harness.runWorkflow(rotateWorkflow({ batchSize: 0, maxBatches: 1 }), { credentials: rotatingCredentials() });
		expect(result.error?.message).toMatch(/Batch Size must be at least 1, got 0/);
		expect(result.node(NODE).error?.message ?? '').toMatch(/Batch Size/);
		const more = await harness.runWorkflow(rotateWorkflow({ batchSize: 10, maxBatches: 'many' }), { credentials: rotatingCredentials() });
		expect(more.error?.message).toMatch(/Max Batches per Run must be a whole number, got "many"/);
		// nothing started: the stored key is still the first one and no rotation is recorded
		const state = await db.query<{ key: string }>(`SELECT key FROM grid.settings WHERE key = 'personal_data_key_rotation'`);
		expect(state).toHaveLength(0);
	});

	it('refuses a wrong previous key, and a scoped credential, with what to do', async () => {
		const wrong = await harness.runWorkflow(rotateWorkflow({ batchSize: 10, maxBatches: 1 }),
			{ credentials: credentialsFor({ personalDataKey: K2, previousPersonalDataKey: 'some-other-key-that-is-long-enough' }) });
		expect(wrong.error?.message).toMatch(/nor the Previous Personal Data Key .* is the key the database .* was set up with/);
		const scoped = await harness.runWorkflow(rotateWorkflow({ batchSize: 10, maxBatches: 1 }),
			{ credentials: credentialsFor({ personalDataKey: K2, previousPersonalDataKey: TEST_KEY, scopeCode: '370614-001' }) });
		expect(scoped.error?.message).toMatch(/needs a credential without a scope \(this one is confined to 370614-001\)/);
	});

	it('reports progress per run until done, then says the previous key can go', async () => {
		const first = await harness.runWorkflow(rotateWorkflow({ batchSize: 7, maxBatches: 2 }), { credentials: rotatingCredentials() });
		expect(first.error).toBeUndefined();
		const [report] = first.output(NODE);
		expect(report.pairedItem).toEqual({ item: 0 });
		expect(report.json).toMatchObject({ done: false, batches: 2, from: fingerprint(TEST_KEY), to: fingerprint(K2), rotated: { resident: 14 } });
		const stale = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.resident WHERE phone_enc NOT LIKE $1`, [`v2.${fingerprint(K2)}.%`]);
		expect(report.json.remainingTotal).toBe(stale[0].n);
		expect(stale[0].n).toBe(RESIDENTS - 14);
		expect(String(report.json.message)).toMatch(/Run this operation again/);

		const second = await harness.runWorkflow(rotateWorkflow({ batchSize: 1000, maxBatches: 5 }), { credentials: rotatingCredentials() });
		expect(second.error).toBeUndefined();
		const [done] = second.output(NODE);
		expect(done.json).toMatchObject({ done: true, remainingTotal: 0, rotated: { resident: RESIDENTS - 14 } });
		expect(String(done.json.message)).toMatch(/Clear Previous Personal Data Key/);
		const [fp] = await db.query<{ v: string }>(`SELECT value #>> '{}' AS v FROM grid.settings WHERE key = 'personal_data_key_fingerprint'`);
		expect(fp.v).toBe(fingerprint(K2));

		// the old key alone is refused now, with the way out in the error
		await closeAllPools();
		const old = await harness.runWorkflow(rotateWorkflow({ batchSize: 10, maxBatches: 1 }), { credentials: credentialsFor({}) });
		expect(old.error?.message).toMatch(/does not match the key the database .* was set up with/);
		expect(old.error?.description ?? '').toMatch(/If the key was rotated, use the new key/);
	});

	it('with Continue On Fail, a bad item comes out as an error item and the good one runs', async () => {
		const result = await harness.runWorkflow(
			rotateWorkflow({ batchSize: '={{ $json.size }}', maxBatches: 1 }, { onError: 'continueRegularOutput' }),
			{ credentials: credentialsFor({ personalDataKey: K2 }), inputItems: [{ size: -5 }, { size: 50 }], inputNode: 'Start' },
		);
		expect(result.error).toBeUndefined();
		const out = result.output(NODE);
		expect(out).toHaveLength(2);
		expect(String(out[0].json.error)).toMatch(/Batch Size must be at least 1, got -5/);
		expect(out[1].json).toMatchObject({ idle: true, done: true, batches: 0 });
	});
});
