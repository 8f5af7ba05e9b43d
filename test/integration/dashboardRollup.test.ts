/**
 * The dashboard on real data: the page is built from a street's last 30 days (synthetic activity in
 * the current month), rendered in Debian's Chromium, and the figures it shows are checked against
 * the rollup of the same window and against per-day rollups of the SLA line. A screenshot is saved
 * in test/artifacts/ for a person to look at.
 */
import { mkdirSync } from 'fs';
import path, { join } from 'path';
import { Client } from 'pg';
import { closeAllPools } from '../../nodes/shared/db/pool';
import { renderDashboard } from '../../nodes/shared/domain/stats/dashboard';
import { dashboardData } from '../../nodes/shared/domain/stats/dashboardQuery';
import type { DashboardData } from '../../nodes/shared/domain/stats/dashboardTypes';
import { localToday, periodOf } from '../../nodes/shared/domain/stats/period';
import { rollup } from '../../nodes/shared/domain/stats/rollup';
import { findChromium, renderInChromium } from '../helpers/chromium';
import { checkFigures, figuresOf } from '../helpers/dashboardDom';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { run, seedSmallDistrict } from '../helpers/uow';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { seedActivity } = require(path.join(__dirname, '..', '..', 'bench', 'lib', 'activity.js'));

const TZ = 'Asia/Shanghai';
const STREET = '370614-001';
const chromium = findChromium();
const maybe = chromium ? test : test.skip;
if (!chromium) console.warn('Chromium not found: skipping the dashboard rendering test on real data; install Debian\'s chromium package');

let db: TestDatabase;
let data: DashboardData;
const shift = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
	db = await createTestDatabase('dashboard_rollup');
	await seedSmallDistrict(db.config());
	const admin = new Client({ connectionString: db.url });
	await admin.connect();
	try {
		// this month and the one before, so that the 30-day window holds activity whatever today is
		const today = localToday(TZ);
		for (const month of [shift(`${today.slice(0, 7)}-01`, -1).slice(0, 7), today.slice(0, 7)]) {
			await seedActivity(admin, 'grid', { residents: 400, observations: 600, incidents: 500, tasks: 300, volunteers: 4 }, { month });
		}
	} finally {
		await admin.end();
	}
	data = await run(db.config({ timezone: TZ }), (uow) => dashboardData(uow, { unit: { code: STREET }, days: 30, topOverdue: 8 }));
});

afterAll(async () => {
	await closeAllPools();
	await db.drop();
});

describe('dashboard built from the database', () => {
	it('takes its health, task and total figures from the rollup of the same 30 days', async () => {
		const today = localToday(TZ);
		const window = periodOf({ type: 'custom', startDate: shift(today, -29), endDate: today }, TZ);
		const r = await run(db.config({ timezone: TZ }), (uow) => rollup(uow, { unit: { code: STREET }, period: window, byLevel: 3 }));
		expect(data.healthStatus).toEqual(r.total.residents.byHealthStatus);
		expect(data.tasksDoneByKind).toEqual(r.total.tasks.doneByKind);
		expect(data.totals).toMatchObject({ residents: r.total.residents.total, tasksDone: r.total.tasks.done, onTimeRate30d: r.total.incidents.onTimeRate });
		expect(data.incidentsByStatus.map((u) => u.unitCode)).toEqual(r.rows.map((row) => row.unitCode));
		// every community's incidents by status add up to the incidents created in the window
		for (const u of data.incidentsByStatus) {
			const row = r.rows.find((x) => x.unitCode === u.unitCode)!;
			expect(Object.values(u.counts).reduce((s, n) => s + n, 0)).toBe(row.incidents.created);
		}
	});

	it('draws the SLA line from the same resolutions a day rollup counts', async () => {
		const days = data.slaDaily.filter((d) => d.resolvedWithDue > 0).slice(-3);
		expect(days.length).toBeGreaterThan(0);
		for (const d of days) {
			const r = await run(db.config({ timezone: TZ }), (uow) => rollup(uow, { unit: { code: STREET }, period: periodOf({ type: 'day', date: d.date }, TZ), byLevel: 0 }));
			expect([d.date, d.resolvedWithDue, d.resolvedOnTime]).toEqual([d.date, r.total.incidents.resolvedWithDue, r.total.incidents.resolvedOnTime]);
		}
	});

	it('lists the most overdue open cases first', async () => {
		const [{ n }] = await db.query<{ n: number }>(
			`SELECT count(*)::int AS n FROM grid.incident i JOIN grid.grid_unit u ON u.id = i.unit_id
			WHERE u.code LIKE $1 AND i.status IN ('new', 'triaged', 'assigned', 'in_progress') AND i.due_at < now()`, [`${STREET}-%`]);
		expect(data.totals.incidentsOverdue).toBe(n);
		expect(data.topOverdue.length).toBe(Math.min(8, n));
		const minutes = data.topOverdue.map((o) => o.overdueMinutes);
		expect(minutes).toEqual([...minutes].sort((a, b) => b - a));
	});

	maybe('shows exactly those figures when Chromium renders the page', async () => {
		const artifacts = join(__dirname, '..', 'artifacts');
		mkdirSync(artifacts, { recursive: true });
		const { dom } = await renderInChromium(renderDashboard(data), { screenshotPath: join(artifacts, 'dashboard-rollup.png'), width: 1280, height: 1400 });
		expect(checkFigures(dom, data)).toEqual([]);
		const shown = figuresOf(dom);
		expect(shown.get('totals.residents')).toBe(String(data.totals.residents));
		expect(shown.get('health.home_quarantine')).toBe(String(data.healthStatus.home_quarantine));
	});
});
