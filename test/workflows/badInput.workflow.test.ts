/**
 * The bad-input corpus (test/fixtures/bad-input) run through the BUILT nodes in-process by n8n against
 * a seeded district on real PostgreSQL. For every case, three things:
 *  (a) with Continue On Fail off, the case after one good item fails the node with a message that names
 *      "Item 1" and the case's field;
 *  (b) nothing was written: every table of the schema (audit_log included) has the same rows before
 *      and after all of an operation's failing runs;
 *  (c) with Continue On Fail on, all cases of an operation in one batch interleaved with good items:
 *      each case comes out as an error item naming its own index and field, and exactly the good
 *      items are written (checked with SQL, values verbatim).
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { type CredentialsByType, type N8nHarness, type WorkflowJson, getHarness, gridCredentials } from '../helpers/n8nHarness';
import { type BadCase, type CorpusFile, type CorpusOperation, interleave, loadCorpus, snapshot } from '../helpers/badInputCorpus';
import { idFor, mobile } from '../helpers/people';
import { closeAllPools } from '../../nodes/shared/db/pool';
import { seedSmallDistrict } from '../helpers/uow';

const corpus = loadCorpus();
let db: TestDatabase;
let harness: N8nHarness;
let credentials: CredentialsByType;

function workflow(file: CorpusFile, op: CorpusOperation, onError?: CorpusOperation['onError']): WorkflowJson {
	return {
		nodes: [
			{ name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {} },
			{
				name: 'Node',
				type: file.nodeType,
				typeVersion: 1,
				parameters: { resource: op.resource, operation: op.operation, ...op.parameters },
				...(onError ? { onError } : {}),
			},
		],
		connections: { Start: { main: [[{ node: 'Node', type: 'main', index: 0 }]] } },
	};
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const fieldNamed = (index: number, field: string) => new RegExp(`^Item ${index}, field "${escape(field)}"`);

/** Runs one seeding operation through the node, failing loudly if it refuses anything. */
async function seed(node: string, resource: string, operation: string, parameters: INodeParameters, items: IDataObject[]) {
	const file: CorpusFile = { node, nodeType: `n8n-nodes-grid-governance.${node}`, operations: [] };
	const run = await harness.runWorkflow(workflow(file, { resource, operation, parameters, onError: 'continueRegularOutput', good: [], cases: [] }), { credentials, inputItems: items });
	const r = run.node('Node');
	if (r.error || r.items.some((o) => o.json.error)) throw new Error(`seeding ${node} ${operation} failed: ${r.error?.message ?? JSON.stringify(r.items)}`);
}

/** Residents, a volunteer and a staff member that cases refer to (a document, volunteer or staff number already taken). */
async function seedPeople() {
	const people: IDataObject[] = [1, 2, 3, 4].map((n) => ({
		name: `居民${n}`,
		documentNumber: idFor('370614', `19${60 + n}0101`, 10 + n),
		phone: mobile(900 + n),
		buildingCode: '370614-001-001-001-0001',
		roomNo: `10${n}`,
	}));
	await seed('resident', 'resident', 'bulkImport', { importMode: 'create' }, people);
	await seed('volunteer', 'volunteer', 'bulkImport', { importMode: 'create' }, [{ name: '种子志愿者', volunteerNo: 'V-SEED-1', unitCode: '370614-001-001-001-0001' }]);
	await seed('grid', 'staff', 'create', { name: '种子网格员', unit: { __rl: true, mode: 'code', value: '370614-001-001-001' }, additionalFields: { staffNo: 'S-SEED-1' } }, [{}]);
}

beforeAll(async () => {
	db = await createTestDatabase('wf_bad_input');
	await seedSmallDistrict(db.config());
	credentials = { gridGovernancePostgres: gridCredentials(db.config()) };
	harness = await getHarness();
	await seedPeople();
});

afterAll(async () => {
	await harness?.closeGridPools();
	await closeAllPools();
	await db?.drop();
});

