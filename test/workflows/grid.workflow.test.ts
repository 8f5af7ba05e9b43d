/**
 * The Grid node as n8n runs it: workflow JSON (fixtures/) executed in-process by n8n-core's
 * WorkflowExecute with the BUILT package loaded from dist/, against real PostgreSQL. Data effects are
 * checked with SQL; expected values come from the input data, never from the output under test.
 */
import path from 'path';
import { Client } from 'pg';
import { NodeOperationError } from 'n8n-workflow';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { type N8nHarness, type OutputItem, type WorkflowJson, getHarness, gridCredentials, loadWorkflowFile } from '../helpers/n8nHarness';
import { smallDistrict } from '../helpers/uow';
import type { RawUnit } from '../../nodes/shared/domain/grid/unitInput';

const fixture = (name: string) => loadWorkflowFile(path.join(__dirname, 'fixtures', `${name}.json`));
const importUnits = fixture('import-units');
const listSubtree = fixture('list-subtree');
const ancestorsWorkflow = fixture('ancestors');
const staffResponsible = fixture('staff-responsible');
const moveUnit = fixture('move-unit');
const getUnit = fixture('get-unit');

const IMPORT_NODE = 'Import Units';

let harness: N8nHarness;
let db: TestDatabase;
let credentials: { gridGovernancePostgres: ReturnType<typeof gridCredentials> };

/** A fixture with one node's settings changed (e.g. onError), as a user would toggle them in the editor. */
function withNodeSettings(workflow: WorkflowJson, nodeName: string, settings: Record<string, unknown>): WorkflowJson {
	const copy = structuredClone(workflow);
	const node = copy.nodes.find((n) => n.name === nodeName);
	if (!node) throw new Error(`fixture has no node ${nodeName}`);
	Object.assign(node, settings);
	return copy;
}

function pairedIndex(item: OutputItem): number {
	const p = item.pairedItem;
	if (typeof p === 'number') return p;
	if (Array.isArray(p)) {
		if (p.length !== 1) throw new Error(`expected one paired item, got ${JSON.stringify(p)}`);
		return p[0].item;
	}
	if (!p) throw new Error(`output item has no pairedItem: ${JSON.stringify(item.json)}`);
	return p.item;
}

function segments(code: string) {
	return code.split('-');
}

async function count(sql: string, params: unknown[] = []): Promise<number> {
	const [row] = await db.query<{ n: number }>(sql, params);
	return Number(row.n);
}

beforeAll(async () => {
	db = await createTestDatabase('wf_grid');
	harness = await getHarness();
	credentials = { gridGovernancePostgres: gridCredentials(db.config()) };
});

afterAll(async () => {
	await harness?.closeGridPools();
	await db?.drop();
});

