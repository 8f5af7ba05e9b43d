/**
 * Imports of more than one chunk (5,000 items): the pipeline that checks one chunk while the database
 * writes the one before must give what checking the whole batch first would. A failing item in a
 * later chunk undoes the earlier chunks (without Continue On Fail), every failing item is reported,
 * duplicates across chunks name both items, and a second import of the same people updates them.
 */
import { closeAllPools } from '../../nodes/shared/db/pool';
import { type RawResident, checkResident } from '../../nodes/shared/domain/resident/residentInput';
import { type SaveOptions, importResidents } from '../../nodes/shared/domain/resident/residentSave';
import { DEFAULT_SEGMENT_WIDTHS } from '../../nodes/shared/validation/gridCode';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { idFor, mobile } from '../helpers/people';
import { run, seedSmallDistrict } from '../helpers/uow';

const N = 12_000;
const BUILDINGS = ['370614-001-001-001-0001', '370614-001-001-001-0002', '370614-002-001-001-0001'];
const BAD = 7_500; // second chunk: a wrong check character
const REPEAT = 11_000; // third chunk: the document of item 100 (first chunk)

let db: TestDatabase;

/** Valid, distinct ID numbers: birth dates walk forward one day per 999 people. */
function people(): RawResident[] {
	return Array.from({ length: N }, (_, i) => {
		const day = new Date(Date.UTC(1960, 0, 1) + Math.floor(i / 999) * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
		return { name: `居民${i}`, documentNumber: idFor('370614', day, 1 + (i % 999)), phone: mobile(i), buildingCode: BUILDINGS[i % 3], roomNo: String(100 + (i % 50)) };
	});
}

const importAll = (raw: RawResident[], opts: Partial<SaveOptions> = {}, partial = false) =>
	run(db.config(), (uow) => importResidents(uow, {
		length: raw.length,
		resident: (i) => checkResident(raw[i], { widths: DEFAULT_SEGMENT_WIDTHS, allowCustomTags: false }),
	}, { mode: 'create', matchPhoneAndName: false, storeFullDocument: false, ...opts }), partial);

const footprint = async () =>
	(await db.query<Record<string, number>>(`SELECT (SELECT count(*)::int FROM grid.resident) AS residents, (SELECT count(*)::int FROM grid.household) AS households,
		(SELECT count(*)::int FROM grid.audit_log) AS audit`))[0];

function withFailures(): RawResident[] {
	const raw = people();
	const n = raw[BAD].documentNumber as string;
	raw[BAD] = { ...raw[BAD], documentNumber: `${n.slice(0, 17)}${n[17] === '0' ? '1' : '0'}` };
	raw[REPEAT] = { ...raw[REPEAT], documentNumber: raw[100].documentNumber };
	return raw;
}

beforeAll(async () => {
	db = await createTestDatabase('resident_import');
	await seedSmallDistrict(db.config());
});

afterAll(async () => {
	await closeAllPools();
	await db.drop();
});

describe('an import of several chunks', () => {
	it('writes nothing when an item of a later chunk fails, and reports every failing item', async () => {
		const before = await footprint();
		const outcomes = await importAll(withFailures());
		const failed = outcomes.flatMap((o, i) => (o.ok ? [] : [[i, o.error.message]]));
		expect(failed).toEqual([
			[BAD, expect.stringMatching(/fails the GB 11643 check/)],
			[REPEAT, `the same document number is given in items 100 and ${REPEAT}`],
		]);
		expect(outcomes.filter((o) => o.ok && Array.isArray(o.value))).toHaveLength(N - 2);
		expect(await footprint()).toEqual(before);
	});

	it('with Continue On Fail writes every other item, each described as written', async () => {
		const outcomes = await importAll(withFailures(), {}, true);
		expect(outcomes.flatMap((o, i) => (o.ok ? [] : [i]))).toEqual([BAD, REPEAT]);
		const created = outcomes.flatMap((o) => (o.ok && !Array.isArray(o.value) ? [o.value] : []));
		expect(created).toHaveLength(N - 2);
		expect(new Set(created.map((r) => r.id)).size).toBe(N - 2);
		const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.resident WHERE name LIKE '居民%'`);
		expect(n).toBe(N - 2);
		// what the outcomes say is what was written
		const sample = created.filter((_, k) => k % 997 === 0);
		const rows = await db.query<{ id: number; name: string; household_id: number; code: string; phone_masked: string }>(
			`SELECT r.id::int, r.name, r.household_id::int, b.code, r.phone_masked FROM grid.resident r JOIN grid.grid_unit b ON b.id = r.unit_id
			WHERE r.id = ANY($1::bigint[]) ORDER BY r.id`, [sample.map((r) => r.id)]);
		expect(rows).toEqual(sample.map((r) => ({ id: r.id, name: r.name, household_id: r.householdId, code: r.buildingCode, phone_masked: r.phone })).sort((a, b) => a.id - b.id));
	});

	it('refuses registered documents in create mode, and updates them in upsert mode', async () => {
		const raw = people();
		const again = await importAll(raw);
		// all but the two that failed before are registered; so nothing is written
		expect(again.flatMap((o, i) => (o.ok ? [i] : []))).toEqual([BAD, REPEAT]);
		expect(again.filter((o) => !o.ok && /already registered/.test(o.error.message))).toHaveLength(N - 2);
		const before = await footprint();
		const upserted = await importAll(raw.map((r) => ({ ...r, phone: mobile(500_000) })), { mode: 'upsert' });
		const operations = upserted.map((o) => (o.ok && !Array.isArray(o.value) ? o.value.operation : 'failed'));
		expect(operations.filter((o) => o === 'created')).toHaveLength(2); // the two refused before
		expect(operations.filter((o) => o === 'updated')).toHaveLength(N - 2);
		expect((await footprint()).residents).toBe(before.residents + 2);
		const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.resident WHERE phone_masked = '138****0000' AND name LIKE '居民%'`);
		expect(n).toBe(N);
	});
});
