import { closeAllPools } from '../../nodes/shared/db/pool';
import { assignStaff } from '../../nodes/shared/domain/grid/assignments';
import { createStaff } from '../../nodes/shared/domain/grid/staff';
import { createHouseholds, listHouseholds } from '../../nodes/shared/domain/resident/households';
import { deactivateResident, moveResident, updateResident } from '../../nodes/shared/domain/resident/lifecycle';
import { listObservations, recordObservations, setHealthStatus } from '../../nodes/shared/domain/resident/health';
import { type NewResident, checkResident } from '../../nodes/shared/domain/resident/residentInput';
import { residentCreation } from '../../nodes/shared/domain/resident/residentAudit';
import { getResidents, saveResidents } from '../../nodes/shared/domain/resident/residents';
import { searchResidents } from '../../nodes/shared/domain/resident/search';
import { recordExposures, trace } from '../../nodes/shared/domain/resident/tracing';
import { verifyList } from '../../nodes/shared/domain/resident/verification';
import { DEFAULT_SEGMENT_WIDTHS } from '../../nodes/shared/validation/gridCode';
import { idNumber } from '../../nodes/shared/validation/idNumber';
import { phone } from '../../nodes/shared/validation/phone';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { idFor, mobile } from '../helpers/people';
import { run, seedSmallDistrict } from '../helpers/uow';

let db: TestDatabase;
const B1 = '370614-001-001-001-0001';
const B2 = '370614-001-001-001-0002';
const B_OTHER = '370614-002-001-001-0001';
const rules = { widths: DEFAULT_SEGMENT_WIDTHS, allowCustomTags: false };
const resident = (raw: Parameters<typeof checkResident>[0]) => checkResident(raw, rules);
const save = (inputs: NewResident[], mode: 'create' | 'upsert' = 'create', partial = false, extra = {}) =>
	run(db.config(), (uow) => saveResidents(uow, inputs, { mode, matchPhoneAndName: false, storeFullDocument: false, ...extra }), partial);
