import { closeAllPools } from '../../nodes/shared/db/pool';
import { assignStaff, responsible, unassign } from '../../nodes/shared/domain/grid/assignments';
import { createStaff, getStaff, listStaff, updateStaff } from '../../nodes/shared/domain/grid/staff';
import { phone } from '../../nodes/shared/validation/phone';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { run, seedSmallDistrict } from '../helpers/uow';

let db: TestDatabase;
const ids: Record<string, number> = {};

beforeAll(async () => {
	db = await createTestDatabase('staff');
	await seedSmallDistrict(db.config());
	const outcomes = await run(db.config(), (uow) => createStaff(uow, [
		{ name: '王芳', unit: { code: '370614-001-001' }, staffNo: 'S-1', phone: phone('13805351234', 'Phone') },
		{ name: '李强', unit: { code: '370614-001-001' }, staffNo: 'S-2', phone: phone('0535-5661234', 'Phone') },
		{ name: '张伟', unit: { code: '370614-001' }, staffNo: 'S-3', homeAgency: '区财政局' },
		{ name: '赵敏', unit: { code: '370614-001-001' }, staffNo: 'S-4' },
	]));
	for (const o of outcomes) {
		if (!o.ok || Array.isArray(o.value)) throw new Error('seed failed');
		ids[o.value.staffNo!] = o.value.id;
	}
});

afterAll(async () => {
	await closeAllPools();
	await db.drop();
});

