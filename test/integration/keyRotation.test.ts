import { createHmac } from 'crypto';
import { closeAllPools } from '../../nodes/shared/db/pool';
import { createStaff } from '../../nodes/shared/domain/grid/staff';
import { createIncidents } from '../../nodes/shared/domain/incident/intake';
import { rotatePersonalDataKey } from '../../nodes/shared/domain/keyRotation/runRotation';
import { decrypt, deriveKeys } from '../../nodes/shared/domain/personalData';
import { checkResident } from '../../nodes/shared/domain/resident/residentInput';
import { getResidents, saveResidents } from '../../nodes/shared/domain/resident/residents';
import { searchResidents } from '../../nodes/shared/domain/resident/search';
import { DEFAULT_SEGMENT_WIDTHS } from '../../nodes/shared/validation/gridCode';
import { idNumber } from '../../nodes/shared/validation/idNumber';
import { phone } from '../../nodes/shared/validation/phone';
import { TEST_KEY, type TestDatabase, createTestDatabase } from '../helpers/db';
import { TEST_INTAKE_POLICY, valueOf } from '../helpers/incidents';
import { idFor, mobile } from '../helpers/people';
import { run, seedSmallDistrict } from '../helpers/uow';

const K1 = TEST_KEY;
const K2 = 'the-second-personal-data-key-9876543210';
const WRONG = 'not-the-key-this-database-was-set-up-with';
const actor = { node: 'test', workflowId: 'wf-rotation', executionId: 'ex-rotation' };
const rules = { widths: DEFAULT_SEGMENT_WIDTHS, allowCustomTags: false };
const BUILDINGS = ['370614-001-001-001-0001', '370614-001-002-001-0002', '370614-002-001-002-0001'];
const SEEDED = 240;

// The test's own statement of the key scheme, written from the design, not taken from the code under test.
const hmac = (key: Buffer | string, text: string) => createHmac('sha256', key).update(text).digest();
const hashKey = (k: string) => hmac(k, 'grid-governance/hash/v1');
const fingerprint = (k: string) => hmac(k, 'grid-governance/fingerprint/v1').toString('hex').slice(0, 16);
const expectedAfterRotation = (kind: string, normalized: string) =>
	`${fingerprint(K2)}:${hmac(hashKey(K2), `rewrap:${hmac(hashKey(K1), `${kind}:${normalized}`).toString('base64url')}`).toString('base64url')}`;

let db: TestDatabase;
const people = Array.from({ length: SEEDED }, (_, k) => ({
	name: `居民${k}`,
	doc: idFor('370614', `19${String(40 + (k % 50)).padStart(2, '0')}0${1 + (k % 9)}1${k % 10}`, 100 + k),
	phone: mobile(10_000 + k),
	building: BUILDINGS[k % BUILDINGS.length],
}));
const rotating = () => db.config({ personalDataKey: K2, previousPersonalDataKey: K1 });
const resident = (p: (typeof people)[number], room: string) =>
	checkResident({ name: p.name, documentNumber: p.doc, phone: p.phone, buildingCode: p.building, roomNo: room }, rules);
const searchBy = (config: ReturnType<typeof rotating>, q: { doc?: string; phone?: string }) =>
	run(config, (uow) => searchResidents(uow, {
		document: q.doc ? { ...idNumber(q.doc, 'Document'), type: 'id_card' } : undefined,
		phone: q.phone,
		tagMatch: 'all', includeInactive: false, includeUnregistered: false, reveal: false,
	}));

async function ciphertexts(): Promise<string[]> {
	const rows = await db.query<{ v: string }>(`
		SELECT v FROM (
			SELECT unnest(ARRAY[doc_enc, phone_enc]) AS v FROM grid.resident
			UNION ALL SELECT phone_enc FROM grid.staff
			UNION ALL SELECT phone_enc FROM grid.volunteer
			UNION ALL SELECT unnest(ARRAY[reporter_phone_enc, reporter_email_enc]) FROM grid.incident
		) x WHERE v IS NOT NULL`);
	return rows.map((r) => r.v);
}

beforeAll(async () => {
	db = await createTestDatabase('key_rotation');
	await seedSmallDistrict(db.config());
	// half with the full document number stored (encrypted), half with its hash alone
	for (const full of [true, false]) {
		const part = people.filter((_, k) => (k % 2 === 0) === full);
		const outcomes = await run(db.config(), (uow) => saveResidents(uow, part.map((p, k) => resident(p, `${full ? 1 : 2}${k}`)),
			{ mode: 'create', matchPhoneAndName: false, storeFullDocument: full }));
		outcomes.forEach(valueOf);
	}
	await run(db.config(), (uow) => createStaff(uow, [{ name: '网格员甲', unit: { code: '370614-001-001' }, staffNo: 'S1', phone: phone(mobile(777), 'Phone') }]));
	const reports = await run(db.config(), (uow) => createIncidents(uow, Array.from({ length: 30 }, (_, k) => ({
		source: 'resident' as const, category: 'sanitation', description: `垃圾未清运 ${k}`, idempotencyKey: `report-${k}`,
		location: { unit: { code: BUILDINGS[0] } }, reporter: { name: `报告人${k}`, phone: phone(mobile(50_000 + k), 'Phone'), email: `r${k}@example.org` },
	})), TEST_INTAKE_POLICY));
	reports.forEach(valueOf);
}, 60_000);