it('holds at least 300 cases across the nodes, each naming a field', () => {
	const total = corpus.reduce((n, f) => n + f.operations.reduce((m, o) => m + o.cases.length, 0), 0);
	expect(total).toBeGreaterThanOrEqual(300);
	expect(corpus.map((f) => f.node)).toEqual(expect.arrayContaining(['Grid', 'Resident', 'Incident', 'Task', 'Volunteer', 'Notice', 'Grid Statistics']));
});

describe.each(corpus.map((f) => [f.node, f] as const))('%s', (_name, file) => {
	describe.each(file.operations.map((op) => [`${op.resource}.${op.operation}`, op] as const))('%s', (_op, op) => {
		it(`refuses each of ${op.cases.length} bad items naming item and field, and writes nothing`, async () => {
			const before = await snapshot(db);
			const problems: string[] = [];
			for (const c of op.cases) {
				const run = await harness.runWorkflow(workflow(file, op), { credentials, inputItems: [op.good[0], c.item] });
				const r = run.node('Node');
				const message = r.error?.message ?? '';
				if (!r.error) problems.push(`${c.id}: accepted (${JSON.stringify(r.items.map((i) => i.json)).slice(0, 200)})`);
				else if ((r.error as { context?: { itemIndex?: number } }).context?.itemIndex !== 1) problems.push(`${c.id}: the error is not attributed to item 1: ${message.slice(0, 200)}`);
				else if (!fieldNamed(1, c.field).test(message)) problems.push(`${c.id}: expected item 1 and field "${c.field}", got: ${message.slice(0, 300)}`);
				else if (c.message && !new RegExp(c.message, 'i').test(message)) problems.push(`${c.id}: message does not match /${c.message}/: ${message.slice(0, 300)}`);
			}
			expect(problems).toEqual([]);
			expect(await snapshot(db)).toEqual(before);
		});

		it('with Continue On Fail writes exactly the good items and returns each bad one as an error item', async () => {
			const layout = interleave(op.good, op.cases);
			const run = await harness.runWorkflow(workflow(file, op, op.onError), { credentials, inputItems: layout.map((l) => l.item) });
			const r = run.node('Node');
			expect(r.error).toBeUndefined();
			const regular = r.outputs[0] ?? [];
			const errorOut = op.onError === 'continueErrorOutput' ? (r.outputs[1] ?? []) : regular.filter((o) => o.json.error !== undefined);
			const byItem = new Map<number, IDataObject[]>();
			for (const o of [...regular, ...(op.onError === 'continueErrorOutput' ? errorOut : [])]) {
				const index = (o.pairedItem as { item: number }).item;
				byItem.set(index, [...(byItem.get(index) ?? []), o.json]);
			}
			const problems: string[] = [];
			layout.forEach((l, index) => {
				const outs = byItem.get(index) ?? [];
				if (l.bad) {
					const c: BadCase = l.bad;
					const e = outs.find((j) => typeof j.error === 'string');
					if (!e || outs.length !== 1) problems.push(`${c.id} (item ${index}): expected one error item, got ${JSON.stringify(outs).slice(0, 200)}`);
					// on the error output n8n keeps only the message; the regular output also carries the field
					else if (!fieldNamed(index, c.field).test(e.error as string) || (op.onError === 'continueRegularOutput' && e.field !== c.field)) problems.push(`${c.id} (item ${index}): expected field "${c.field}", got ${String(e.error).slice(0, 300)}`);
				} else if (!outs.length || outs.some((j) => j.error !== undefined)) {
					problems.push(`good item ${index}: ${JSON.stringify(outs).slice(0, 300)}`);
				}
			});
			expect(problems).toEqual([]);
			if (op.onError === 'continueErrorOutput') expect(errorOut).toHaveLength(op.cases.length);
			if (op.written) {
				const rows = await db.query<{ v: unknown }>(op.written.sql);
				const stored = rows.map((x) => String(x.v)).sort();
				const at = (g: IDataObject) => op.written!.field.split('.').reduce<unknown>((v, k) => (v as IDataObject | undefined)?.[k], g);
				expect(stored).toEqual(op.good.map((g) => String(at(g))).sort());
			}
		});
	});
});