describe('staff', () => {
	it('stores phones encrypted and hashed, never in plain text, and masks them in output', async () => {
		const rows = await db.query<Record<string, string>>(`SELECT * FROM grid.staff WHERE staff_no = 'S-1'`);
		const raw = JSON.stringify(rows[0]);
		expect(raw).not.toContain('13805351234');
		expect(rows[0].phone_masked).toBe('138****1234');
		expect(rows[0].phone_enc).toMatch(/^v1\./);
		const audit = await db.query<{ details: unknown }>(`SELECT details FROM grid.audit_log WHERE entity = 'staff'`);
		expect(JSON.stringify(audit)).not.toContain('13805351234');
		expect(JSON.stringify(audit)).not.toContain('phone_enc');
	});

	it('reveals a phone only when asked, and audits the reveal', async () => {
		const [masked] = await run(db.config(), (uow) => getStaff(uow, [{ staffNo: 'S-1' }], false));
		expect(masked).toMatchObject({ phone: '138****1234', phoneRevealed: false });
		const [revealed] = await run(db.config({}), (uow) => getStaff(uow, [{ staffNo: 'S-1' }], true));
		expect(revealed).toMatchObject({ phone: '13805351234', phoneRevealed: true });
		const reveals = await db.query<{ entity_id: string }>(`SELECT entity_id FROM grid.audit_log WHERE action = 'reveal'`);
		expect(reveals.map((r) => r.entity_id)).toEqual([String(ids['S-1'])]);
	});

	it('rejects a duplicate staff number in the batch and against the database', async () => {
		const outcomes = await run(db.config(), (uow) => createStaff(uow, [
			{ name: 'a', unit: { code: '370614-001' }, staffNo: 'S-9' },
			{ name: 'b', unit: { code: '370614-001' }, staffNo: 'S-9' },
			{ name: 'c', unit: { code: '370614-001' }, staffNo: 'S-1' },
		]));
		expect(outcomes.map((o) => (o.ok ? 'ok' : o.error.message))).toEqual([
			'ok',
			'Staff Number S-9 appears twice in this batch: items 0 and 1',
			'Staff Number S-1 already exists',
		]);
		const n = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.staff WHERE staff_no = 'S-9'`);
		expect(n[0].n).toBe(0);
	});

	it('updates details and keeps the change in the audit log', async () => {
		const updated = await run(db.config(), (uow) => updateStaff(uow, { staffNo: 'S-4' }, { name: '赵敏敏', phone: phone('13905351111', 'Phone') }));
		expect(updated).toMatchObject({ name: '赵敏敏', phone: '139****1111' });
		const audit = await db.query<{ details: Record<string, unknown> }>(
			`SELECT details FROM grid.audit_log WHERE entity = 'staff' AND action = 'update' AND entity_id = $1`, [String(ids['S-4'])],
		);
		expect(audit[0].details.name).toEqual(['赵敏', '赵敏敏']);
	});
});

describe('posts and responsibility', () => {
	it('posts staff with a role at the right level', async () => {
		const outcomes = await run(db.config(), (uow) => assignStaff(uow, [
			{ staff: { staffNo: 'S-1' }, unit: { code: '370614-001-001-001' }, role: 'grid_head' },
			{ staff: { staffNo: 'S-2' }, unit: { code: '370614-001-001-001' }, role: 'grid_member' },
			{ staff: { staffNo: 'S-3' }, unit: { code: '370614-001' }, role: 'grid_instructor' },
		]));
		expect(outcomes.every((o) => o.ok)).toBe(true);
	});

	it.each([
		['a role at the wrong level', { staff: { staffNo: 'S-2' }, unit: { code: '370614-001-001' }, role: 'grid_head' as const }, 'Role', /belongs to a base grid \(level 4\); 370614-001-001 is a community/],
		['an overlapping period of the same post', { staff: { staffNo: 'S-2' }, unit: { code: '370614-001-001-001' }, role: 'grid_member' as const }, 'Valid From', /already holds Grid member \(网格员\) of 370614-001-001-001/],
		['a second grid head at the same time', { staff: { staffNo: 'S-4' }, unit: { code: '370614-001-001-001' }, role: 'grid_head' as const }, 'Valid From', /already has Grid head \(网格长\) 王芳/],
		['a sent-down cadre without a home agency', { staff: { staffNo: 'S-4' }, unit: { code: '370614-001-001' }, role: 'sent_down_cadre' as const }, 'Home Agency', /needs the home agency/],
	])('rejects %s and writes nothing', async (_l, input, field, message) => {
		const before = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.grid_assignment`);
		const [o] = await run(db.config(), (uow) => assignStaff(uow, [input]));
		expect(o.ok).toBe(false);
		if (!o.ok) {
			expect(o.error.field).toBe(field);
			expect(o.error.message).toMatch(message);
		}
		const after = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.grid_assignment`);
		expect(after[0].n).toBe(before[0].n);
	});

	it('rejects two overlapping posts within one batch', async () => {
		const outcomes = await run(db.config(), (uow) => assignStaff(uow, [
			{ staff: { staffNo: 'S-4' }, unit: { code: '370614-001-001-002' }, role: 'grid_member', validFrom: new Date('2026-01-01T00:00:00Z'), validTo: new Date('2026-06-01T00:00:00Z') },
			{ staff: { staffNo: 'S-4' }, unit: { code: '370614-001-001-002' }, role: 'grid_member', validFrom: new Date('2026-05-01T00:00:00Z') },
		]));
		expect(!outcomes[1].ok && outcomes[1].error.message).toMatch(/overlaps item 0/);
	});

	it('names the grid head of a base grid', async () => {
		const answer = await run(db.config(), (uow) => responsible(uow, { code: '370614-001-001-001' }));
		expect(answer).toMatchObject({ vacant: false, role: 'grid_head', answeredByCode: '370614-001-001-001' });
		expect(answer.staff.map((s) => s.name)).toEqual(['王芳']);
	});

	it('walks up past vacant posts and says so', async () => {
		const answer = await run(db.config(), (uow) => responsible(uow, { code: '370614-001-001-001-0001' }));
		expect(answer.vacant).toBe(true);
		expect(answer.vacancies.map((v) => v.code)).toEqual(['370614-001-001-001-0001']);
		expect(answer.answeredByCode).toBe('370614-001-001-001');
		expect(answer.message).toMatch(/No one holds a responsible post at 370614-001-001-001-0001/);

		const community = await run(db.config(), (uow) => responsible(uow, { code: '370614-001-001-002-0001' }, 3));
		expect(community.vacancies.map((v) => v.code)).toEqual(['370614-001-001']);
		expect(community.answeredByCode).toBe('370614-001');
		expect(community.staff.map((s) => s.name)).toEqual(['张伟']);
	});

	it('ends a post, keeps its history, and the next person up answers', async () => {
		const ended = await run(db.config(), (uow) => unassign(uow, { staff: { staffNo: 'S-1' }, unit: { code: '370614-001-001-001' }, role: 'grid_head' }));
		expect(ended).toHaveLength(1);
		expect(ended[0].validTo).not.toBeNull();
		const answer = await run(db.config(), (uow) => responsible(uow, { code: '370614-001-001-001' }));
		expect(answer).toMatchObject({ role: 'grid_member', vacant: false });
		const history = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.grid_assignment WHERE staff_id = $1`, [ids['S-1']]);
		expect(history[0].n).toBe(1);
		await expect(run(db.config(), (uow) => unassign(uow, { assignmentId: ended[0].assignmentId }))).rejects.toThrow(/no assignment .* that is current/);
	});

	it('lists staff posted within a subtree, by role', async () => {
		const list = await run(db.config(), (uow) => listStaff(uow, { within: { code: '370614-001-001' }, role: 'grid_member', postedOnly: true, activeOnly: true, reveal: false }));
		expect(list.map((s) => s.staffNo)).toEqual(['S-2']);
		expect(list[0].posts?.[0]).toMatchObject({ unitCode: '370614-001-001-001', role: 'grid_member' });
	});
});
