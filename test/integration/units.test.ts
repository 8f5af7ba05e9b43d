import { closeAllPools } from '../../nodes/shared/db/pool';
import { FieldError } from '../../nodes/shared/validation/errors';
import {
	ancestors, createUnits, deactivateUnit, getUnits, listUnits, moveUnit,
} from '../../nodes/shared/domain/grid/units';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { run, seedSmallDistrict, units } from '../helpers/uow';

let db: TestDatabase;

beforeAll(async () => {
	db = await createTestDatabase('units');
	await seedSmallDistrict(db.config());
});

afterAll(async () => {
	await closeAllPools();
	await db.drop();
});

const count = async (table: string) => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM grid.${table}`))[0].n);

describe('creating and importing units', () => {
	it('builds the tree with levels, parents and paths from a list in any order', async () => {
		const outcomes = await run(db.config(), (uow) =>
			createUnits(uow, units([
				{ code: '370614-001-003-001', name: '网格3-1', parentCode: '370614-001-003' },
				{ code: '370614-001-003-001-0001', name: '1号楼', parentCode: '370614-001-003-001' },
				{ code: '370614-001-003', name: '社区3', parentCode: '370614-001' },
			])),
		);
		expect(outcomes.every((o) => o.ok)).toBe(true);
		const rows = await db.query<{ code: string; level: number; path: string; parent: string | null }>(
			`SELECT u.code, u.level, u.path, p.code AS parent FROM grid.grid_unit u LEFT JOIN grid.grid_unit p ON p.id = u.parent_id
			WHERE u.code LIKE '370614-001-003%' ORDER BY u.level`,
		);
		expect(rows.map((r) => [r.code, r.level, r.parent])).toEqual([
			['370614-001-003', 3, '370614-001'],
			['370614-001-003-001', 4, '370614-001-003'],
			['370614-001-003-001-0001', 5, '370614-001-003-001'],
		]);
		// each path is the parent's path plus the unit's own id
		for (let i = 1; i < rows.length; i++) expect(rows[i].path.startsWith(rows[i - 1].path)).toBe(true);
	});

	const rejected: Array<[string, Parameters<typeof units>[0], string, RegExp]> = [
		['an unknown parent code', [{ code: '370614-009-001', name: '社区', parentCode: '370614-009' }], 'Parent Code', /unknown parent code 370614-009/],
		['a wrong level', [{ code: '370614-001-001-009', name: '网格', parentCode: '370614-001' }], 'Level', /parent must be a community \(level 3\); 370614-001 is level 2/],
		['a duplicate code within the batch', [
			{ code: '370614-002-009', name: 'a', parentCode: '370614-002' },
			{ code: '370614-002-009', name: 'b', parentCode: '370614-002' },
		], 'Code', /appears twice in this batch: items 0 and 1/],
		['a duplicate code against the database', [{ code: '370614-001-001', name: '社区', parentCode: '370614-001' }], 'Code', /370614-001-001 already exists/],
		['a cycle within the batch', [
			{ code: '370614-002-008-001', name: 'a', parentCode: '370614-002-008-002' },
			{ code: '370614-002-008-002', name: 'b', parentCode: '370614-002-008-001' },
		], 'Parent Code', /cycle/],
		['a code that does not extend the parent code', [{ code: '370614-002-007', name: 'x', parentCode: '370614-001' }], 'Code', /must extend its parent's code 370614-001/],
	];

	it.each(rejected)('rejects %s, naming the field, and writes nothing', async (_label, raw, field, message) => {
		const before = [await count('grid_unit'), await count('audit_log')];
		const outcomes = await run(db.config(), (uow) => createUnits(uow, units(raw)));
		const errors = outcomes.filter((o) => !o.ok).map((o) => (o.ok ? null : o.error));
		expect(errors.length).toBeGreaterThan(0);
		expect(errors.some((e) => e!.field === field && message.test(e!.message))).toBe(true);
		expect([await count('grid_unit'), await count('audit_log')]).toEqual(before);
	});

	it.each([
		['a malformed code', { code: '37061-001', name: 'x' }, 'Code', /6-digit GB\/T 2260 county code/],
		['a segment of the wrong width', { code: '370614-01', name: 'x' }, 'Code', /exactly 3 digits/],
		['a province code', { code: '370000', name: 'x' }, 'Code', /province or city code/],
		['an empty name', { code: '370614-001', name: '   ' }, 'Name', /required but empty/],
		['a name over 200 characters', { code: '370614-001', name: '长'.repeat(201) }, 'Name', /201 characters long; at most 200/],
		['a level that does not fit the code', { code: '370614-001', name: 'x', level: 3 }, 'Level', /Level 3 does not fit/],
	])('rejects %s before touching the database', (_label, raw, field, message) => {
		let caught: unknown;
		try {
			units([raw]);
		} catch (e) {
			caught = e;
		}
		expect(caught).toBeInstanceOf(FieldError);
		expect((caught as FieldError).field).toBe(field);
		expect((caught as FieldError).message).toMatch(message);
	});

	it('in partial mode writes the good items, and rejects children of rejected parents', async () => {
		const before = await count('grid_unit');
		const outcomes = await run(db.config(), (uow) => createUnits(uow, units([
			{ code: '370614-002-005', name: '好社区', parentCode: '370614-002' },
			{ code: '370614-002-006', name: '坏社区', parentCode: '370614-001' },
			{ code: '370614-002-006-001', name: '坏网格', parentCode: '370614-002-006' },
		])), true);
		expect(outcomes.map((o) => o.ok)).toEqual([true, false, false]);
		const third = outcomes[2];
		expect(!third.ok && third.error.message).toMatch(/item 1\) was rejected/);
		expect(await count('grid_unit')).toBe(before + 1);
	});
});

describe('reading the tree', () => {
	it('gets units by code and id, and names unknown ones', async () => {
		const [byCode] = await run(db.config(), (uow) => getUnits(uow, [{ code: '370614-001-001' }]));
		expect(byCode.ok && !Array.isArray(byCode.value) && byCode.value.name).toBe('社区1-1');
		const id = byCode.ok && !Array.isArray(byCode.value) ? byCode.value.id : 0;
		const [byId, missing] = await run(db.config(), (uow) => getUnits(uow, [{ id }, { code: '370614-005' }]));
		expect(byId.ok && !Array.isArray(byId.value) && byId.value.code).toBe('370614-001-001');
		expect(!missing.ok && missing.error.message).toBe('unknown grid unit 370614-005');
	});

	it('lists a subtree by level, in path order, with a limit', async () => {
		const buildings = await run(db.config(), (uow) => listUnits(uow, { root: { code: '370614-002' }, includeRoot: true, levels: [5], activeOnly: true }));
		const expected = await db.query<{ code: string }>(
			`SELECT u.code FROM grid.grid_unit u WHERE u.level = 5 AND u.code LIKE '370614-002-%' AND u.active`,
		);
		expect(buildings.map((b) => b.code).sort()).toEqual(expected.map((r) => r.code).sort());
		const limited = await run(db.config(), (uow) => listUnits(uow, { root: { code: '370614' }, includeRoot: false, activeOnly: true, limit: 3 }));
		expect(limited).toHaveLength(3);
		expect(limited.map((u) => u.code)).not.toContain('370614');
	});

	it('returns the ancestors from the district down', async () => {
		const chain = await run(db.config(), (uow) => ancestors(uow, { code: '370614-001-002-001-0002' }, true));
		expect(chain.map((u) => u.code)).toEqual(['370614', '370614-001', '370614-001-002', '370614-001-002-001', '370614-001-002-001-0002']);
	});

	it('uses the path index to list a street subtree', async () => {
		// enough units that the planner has a real choice to make
		const many: Array<{ code: string; name: string; parentCode: string }> = [];
		for (let c = 10; c < 40; c++) {
			const cc = `370614-002-0${c}`;
			many.push({ code: cc, name: `c${c}`, parentCode: '370614-002' });
			for (let g = 1; g <= 9; g++) {
				const gc = `${cc}-00${g}`;
				many.push({ code: gc, name: `g${g}`, parentCode: cc });
				for (let b = 1; b <= 9; b++) many.push({ code: `${gc}-000${b}`, name: `b${b}`, parentCode: gc });
			}
		}
		await run(db.config(), (uow) => createUnits(uow, units(many)));
		await db.query('ANALYZE grid.grid_unit');
		const [{ path }] = await db.query<{ path: string }>(`SELECT path FROM grid.grid_unit WHERE code = '370614-001'`);
		const plan = await db.query<{ 'QUERY PLAN': string }>(
			`EXPLAIN SELECT u.code FROM grid.grid_unit u WHERE u.path >= $1 AND u.path < $2 AND u.path > $1 ORDER BY u.path LIMIT 2000`,
			[path, `${path}~`],
		);
		const text = plan.map((r) => r['QUERY PLAN']).join('\n');
		expect(text).toMatch(/Index (Only )?Scan using grid_unit_path_idx/);
		const byLevel = await db.query<{ 'QUERY PLAN': string }>(
			`EXPLAIN SELECT u.code FROM grid.grid_unit u WHERE u.path >= $1 AND u.path < $2 AND u.level = ANY('{4}') ORDER BY u.path LIMIT 2000`,
			[path, `${path}~`],
		);
		expect(byLevel.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/grid_unit_(level_)?path_idx/);
	});
});

describe('moving and deactivating', () => {
	it('moves a community with its subtree and rewrites every path below it', async () => {
		const result = await run(db.config(), (uow) => moveUnit(uow, { code: '370614-001-002' }, { code: '370614-002' }));
		expect(result.previousParentCode).toBe('370614-001');
		expect(result.parentCode).toBe('370614-002');
		const rows = await db.query<{ code: string; path: string }>(
			`SELECT code, path FROM grid.grid_unit WHERE code LIKE '370614-001-002%'`,
		);
		const [{ path: street }] = await db.query<{ path: string }>(`SELECT path FROM grid.grid_unit WHERE code = '370614-002'`);
		expect(rows.length).toBe(result.movedUnits);
		for (const r of rows) expect(r.path.startsWith(street)).toBe(true);
		const chain = await run(db.config(), (uow) => ancestors(uow, { code: '370614-001-002-001-0001' }, false));
		expect(chain.map((u) => u.code)).toEqual(['370614', '370614-002', '370614-001-002', '370614-001-002-001']);
	});

	it('refuses a move that would create a cycle or break the levels', async () => {
		await expect(run(db.config(), (uow) => moveUnit(uow, { code: '370614-001' }, { code: '370614-001-001-001' })))
			.rejects.toThrow(/own subtree, so the move would create a cycle/);
		await expect(run(db.config(), (uow) => moveUnit(uow, { code: '370614-001-001-001' }, { code: '370614-002' })))
			.rejects.toThrow(/new parent must be level 3/);
	});

	it('refuses to deactivate a unit with active children unless cascading', async () => {
		await expect(run(db.config(), (uow) => deactivateUnit(uow, { code: '370614-001-001' }, false)))
			.rejects.toThrow(/still has 2 active child unit\(s\)/);
		const [{ n: subtree }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.grid_unit WHERE code LIKE '370614-001-001%' AND active`);
		const result = await run(db.config(), (uow) => deactivateUnit(uow, { code: '370614-001-001' }, true));
		expect(subtree).toBe(7);
		expect(result.deactivatedUnits).toBe(subtree);
		const active = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.grid_unit WHERE code LIKE '370614-001-001%' AND active`);
		expect(active[0].n).toBe(0);
	});
});

describe('audit', () => {
	it('records every inserted and changed unit with the actor', async () => {
		const rows = await db.query<{ action: string; n: number; actor: Record<string, string> }>(
			`SELECT action, count(*)::int AS n, min(actor::text)::jsonb AS actor FROM grid.audit_log WHERE entity = 'grid_unit' GROUP BY action ORDER BY action`,
		);
		const units = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.grid_unit`);
		expect(rows.find((r) => r.action === 'insert')!.n).toBe(units[0].n);
		expect(rows.find((r) => r.action === 'update')!.n).toBeGreaterThan(0);
		expect(rows[0].actor).toMatchObject({ workflowId: 'wf-test', executionId: 'ex-test', node: 'test' });
	});

	it('refuses UPDATE, DELETE and TRUNCATE on the audit log, even for its owner', async () => {
		await expect(db.query(`UPDATE grid.audit_log SET action = 'x'`)).rejects.toThrow(/append-only/);
		await expect(db.query(`DELETE FROM grid.audit_log`)).rejects.toThrow(/append-only/);
		await expect(db.query(`TRUNCATE grid.audit_log`)).rejects.toThrow(/append-only/);
	});
});