const count = async (table: string) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.${table}`))[0].n;

const wang = idFor('370614', '19500101', 123);
const li = idFor('370614', '19880808', 224);
const zhao = idFor('370614', '20150505', 31);

beforeAll(async () => {
	db = await createTestDatabase('residents');
	await seedSmallDistrict(db.config());
	await run(db.config(), async (uow) => {
		await createStaff(uow, [{ name: '网格长甲', unit: { code: '370614-001-001' }, staffNo: 'G1' }, { name: '社工乙', unit: { code: '370614-001-001' }, staffNo: 'C1' }]);
		await assignStaff(uow, [
			{ staff: { staffNo: 'G1' }, unit: { code: '370614-001-001-001' }, role: 'grid_head' },
			{ staff: { staffNo: 'C1' }, unit: { code: '370614-001-002' }, role: 'community_worker' },
		]);
	});
	await db.query(`UPDATE grid.grid_unit SET address = '蓬莱区钟楼北路12号' WHERE code = $1`, [B2]);
});

afterAll(async () => {
	await closeAllPools();
	await db.drop();
});

describe('households', () => {
	it('creates households only in buildings', async () => {
		const outcomes = await run(db.config(), (uow) => createHouseholds(uow, [
			{ unit: { code: B1 }, unitNo: '1', roomNo: '101' },
			{ unit: { code: '370614-001-001-001' }, roomNo: '102' },
		]), true);
		expect(outcomes[0].ok).toBe(true);
		expect(!outcomes[1].ok && outcomes[1].error.message).toMatch(/a household belongs to a building \(level 5\); 370614-001-001-001 is a base grid/);
		const list = await run(db.config(), (uow) => listHouseholds(uow, { code: '370614-001' }));
		expect(list.map((h) => h.roomNo)).toEqual(['101']);
	});
});

describe('the registry', () => {
	it('registers residents with protected documents and phones, deriving birth year and sex', async () => {
		const outcomes = await save([
			resident({ name: '王大爷', documentNumber: wang, phone: mobile(1), buildingCode: B1, unitNo: '1', roomNo: '101', tags: 'elderly_living_alone,chronic_illness' }),
			resident({ name: '李娜', documentNumber: li, phone: mobile(2), buildingCode: B1, unitNo: '1', roomNo: '102' }),
			resident({ name: '赵小宝', documentNumber: zhao, buildingCode: B2, roomNo: '201', tags: ['child'] }),
		]);
		expect(outcomes.every((o) => o.ok)).toBe(true);
		const first = outcomes[0].ok && !Array.isArray(outcomes[0].value) ? outcomes[0].value : null;
		expect(first).toMatchObject({ birthYear: 1950, sex: 'M', documentNumber: `370614********${wang.slice(14)}`, phone: '138****0001', operation: 'created' });
		const raw = JSON.stringify(await db.query(`SELECT * FROM grid.resident`));
		for (const secret of [wang, li, zhao, mobile(1), mobile(2)]) expect(raw).not.toContain(secret);
		const audit = JSON.stringify(await db.query(`SELECT details FROM grid.audit_log WHERE entity = 'resident'`));
		for (const secret of [wang, li, mobile(1)]) expect(audit).not.toContain(secret);
		expect(await count('household')).toBe(3);
	});

	it.each([
		['a wrong check digit', `${wang.slice(0, 17)}${wang[17] === '0' ? '1' : '0'}`, /fails the GB 11643 check/],
		['17 digits', wang.slice(0, 17), /must be 18 characters/],
		['a birth date in the future', idFor('370614', '20991231', 1), /is in the future/],
		['an unknown region code', idFor('990614', '19900101', 1), /not a GB\/T 2260 region/],
	])('rejects an ID number with %s', (_l, number, message) => {
		expect(() => resident({ name: 'x', documentNumber: number, buildingCode: B1 })).toThrow(message);
	});

	it('converts a legacy 15-digit number', () => {
		const legacy = '370614500101123';
		const id = idNumber(legacy, 'Document Number');
		expect(id.normalized).toHaveLength(18);
		expect(id.normalized.slice(6, 10)).toBe('1950');
	});

	it.each([
		['a 10-digit phone', { name: 'x', buildingCode: B1, phone: '1380535123' }, 'Phone', /is not a mainland mobile number/],
		['an unknown tag', { name: 'x', buildingCode: B1, tags: 'vip' }, 'Tags', /unknown tag "vip"/],
		['an empty name', { name: ' ', buildingCode: B1 }, 'Name', /required but empty/],
		['a name over 100 characters', { name: '名'.repeat(101), buildingCode: B1 }, 'Name', /at most 100/],
	])('rejects %s', (_l, raw, field, message) => {
		try {
			resident(raw);
			throw new Error('accepted');
		} catch (e) {
			expect((e as { field: string }).field).toBe(field);
			expect((e as Error).message).toMatch(message);
		}
	});

	it('rejects a household in a unit that is not a building, and an unknown unit, writing nothing', async () => {
		const before = await count('resident');
		const outcomes = await save([
			resident({ name: '甲', buildingCode: '370614-001-001-001', roomNo: '1' }),
			resident({ name: '乙', buildingCode: '370614-009-001-001-0001' }),
			resident({ name: '丙', buildingCode: B1 }),
		]);
		expect(outcomes.map((o) => (o.ok ? 'ok' : o.error.message))).toEqual([
			expect.stringMatching(/belongs to a building/),
			expect.stringMatching(/unknown grid unit 370614-009-001-001-0001/),
			'ok',
		]);
		expect(await count('resident')).toBe(before);
	});

	it('rejects the same document twice in one batch, naming both items', async () => {
		const n = idFor('370614', '19700101', 11);
		const outcomes = await save([resident({ name: 'a', documentNumber: n, buildingCode: B1 }), resident({ name: 'b', documentNumber: n, buildingCode: B1 })]);
		expect(!outcomes[1].ok && outcomes[1].error.message).toBe('the same document number is given in items 0 and 1');
	});

	it('upserts by document and, when asked, by phone and name; creating refuses a registered document', async () => {
		const created = await save([resident({ name: '王大爷', documentNumber: wang, buildingCode: B1 })]);
		expect(!created[0].ok && created[0].error.message).toMatch(/already registered/);
		const up = await save([
			resident({ name: '王大爷', documentNumber: wang, phone: mobile(9), buildingCode: B1, unitNo: '1', roomNo: '101' }),
			resident({ name: '无证件', phone: mobile(5), buildingCode: B2 }),
		], 'upsert');
		expect(up.map((o) => o.ok && !Array.isArray(o.value) && o.value.operation)).toEqual(['updated', 'created']);
		const again = await run(db.config(), (uow) => saveResidents(uow, [resident({ name: '无证件', phone: mobile(5), buildingCode: B2 })], { mode: 'upsert', matchPhoneAndName: true, storeFullDocument: false }));
		expect(again[0].ok && !Array.isArray(again[0].value) && again[0].value.operation).toBe('updated');
	});

	it('reveals personal data only when asked, and audits who revealed it', async () => {
		const n = idFor('370614', '19600606', 55);
		await run(db.config(), (uow) => saveResidents(uow, [resident({ name: '钱', documentNumber: n, phone: mobile(7), buildingCode: B1 })], { mode: 'create', matchPhoneAndName: false, storeFullDocument: true }));
		const doc = { type: 'id_card' as const, ...idNumber(n, 'x') };
		const [masked] = await run(db.config(), (uow) => getResidents(uow, [{ document: doc }], false));
		expect(masked).toMatchObject({ phone: '138****0007', revealed: false });
		const [shown] = await run(db.config(), (uow) => getResidents(uow, [{ document: doc }], true));
		expect(shown).toMatchObject({ phone: mobile(7), documentNumber: n, revealed: true });
		const reveals = await db.query<{ actor: { node: string } }>(`SELECT actor FROM grid.audit_log WHERE action = 'reveal' AND entity = 'resident'`);
		expect(reveals).toHaveLength(1);
		expect(reveals[0].actor.node).toBe('test');
	});

	it('updates, moves with history and deactivates', async () => {
		const doc = { type: 'id_card' as const, ...idNumber(li, 'x') };
		const updated = await run(db.config(), (uow) => updateResident(uow, { document: doc }, { addTags: ['pregnant'] }));
		expect(updated.tags).toEqual(['pregnant']);
		const moved = await run(db.config(), (uow) => moveResident(uow, { document: doc }, { buildingCode: B_OTHER, roomNo: '301' }, '搬家'));
		expect(moved).toMatchObject({ buildingCode: B_OTHER, roomNo: '301', fromBuildingCode: B1 });
		const moves = await db.query<{ reason: string }>(`SELECT reason FROM grid.resident_move WHERE resident_id = $1`, [moved.id]);
		expect(moves.map((m) => m.reason)).toEqual(['搬家']);
		const gone = await run(db.config(), (uow) => deactivateResident(uow, { document: doc }, 'moved_away'));
		expect(gone).toMatchObject({ active: false, inactiveReason: 'moved_away' });
	});
});

describe('health status and observations', () => {
	const wangRef = () => ({ document: { type: 'id_card' as const, ...idNumber(wang, 'x') } });

	it('moves through allowed transitions with history, and refuses impossible ones naming both states', async () => {
		const ends = new Date(Date.now() + 7 * 86_400_000);
		const q = await run(db.config(), (uow) => setHealthStatus(uow, { resident: wangRef(), status: 'home_quarantine', reason: '密接', quarantineEndsAt: ends }));
		expect(q).toMatchObject({ healthStatus: 'home_quarantine', previousStatus: 'normal' });
		await expect(run(db.config(), (uow) => setHealthStatus(uow, { resident: wangRef(), status: 'central_quarantine', reason: 'x' })))
			.rejects.toThrow(/needs the date the quarantine ends/);
		const soon = await run(db.config(), (uow) => searchResidents(uow, { quarantineEndsWithinDays: 8, tagMatch: 'all', includeInactive: false, includeUnregistered: false, reveal: false }));
		expect(soon.map((r) => r.name)).toEqual(['王大爷']);
		await run(db.config(), (uow) => setHealthStatus(uow, { resident: wangRef(), status: 'deceased', reason: '病故' }));
		await expect(run(db.config(), (uow) => setHealthStatus(uow, { resident: wangRef(), status: 'normal', reason: 'x' })))
			.rejects.toThrow(/a resident who is Deceased \(死亡\) cannot become Normal \(正常\)/);
		const history = await db.query<{ status: string; ended_at: string | null }>(
			`SELECT h.status, h.ended_at FROM grid.health_status_history h JOIN grid.resident r ON r.id = h.resident_id WHERE r.name = '王大爷' ORDER BY h.id`);
		expect(history.map((h) => [h.status, h.ended_at === null])).toEqual([['home_quarantine', false], ['deceased', true]]);
	});

	it('records observations, flags fever at 37.3 °C, and lists them for a subtree and window', async () => {
		const zhaoRef = { document: { type: 'id_card' as const, ...idNumber(zhao, 'x') } };
		const out = await run(db.config(), (uow) => recordObservations(uow, [
			{ resident: zhaoRef, temperatureC: 37.3, symptoms: [], source: 'door_visit' },
			{ resident: zhaoRef, temperatureC: 36.6, symptoms: ['cough'], source: 'self_report' },
		]));
		expect(out.map((o) => o.ok && !Array.isArray(o.value) && o.value.fever)).toEqual([true, false]);
		const fevers = await run(db.config(), (uow) => listObservations(uow, { within: { code: '370614-001' }, from: new Date(Date.now() - 3600_000), to: new Date(Date.now() + 3600_000), feverOnly: true }));
		expect(fevers.map((o) => o.temperatureC)).toEqual([37.3]);
	});
});

describe('search', () => {
	it('filters by subtree, tags, status, age and name prefix', async () => {
		const q = { tagMatch: 'all' as const, includeInactive: true, includeUnregistered: false, reveal: false };
		const kids = await run(db.config(), (uow) => searchResidents(uow, { ...q, within: { code: '370614-001-001' }, tags: ['child'] }));
		expect(kids.map((r) => r.name)).toEqual(['赵小宝']);
		const young = await run(db.config(), (uow) => searchResidents(uow, { ...q, maxAge: 15 }));
		expect(young.map((r) => r.name)).toEqual(['赵小宝']);
		const byName = await run(db.config(), (uow) => searchResidents(uow, { ...q, namePrefix: '王' }));
		expect(byName.map((r) => r.name)).toEqual(['王大爷']);
		const dead = await run(db.config(), (uow) => searchResidents(uow, { ...q, statuses: ['deceased'] }));
		expect(dead.map((r) => r.name)).toEqual(['王大爷']);
		const byPhone = await run(db.config(), (uow) => searchResidents(uow, { ...q, phone: mobile(5) }));
		expect(byPhone.map((r) => r.name)).toEqual(['无证件']);
	});
});

describe('verification lists', () => {
	it('sorts pushed persons into matched, ambiguous and not found', async () => {
		const results = await run(db.config(), (uow) => verifyList(uow, [
			{ name: '赵小宝', document: { type: 'id_card', ...idNumber(zhao, 'x') } },
			{ name: '别人', phone: phone(mobile(5), 'p') },
			{ name: '陌生人', document: { type: 'id_card', ...idNumber(idFor('370614', '19900101', 77), 'x') }, claimedAddress: '蓬莱区钟楼北路 12号 3单元' },
			{ name: '无名', claimedAddress: '外地某处' },
		]));
		expect(results.map((r) => r.result)).toEqual(['matched', 'ambiguous', 'not_found', 'not_found']);
		const matched = results[0];
		expect(matched.result === 'matched' && matched.responsible.staff.map((s) => s.name)).toEqual(['网格长甲']);
		const amb = results[1];
		expect(amb.result === 'ambiguous' && amb.candidates[0].reasons).toEqual(['phone']);
		const nf = results[2];
		expect(nf.result === 'not_found' && nf.community?.code).toBe('370614-001-001');
		expect(results[3].result === 'not_found' && results[3].community).toBeNull();
	});
});

describe('contact tracing', () => {
	it('finds contacts within k hops with paths, closest kinds and the staff responsible', async () => {
		const people = await save([
			resident({ name: 'P0', documentNumber: idFor('370614', '19800101', 101), buildingCode: B1 }),
			resident({ name: 'P1', documentNumber: idFor('370614', '19800101', 103), buildingCode: B1 }),
			resident({ name: 'P2', documentNumber: idFor('370614', '19800101', 105), buildingCode: B2 }),
			resident({ name: 'P3', documentNumber: idFor('370614', '19800101', 107), buildingCode: B2 }),
		]);
		const id = people.map((o) => (o.ok && !Array.isArray(o.value) ? o.value.id : 0));
		const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000);
		const rec = await run(db.config(), (uow) => recordExposures(uow, [
			{ a: { resident: { id: id[0] } }, b: { resident: { id: id[1] } }, occurredAt: hoursAgo(48), place: { code: B1 }, kind: 'same_building' },
			{ a: { resident: { id: id[1] } }, b: { resident: { id: id[0] } }, occurredAt: hoursAgo(24), place: { code: B1 }, kind: 'close_contact' },
			{ a: { resident: { id: id[1] } }, b: { resident: { id: id[2] } }, occurredAt: hoursAgo(12), place: { code: B2 }, kind: 'same_checkpoint' },
			{ a: { resident: { id: id[2] } }, b: { resident: { id: id[3] } }, occurredAt: hoursAgo(6), place: { code: B2 }, kind: 'household_member' },
			{ a: { resident: { id: id[0] } }, b: { outside: { name: '快递员' } }, occurredAt: hoursAgo(30 * 24), place: { code: B1 }, kind: 'close_contact' },
		]));
		expect(rec.every((o) => o.ok)).toBe(true);
		const contacts = await run(db.config(), (uow) => trace(uow, { person: { id: id[0] }, hops: 2, windowDays: 14 }));
		expect(contacts.map((c) => [c.name, c.hops, c.closestKind])).toEqual([['P1', 1, 'close_contact'], ['P2', 2, 'same_checkpoint']]);
		expect(contacts[1].pathNames).toEqual(['P0', 'P1', 'P2']);
		expect(contacts[0].firstExposureAt < contacts[0].lastExposureAt).toBe(true);
		expect(contacts[0].responsible.staff.map((s) => s.name)).toEqual(['网格长甲']);
		const three = await run(db.config(), (uow) => trace(uow, { person: { id: id[0] }, hops: 3, windowDays: 14 }));
		expect(three.map((c) => c.name)).toEqual(['P1', 'P2', 'P3']);
	});

	it('refuses an exposure of a person with themself', async () => {
		const [o] = await run(db.config(), async (uow) => {
			const { rows } = await uow.trx.raw(`SELECT id FROM resident WHERE name = 'P1'`);
			return recordExposures(uow, [{ a: { resident: { id: rows[0].id } }, b: { resident: { id: rows[0].id } }, occurredAt: new Date(), place: { code: B1 }, kind: 'close_contact' }]);
		});
		expect(!o.ok && o.error.message).toMatch(/two different people/);
	});
});

describe('the audit of resident inserts', () => {
	const created = (outcomes: Awaited<ReturnType<typeof save>>) => outcomes.map((o) => (o.ok && !Array.isArray(o.value) ? o.value.id : 0));

	it('names every resident and household a statement created, one row per building, and tells who created any resident', async () => {
		const batch = Array.from({ length: 12 }, (_, k) =>
			resident({ name: `审计${k}`, documentNumber: idFor('370614', '19900101', 301 + 2 * k), buildingCode: k % 3 ? B1 : B_OTHER, roomNo: String(901 + (k % 2)) }));
		const outcomes = await save(batch);
		const ids = created(outcomes);
		expect(ids.every((id) => id > 0)).toBe(true);
		const households = [...new Set(outcomes.map((o) => (o.ok && !Array.isArray(o.value) ? o.value.householdId : 0)))].sort((a, b) => a! - b!);
		expect(households).toHaveLength(4);
		const householdRows = await db.query<{ ids: number[] }>(
			`SELECT details -> 'ids' AS ids FROM grid.audit_log a WHERE entity = 'household' AND action = 'insert'
				AND EXISTS (SELECT 1 FROM unnest($1::bigint[]) h WHERE a.details -> 'ids' @> to_jsonb(h)) ORDER BY id`,
			[households]);
		expect(householdRows.flatMap((r) => r.ids).sort((a, b) => a - b)).toEqual(households);
		expect(householdRows).toHaveLength(2); // one per building

		const rows = await db.query<{ unit: string; entity_id: string | null; ids: number[]; node: string }>(
			`SELECT u.code AS unit, a.entity_id, a.details -> 'ids' AS ids, a.actor ->> 'node' AS node
			FROM grid.audit_log a JOIN grid.grid_unit u ON u.id = a.unit_id
			WHERE a.entity = 'resident' AND a.action = 'insert'
				AND a.tx = (SELECT tx FROM grid.audit_log WHERE entity = 'resident' AND action = 'insert' AND details -> 'ids' @> to_jsonb($1::bigint))
			ORDER BY u.code`, [ids[0]]);
		const inBuilding = (code: string) => ids.filter((_, k) => (k % 3 ? B1 : B_OTHER) === code).sort((a, b) => a - b);
		expect(rows).toEqual([
			{ unit: B1, entity_id: null, ids: inBuilding(B1), node: 'test' },
			{ unit: B_OTHER, entity_id: null, ids: inBuilding(B_OTHER), node: 'test' },
		]);

		const who = await run(db.config(), (uow) => residentCreation(uow, ids));
		expect(ids.map((id) => who.get(id)?.actor)).toEqual(ids.map(() => expect.objectContaining({ node: 'test', workflowId: 'wf-test', executionId: 'ex-test' })));
		// a scoped credential sees the creation of the residents in its buildings only
		const scoped = await run(db.config({ scopeCode: '370614-001' }), (uow) => residentCreation(uow, ids));
		expect([...scoped.keys()].sort((a, b) => a - b)).toEqual(inBuilding(B1));
	});

	it('names a resident created alone in entity_id as well', async () => {
		const [id] = created(await save([resident({ name: '单独', documentNumber: idFor('370614', '19900101', 399), buildingCode: B2 })]));
		const rows = await db.query<{ entity_id: string }>(
			`SELECT entity_id FROM grid.audit_log WHERE entity = 'resident' AND action = 'insert' AND details -> 'ids' @> to_jsonb($1::bigint)`, [id]);
		expect(rows).toEqual([{ entity_id: String(id) }]);
		expect((await run(db.config(), (uow) => residentCreation(uow, [id]))).get(id)?.actor).toMatchObject({ node: 'test' });
	});
});

describe('the keys of a resident', () => {
	const unitOf = async (code: string) => (await db.query<{ id: number }>(`SELECT id FROM grid.grid_unit WHERE code = $1`, [code]))[0].id;

	it('hold the household and the building, checked by PostgreSQL for every statement', async () => {
		const [h] = await db.query<{ id: number }>(`INSERT INTO grid.household (unit_id, room_no) SELECT id, '808' FROM grid.grid_unit WHERE code = $1 RETURNING id`, [B1]);
		const [r] = await db.query<{ id: number }>(`INSERT INTO grid.resident (name, household_id, unit_id) VALUES ('键', $1, $2) RETURNING id`, [h.id, await unitOf(B1)]);
		const insert = (household: number | null, unit: number) =>
			db.query(`INSERT INTO grid.resident (name, household_id, unit_id) VALUES ('键', $1, $2)`, [household, unit]);
		const noKey = (constraint: string) => ({ code: '23503', constraint });
		// a household in another building, an unknown household, an unknown building
		await expect(insert(h.id, await unitOf(B2))).rejects.toMatchObject(noKey('resident_household_fk'));
		await expect(insert(999_999, await unitOf(B1))).rejects.toMatchObject(noKey('resident_household_fk'));
		await expect(insert(null, 999_999)).rejects.toMatchObject(noKey('resident_unit_fk'));
		// in bulk, one bad row fails the statement
		await expect(db.query(`INSERT INTO grid.resident (name, household_id, unit_id) SELECT '键', CASE WHEN g = 3 THEN 999999 ELSE $1::bigint END, $2 FROM generate_series(1, 5) g`,
			[h.id, await unitOf(B1)])).rejects.toMatchObject(noKey('resident_household_fk'));
		await expect(db.query(`UPDATE grid.resident SET unit_id = $2 WHERE id = $1`, [r.id, await unitOf(B2)])).rejects.toMatchObject(noKey('resident_household_fk'));
		await expect(db.query(`UPDATE grid.resident SET household_id = 999999 WHERE id = $1`, [r.id])).rejects.toMatchObject(noKey('resident_household_fk'));
		// and the household stays as it is
		const kept = { code: '23001', message: expect.stringMatching(/households are kept/) };
		await expect(db.query(`DELETE FROM grid.household WHERE id = $1`, [h.id])).rejects.toMatchObject(kept);
		await expect(db.query(`UPDATE grid.household SET unit_id = $2 WHERE id = $1`, [h.id, await unitOf(B2)])).rejects.toMatchObject(kept);
		await expect(db.query(`UPDATE grid.household SET id = id + 1000000 WHERE id = $1`, [h.id])).rejects.toMatchObject(kept);
		await expect(db.query(`TRUNCATE grid.household CASCADE`)).rejects.toMatchObject(kept);
		// while its other details may change
		await db.query(`UPDATE grid.household SET room_no = '809', active = false WHERE id = $1`, [h.id]);
	});

	it('let an upsert that gives another building without a room take the resident out of their household', async () => {
		const n = idFor('370614', '19700101', 77);
		const [first] = await save([resident({ name: '搬家', documentNumber: n, buildingCode: B1, roomNo: '707' })]);
		const before = first.ok && !Array.isArray(first.value) ? first.value : null;
		expect(before?.householdId).toBeGreaterThan(0);
		const [same] = await save([resident({ name: '搬家', documentNumber: n, buildingCode: B1 })], 'upsert');
		expect(same.ok && !Array.isArray(same.value) && same.value.householdId).toBe(before!.householdId);
		const [moved] = await save([resident({ name: '搬家', documentNumber: n, buildingCode: B2 })], 'upsert');
		expect(moved.ok && !Array.isArray(moved.value) && [moved.value.householdId, moved.value.buildingCode]).toEqual([null, B2]);
		const moves = await db.query(`SELECT from_household_id::int, to_household_id::int FROM grid.resident_move WHERE resident_id = $1`, [before!.id]);
		expect(moves).toEqual([{ from_household_id: before!.householdId, to_household_id: null }]);
	});
});
