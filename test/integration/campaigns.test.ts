import { closeAllPools } from '../../nodes/shared/db/pool';
import { type NewResident, checkResident } from '../../nodes/shared/domain/resident/residentInput';
import { saveResidents } from '../../nodes/shared/domain/resident/residents';
import { type CampaignRun, checkCampaignRun, getCampaigns, listCampaigns, runCampaign } from '../../nodes/shared/domain/task/campaigns';
import { FieldError } from '../../nodes/shared/validation/errors';
import { DEFAULT_SEGMENT_WIDTHS } from '../../nodes/shared/validation/gridCode';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { run, seedSmallDistrict } from '../helpers/uow';

let db: TestDatabase;
const COMMUNITY = '370614-001-001';
const GRID = '370614-001-001-001';
const B1 = '370614-001-001-001-0001';
const B2 = '370614-001-001-001-0002';
const B3 = '370614-001-001-002-0001';
const B_OTHER_COMMUNITY = '370614-001-002-001-0001';
const B_OTHER_STREET = '370614-002-001-001-0001';
const rules = { widths: DEFAULT_SEGMENT_WIDTHS, allowCustomTags: false };
const ids: Record<string, number> = {};

// 07:00 in Shanghai on Friday 2030-03-01; every run of these tests is "now" at a fixed time
const at = (local: string) => new Date(`${local}+08:00`);
const T0 = at('2030-03-01T07:00:00');

const q = <T = Record<string, unknown>>(text: string, params: unknown[] = []) => db.query<T>(text, params);
const count = async (text: string, params: unknown[] = []) => (await q<{ n: number }>(`SELECT count(*)::int AS n FROM (${text}) x`, params))[0].n;

function temperature(extra: Partial<CampaignRun> = {}): CampaignRun {
	return {
		key: 'temp-check-community-1',
		name: '居家隔离体温监测',
		kind: 'temperature_check',
		within: { code: COMMUNITY },
		target: 'resident',
		residentFilter: { statuses: ['home_quarantine'] },
		schedule: { mode: 'timesOfDay', times: ['08:00', '16:00'], untilQuarantineEnds: true },
		template: { requiredSkills: ['temperature_check'], priority: 3 },
		upToEnd: true,
		asOf: T0,
		...extra,
	};
}

const quarantine = (name: string, status: string, ends: Date | null) =>
	q(`UPDATE grid.resident SET health_status = $2, quarantine_ends_at = $3 WHERE id = $1`, [ids[name], status, ends]);

beforeAll(async () => {
	db = await createTestDatabase('campaigns');
	await seedSmallDistrict(db.config());
	const people: Array<[string, string, string]> = [
		['甲', B1, '101'], ['乙', B1, '102'], ['丙', B2, '201'], ['丁', B3, '301'], ['戊', B_OTHER_COMMUNITY, '101'], ['己', B_OTHER_STREET, '101'], ['庚', B2, '202'],
	];
	const outcomes = await run(db.config(), (uow) => saveResidents(uow,
		people.map(([name, building, room]) => checkResident({ name, buildingCode: building, unitNo: '1', roomNo: room }, rules) as NewResident),
		{ mode: 'create', matchPhoneAndName: false, storeFullDocument: false }));
	outcomes.forEach((o, k) => {
		if (!o.ok || Array.isArray(o.value)) throw new Error(`resident ${people[k][0]} not created`);
		ids[people[k][0]] = o.value.id;
	});
	await quarantine('甲', 'home_quarantine', at('2030-03-03T12:00:00'));
	await quarantine('乙', 'home_quarantine', at('2030-03-02T10:00:00'));
	await quarantine('丙', 'central_quarantine', at('2030-03-05T00:00:00'));
	await quarantine('戊', 'home_quarantine', at('2030-03-04T00:00:00'));
	await quarantine('己', 'home_quarantine', at('2030-03-04T00:00:00'));
});

afterAll(async () => {
	await closeAllPools();
	await db.drop();
});