// The tests of this block build on each other in order: import, then query, post staff, move.
describe('a district built and used through workflows', () => {
	const district = smallDistrict();

	it('imports a district with Import Many, parents after children, one output item per input', async () => {
		// children first: the node must build the tree level by level whatever the order
		const input = [...district].reverse();
		const result = await harness.runWorkflow(importUnits, { credentials, inputItems: input });
		expect(result.error).toBeUndefined();
		expect(result.status).toBe('success');

		const out = result.output(IMPORT_NODE);
		expect(out).toHaveLength(input.length);
		out.forEach((item, k) => {
			expect(pairedIndex(item)).toBe(k);
			expect(item.json.code).toBe(input[k].code);
			expect(item.json.level).toBe(segments(String(input[k].code)).length);
		});

		const rows = await db.query<{ code: string; name: string; level: number; parent: string | null; planned: number | null; path_ok: boolean }>(
			`SELECT u.code, u.name, u.level, p.code AS parent, u.planned_households AS planned,
				u.path = coalesce(p.path, '/') || u.id || '/' AS path_ok
			FROM grid.grid_unit u LEFT JOIN grid.grid_unit p ON p.id = u.parent_id ORDER BY u.code`,
		);
		const expected = [...district]
			.sort((a, b) => String(a.code).localeCompare(String(b.code)))
			.map((u) => ({
				code: u.code,
				name: u.name,
				level: segments(String(u.code)).length,
				parent: u.parentCode ?? null,
				planned: u.plannedHouseholds ?? null,
				path_ok: true,
			}));
		expect(rows).toEqual(expected);

		// every row is audited, with the workflow, execution and node that wrote it
		const audited = await count(
			`SELECT count(*)::int AS n FROM grid.audit_log
			WHERE entity = 'grid_unit' AND action = 'insert' AND actor->>'node' = $1 AND actor->>'executionId' = $2`,
			[IMPORT_NODE, result.executionId],
		);
		expect(audited).toBe(district.length);
	});

	it('lists the buildings of a street (subtree with a level filter), the street picked by a Set node', async () => {
		const result = await harness.runWorkflow(listSubtree, { credentials });
		expect(result.error).toBeUndefined();
		const out = result.output('Buildings Of Street');
		const street = String(result.output('Pick Street')[0].json.street);
		const expected = district
			.filter((u) => String(u.code).startsWith(`${street}-`) && segments(String(u.code)).length === 5)
			.map((u) => u.code)
			.sort();
		expect(expected.length).toBeGreaterThan(0);
		expect(out.map((i) => i.json.code).sort()).toEqual(expected);
		expect(out.every((i) => i.json.level === 5)).toBe(true);
		expect(out.every((i) => pairedIndex(i) === 0)).toBe(true);
	});

	it('returns the chain of ancestors of a building, from the district down', async () => {
		const building = district.find((u) => segments(String(u.code)).length === 5)!.code as string;
		const result = await harness.runWorkflow(ancestorsWorkflow, { credentials, inputItems: [{ building }] });
		expect(result.error).toBeUndefined();
		const parts = segments(building);
		const chain = parts.map((_, k) => parts.slice(0, k + 1).join('-'));
		const out = result.output('Chain Above');
		expect(out.map((i) => i.json.code)).toEqual(chain);
		expect(out.map((i) => i.json.level)).toEqual([1, 2, 3, 4, 5]);
		expect(out.every((i) => pairedIndex(i) === 0)).toBe(true);
	});

	it('creates staff, posts them, and finds who answers, walking up from a vacant building', async () => {
		const grid = district.find((u) => segments(String(u.code)).length === 4)!;
		const [vacantBuilding, staffedBuilding] = district.filter((u) => u.parentCode === grid.code).map((u) => u.code as string);
		const input = [
			{ name: '王芳', staffNo: 'WF-S-1', phone: '13805351234', homeUnit: grid.parentCode, postUnit: grid.code, role: 'grid_head', askFor: vacantBuilding },
			{ name: '李强', staffNo: 'WF-S-2', phone: '13905351235', homeUnit: grid.parentCode, postUnit: staffedBuilding, role: 'grid_assistant', askFor: staffedBuilding },
		];
		const result = await harness.runWorkflow(staffResponsible, { credentials, inputItems: input });
		expect(result.error).toBeUndefined();

		const created = result.output('Create Staff');
		expect(created.map((i) => [i.json.staffNo, pairedIndex(i)])).toEqual([['WF-S-1', 0], ['WF-S-2', 1]]);
		expect(created.map((i) => i.json.phone)).toEqual(input.map((p) => `${p.phone.slice(0, 3)}****${p.phone.slice(-4)}`));

		const posted = await db.query<{ staff_no: string; code: string; role: string; open: boolean }>(
			`SELECT s.staff_no, u.code, a.role, a.valid_to IS NULL AS open
			FROM grid.grid_assignment a JOIN grid.staff s ON s.id = a.staff_id JOIN grid.grid_unit u ON u.id = a.unit_id
			ORDER BY s.staff_no`,
		);
		expect(posted).toEqual(input.map((p) => ({ staff_no: p.staffNo, code: p.postUnit, role: p.role, open: true })));
		const stored = JSON.stringify(await db.query(`SELECT * FROM grid.staff`));
		for (const p of input) expect(stored).not.toContain(p.phone);

		const answers = result.output('Find Responsible');
		expect(answers.map(pairedIndex)).toEqual([0, 1]);
		// the vacant building: no grid assistant there, so the base grid's head answers
		expect(answers[0].json).toMatchObject({
			unitCode: vacantBuilding,
			vacant: true,
			answeredByCode: grid.code,
			role: 'grid_head',
			staff: [expect.objectContaining({ staffNo: 'WF-S-1', name: '王芳' })],
		});
		expect((answers[0].json.vacancies as Array<{ code: string }>).map((v) => v.code)).toEqual([vacantBuilding]);
		// the staffed building answers for itself
		expect(answers[1].json).toMatchObject({
			unitCode: staffedBuilding,
			vacant: false,
			answeredByCode: staffedBuilding,
			role: 'grid_assistant',
			staff: [expect.objectContaining({ staffNo: 'WF-S-2' })],
		});
	});

	it('moves a community with its subtree to another street; codes stay, paths follow', async () => {
		const community = district.find((u) => segments(String(u.code)).length === 3 && String(u.code).startsWith('370614-001-'))!.code as string;
		const newStreet = district.find((u) => segments(String(u.code)).length === 2 && u.code !== segments(community).slice(0, 2).join('-'))!.code as string;
		const subtree = district.filter((u) => u.code === community || String(u.code).startsWith(`${community}-`)).map((u) => u.code).sort();

		const result = await harness.runWorkflow(moveUnit, { credentials, inputItems: [{ unit: community, newParent: newStreet }] });
		expect(result.error).toBeUndefined();
		const [moved] = result.output('Move Unit');
		expect(moved.json).toMatchObject({ code: community, parentCode: newStreet, movedUnits: subtree.length });

		const [parent] = await db.query<{ parent: string }>(
			`SELECT p.code AS parent FROM grid.grid_unit u JOIN grid.grid_unit p ON p.id = u.parent_id WHERE u.code = $1`,
			[community],
		);
		expect(parent.parent).toBe(newStreet);
		const under = await db.query<{ code: string; below_street: boolean }>(
			`SELECT u.code, u.path LIKE s.path || '%' AS below_street
			FROM grid.grid_unit u, grid.grid_unit c, grid.grid_unit s
			WHERE c.code = $1 AND s.code = $2 AND u.path >= c.path AND u.path < c.path || '~'
			ORDER BY u.code`,
			[community, newStreet],
		);
		expect(under.map((r) => r.code)).toEqual(subtree);
		expect(under.every((r) => r.below_street)).toBe(true);
		// every path in the tree is still its parent's path plus its own id
		const broken = await count(
			`SELECT count(*)::int AS n FROM grid.grid_unit u LEFT JOIN grid.grid_unit p ON p.id = u.parent_id
			WHERE u.path <> coalesce(p.path, '/') || u.id || '/'`,
		);
		expect(broken).toBe(0);
	});
});

