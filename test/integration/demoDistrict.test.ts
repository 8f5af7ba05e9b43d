import path from 'path';
import { closeAllPools } from '../../nodes/shared/db/pool';
import { loadResidentRecords } from '../../nodes/shared/domain/resident/residentRecord';
import { staffPerformance } from '../../nodes/shared/domain/stats/performance';
import { localToday, periodOf, shiftDate } from '../../nodes/shared/domain/stats/period';
import { rollup } from '../../nodes/shared/domain/stats/rollup';
import { idNumber } from '../../nodes/shared/validation/idNumber';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { run } from '../helpers/uow';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { loadDemoDistrict } = require(path.join(__dirname, '..', '..', 'scripts', 'demo', 'load.js'));

// The paper's district scaled to 2%: its 66,000 households become 1,320, its 2,400 party members 48
// and its 904 sent-down cadres 18; the grid itself is always whole.
const SCALE = 0.02;
const NOW = Date.now();
const quiet = { out: { isTTY: false, write: () => true }, log: () => undefined };
let a: TestDatabase;
let b: TestDatabase;
let first: { state: string; ms: number };

const int = async (db: TestDatabase, sql: string, params: unknown[] = []) => Number(Object.values((await db.query(sql, params))[0])[0]);

/** Row counts of every table the demo writes, to see that a second load writes nothing. */
async function tableCounts(db: TestDatabase): Promise<Record<string, number>> {
	const tables = ['grid_unit', 'staff', 'grid_assignment', 'household', 'resident', 'resident_tag', 'health_status_history', 'health_observation',
		'volunteer', 'team', 'team_member', 'incident', 'incident_event', 'task', 'task_event', 'audit_log'];
	const out: Record<string, number> = {};
	for (const t of tables) out[t] = await int(db, `SELECT count(*) FROM grid.${t}`);
	return out;
}

/** A digest of what the seed decides, computed by the database: people, volunteers, teams and history. */
async function digest(db: TestDatabase): Promise<string> {
	const [row] = await db.query<{ d: string }>(`SELECT md5(concat_ws('|',
		(SELECT string_agg(concat_ws(',', r.name, r.doc_hash, r.phone_hash, r.birth_year, r.sex, r.relation, r.tags::text, r.health_status,
			r.quarantine_ends_at, u.code, h.unit_no, h.room_no), ';' ORDER BY r.doc_hash)
			FROM grid.resident r JOIN grid.grid_unit u ON u.id = r.unit_id JOIN grid.household h ON h.id = r.household_id),
		(SELECT string_agg(concat_ws(',', v.volunteer_no, v.name, v.kind, v.home_agency, v.skills::text, u.code, v.phone_hash), ';' ORDER BY v.volunteer_no)
			FROM grid.volunteer v JOIN grid.grid_unit u ON u.id = v.unit_id),
		(SELECT string_agg(concat_ws(',', t.name, t.kind, u.code, (SELECT count(*) FROM grid.team_member m WHERE m.team_id = t.id)), ';' ORDER BY u.code, t.name)
			FROM grid.team t JOIN grid.grid_unit u ON u.id = t.unit_id),
		(SELECT string_agg(concat_ws(',', i.reference, i.category, i.status, i.risk_level, i.satisfaction, i.created_at, i.due_at, i.closed_at, u.code, s.staff_no),
			';' ORDER BY i.reference)
			FROM grid.incident i JOIN grid.grid_unit u ON u.id = i.unit_id LEFT JOIN grid.staff s ON s.id = i.assignee_staff_id),
		(SELECT string_agg(concat_ws(',', t.kind, t.status, t.created_at, t.completed_at, u.code, v.volunteer_no), ';' ORDER BY t.created_at, t.title, t.status)
			FROM grid.task t JOIN grid.grid_unit u ON u.id = t.unit_id LEFT JOIN grid.volunteer v ON v.id = t.assignee_volunteer_id),
		(SELECT count(*) FROM grid.health_observation))) AS d`);
	return row.d;
}