describe('resident campaigns', () => {
	it('creates a temperature check twice a day for each home-quarantined resident of the community until their quarantine ends', async () => {
		const r = await run(db.config(), (uow) => runCampaign(uow, temperature()));
		// 甲 until 03-03 12:00: 03-01 08/16, 03-02 08/16, 03-03 08 = 5; 乙 until 03-02 10:00: 03-01 08/16, 03-02 08 = 3
		expect(r).toMatchObject({ definition: 'created', targetsMatched: 2, created: 8, alreadyPresent: 0, cancelled: 0, run: 1 });
		expect(r.notice).toBeUndefined();
		const tasks = await q<{ resident_id: number; occurrence: string; window_start: Date; due_at: Date; title: string; priority: number; required_skills: string[]; status: string }>(
			`SELECT resident_id::int, occurrence, window_start, due_at, title, priority, required_skills, status FROM grid.task WHERE campaign_id = $1 ORDER BY resident_id, window_start`, [r.campaignId]);
		expect(tasks.filter((t) => t.resident_id === ids['甲']).map((t) => t.occurrence))
			.toEqual(['2030-03-01T08:00', '2030-03-01T16:00', '2030-03-02T08:00', '2030-03-02T16:00', '2030-03-03T08:00']);
		expect(tasks.filter((t) => t.resident_id === ids['乙']).map((t) => t.occurrence)).toEqual(['2030-03-01T08:00', '2030-03-01T16:00', '2030-03-02T08:00']);
		// 08:00 in Shanghai is 00:00 UTC; the default window is two hours and the task is due at its end
		expect(tasks[0].window_start.toISOString()).toBe('2030-03-01T00:00:00.000Z');
		expect(tasks[0].due_at.toISOString()).toBe('2030-03-01T02:00:00.000Z');
		expect(tasks[0].title).toBe('Temperature check · 甲 · 1号楼 · 2030-03-01 08:00');
		expect(tasks.every((t) => t.priority === 3 && t.required_skills.join() === 'temperature_check' && t.status === 'open')).toBe(true);
		expect(await count(`SELECT 1 FROM grid.task_event e JOIN grid.task t ON t.id = e.task_id WHERE t.campaign_id = $1 AND e.kind = 'created' AND e.to_status = 'open'`, [r.campaignId])).toBe(8);
		const households = await q<{ n: number }>(`SELECT count(*)::int AS n FROM grid.task WHERE campaign_id = $1 AND household_id IS NULL`, [r.campaignId]);
		expect(households[0].n).toBe(0);
	});

	it('running it again creates nothing twice', async () => {
		const r = await run(db.config(), (uow) => runCampaign(uow, temperature()));
		expect(r).toMatchObject({ definition: 'unchanged', targetsMatched: 2, created: 0, alreadyPresent: 8, cancelled: 0, reopened: 0, run: 2 });
		expect(await count(`SELECT 1 FROM grid.task WHERE campaign_id = $1`, [r.campaignId])).toBe(8);
		expect(await count(`SELECT 1 FROM grid.task_event e JOIN grid.task t ON t.id = e.task_id WHERE t.campaign_id = $1`, [r.campaignId])).toBe(8);
	});

	it('adds residents who newly match, cancels the open tasks of those who no longer do and keeps assigned ones', async () => {
		await quarantine('丙', 'home_quarantine', at('2030-03-02T00:00:00'));
		await quarantine('乙', 'normal', null);
		const [assigned] = await q<{ id: number }>(`SELECT id::int FROM grid.task WHERE resident_id = $1 ORDER BY id LIMIT 1`, [ids['乙']]);
		await q(`UPDATE grid.task SET status = 'assigned', assigned_at = now() WHERE id = $1`, [assigned.id]);
		const r = await run(db.config(), (uow) => runCampaign(uow, temperature()));
		// 丙: 03-01 08:00 and 16:00 before the end at 03-02 00:00
		expect(r).toMatchObject({ targetsMatched: 2, created: 2, alreadyPresent: 5, cancelled: 2, keptAssigned: 1 });
		const byStatus = await q<{ status: string; n: number; reason: string | null }>(
			`SELECT status, cancel_reason AS reason, count(*)::int AS n FROM grid.task WHERE resident_id = $1 GROUP BY 1, 2 ORDER BY 1`, [ids['乙']]);
		expect(byStatus).toEqual([
			{ status: 'assigned', reason: null, n: 1 },
			{ status: 'cancelled', reason: 'campaign: target no longer matches the filter', n: 2 },
		]);
		expect(await count(`SELECT 1 FROM grid.task_event e JOIN grid.task t ON t.id = e.task_id
			WHERE t.resident_id = $1 AND e.kind = 'cancelled' AND e.from_status = 'open' AND e.to_status = 'cancelled'`, [ids['乙']])).toBe(2);
		expect(await count(`SELECT 1 FROM grid.task WHERE resident_id = $1 AND status = 'open'`, [ids['丙']])).toBe(2);
	});

	it('reopens the cancelled tasks of a resident who matches again, and cancels occurrences past an earlier quarantine end', async () => {
		await quarantine('乙', 'home_quarantine', at('2030-03-02T10:00:00'));
		await quarantine('甲', 'home_quarantine', at('2030-03-02T00:00:00'));
		const r = await run(db.config(), (uow) => runCampaign(uow, temperature()));
		// 乙's two cancelled tasks come back; 甲's 03-02 08/16 and 03-03 08 are no longer scheduled
		expect(r).toMatchObject({ targetsMatched: 3, created: 0, reopened: 2, cancelled: 3 });
		expect(await count(`SELECT 1 FROM grid.task WHERE resident_id = $1 AND status = 'open'`, [ids['乙']])).toBe(2);
		const gone = await q<{ occurrence: string; cancel_reason: string }>(
			`SELECT occurrence, cancel_reason FROM grid.task WHERE resident_id = $1 AND status = 'cancelled' ORDER BY occurrence`, [ids['甲']]);
		expect(gone).toEqual(['2030-03-02T08:00', '2030-03-02T16:00', '2030-03-03T08:00'].map((o) => ({ occurrence: o, cancel_reason: 'campaign: occurrence no longer scheduled' })));
	});

	it('plans only the next 24 hours by default, and the next run adds the following day', async () => {
		const base = temperature({ key: 'temp-horizon', upToEnd: false, residentFilter: { statuses: ['home_quarantine'] } });
		await quarantine('甲', 'home_quarantine', at('2030-03-03T12:00:00'));
		const first = await run(db.config(), (uow) => runCampaign(uow, base));
		// 甲, 乙, 丙 match; up to 03-02 07:00: 03-01 08:00 and 16:00 each (丙 until 03-02 00:00)
		expect(first).toMatchObject({ targetsMatched: 3, created: 6, plannedUntil: at('2030-03-02T07:00:00').toISOString() });
		// at 09:30 the 08:00 window (until 10:00) is still running: 03-02 08:00 (甲, 乙), 16:00 (甲) and 03-03 08:00 (甲) are added
		const next = await run(db.config(), (uow) => runCampaign(uow, { ...base, asOf: at('2030-03-02T09:30:00') }));
		expect(next).toMatchObject({ created: 4, alreadyPresent: 0, plannedUntil: at('2030-03-03T09:30:00').toISOString() });
	});

	it('says so when the filter matches nobody, creating nothing', async () => {
		const r = await run(db.config(), (uow) => runCampaign(uow, temperature({ key: 'pregnant-followup', residentFilter: { tags: ['pregnant'] } })));
		expect(r).toMatchObject({ targetsMatched: 0, created: 0 });
		expect(r.notice).toMatch(/The filter matches no residents in 370614-001-001: no tasks were created/);
		expect(await count(`SELECT 1 FROM grid.task WHERE campaign_id = $1`, [r.campaignId])).toBe(0);
	});

	it('refuses a run over the cap with the count, writing nothing', async () => {
		const before = await count(`SELECT 1 FROM grid.task`);
		const events = await count(`SELECT 1 FROM grid.task_event`);
		const err = await run(db.config(), (uow) => runCampaign(uow, temperature({ key: 'capped', maxTasks: 3 }))).catch((e) => e);
		expect(err).toBeInstanceOf(FieldError);
		expect(err.field).toBe('Max Tasks per Run');
		expect(err.message).toMatch(/would create 10 tasks \(3 targets\), more than Max Tasks per Run 3; nothing was written/);
		expect(await count(`SELECT 1 FROM grid.task`)).toBe(before);
		expect(await count(`SELECT 1 FROM grid.task_event`)).toBe(events);
		expect(await count(`SELECT 1 FROM grid.campaign WHERE campaign_key = 'capped'`)).toBe(0);
	});

	it('takes quarantine-end and tag filters from the registry', async () => {
		await q(`UPDATE grid.resident SET tags = '{elderly_living_alone}' WHERE id = $1`, [ids['庚']]);
		const r = await run(db.config(), (uow) => runCampaign(uow, {
			key: 'elderly-visit', kind: 'door_survey', within: { code: '370614' }, target: 'resident',
			residentFilter: { tags: ['elderly_living_alone'] }, schedule: { mode: 'once', dueAt: at('2030-03-08T18:00:00') }, asOf: T0,
		}));
		expect(r).toMatchObject({ targetsMatched: 1, created: 1 });
		const [t] = await q<{ resident_id: number; occurrence: string; title: string }>(`SELECT resident_id::int, occurrence, title FROM grid.task WHERE campaign_id = $1`, [r.campaignId]);
		expect(t).toEqual({ resident_id: ids['庚'], occurrence: 'once', title: 'Door-to-door survey · 庚 · 2号楼' });
		// quarantine ending within 3 days of the real clock
		await q(`UPDATE grid.resident SET health_status = 'home_quarantine', quarantine_ends_at = now() + interval '2 days' WHERE id = $1`, [ids['丁']]);
		const soon = await run(db.config(), (uow) => runCampaign(uow, {
			key: 'release-followup', kind: 'quarantine_followup', within: { code: COMMUNITY }, target: 'resident',
			residentFilter: { quarantineEndsWithinDays: 3 }, schedule: { mode: 'once', dueAt: new Date(Date.now() + 5 * 86_400_000) },
		}));
		expect(soon).toMatchObject({ targetsMatched: 1, created: 1 });
	});
});