describe('bad input', () => {
	// a database of its own, holding a district already, so that "nothing is written" is checked
	// against a live table and these tests do not depend on the ones above
	let badDb: TestDatabase;
	let badCredentials: typeof credentials;
	const countIn = async (sql: string) => Number((await badDb.query<{ n: number }>(sql))[0].n);

	beforeAll(async () => {
		badDb = await createTestDatabase('wf_bad');
		badCredentials = { gridGovernancePostgres: gridCredentials(badDb.config()) };
		const seeded = await harness.runWorkflow(importUnits, { credentials: badCredentials, inputItems: smallDistrict() });
		if (seeded.error) throw new Error(`seeding failed: ${seeded.error.message}`);
	});

	afterAll(async () => {
		await badDb?.drop();
	});

	// a second district (牟平区), so the counts below see only this batch
	const batch: RawUnit[] = [
		{ code: '370612', name: '牟平区' },
		{ code: '370612-001', name: '宁海街道', parentCode: '370612' },
		{ code: '370612-001-001', name: '北关社区', parentCode: '370612-001' },
		{ code: '370612-001-001-001-0001', name: '1号楼', parentCode: '370612-001-001-009' }, // no such base grid
		{ code: '370612-001-001-001', name: '第一网格', parentCode: '370612-001-001' },
	];

	it('without Continue On Fail: the execution fails naming item and field, and nothing is written', async () => {
		const unitsBefore = await countIn(`SELECT count(*)::int AS n FROM grid.grid_unit`);
		const auditBefore = await countIn(`SELECT count(*)::int AS n FROM grid.audit_log`);
		expect(unitsBefore).toBe(smallDistrict().length);

		const result = await harness.runWorkflow(importUnits, { credentials: badCredentials, inputItems: batch });
		expect(result.status).toBe('error');
		expect(result.failedNode).toBe(IMPORT_NODE);
		const { error, thrown } = result.node(IMPORT_NODE);
		expect(thrown).toBeInstanceOf(NodeOperationError);
		expect(error?.name).toBe('NodeOperationError');
		expect(error?.message).toBe('Item 3, field "parentCode": unknown parent code 370612-001-001-009');
		expect((thrown as NodeOperationError).context.itemIndex).toBe(3);
		expect(result.error?.message).toBe(error?.message);

		expect(await countIn(`SELECT count(*)::int AS n FROM grid.grid_unit WHERE code LIKE '370612%'`)).toBe(0);
		expect(await countIn(`SELECT count(*)::int AS n FROM grid.grid_unit`)).toBe(unitsBefore);
		expect(await countIn(`SELECT count(*)::int AS n FROM grid.audit_log`)).toBe(auditBefore);
	});

	it('without Continue On Fail: a badly formed item fails before the database is touched', async () => {
		const bad = [...batch.slice(0, 3), { code: '370612-01', name: '坏编码', parentCode: '370612' }];
		const result = await harness.runWorkflow(importUnits, { credentials: badCredentials, inputItems: bad });
		expect(result.status).toBe('error');
		expect(result.node(IMPORT_NODE).thrown).toBeInstanceOf(NodeOperationError);
		expect(result.node(IMPORT_NODE).error?.message).toMatch(/^Item 3, field "code": /);
		expect(await countIn(`SELECT count(*)::int AS n FROM grid.grid_unit WHERE code LIKE '370612%'`)).toBe(0);
	});

	it('with Continue On Fail: good items are written, bad ones come out as error items, all paired', async () => {
		const input = [...batch, { code: 'not-a-code', name: '坏编码', parentCode: '370612' }];
		const workflow = withNodeSettings(importUnits, IMPORT_NODE, { onError: 'continueRegularOutput' });
		const result = await harness.runWorkflow(workflow, { credentials: badCredentials, inputItems: input });
		expect(result.error).toBeUndefined();
		expect(result.status).toBe('success');

		const out = result.output(IMPORT_NODE);
		expect(out).toHaveLength(input.length);
		const badIndexes = [3, 5];
		for (const item of out) {
			const k = pairedIndex(item);
			expect(k).toBeGreaterThanOrEqual(0);
			expect(k).toBeLessThan(input.length);
			if (badIndexes.includes(k)) {
				expect(item.json.itemIndex).toBe(k);
				expect(typeof item.json.error).toBe('string');
			} else {
				expect(item.json.error).toBeUndefined();
				expect(item.json.code).toBe(input[k].code);
			}
		}
		expect(out.map(pairedIndex)).toEqual(input.map((_, k) => k));
		const errors = out.filter((i) => i.json.error !== undefined);
		expect(errors.map((i) => [i.json.itemIndex, i.json.field])).toEqual([[3, 'parentCode'], [5, 'code']]);
		expect(errors[0].json.error).toBe('Item 3, field "parentCode": unknown parent code 370612-001-001-009');
		expect(errors[1].json.error).toMatch(/^Item 5, field "code": /);

		const written = await badDb.query<{ code: string; parent: string | null }>(
			`SELECT u.code, p.code AS parent FROM grid.grid_unit u LEFT JOIN grid.grid_unit p ON p.id = u.parent_id
			WHERE u.code LIKE '370612%' ORDER BY u.code`,
		);
		const good = input.filter((_, k) => !badIndexes.includes(k));
		expect(written).toEqual(good.map((u) => ({ code: u.code, parent: u.parentCode ?? null })).sort((a, b) => String(a.code).localeCompare(String(b.code))));
	});
});

