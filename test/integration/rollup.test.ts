/**
 * Rollups on the demo district (5 streets, 11 communities, 220 base grids, 4,400 buildings) with a
 * month of synthetic activity: each level's rows add up exactly to the level above, the district
 * total matches counts taken straight from the tables with plain SQL, facts parked above the
 * breakdown level get a row of their own, and a scoped credential sees only its subtree.
 */
import path from 'path';
import { Client } from 'pg';
import { closeAllPools } from '../../nodes/shared/db/pool';
import { periodOf } from '../../nodes/shared/domain/stats/period';
import { rollup, streamRollup } from '../../nodes/shared/domain/stats/rollup';
import type { Rollup, RollupRow } from '../../nodes/shared/domain/stats/types';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { run } from '../helpers/uow';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { loadDemoDistrict } = require(path.join(__dirname, '..', '..', 'scripts', 'demo', 'load.js'));
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { seedActivity } = require(path.join(__dirname, '..', '..', 'bench', 'lib', 'activity.js'));

const TZ = 'Asia/Shanghai';
const MONTH = periodOf({ type: 'month', date: '2026-10-15' }, TZ);
const SIZES = { residents: 30_000, observations: 40_000, incidents: 12_000, tasks: 9_000, volunteers: 300 };
let db: TestDatabase;
const byLevel = new Map<number, Rollup>();

/** Rates, averages, quantiles and rounded hours are derived, not summed. */
const DERIVED = new Set(['onTimeRate', 'duplicateRate', 'satisfactionAverage', 'handlingMinutesMedian', 'handlingMinutesP90', 'hours']);

/** Every additive figure of a row, by its dotted path. */
function additive(row: RollupRow): Map<string, number> {
	const out = new Map<string, number>();
	const walk = (value: unknown, at: string) => {
		if (typeof value === 'number') {
			if (!DERIVED.has(at.split('.').pop()!)) out.set(at, value);
		} else if (value && typeof value === 'object') {
			for (const [k, v] of Object.entries(value)) walk(v, at ? `${at}.${k}` : k);
		}
	};
	walk({ residents: row.residents, health: row.health, incidents: row.incidents, tasks: row.tasks, volunteers: row.volunteers }, '');
	return out;
}

function addInto(sum: Map<string, number>, row: RollupRow) {
	for (const [k, v] of additive(row)) sum.set(k, (sum.get(k) ?? 0) + v);
}

const prefix = (code: string, level: number) => code.split('-').slice(0, level).join('-');

beforeAll(async () => {
	db = await createTestDatabase('rollup');
	// the grid alone: this test seeds its own activity for October 2026 and checks its figures exactly
	await loadDemoDistrict(db.config(), { parts: ['grid'], out: { isTTY: false, write: () => true }, log: () => undefined });
	const admin = new Client({ connectionString: db.url });
	await admin.connect();
	try {
		await seedActivity(admin, 'grid', SIZES, { month: '2026-10' });
	} finally {
		await admin.end();
	}
	for (let level = 1; level <= 5; level++) {
		byLevel.set(level, await run(db.config({ timezone: TZ }), (uow) => rollup(uow, { unit: { code: '370614' }, period: MONTH, byLevel: level })));
	}
});

afterAll(async () => {
	await closeAllPools();
	// the demo loader runs the built package, whose pools are its own
	await require(path.join(__dirname, '..', '..', 'dist', 'nodes', 'shared', 'db', 'pool')).closeAllPools();
	await db.drop();
});