describe('unit campaigns', () => {
	const survey = (extra: Partial<CampaignRun> = {}): CampaignRun => ({
		key: 'door-survey-grid-1',
		kind: 'door_survey',
		within: { code: GRID },
		target: 'unit',
		unitLevel: 5,
		schedule: { mode: 'once', dueAt: at('2030-03-08T18:00:00') },
		template: { title: '入户摸排 {unit} ({code})' },
		asOf: T0,
		...extra,
	});

	it('creates a door-to-door survey of every building in a grid by Friday, once', async () => {
		const r = await run(db.config(), (uow) => runCampaign(uow, survey()));
		expect(r).toMatchObject({ target: 'unit', targetsMatched: 2, created: 2, plannedUntil: null });
		const tasks = await q<{ title: string; due_at: Date; resident_id: number | null }>(`SELECT title, due_at, resident_id FROM grid.task WHERE campaign_id = $1 ORDER BY title`, [r.campaignId]);
		expect(tasks.map((t) => t.title)).toEqual([`入户摸排 1号楼 (${B1})`, `入户摸排 2号楼 (${B2})`]);
		expect(tasks.every((t) => t.due_at.toISOString() === '2030-03-08T10:00:00.000Z' && t.resident_id === null)).toBe(true);
		const again = await run(db.config(), (uow) => runCampaign(uow, survey()));
		expect(again).toMatchObject({ created: 0, alreadyPresent: 2, definition: 'unchanged' });
	});

	it('updates the definition when the same key comes with a different filter, and says so', async () => {
		const r = await run(db.config(), (uow) => runCampaign(uow, survey({ within: { code: COMMUNITY } })));
		expect(r).toMatchObject({ definition: 'updated', changed: ['unit', 'filter'], targetsMatched: 4, created: 2, alreadyPresent: 2 });
		expect(r.notice).toMatch(/stored definition of campaign "door-survey-grid-1" was updated \(unit, filter\)/);
		const [c] = await q<{ filter: Record<string, unknown>; runs: number }>(`SELECT filter, runs FROM grid.campaign WHERE campaign_key = 'door-survey-grid-1'`);
		expect(c).toEqual({ filter: { within: COMMUNITY, level: 5 }, runs: 3 });
		const err = await run(db.config(), (uow) => runCampaign(uow, { ...survey(), target: 'resident', unitLevel: undefined })).catch((e) => e);
		expect(err.field).toBe('Target');
	});

	it('creates nothing once the due time has passed, with a notice', async () => {
		const r = await run(db.config(), (uow) => runCampaign(uow, survey({ key: 'late-survey', asOf: at('2030-03-09T00:00:00') })));
		expect(r).toMatchObject({ targetsMatched: 2, created: 0 });
		expect(r.notice).toMatch(/has passed/);
	});

	it('gets and lists campaigns with their task counts', async () => {
		const [got, missing] = await run(db.config(), (uow) => getCampaigns(uow, [{ key: 'door-survey-grid-1' }, { key: 'nope' }]));
		expect(got.ok && !Array.isArray(got.value) && got.value).toMatchObject({ key: 'door-survey-grid-1', target: 'unit', unitCode: COMMUNITY, tasks: { open: 4, total: 4 } });
		expect(!missing.ok && missing.error.message).toMatch(/unknown campaign "nope"/);
		const list = await run(db.config(), (uow) => listCampaigns(uow, { within: { code: COMMUNITY }, kinds: ['door_survey'] }));
		expect(list.map((c) => c.key).sort()).toEqual(['door-survey-grid-1', 'late-survey']);
	});
});