describe('connections under load', () => {
	it('1,000 executions with Max Connections 3 never hold more than 3 connections', async () => {
		const loadDb = await createTestDatabase('wf_pool');
		const watcher = new Client({ connectionString: loadDb.url });
		try {
			const creds = { gridGovernancePostgres: gridCredentials(loadDb.config({ maxConnections: 3 })) };
			const district = smallDistrict();
			const seeded = await harness.runWorkflow(importUnits, { credentials: creds, inputItems: district });
			expect(seeded.error).toBeUndefined();
			const poolModule = harness.distModule<{ openPoolCount: () => number }>('nodes/shared/db/pool');
			const poolsBefore = poolModule.openPoolCount();

			await watcher.connect();
			let peak = 0;
			let samples = 0;
			let sampling = true;
			const sampler = (async () => {
				while (sampling) {
					const r = await watcher.query(
						`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'n8n-grid-governance'`,
						[loadDb.name],
					);
					peak = Math.max(peak, r.rows[0].n);
					samples++;
					await new Promise((res) => setTimeout(res, 5));
				}
			})();

			const total = 1000;
			const concurrency = 20;
			let next = 0;
			let ok = 0;
			const workers = Array.from({ length: concurrency }, async () => {
				for (let i = next++; i < total; i = next++) {
					const code = district[i % district.length].code as string;
					const result = await harness.runWorkflow(getUnit, { credentials: creds, inputItems: [{ code }] });
					if (result.error) throw new Error(`execution ${i} failed: ${result.error.message}`);
					const [item] = result.output('Get Unit');
					if (item.json.code !== code || pairedIndex(item) !== 0) throw new Error(`execution ${i} returned ${JSON.stringify(item)}`);
					ok++;
				}
			});
			try {
				await Promise.all(workers);
			} finally {
				sampling = false;
				await sampler;
			}
			expect(ok).toBe(total);
			expect(samples).toBeGreaterThan(10);
			expect(peak).toBeGreaterThan(0);
			expect(peak).toBeLessThanOrEqual(3);
			// all executions shared the pool the seeding opened: none was added
			expect(poolModule.openPoolCount()).toBe(poolsBefore);
		} finally {
			await watcher.end().catch(() => undefined);
			await harness.closeGridPools();
			await loadDb.drop();
		}
	});
});