afterAll(async () => {
	await closeAllPools();
	await db.drop();
});

describe('personal-data key rotation', () => {
	it('refuses a new key whose previous key is not the stored one, and a new key alone, before anything changes', async () => {
		await expect(searchBy(db.config({ personalDataKey: K2, previousPersonalDataKey: WRONG }), { phone: people[0].phone }))
			.rejects.toThrow(`Neither the Personal Data Key (fingerprint ${fingerprint(K2)}) nor the Previous Personal Data Key (fingerprint ${fingerprint(WRONG)})`);
		await expect(searchBy(db.config({ personalDataKey: K2 }), { phone: people[0].phone }))
			.rejects.toThrow(/does not match the key the database .* was set up with/);
		const state = await db.query(`SELECT key FROM grid.settings WHERE key LIKE 'personal_data_key%' ORDER BY key`);
		expect(state.map((r) => r.key)).toEqual(['personal_data_key_fingerprint']);
	});

	it('resumes a run interrupted between batches, and meanwhile refuses the old key alone and a wrong previous key', async () => {
		await expect(rotatePersonalDataKey(rotating(), actor, {
			batchSize: 40, maxBatches: 100,
			afterBatch: (n) => {
				if (n === 2) throw new Error('worker stopped');
			},
		})).rejects.toThrow('worker stopped');
		const [state] = await db.query<{ value: Record<string, any> }>(`SELECT value FROM grid.settings WHERE key = 'personal_data_key_rotation'`);
		expect(state.value).toMatchObject({ from: fingerprint(K1), to: fingerprint(K2), batches: 2, rotated: { resident: 80 } });
		const newForm = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.resident WHERE phone_hash LIKE $1`, [`${fingerprint(K2)}:%`]);
		expect(newForm[0].n).toBe(80);

		await closeAllPools();
		await expect(searchBy(db.config(), { phone: people[0].phone })).rejects.toThrow(/is being moved to a new personal-data key .*old key as its Personal Data Key/);
		await expect(searchBy(db.config({ personalDataKey: K2, previousPersonalDataKey: WRONG }), { phone: people[0].phone }))
			.rejects.toThrow(`The Previous Personal Data Key (fingerprint ${fingerprint(WRONG)}) is not the key being rotated out of`);
		await expect(searchBy(db.config({ personalDataKey: K2 }), { phone: people[0].phone }))
			.rejects.toThrow(/this credential has no Previous Personal Data Key/);
	});

	it('keeps finding everyone by document and phone, and refuses no one, while batches run beside searches and new residents', async () => {
		const config = rotating();
		let rotationDone = false;
		const rotation = (async () => {
			const reports = [];
			for (let guard = 0; guard < 200 && !rotationDone; guard++) {
				const r = await rotatePersonalDataKey(config, actor, { batchSize: 25, maxBatches: 2 });
				reports.push(r);
				rotationDone = r.done;
			}
			return reports;
		})();
		let searches = 0;
		const searching = (async () => {
			for (let k = 0; !rotationDone; k = (k + 7) % SEEDED) {
				const p = people[k];
				const byDoc = await searchBy(config, { doc: p.doc });
				const byPhone = await searchBy(config, { phone: p.phone });
				expect(byDoc.map((r) => r.name)).toEqual([p.name]);
				expect(byPhone.map((r) => r.name)).toEqual([p.name]);
				searches++;
			}
		})();
		const newcomers: Array<{ name: string; doc: string; phone: string; building: string }> = [];
		const creating = (async () => {
			for (let k = 0; !rotationDone && k < 60; k++) {
				const p = { name: `新居民${k}`, doc: idFor('370614', '20010101', 500 + k), phone: mobile(90_000 + k), building: BUILDINGS[1] };
				const [o] = await run(config, (uow) => saveResidents(uow, [resident(p, `9${k}`)], { mode: 'create', matchPhoneAndName: false, storeFullDocument: true }));
				valueOf(o);
				newcomers.push(p);
				// an upsert of someone seeded under the old key updates that person, never adds a second one
				const old = people[(k * 13) % SEEDED];
				const [u] = await run(config, (uow) => saveResidents(uow, [resident(old, '1')], { mode: 'upsert', matchPhoneAndName: false, storeFullDocument: false }));
				expect(valueOf(u)).toMatchObject({ name: old.name, operation: 'updated' });
			}
		})();
		const [reports] = await Promise.all([rotation, searching, creating]);
		expect(rotationDone).toBe(true);
		expect(searches).toBeGreaterThan(0);
		expect(newcomers.length).toBeGreaterThan(0);
		const last = reports[reports.length - 1];
		expect(last).toMatchObject({ done: true, remainingTotal: 0, to: fingerprint(K2) });
		expect(last.message).toMatch(/Clear Previous Personal Data Key/);
		const total = reports.reduce((n, r) => n + (r.rotated.resident ?? 0), 0);
		expect(total).toBeGreaterThanOrEqual(SEEDED - 80);

		const residents = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.resident`);
		expect(residents[0].n).toBe(SEEDED + newcomers.length);
		for (const p of newcomers) expect((await searchBy(config, { doc: p.doc })).map((r) => r.name)).toEqual([p.name]);
	}, 120_000);

	it('leaves nothing that only the old key opens: every ciphertext opens with the new key alone, every hash is the new key\'s', async () => {
		const alone = deriveKeys(K2);
		const values = await ciphertexts();
		expect(values.length).toBeGreaterThan(SEEDED);
		for (const v of values) expect(v.startsWith(`v2.${fingerprint(K2)}.`)).toBe(true);
		const opened = values.map((v) => decrypt(alone, v));
		for (const p of people) expect(opened).toContain(p.phone);
		for (const p of people.filter((_, k) => k % 2 === 0)) expect(opened).toContain(p.doc);

		const rows = await db.query<{ name: string; doc_hash: string; phone_hash: string }>(`SELECT name, doc_hash, phone_hash FROM grid.resident`);
		const byName = new Map(rows.map((r) => [r.name, r]));
		for (const p of people) {
			expect(byName.get(p.name)!.doc_hash).toBe(expectedAfterRotation('doc:id_card', p.doc));
			expect(byName.get(p.name)!.phone_hash).toBe(expectedAfterRotation('phone', p.phone));
		}
		const staff = await db.query<{ phone_hash: string }>(`SELECT phone_hash FROM grid.staff WHERE staff_no = 'S1'`);
		expect(staff[0].phone_hash).toBe(expectedAfterRotation('phone', mobile(777)));
		const stale = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.incident WHERE reporter_phone_hash NOT LIKE $1 OR payload_hash NOT LIKE $1`, [`${fingerprint(K2)}:%`]);
		expect(stale[0].n).toBe(0);

		const settings = await db.query<{ key: string; value: unknown }>(`SELECT key, value FROM grid.settings WHERE key LIKE 'personal_data_key%' ORDER BY key`);
		expect(settings.map((r) => r.key)).toEqual(['personal_data_key_fingerprint', 'personal_data_key_lineage']);
		expect(settings[0].value).toBe(fingerprint(K2));
	});

	it('audits each batch without personal data', async () => {
		const audit = await db.query<{ action: string; details: Record<string, any> }>(
			`SELECT action, details FROM grid.audit_log WHERE action LIKE 'key_rotation%' ORDER BY id`);
		expect(audit.length).toBeGreaterThan(3);
		expect(audit[audit.length - 1].action).toBe('key_rotation_finished');
		expect(audit.filter((a) => a.action === 'key_rotation_finished')).toHaveLength(1);
		const text = JSON.stringify(await db.query(`SELECT * FROM grid.audit_log`));
		for (const p of people) {
			expect(text).not.toContain(p.phone);
			expect(text).not.toContain(p.doc);
		}
	});

	it('after the rotation: the new key alone works, the old key alone is refused with what to do, retries stay idempotent', async () => {
		await closeAllPools();
		await expect(searchBy(db.config(), { phone: people[3].phone })).rejects.toThrow(/does not match the key the database .* was set up with/);
		await expect(searchBy(db.config(), { phone: people[3].phone })).rejects.toMatchObject({ description: expect.stringMatching(/If the key was rotated, use the new key/) });

		const only = db.config({ personalDataKey: K2 });
		expect((await searchBy(only, { doc: people[5].doc })).map((r) => r.name)).toEqual([people[5].name]);
		const [got] = await run(only, (uow) => getResidents(uow, [{ document: { ...idNumber(people[4].doc, 'Document'), type: 'id_card' } }], true));
		expect(got).toMatchObject({ name: people[4].name, documentNumber: people[4].doc, phone: people[4].phone });

		// the same report retried with its idempotency key is recognised, not refused as a different payload
		const [again] = await run(only, (uow) => createIncidents(uow, [{
			source: 'resident', category: 'sanitation', description: '垃圾未清运 3', idempotencyKey: 'report-3',
			location: { unit: { code: BUILDINGS[0] } }, reporter: { name: '报告人3', phone: phone(mobile(50_003), 'Phone'), email: 'r3@example.org' },
		}], TEST_INTAKE_POLICY));
		expect(valueOf(again)).toMatchObject({ repeatedRequest: true });

		// with the finished rotation's previous key still on the credential, nothing changes and nothing is left to do
		const report = await rotatePersonalDataKey(rotating(), actor, { batchSize: 100, maxBatches: 5 });
		expect(report).toMatchObject({ idle: true, done: true, batches: 0 });
		expect(report.message).toMatch(/Previous Personal Data Key is no longer needed/);
		const idle = await rotatePersonalDataKey(only, actor, { batchSize: 100, maxBatches: 5 });
		expect(idle).toMatchObject({ idle: true, done: true, batches: 0 });
		expect(idle.message).not.toMatch(/Previous/);
	});
});
