/**
 * Volunteers and teams through the domain against real PostgreSQL: registration with protected phones,
 * checks that write nothing, upsert by number, update, deactivate, list, reveal audit, teams.
 */
import { closeAllPools } from '../../nodes/shared/db/pool';
import { parseAvailability, taskSegments, compileWindows, covers } from '../../nodes/shared/domain/volunteer/availability';
import { addTeamMembers, createTeams, listTeams, removeTeamMembers } from '../../nodes/shared/domain/volunteer/teams';
import { type RawVolunteer, checkVolunteer } from '../../nodes/shared/domain/volunteer/volunteerInput';
import { deactivateVolunteer, getVolunteers, listVolunteers, saveVolunteers, updateVolunteer } from '../../nodes/shared/domain/volunteer/volunteers';
import { DEFAULT_SEGMENT_WIDTHS } from '../../nodes/shared/validation/gridCode';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { mobile } from '../helpers/people';
import { run, seedSmallDistrict } from '../helpers/uow';

let db: TestDatabase;
const B1 = '370614-001-001-001-0001';
const G1 = '370614-001-001-001';
const OTHER_STREET = '370614-002-001-001-0001';
const rules = { widths: DEFAULT_SEGMENT_WIDTHS, allowCustomSkills: false };
const vol = (raw: RawVolunteer, custom = false) => checkVolunteer(raw, { ...rules, allowCustomSkills: custom });
const count = async (table: string, where = 'true') => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.${table} WHERE ${where}`))[0].n;

function fieldError(fn: () => unknown): { field: string; message: string } {
	try {
		fn();
	} catch (e) {
		return { field: (e as { field: string }).field, message: (e as Error).message };
	}
	throw new Error('accepted');
}

beforeAll(async () => {
	db = await createTestDatabase('volunteers');
	await seedSmallDistrict(db.config());
});

afterAll(async () => {
	await closeAllPools();
	await db.drop();
});

describe('availability', () => {
	it('reads text windows, day ranges and JSON', () => {
		expect(parseAvailability('mon 08:00-12:00, sat 09:00-17:00')).toEqual([
			{ day: 1, start: '08:00', end: '12:00' },
			{ day: 6, start: '09:00', end: '17:00' },
		]);
		expect(parseAvailability('mon-wed 18:00-21:00').map((w) => w.day)).toEqual([1, 2, 3]);
		expect(parseAvailability('[{"day":"sun","start":"8:00","end":"24:00"}]')).toEqual([{ day: 7, start: '08:00', end: '24:00' }]);
		expect(parseAvailability('')).toEqual([]);
	});

	it.each([
		['mon 25:00-26:00', /"25:00", which is not a time of day/],
		['mon 12:00-08:00', /ends before it starts/],
		['funday 08:00-09:00', /use mon–sun or 1–7/],
		['mon 8-12', /write windows like/],
	])('rejects %s naming the field', (text, message) => {
		const e = fieldError(() => parseAvailability(text));
		expect(e.field).toBe('Availability');
		expect(e.message).toMatch(message);
	});

	it('places task windows in the time zone and checks coverage', () => {
		// 2026-11-30 is a Monday; 01:00Z = 09:00 in Shanghai
		const segs = taskSegments(new Date('2026-11-30T01:00:00Z'), new Date('2026-11-30T03:00:00Z'), 'Asia/Shanghai');
		expect(segs).toEqual([{ day: 1, from: 540, to: 660 }]);
		expect(covers(compileWindows(parseAvailability('mon 08:00-12:00')), segs)).toBe(true);
		expect(covers(compileWindows(parseAvailability('mon 10:00-12:00')), segs)).toBe(false);
		expect(covers(compileWindows(parseAvailability('mon 08:00-10:00, mon 10:00-12:00')), segs)).toBe(true);
		expect(covers(compileWindows([]), segs)).toBe(true);
		const overnight = taskSegments(new Date('2026-11-30T14:00:00Z'), new Date('2026-11-30T18:00:00Z'), 'Asia/Shanghai');
		expect(overnight).toEqual([{ day: 1, from: 1320, to: 1440 }, { day: 2, from: 0, to: 120 }]);
	});
});

describe('volunteers', () => {
	it('registers volunteers with a protected phone, masked in output', async () => {
		const outcomes = await run(db.config(), (uow) => saveVolunteers(uow, [
			vol({ name: '刘建国', volunteerNo: 'V-1', kind: 'party_member', skills: 'door_survey,temperature_check', availability: 'mon-fri 18:00-21:00', unitCode: B1, maxTasks: 2, phone: mobile(11) }),
			vol({ name: '孙丽', volunteerNo: 'V-2', kind: 'cadre', homeAgency: '区财政局', skills: ['delivery', 'driving'], unitCode: G1 }),
			vol({ name: '周医生', kind: 'professional', profession: '医生', skills: ['medical'], unitCode: OTHER_STREET }),
		], { mode: 'create' }));
		expect(outcomes.every((o) => o.ok)).toBe(true);
		const first = outcomes[0].ok ? outcomes[0].value : null;
		expect(first).toMatchObject({ name: '刘建国', volunteerNo: 'V-1', unitCode: B1, maxTasks: 2, currentLoad: 0, phone: '138****0011', revealed: false, operation: 'created',
			availabilityText: 'mon 18:00-21:00, tue 18:00-21:00, wed 18:00-21:00, thu 18:00-21:00, fri 18:00-21:00' });
		expect(outcomes[1].ok && outcomes[1].value).toMatchObject({ maxTasks: 3, kind: 'cadre', homeAgency: '区财政局' });
		const stored = JSON.stringify(await db.query(`SELECT * FROM grid.volunteer`)) + JSON.stringify(await db.query(`SELECT details FROM grid.audit_log`));
		expect(stored).not.toContain(mobile(11));
	});

	it.each([
		['a maximum of 0', { maxTasks: 0 }, 'Max Tasks', /at least 1/],
		['availability 25:00', { availability: 'sat 25:00-26:00' }, 'Availability', /25:00/],
		['an unknown skill', { skills: 'juggling' }, 'Skills', /unknown skill "juggling"/],
		['a cadre without agency', { kind: 'cadre' }, 'Home Agency', /home agency/],
		['a bad phone', { phone: '12345' }, 'Phone', /not a mainland mobile/],
		['no home unit', { unitCode: '' }, 'Home Unit', /required/],
	])('rejects %s naming the field', (_l, extra, field, message) => {
		const e = fieldError(() => vol({ name: '甲', unitCode: B1, ...extra } as RawVolunteer));
		expect(e.field).toBe(field);
		expect(e.message).toMatch(message);
	});

	it('accepts a custom skill only when allowed', () => {
		expect(vol({ name: '甲', unitCode: B1, skills: 'juggling, delivery' }, true).skills).toEqual(['juggling', 'delivery']);
	});

	it('refuses unknown units, units outside the scope and duplicate numbers, writing nothing', async () => {
		const before = await count('volunteer');
		const outcomes = await run(db.config(), (uow) => saveVolunteers(uow, [
			vol({ name: '甲', unitCode: '370614-009-001' }),
			vol({ name: '乙', volunteerNo: 'V-1', unitCode: B1 }),
			vol({ name: '丙', volunteerNo: 'V-9', unitCode: B1 }),
			vol({ name: '丁', volunteerNo: 'V-9', unitCode: B1 }),
			vol({ name: '戊', unitCode: B1 }),
		], { mode: 'create' }));
		expect(outcomes.map((o) => (o.ok ? 'ok' : `${o.error.field}: ${o.error.message}`))).toEqual([
			expect.stringMatching(/^Home Unit: unknown grid unit 370614-009-001/),
			expect.stringMatching(/^Volunteer Number: Volunteer Number V-1 is already registered/),
			'ok',
			expect.stringMatching(/^Volunteer Number: .*appears twice in this batch: items 2 and 3/),
			'ok',
		]);
		expect(await count('volunteer')).toBe(before);

		const scoped = db.config({ scopeCode: '370614-001' });
		const [out] = await run(scoped, (uow) => saveVolunteers(uow, [vol({ name: '甲', unitCode: OTHER_STREET })], { mode: 'create' }));
		expect(!out.ok && out.error.message).toMatch(/unknown grid unit 370614-002-001-001-0001 \(or it lies outside this credential's scope 370614-001\)/);
		expect(await count('volunteer')).toBe(before);
	});

	it('keeps the good ones when asked to (Continue On Fail)', async () => {
		const outcomes = await run(db.config(), (uow) => saveVolunteers(uow, [
			vol({ name: '好', volunteerNo: 'V-3', unitCode: B1 }),
			vol({ name: '坏', unitCode: '370614-009-001' }),
		], { mode: 'create' }), true);
		expect(outcomes.map((o) => o.ok)).toEqual([true, false]);
		expect(await count('volunteer', `volunteer_no = 'V-3'`)).toBe(1);
	});

	it('upserts by volunteer number', async () => {
		const [o] = await run(db.config(), (uow) => saveVolunteers(uow, [vol({ name: '刘建国', volunteerNo: 'V-1', unitCode: G1, skills: 'disinfection', maxTasks: 4 })], { mode: 'upsert' }));
		expect(o.ok && o.value).toMatchObject({ operation: 'updated', unitCode: G1, skills: ['disinfection'], maxTasks: 4, phone: '138****0011' });
		expect(await count('volunteer', `volunteer_no = 'V-1'`)).toBe(1);
	});

	it('updates, refuses a maximum below the current load, deactivates', async () => {
		const updated = await run(db.config(), (uow) => updateVolunteer(uow, { volunteerNo: 'V-2' }, { maxTasks: 5, availability: parseAvailability('sat 09:00-17:00') }));
		expect(updated).toMatchObject({ maxTasks: 5, availabilityText: 'sat 09:00-17:00' });
		await db.query(`UPDATE grid.volunteer SET current_load = 2 WHERE volunteer_no = 'V-2'`);
		await expect(run(db.config(), (uow) => updateVolunteer(uow, { volunteerNo: 'V-2' }, { maxTasks: 1 }))).rejects.toThrow(/Max Tasks 1 is below the 2 tasks/);
		await db.query(`UPDATE grid.volunteer SET current_load = 0 WHERE volunteer_no = 'V-2'`);
		await expect(run(db.config(), (uow) => updateVolunteer(uow, { id: 999999 }, { name: 'x' }))).rejects.toThrow(/unknown volunteer 999999/);
		const off = await run(db.config(), (uow) => deactivateVolunteer(uow, { volunteerNo: 'V-3' }));
		expect(off.active).toBe(false);
	});

	it('lists by subtree, kind, skill and status, and reveals phones only with an audit row', async () => {
		const all = await run(db.config(), (uow) => listVolunteers(uow, { within: { code: '370614-001' }, active: true, reveal: false }));
		expect(all.map((v) => v.name).sort()).toEqual(['刘建国', '孙丽'].sort());
		const drivers = await run(db.config(), (uow) => listVolunteers(uow, { within: { code: '370614' }, skills: ['driving'], reveal: false }));
		expect(drivers.map((v) => v.volunteerNo)).toEqual(['V-2']);
		const inactive = await run(db.config(), (uow) => listVolunteers(uow, { within: { code: '370614' }, active: false, reveal: false }));
		expect(inactive.map((v) => v.volunteerNo)).toEqual(['V-3']);
		const audits = await count('audit_log', `action = 'reveal' AND entity = 'volunteer'`);
		const [shown] = await run(db.config(), (uow) => getVolunteers(uow, [{ volunteerNo: 'V-1' }], true));
		expect(shown).toMatchObject({ phone: mobile(11), revealed: true });
		expect(await count('audit_log', `action = 'reveal' AND entity = 'volunteer'`)).toBe(audits + 1);
	});
});

describe('teams', () => {
	it('creates a team, adds and removes members keeping the history', async () => {
		const [made] = await run(db.config(), (uow) => createTeams(uow, [{ name: '党员先锋队', kind: 'vanguard', unit: { code: '370614-001-001' }, leader: { volunteerNo: 'V-1' } }]));
		if (!made.ok || Array.isArray(made.value)) throw new Error('not created');
		const teamId = made.value.id;
		expect(made.value).toMatchObject({ memberCount: 1, unitCode: '370614-001-001' });
		const [dup] = await run(db.config(), (uow) => createTeams(uow, [{ name: '党员先锋队', kind: 'errand', unit: { code: '370614-001-001' } }]));
		expect(!dup.ok && dup.error.message).toMatch(/already exists/);

		const [added] = await run(db.config(), (uow) => addTeamMembers(uow, [{ teamId, volunteer: { volunteerNo: 'V-2' } }, { teamId, volunteer: { volunteerNo: 'V-2' } }]));
		expect(added.ok && !Array.isArray(added.value) && added.value.memberCount).toBe(2);
		const [removed] = await run(db.config(), (uow) => removeTeamMembers(uow, [{ teamId, volunteer: { volunteerNo: 'V-2' } }]));
		expect(removed.ok && !Array.isArray(removed.value) && removed.value.members?.find((m) => m.volunteerNo === 'V-2')?.leftAt).toBeTruthy();
		const [again] = await run(db.config(), (uow) => removeTeamMembers(uow, [{ teamId, volunteer: { volunteerNo: 'V-2' } }]));
		expect(!again.ok && again.error.message).toMatch(/not a current member/);
		const [unknownTeam] = await run(db.config(), (uow) => addTeamMembers(uow, [{ teamId: 424242, volunteer: { volunteerNo: 'V-2' } }]));
		expect(!unknownTeam.ok && unknownTeam.error.field).toBe('Team ID');

		const teams = await run(db.config(), (uow) => listTeams(uow, { within: { code: '370614-001' }, includeMembers: true }));
		expect(teams).toHaveLength(1);
		expect(teams[0].members?.map((m) => m.volunteerNo)).toEqual(['V-1']);
		expect(await count('team_member')).toBe(2);
	});
});
