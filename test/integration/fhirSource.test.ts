/**
 * The FHIR export's source against real PostgreSQL: the units of a subtree parents first, the body
 * temperatures taken in the period and the tasks created or changed in it, each exactly once across
 * keyset pages, nothing from outside the subtree or the period, and the credential's scope obeyed.
 * Observations and tasks are written by admin SQL so that the test depends on the schema only.
 */
import { closeAllPools } from '../../nodes/shared/db/pool';
import type { UnitOfWork } from '../../nodes/shared/domain/context';
import { collectText } from '../../nodes/shared/domain/export/document';
import { type FhirSourceRecord, fhirExport } from '../../nodes/shared/domain/export/fhir';
import { fhirRecords } from '../../nodes/shared/domain/export/fhirSource';
import { parsePeriodId } from '../../nodes/shared/domain/stats/period';
import { FieldError } from '../../nodes/shared/validation/errors';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { run, seedSmallDistrict } from '../helpers/uow';

let db: TestDatabase;
const STREET = '370614-001';
const B1 = '370614-001-001-001-0001';
const B2 = '370614-001-002-002-0002';
const OTHER = '370614-002-001-001-0001';
// 2026-11-26 in Asia/Shanghai: [2026-11-25T16:00Z, 2026-11-26T16:00Z)
const DAY = parsePeriodId('20261126', 'Asia/Shanghai');
const IN = '2026-11-26T02:00:00Z';
const BEFORE = '2026-11-25T15:59:59Z';
const AFTER = '2026-11-26T16:00:00Z';
const ids = { obsIn: [] as number[], taskIn: [] as number[] };
let streetPath = '';

const pathOf = async (code: string) => (await db.query<{ path: string }>(`SELECT path FROM grid.grid_unit WHERE code = $1`, [code]))[0].path;

async function resident(unit: string, name: string): Promise<number> {
	const [r] = await db.query<{ id: string }>(
		`INSERT INTO grid.resident (unit_id, name, birth_year) SELECT id, $2, 1960 FROM grid.grid_unit WHERE code = $1 RETURNING id`, [unit, name]);
	return Number(r.id);
}

async function observation(residentId: number, unit: string, at: string, temperature: number | null): Promise<number> {
	const [r] = await db.query<{ id: string }>(
		`INSERT INTO grid.health_observation (resident_id, unit_id, observed_at, temperature_c, fever, symptoms, source)
		SELECT $1, id, $3::timestamptz, $4::numeric, coalesce($4::numeric >= 37.3, false), CASE WHEN $4::numeric IS NULL THEN '{cough}'::text[] ELSE '{}' END, 'door_visit'
		FROM grid.grid_unit WHERE code = $2 RETURNING id`, [residentId, unit, at, temperature]);
	return Number(r.id);
}

async function task(unit: string, title: string, createdAt: string, updatedAt: string, status = 'open'): Promise<number> {
	const [r] = await db.query<{ id: string }>(
		`INSERT INTO grid.task (kind, title, unit_id, status, created_at, updated_at, due_at)
		SELECT 'temperature_check', $2, id, $5, $3::timestamptz, $4::timestamptz, $3::timestamptz + interval '4 hours' FROM grid.grid_unit WHERE code = $1 RETURNING id`,
		[unit, title, createdAt, updatedAt, status]);
	return Number(r.id);
}

const collect = async (uow: UnitOfWork, unitPath: string, pageSize?: number) => {
	const out: FhirSourceRecord[] = [];
	for await (const r of fhirRecords(uow, { unitPath, period: DAY, pageSize })) out.push(r);
	return out;
};

beforeAll(async () => {
	db = await createTestDatabase('fhirsource');
	await seedSmallDistrict(db.config());
	streetPath = await pathOf(STREET);
	const r1 = await resident(B1, '王大爷');
	const r2 = await resident(B2, '李阿姨');
	const r3 = await resident(OTHER, '外街居民');
	ids.obsIn.push(await observation(r1, B1, IN, 38.4));
	ids.obsIn.push(await observation(r2, B2, IN, 36.5));
	ids.obsIn.push(await observation(r1, B1, '2026-11-26T15:59:59Z', 37.0));
	ids.obsIn.push(await observation(r2, B2, '2026-11-25T16:00:00Z', 36.8));
	ids.obsIn.push(await observation(r1, B1, '2026-11-26T08:00:00Z', 37.5));
	await observation(r1, B1, IN, null); // symptoms only: no temperature to send
	await observation(r1, B1, BEFORE, 38.0);
	await observation(r2, B2, AFTER, 38.0);
	await observation(r3, OTHER, IN, 39.0);
	ids.taskIn.push(await task(B1, '测温 1', IN, IN));
	ids.taskIn.push(await task(B2, '测温 2', '2026-11-20T02:00:00Z', IN, 'done')); // created before, changed in the period
	ids.taskIn.push(await task('370614-001-001', '社区测温', IN, IN, 'in_progress'));
	await task(B1, '旧任务', '2026-11-20T02:00:00Z', '2026-11-21T02:00:00Z');
	await task(B1, '明天的任务', AFTER, AFTER);
	await task(OTHER, '外街任务', IN, IN);
});