beforeAll(async () => {
	[a, b] = await Promise.all([createTestDatabase('demo_a'), createTestDatabase('demo_b')]);
	first = await loadDemoDistrict(a.config(), { scale: SCALE, now: NOW, ...quiet });
	await loadDemoDistrict(b.config(), { scale: SCALE, now: NOW, ...quiet });
});

afterAll(async () => {
	await closeAllPools();
	// the demo loader runs the built package, whose pools are its own
	await require(path.join(__dirname, '..', '..', 'dist', 'nodes', 'shared', 'db', 'pool')).closeAllPools();
	await Promise.all([a?.drop(), b?.drop()]);
});

describe('the demo district at 2% scale', () => {
	it('has the paper\'s grid: 1 district, 5 streets, 11 communities, 220 grids, 4,400 buildings in 250 compounds, and its staff', async () => {
		const levels = await a.query<{ level: number; n: number }>(`SELECT level, count(*)::int AS n FROM grid.grid_unit GROUP BY level ORDER BY level`);
		expect(levels).toEqual([{ level: 1, n: 1 }, { level: 2, n: 5 }, { level: 3, n: 11 }, { level: 4, n: 220 }, { level: 5, n: 4400 }]);
		const roles = new Set((await a.query<{ role: string }>(`SELECT DISTINCT role FROM grid.grid_assignment`)).map((r) => r.role));
		for (const role of ['grid_head', 'grid_member', 'grid_assistant', 'grid_instructor', 'community_worker', 'sent_down_cadre']) expect(roles).toContain(role);
		// every base grid has its head, and the paper's 93 community workers
		expect(await int(a, `SELECT count(DISTINCT unit_id) FROM grid.grid_assignment WHERE role = 'grid_head'`)).toBe(220);
		expect(await int(a, `SELECT count(*) FROM grid.grid_assignment WHERE role = 'community_worker'`)).toBe(93);
		expect(first.state).toBe('loaded');
	});

	it('houses about 2.5 people a household, an ageing population with tags, in buildings of the grid', async () => {
		const households = await int(a, `SELECT count(*) FROM grid.household`);
		const residents = await int(a, `SELECT count(*) FROM grid.resident`);
		expect(households).toBe(Math.round(66_000 * SCALE));
		expect(residents / households).toBeGreaterThan(2.3);
		expect(residents / households).toBeLessThan(2.8);
		expect(await int(a, `SELECT count(*) FROM grid.resident r JOIN grid.grid_unit u ON u.id = r.unit_id WHERE u.level <> 5 OR r.household_id IS NULL`)).toBe(0);
		const year = new Date(NOW).getUTCFullYear();
		const old = await int(a, `SELECT count(*) FROM grid.resident WHERE birth_year <= $1`, [year - 60]);
		expect(old / residents).toBeGreaterThan(0.2);
		const tags = new Map((await a.query<{ tag: string; n: number }>(`SELECT tag, count(*)::int AS n FROM grid.resident_tag GROUP BY tag`)).map((r) => [r.tag, r.n]));
		for (const tag of ['elderly_living_alone', 'disabled', 'chronic_illness', 'child']) expect(tags.get(tag)).toBeGreaterThan(0);
		// living alone is a tag of the elderly, child one of the young
		expect(await int(a, `SELECT count(*) FROM grid.resident WHERE 'elderly_living_alone' = ANY(tags) AND birth_year > $1`, [year - 64])).toBe(0);
		expect(await int(a, `SELECT count(*) FROM grid.resident WHERE 'child' = ANY(tags) AND birth_year < $1`, [year - 14])).toBe(0);
		const withPhone = await int(a, `SELECT count(*) FROM grid.resident WHERE phone_hash IS NOT NULL AND birth_year <= $1`, [year - 19]);
		const adults = await int(a, `SELECT count(*) FROM grid.resident WHERE birth_year <= $1`, [year - 19]);
		expect(withPhone / adults).toBeGreaterThan(0.7);
	});

	it('stores ID numbers and phones only hashed, masked and encrypted; revealed, they pass GB 11643 with region 370614 and the birth year', async () => {
		const ids = (await a.query<{ id: number }>(`SELECT id FROM grid.resident ORDER BY id`)).map((r) => Number(r.id));
		const records = await run(a.config(), (uow) => loadResidentRecords(uow, ids, true));
		expect(records.size).toBe(ids.length);
		const rows = new Map((await a.query<{ id: number; birth_year: number; sex: string }>(`SELECT id, birth_year, sex FROM grid.resident`)).map((r) => [Number(r.id), r]));
		const docs: string[] = [];
		const phones: string[] = [];
		for (const [id, r] of records) {
			const checked = idNumber(r.documentNumber, 'Document Number', new Date(NOW));
			expect(checked.normalized.slice(0, 6)).toBe('370614');
			expect(checked.birthYear).toBe(rows.get(id)!.birth_year);
			expect(checked.sex).toBe(rows.get(id)!.sex);
			docs.push(checked.normalized);
			if (r.phone) phones.push(r.phone);
		}
		expect(new Set(docs).size).toBe(docs.length);
		// no column of any resident row holds a number in the clear
		const sample = [...docs.filter((_, k) => k % 97 === 0), ...phones.filter((_, k) => k % 97 === 0)];
		expect(sample.length).toBeGreaterThan(30);
		expect(await int(a, `SELECT count(*) FROM grid.resident r WHERE r::text LIKE ANY (SELECT '%' || x || '%' FROM unnest($1::text[]) x)`, [sample])).toBe(0);
		// created through the domain, so audited
		expect(await int(a, `SELECT count(*) FROM grid.audit_log WHERE entity = 'resident' AND action = 'insert' AND actor->>'node' = 'Demo district generator'`)).toBeGreaterThan(0);
	});

	it('has residents in every quarantine state, with a health history that adds up', async () => {
		const states = new Map((await a.query<{ s: string; n: number }>(`SELECT health_status AS s, count(*)::int AS n FROM grid.resident GROUP BY 1`)).map((r) => [r.s, r.n]));
		for (const s of ['home_quarantine', 'central_quarantine', 'symptomatic', 'recovered']) expect(states.get(s)).toBeGreaterThanOrEqual(3);
		// a quarantine lasts 14 days, began in the last 14 and is the resident's current history row
		expect(await int(a, `SELECT count(*) FROM grid.resident r JOIN grid.health_status_history h ON h.resident_id = r.id AND h.ended_at IS NULL
			WHERE r.health_status IN ('home_quarantine', 'central_quarantine')
				AND (h.status <> r.health_status OR h.started_at <> r.quarantine_ends_at - interval '14 days' OR h.started_at > $1::timestamptz
					OR h.started_at < $1::timestamptz - interval '14 days' OR r.health_since <> h.started_at)`, [new Date(NOW).toISOString()])).toBe(0);
		// the recovered were confirmed before, and were in central quarantine before that
		expect(await int(a, `SELECT count(*) FROM grid.resident r WHERE r.health_status = 'recovered' AND
			(SELECT string_agg(h.status, '>' ORDER BY h.started_at) FROM grid.health_status_history h WHERE h.resident_id = r.id) <> 'central_quarantine>confirmed>recovered'`)).toBe(0);
		// temperatures of everyone in quarantine, taken during it
		expect(await int(a, `SELECT count(*) FROM grid.resident r WHERE r.health_status IN ('home_quarantine', 'central_quarantine')
			AND NOT EXISTS (SELECT 1 FROM grid.health_observation o WHERE o.resident_id = r.id)`)).toBe(0);
		expect(await int(a, `SELECT count(*) FROM grid.health_observation o WHERE NOT EXISTS (SELECT 1 FROM grid.health_status_history h
			WHERE h.resident_id = o.resident_id AND h.status <> 'recovered' AND o.observed_at >= h.started_at AND o.observed_at <= coalesce(h.ended_at, $1::timestamptz))`,
		[new Date(NOW).toISOString()])).toBe(0);
	});

	it('has party members, sent-down cadres and vanguard teams in every community', async () => {
		expect(await int(a, `SELECT count(*) FROM grid.volunteer WHERE kind = 'party_member'`)).toBe(Math.round(2_400 * SCALE));
		expect(await int(a, `SELECT count(*) FROM grid.volunteer WHERE kind = 'cadre' AND home_agency IS NOT NULL`)).toBe(Math.round(904 * SCALE));
		// 85 vanguard teams at full scale; scaled down, still one in each of the 11 communities
		expect(await int(a, `SELECT count(*) FROM grid.team WHERE kind = 'vanguard'`)).toBe(Math.max(11, Math.round(85 * SCALE)));
		expect(await int(a, `SELECT count(*) FROM grid.grid_unit c WHERE c.level = 3 AND NOT EXISTS (
			SELECT 1 FROM grid.team t JOIN grid.grid_unit g ON g.id = t.unit_id WHERE t.kind = 'vanguard' AND g.parent_id = c.id)`)).toBe(0);
		const kinds = (await a.query<{ kind: string }>(`SELECT DISTINCT kind FROM grid.team ORDER BY 1`)).map((r) => r.kind);
		expect(kinds).toEqual(['errand', 'lei_feng', 'militia_commando', 'temporary_branch', 'vanguard']);
		// every volunteer is in a team
		expect(await int(a, `SELECT count(*) FROM grid.volunteer v WHERE NOT EXISTS (SELECT 1 FROM grid.team_member m WHERE m.volunteer_id = v.id AND m.left_at IS NULL)`)).toBe(0);
	});

	it('has 30 days of incidents through their life cycle, assigned to the staff posted where they happened', async () => {
		const nowIso = new Date(NOW).toISOString();
		expect(await int(a, `SELECT count(*) FROM grid.incident WHERE created_at > $1::timestamptz OR created_at < $1::timestamptz - interval '30 days'`, [nowIso])).toBe(0);
		expect(await int(a, `SELECT count(DISTINCT (created_at AT TIME ZONE 'Asia/Shanghai')::date) FROM grid.incident`)).toBeGreaterThanOrEqual(30);
		const statuses = new Set((await a.query<{ status: string }>(`SELECT DISTINCT status FROM grid.incident`)).map((r) => r.status));
		for (const s of ['closed', 'duplicate', 'assigned', 'in_progress']) expect(statuses).toContain(s);
		expect(await int(a, `SELECT count(*) FROM grid.incident WHERE status = 'closed' AND satisfaction IS NOT NULL`)).toBeGreaterThan(0);
		expect(await int(a, `SELECT count(*) FROM grid.incident WHERE escalation_count > 0`)).toBeGreaterThan(0);
		expect(await int(a, `SELECT count(*) FROM grid.incident WHERE status IN ('new', 'assigned', 'in_progress') AND due_at < $1::timestamptz`, [nowIso])).toBeGreaterThan(0);
		// each timeline is a chain: an event leaves the status the one before reached, and the last one reached is the incident's
		expect(await int(a, `SELECT count(*) FROM (
			SELECT e.from_status, lag(e.to_status) OVER w AS before, e.kind FROM grid.incident_event e WHERE e.to_status IS NOT NULL
			WINDOW w AS (PARTITION BY e.incident_id ORDER BY e.at, e.id)) x WHERE x.kind <> 'created' AND x.from_status IS DISTINCT FROM x.before`)).toBe(0);
		expect(await int(a, `SELECT count(*) FROM grid.incident i WHERE i.status <> (
			SELECT e.to_status FROM grid.incident_event e WHERE e.incident_id = i.id AND e.to_status IS NOT NULL ORDER BY e.at DESC, e.id DESC LIMIT 1)`)).toBe(0);
		// nobody resolves before the case is created, nor closes before resolving
		expect(await int(a, `SELECT count(*) FROM grid.incident WHERE resolved_at < created_at OR closed_at < resolved_at OR updated_at > $1::timestamptz`, [nowIso])).toBe(0);
		// the assignee holds a post at the grid or community above the building
		expect(await int(a, `SELECT count(*) FROM grid.incident i JOIN grid.grid_unit b ON b.id = i.unit_id
			WHERE i.assignee_staff_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM grid.grid_assignment p JOIN grid.grid_unit u ON u.id = p.unit_id
				WHERE p.staff_id = i.assignee_staff_id AND starts_with(b.path, u.path) AND u.level IN (3, 4))`)).toBe(0);
		// a duplicate names an earlier report of the same category and building
		expect(await int(a, `SELECT count(*) FROM grid.incident d JOIN grid.incident o ON o.id = d.duplicate_of
			WHERE o.created_at >= d.created_at OR o.category <> d.category OR o.unit_id <> d.unit_id`)).toBe(0);
	});

	it('has 30 days of tasks, many done by volunteers whose hours count, and loads that match the tasks held', async () => {
		const kinds = new Set((await a.query<{ kind: string }>(`SELECT DISTINCT kind FROM grid.task`)).map((r) => r.kind));
		for (const k of ['door_survey', 'temperature_check', 'supply_delivery']) expect(kinds).toContain(k);
		expect(await int(a, `SELECT count(DISTINCT (created_at AT TIME ZONE 'Asia/Shanghai')::date) FROM grid.task`)).toBeGreaterThanOrEqual(30);
		expect(await int(a, `SELECT count(*) FROM grid.task WHERE status = 'done' AND assignee_volunteer_id IS NOT NULL AND completed_at > started_at`)).toBeGreaterThan(0);
		expect(await int(a, `SELECT count(*) FROM grid.task t JOIN grid.resident r ON r.id = t.resident_id WHERE t.kind = 'temperature_check'
			AND r.health_status NOT IN ('home_quarantine', 'central_quarantine')`)).toBe(0);
		expect(await int(a, `SELECT count(*) FROM grid.volunteer v WHERE v.current_load <> (SELECT count(*) FROM grid.task t
			WHERE t.assignee_volunteer_id = v.id AND t.status IN ('assigned', 'accepted', 'in_progress'))`)).toBe(0);
	});

	it('gives the rollup and staff performance thirty days of figures', async () => {
		const today = localToday('Asia/Shanghai', new Date(NOW));
		const period = periodOf({ type: 'custom', startDate: shiftDate(today, -30), endDate: today }, 'Asia/Shanghai');
		const r = await run(a.config(), (uow) => rollup(uow, { unit: { code: '370614' }, period, byLevel: 2 }));
		expect(r.rows).toHaveLength(5);
		// every incident of the history falls in these thirty-one local days (duplicates may or may not count as created)
		expect(r.total.incidents.created).toBeGreaterThanOrEqual(await int(a, `SELECT count(*) FROM grid.incident WHERE status <> 'duplicate'`));
		expect(r.total.incidents.created).toBeLessThanOrEqual(await int(a, `SELECT count(*) FROM grid.incident`));
		expect(r.total.incidents.escalated).toBeGreaterThan(0);
		expect(r.total.incidents.onTimeRate).toBeGreaterThan(0.5);
		expect(r.total.incidents.onTimeRate).toBeLessThan(1);
		expect(r.total.incidents.satisfactionAverage).toBeGreaterThan(3);
		expect(r.total.volunteers.hours).toBeGreaterThan(0);
		expect(r.total.health.observations).toBe(await int(a, `SELECT count(*) FROM grid.health_observation`));
		const perf = await run(a.config(), (uow) => staffPerformance(uow, { unit: { code: '370614' }, period, groupBy: 'staff', signForMinutes: 30 }));
		const assignments = perf.reduce((s, p) => s + p.assignments, 0);
		const signedOnTime = perf.reduce((s, p) => s + p.signedOnTime, 0);
		expect(assignments).toBe(await int(a, `SELECT count(*) FROM grid.incident_event WHERE kind = 'assigned'`));
		expect(signedOnTime / assignments).toBeGreaterThan(0.5);
		expect(signedOnTime).toBeLessThan(assignments);
	});

	it('writes nothing on a second load', async () => {
		const before = await tableCounts(a);
		const again = await loadDemoDistrict(a.config(), { scale: SCALE, now: NOW, ...quiet });
		expect(again.state).toBe('present');
		expect(await tableCounts(a)).toEqual(before);
	});

	it('gives the same data from the same seed', async () => {
		const [da, db] = await Promise.all([digest(a), digest(b)]);
		expect(da).toBe(db);
		expect(await int(a, `SELECT count(*) FROM grid.incident`)).toBe(await int(b, `SELECT count(*) FROM grid.incident`));
	});
});