describe('rollup of the demo district for October 2026', () => {
	it('has one row per unit of the breakdown level, and the district row at its own level', () => {
		expect(byLevel.get(1)!.rows.map((r) => r.unitCode)).toEqual(['370614']);
		expect(byLevel.get(2)!.rows.filter((r) => !r.direct)).toHaveLength(5);
		expect(byLevel.get(3)!.rows.filter((r) => !r.direct)).toHaveLength(11);
		expect(byLevel.get(4)!.rows.filter((r) => !r.direct)).toHaveLength(220);
		expect(byLevel.get(5)!.rows.filter((r) => !r.direct)).toHaveLength(4_400);
	});

	it('gives facts parked in a community intake queue a direct row of their own below community level', () => {
		const direct = byLevel.get(4)!.rows.filter((r) => r.direct);
		expect(direct.length).toBeGreaterThan(0);
		expect(direct.every((r) => r.level === 3 && r.incidents.created > 0)).toBe(true);
		expect(byLevel.get(3)!.rows.some((r) => r.direct)).toBe(false);
	});

	it('adds up exactly: the rows of every level sum to the rows of the level above, and to the district total', () => {
		const district = additive(byLevel.get(1)!.total);
		expect(district.get('incidents.created')).toBeGreaterThan(0);
		for (let level = 2; level <= 5; level++) {
			const rows = byLevel.get(level)!.rows;
			const all = new Map<string, number>();
			for (const r of rows) addInto(all, r);
			expect(all).toEqual(district);
			expect(additive(byLevel.get(level)!.total)).toEqual(district);

			const above = new Map(byLevel.get(level - 1)!.rows.map((r) => [r.unitCode, additive(r)]));
			const grouped = new Map<string, Map<string, number>>();
			for (const r of rows) {
				const parent = r.level >= level - 1 ? prefix(r.unitCode, level - 1) : r.unitCode;
				const sum = grouped.get(parent) ?? new Map<string, number>();
				addInto(sum, r);
				grouped.set(parent, sum);
			}
			for (const [code, sum] of grouped) expect([code, sum]).toEqual([code, above.get(code)]);
		}
	});

	it('matches counts taken straight from the tables', async () => {
		const t = byLevel.get(3)!.total;
		const [facts] = await db.query<Record<string, string>>(
			`SELECT
				(SELECT count(*) FROM grid.resident WHERE active) AS residents,
				(SELECT count(*) FROM grid.resident WHERE active AND health_status = 'home_quarantine') AS home_quarantine,
				(SELECT count(*) FROM grid.resident WHERE active AND 'elderly_living_alone' = ANY(tags)) AS elderly,
				(SELECT count(*) FROM grid.health_observation WHERE observed_at >= $1 AND observed_at < $2) AS observations,
				(SELECT count(*) FROM grid.health_observation WHERE observed_at >= $1 AND observed_at < $2 AND temperature_c >= 37.3) AS fevers,
				(SELECT count(*) FROM grid.incident WHERE created_at >= $1 AND created_at < $2) AS created,
				(SELECT count(*) FROM grid.incident WHERE created_at >= $1 AND created_at < $2 AND category = 'sanitation') AS sanitation,
				(SELECT count(*) FROM grid.incident WHERE closed_at >= $1 AND closed_at < $2) AS closed,
				(SELECT count(*) FROM grid.incident WHERE created_at >= $1 AND created_at < $2 AND duplicate_of IS NOT NULL) AS duplicates,
				(SELECT count(*) FROM grid.incident WHERE status <> 'duplicate' AND due_at >= $1 AND due_at < $2
					AND (coalesce(resolved_at, closed_at) IS NULL OR coalesce(resolved_at, closed_at) > due_at)) AS overdue,
				(SELECT count(DISTINCT incident_id) FROM grid.incident_event WHERE kind = 'escalated' AND at >= $1 AND at < $2) AS escalated,
				(SELECT avg(satisfaction) FROM grid.incident WHERE closed_at >= $1 AND closed_at < $2) AS satisfaction,
				(SELECT count(*) FROM grid.task WHERE created_at >= $1 AND created_at < $2) AS tasks_created,
				(SELECT count(*) FROM grid.task WHERE status = 'done' AND completed_at >= $1 AND completed_at < $2) AS tasks_done,
				(SELECT count(*) FROM grid.task WHERE status = 'done' AND kind = 'errand' AND completed_at >= $1 AND completed_at < $2) AS errands_done`,
			['2026-10-01T00:00:00+08:00', '2026-11-01T00:00:00+08:00'],
		);
		expect(t.residents.total).toBe(Number(facts.residents));
		expect(t.residents.byHealthStatus.home_quarantine).toBe(Number(facts.home_quarantine));
		expect(t.residents.byTag.elderly_living_alone).toBe(Number(facts.elderly));
		expect(t.health.observations).toBe(Number(facts.observations));
		expect(t.health.fevers).toBe(Number(facts.fevers));
		expect(t.incidents.created).toBe(Number(facts.created));
		expect(t.incidents.byCategory.sanitation.created).toBe(Number(facts.sanitation));
		expect(t.incidents.closed).toBe(Number(facts.closed));
		expect(t.incidents.duplicates).toBe(Number(facts.duplicates));
		expect(t.incidents.overdue).toBe(Number(facts.overdue));
		expect(t.incidents.escalated).toBe(Number(facts.escalated));
		expect(t.incidents.satisfactionAverage).toBeCloseTo(Number(facts.satisfaction), 2);
		expect(t.tasks.created).toBe(Number(facts.tasks_created));
		expect(t.tasks.done).toBe(Number(facts.tasks_done));
		expect(t.tasks.doneByKind.errand).toBe(Number(facts.errands_done));
		expect(t.incidents.created).toBe(SIZES.incidents);
		expect(t.tasks.created).toBe(SIZES.tasks);
	});

	it('derives rates and quantiles from the figures beside them', () => {
		const t = byLevel.get(2)!.total.incidents;
		expect(t.onTimeRate).toBeCloseTo(t.resolvedOnTime / t.resolvedWithDue, 4);
		expect(t.duplicateRate).toBeCloseTo(t.duplicates / t.created, 4);
		expect(t.handlingMinutesMedian!).toBeGreaterThan(0);
		expect(t.handlingMinutesP90!).toBeGreaterThanOrEqual(t.handlingMinutesMedian!);
	});

	it('counts nothing in a month without activity', async () => {
		const empty = await run(db.config({ timezone: TZ }), (uow) =>
			rollup(uow, { unit: { code: '370614' }, period: periodOf({ type: 'month', date: '2025-03-01' }, TZ), byLevel: 2 }));
		expect(empty.total.incidents.created).toBe(0);
		expect(empty.total.health.observations).toBe(0);
		expect(empty.total.incidents.onTimeRate).toBeNull();
		// residents are a snapshot of now, so they are there whatever the period
		expect(empty.total.residents.total).toBe(byLevel.get(1)!.total.residents.total);
	});

	it('keeps a scoped credential to its subtree', async () => {
		const street = byLevel.get(2)!.rows.find((r) => !r.direct)!;
		const scoped = db.config({ timezone: TZ, scopeCode: street.unitCode });
		await expect(run(scoped, (uow) => rollup(uow, { unit: { code: '370614' }, period: MONTH, byLevel: 2 }))).rejects.toThrow(/outside this credential's scope/);
		const own = await run(scoped, (uow) => rollup(uow, { unit: { code: street.unitCode }, period: MONTH, byLevel: 3 }));
		expect(additive(own.total)).toEqual(additive(street));
	});

	it('gives a community the same figures whether rolled up on its own or within the district', async () => {
		for (const community of byLevel.get(3)!.rows.slice(0, 3)) {
			const own = await run(db.config({ timezone: TZ }), (uow) => rollup(uow, { unit: { code: community.unitCode }, period: MONTH, byLevel: 4 }));
			expect(additive(own.total)).toEqual(additive(community));
			const grids = new Map<string, number>();
			for (const r of own.rows) addInto(grids, r);
			expect(grids).toEqual(additive(community));
		}
	});

	it('streams the same rows and total a page of units at a time', async () => {
		for (const [level, pageSize] of [[4, 7], [5, 1000], [2, 2]] as const) {
			const whole = byLevel.get(level)!;
			const { total, rows } = await run(db.config({ timezone: TZ }), async (uow) => {
				const streamed = await streamRollup(uow, { unit: { code: '370614' }, period: MONTH, byLevel: level }, pageSize);
				const out = [];
				for await (const r of streamed.rows()) out.push(r);
				return { total: streamed.total, rows: out };
			});
			expect(rows.map((r) => r.unitCode).sort()).toEqual(whole.rows.map((r) => r.unitCode).sort());
			const byCode = new Map(whole.rows.map((r) => [r.unitCode, r]));
			for (const r of rows) expect(r).toEqual(byCode.get(r.unitCode));
			expect(additive(total)).toEqual(additive(whole.total));
		}
	});

	it('refuses a breakdown level above the unit', async () => {
		const street = byLevel.get(2)!.rows[0].unitCode;
		await expect(run(db.config(), (uow) => rollup(uow, { unit: { code: street }, period: MONTH, byLevel: 1 }))).rejects.toThrow(/break it down by its own level \(2\) or a lower one/);
	});
});