describe('scope', () => {
	const street1 = () => db.config({ scopeCode: '370614-001' });

	it('a credential scoped to a street cannot run a campaign over the district, and reaches only its own residents', async () => {
		const err = await run(street1(), (uow) => runCampaign(uow, temperature({ key: 'district-wide', within: { code: '370614' } }))).catch((e) => e);
		expect(err.field).toBe('Within Unit');
		expect(err.message).toMatch(/unknown grid unit 370614 \(or it lies outside this credential's scope 370614-001\)/);
		const r = await run(street1(), (uow) => runCampaign(uow, temperature({ key: 'street-1', within: { code: '370614-001' }, upToEnd: false })));
		// 甲, 乙, 丙, 丁 and 戊 are in street 1; 己 in street 2 is not visible
		expect(r.targetsMatched).toBe(5);
		expect(await count(`SELECT 1 FROM grid.task WHERE campaign_id = $1 AND resident_id = $2`, [r.campaignId, ids['己']])).toBe(0);
	});

	it('a key taken by a campaign outside the scope is refused', async () => {
		await run(db.config(), (uow) => runCampaign(uow, temperature({ key: 'street-2', within: { code: '370614-002' } })));
		const err = await run(street1(), (uow) => runCampaign(uow, temperature({ key: 'street-2', within: { code: '370614-001' } }))).catch((e) => e);
		expect(err.field).toBe('Campaign Key');
		expect(err.message).toMatch(/taken by a campaign outside this credential's scope/);
	});
});

describe('validation', () => {
	it.each([
		['a time of day out of range', { schedule: { mode: 'timesOfDay', times: ['25:00'] } }, 'Times of Day', /local times like 08:00/],
		['a repeated time', { schedule: { mode: 'timesOfDay', times: ['8:00', '08:00'] } }, 'Times of Day', /lists 08:00 twice/],
		['a one-time campaign without a due time', { schedule: { mode: 'once' } }, 'Due At', /required/],
		['an end before the start', { schedule: { mode: 'timesOfDay', times: ['08:00'], startAt: at('2030-03-02T00:00:00'), endAt: at('2030-03-01T00:00:00') } }, 'End At', /must be after Start At/],
		['up to the end with no end', { upToEnd: true, schedule: { mode: 'timesOfDay', times: ['08:00'] } }, 'Create Up to the End', /has no end/],
		['until quarantine ends for units', { target: 'unit', residentFilter: undefined, schedule: { mode: 'timesOfDay', times: ['08:00'], untilQuarantineEnds: true } }, 'Until Quarantine Ends', /resident campaigns only/],
		['an unknown health status', { residentFilter: { statuses: ['zombie'] } }, 'Health Statuses', /not a health status/],
		['a zero cap', { maxTasks: 0 }, 'Max Tasks per Run', /from 1/],
	])('rejects %s', (_l, extra, field, message) => {
		try {
			checkCampaignRun(temperature(extra as Partial<CampaignRun>));
			throw new Error('accepted');
		} catch (e) {
			expect((e as FieldError).field).toBe(field);
			expect((e as Error).message).toMatch(message);
		}
	});
});