afterAll(async () => {
	await closeAllPools();
	await db.drop();
});

describe('fhirRecords', () => {
	it.each([1, 2, 3, 1000])('returns every record of the subtree and period once with page size %i', async (pageSize) => {
		const records = await run(db.config(), (uow) => collect(uow, streetPath, pageSize));
		const units = records.filter((r) => r.type === 'unit');
		// the street, 2 communities, 4 grids, 8 buildings
		expect(units).toHaveLength(15);
		expect(new Set(units.map((u) => u.code)).size).toBe(15);
		expect(units.every((u) => u.code.startsWith(STREET))).toBe(true);
		const observations = records.filter((r) => r.type === 'observation').map((r) => r.id);
		expect(observations).toEqual([...ids.obsIn].sort((a, b) => a - b));
		const tasks = records.filter((r) => r.type === 'task').map((r) => r.id);
		expect(tasks).toEqual([...ids.taskIn].sort((a, b) => a - b));
		// units, then observations, then tasks
		const kinds = records.map((r) => r.type);
		expect(kinds).toEqual([...Array(15).fill('unit'), ...Array(5).fill('observation'), ...Array(3).fill('task')]);
	});

	it('lists parents before their children and names each parent', async () => {
		const units = (await run(db.config(), (uow) => collect(uow, streetPath, 4))).filter((r) => r.type === 'unit');
		const seen = new Set<string>();
		for (const u of units) {
			if (u.code !== STREET) expect(seen.has(u.parentCode!)).toBe(true);
			seen.add(u.code);
		}
		expect(units[0]).toMatchObject({ code: STREET, level: 2, parentCode: '370614', parentName: '蓬莱区', active: true });
		expect(units.find((u) => u.code === B1)).toMatchObject({ level: 5, parentCode: '370614-001-001-001', parentName: '网格1-1-1', name: '1号楼' });
	});

	it('reads temperatures as numbers with the fever flag, resident and unit', async () => {
		const records = await run(db.config(), (uow) => collect(uow, streetPath));
		const first = records.find((r) => r.type === 'observation' && r.id === ids.obsIn[0]);
		expect(first).toEqual({ type: 'observation', id: ids.obsIn[0], residentId: expect.any(Number), unitCode: B1, observedAt: '2026-11-26T02:00:00.000Z', temperatureC: 38.4, fever: true });
		const done = records.find((r) => r.type === 'task' && r.id === ids.taskIn[1]);
		expect(done).toMatchObject({ status: 'done', kind: 'temperature_check', unitCode: B2, createdAt: '2026-11-20T02:00:00.000Z', updatedAt: '2026-11-26T02:00:00.000Z', dueAt: '2026-11-20T06:00:00.000Z' });
	});

	it('narrows to a building', async () => {
		const b1 = await pathOf(B1);
		const own = await run(db.config(), (uow) => collect(uow, b1, 2));
		expect(own.filter((r) => r.type === 'unit').map((r) => (r as { code: string }).code)).toEqual([B1]);
		expect(own.filter((r) => r.type === 'observation')).toHaveLength(3);
		expect(own.filter((r) => r.type === 'task').map((r) => r.id)).toEqual([ids.taskIn[0]]);
	});

	it('obeys the credential scope, which row-level security enforces', async () => {
		const scoped = db.config({ scopeCode: '370614-001-002' });
		const records = await run(scoped, (uow) => collect(uow, streetPath, 2));
		const units = records.filter((r) => r.type === 'unit');
		expect(units).toHaveLength(7);
		expect(units.every((u) => u.code.startsWith('370614-001-002'))).toBe(true);
		// its parent lies outside the scope: no name of it leaks
		expect(units[0]).toMatchObject({ code: '370614-001-002', parentCode: null, parentName: null });
		expect(records.filter((r) => r.type === 'observation').map((r) => r.id)).toEqual([ids.obsIn[1], ids.obsIn[3]]);
		expect(records.filter((r) => r.type === 'task').map((r) => r.id)).toEqual([ids.taskIn[1]]);
	});

	it('refuses a malformed path and page size', async () => {
		await expect(run(db.config(), (uow) => collect(uow, '370614'))).rejects.toBeInstanceOf(FieldError);
		await expect(run(db.config(), (uow) => collect(uow, streetPath, 0))).rejects.toThrow('Page Size');
	});

	it('feeds a FHIR bundle inside one unit of work, the same on a second pass', async () => {
		const [first, second] = await run(db.config(), async (uow) => {
			const doc = fhirExport(() => fhirRecords(uow, { unitPath: streetPath, period: DAY, pageSize: 2 }), { unitCode: STREET, period: DAY });
			return [await collectText(doc), await collectText(doc)];
		});
		expect(second).toBe(first);
		const bundle = JSON.parse(first);
		expect(bundle.type).toBe('transaction');
		const types = bundle.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType);
		expect(types.filter((t: string) => t === 'Location')).toHaveLength(15);
		expect(types.filter((t: string) => t === 'Observation')).toHaveLength(5);
		expect(types.filter((t: string) => t === 'Task')).toHaveLength(3);
		// no resident's name reaches the bundle
		expect(first).not.toContain('王大爷');
		expect(first).not.toContain('李阿姨');
	});
});
