#!/usr/bin/env node
// node bench/stats/rollup.js [--units 46360 --residents 1700000 --observations 2000000 --incidents 500000 --tasks 300000 --runs 3]
//
// The rollup of a whole district by community for one month, on the demo district scaled 10x
// (bench/lib/district.js: 10 streets, 120 communities, 1,800 base grids, about 44,000 buildings)
// with a month of activity from bench/lib/activity.js: 1.7 million residents, 2 million temperature
// observations, 500,000 incidents, 300,000 tasks.
//   ours    rollup() through the package (one unit of work as the application role, row-level
//           security on), as the Grid Statistics node runs it: a fixed number of set-based queries
//   naive   the same figures the way a report form is filled in: one query per community per
//           indicator (plain `pg`, one connection), each counting one figure of one community's subtree
// Both run in the same process on the same data; the naive figures are checked against ours, so the
// comparison is of equal work. Server: GRID_BENCH_DATABASE_URL (admin URL; a scratch database is
// created and dropped), else an embedded PostgreSQL. Output: a table, and bench/results/rollup.json.
const path = require('path');
const { randomBytes } = require('crypto');
const pg = require('pg');
const { benchServer, measure, median, textTable, needDist: need, numericArgs, dbUrl, withClient, writeResult } = require('../lib/inProcess');
const { generateDistrict } = require('../lib/district');
const { seedActivity, CATEGORIES, RISKS, TASK_KINDS } = require('../lib/activity');

const ROOT = path.resolve(__dirname, '..', '..');
const RESULT_FILE = path.join(ROOT, 'bench', 'results', 'rollup.json');
const KEY = 'bench-personal-data-key-0123456789';
const ACTOR = { node: 'bench rollup' };
const MONTH = '2026-10';
const HEALTH = ['normal', 'symptomatic', 'home_quarantine', 'central_quarantine', 'confirmed', 'recovered', 'deceased'];
const TAGS = ['elderly_living_alone', 'disabled', 'chronic_illness', 'pregnant', 'child', 'key_population', 'returned_from_risk_area'];



const lib = {
	configFromUrl: need('db/config.js').configFromUrl,
	withUnitOfWork: need('db/unitOfWork.js').withUnitOfWork,
	closeAllPools: need('db/pool.js').closeAllPools,
	createUnits: need('domain/grid/units.js').createUnits,
	checkNewUnit: need('domain/grid/unitInput.js').checkNewUnit,
	DEFAULT_SEGMENT_WIDTHS: need('validation/gridCode.js').DEFAULT_SEGMENT_WIDTHS,
	rollup: need('domain/stats/rollup.js').rollup,
	periodOf: need('domain/stats/period.js').periodOf,
};



/**
 * Every indicator of a rollup row as its own query over one community's subtree ($1, $2: path range;
 * $3, $4: the period). Each returns one number, named like the rollup's dotted paths.
 */
function naiveIndicators() {
	const sub = (table, alias = 't') => `FROM ${table} ${alias} JOIN grid_unit u ON u.id = ${alias}.unit_id WHERE u.path >= $1 AND u.path < $2`;
	const inP = (col) => `${col} >= $3 AND ${col} < $4`;
	const list = [];
	const add = (id, text) => list.push({ id, text });
	for (const h of HEALTH) add(`residents.byHealthStatus.${h}`, `SELECT count(*) ${sub('resident')} AND t.active AND t.health_status = '${h}' AND $3::timestamptz IS NOT NULL AND $4::timestamptz IS NOT NULL`);
	for (const g of TAGS) add(`residents.byTag.${g}`, `SELECT count(*) ${sub('resident')} AND t.active AND '${g}' = ANY(t.tags) AND $3::timestamptz IS NOT NULL AND $4::timestamptz IS NOT NULL`);
	add('health.observations', `SELECT count(*) ${sub('health_observation')} AND ${inP('t.observed_at')}`);
	add('health.fevers', `SELECT count(*) ${sub('health_observation')} AND ${inP('t.observed_at')} AND t.fever`);
	add('health.quarantinesStarted', `SELECT count(*) ${sub('health_status_history')} AND t.status IN ('home_quarantine', 'central_quarantine') AND ${inP('t.started_at')}`);
	add('health.quarantinesEnded', `SELECT count(*) ${sub('health_status_history')} AND t.status IN ('home_quarantine', 'central_quarantine') AND ${inP('t.ended_at')}`);
	const counts = (at, where) => {
		add(`${at}.created`, `SELECT count(*) ${sub('incident')} ${where} AND ${inP('t.created_at')}`);
		add(`${at}.closed`, `SELECT count(*) ${sub('incident')} ${where} AND ${inP('t.closed_at')}`);
		add(`${at}.overdue`, `SELECT count(*) ${sub('incident')} ${where} AND t.status <> 'duplicate' AND t.due_at >= $3 AND t.due_at < least($4, now())
			AND coalesce(t.resolved_at, t.closed_at, 'infinity') > t.due_at`);
		add(`${at}.escalated`, `SELECT count(*) ${sub('incident')} ${where} AND EXISTS (SELECT 1 FROM incident_event e WHERE e.incident_id = t.id AND e.kind = 'escalated' AND ${inP('e.at')})`);
	};
	counts('incidents', '');
	for (const c of CATEGORIES) counts(`incidents.byCategory.${c}`, `AND t.category = '${c}'`);
	for (const r of RISKS) counts(`incidents.byRisk.${r}`, `AND t.risk_level = '${r}'`);
	const resolved = `coalesce(t.resolved_at, t.closed_at)`;
	add('incidents.duplicates', `SELECT count(*) ${sub('incident')} AND t.status = 'duplicate' AND ${inP('t.created_at')}`);
	add('incidents.resolvedWithDue', `SELECT count(*) ${sub('incident')} AND t.due_at IS NOT NULL AND ${inP(resolved)}`);
	add('incidents.resolvedOnTime', `SELECT count(*) ${sub('incident')} AND ${resolved} <= t.due_at AND ${inP(resolved)}`);
	add('incidents.satisfactionCount', `SELECT count(t.satisfaction) ${sub('incident')} AND ${inP('t.closed_at')}`);
	add('incidents.satisfactionSum', `SELECT coalesce(sum(t.satisfaction), 0) ${sub('incident')} AND ${inP('t.closed_at')}`);
	add('incidents.handlingMinutesMedian', `SELECT round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM ${resolved} - t.created_at) / 60))::numeric, 1) ${sub('incident')} AND ${inP(resolved)}`);
	add('incidents.handlingMinutesP90', `SELECT round((percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM ${resolved} - t.created_at) / 60))::numeric, 1) ${sub('incident')} AND ${inP(resolved)}`);
	for (const k of TASK_KINDS) {
		add(`tasks.createdByKind.${k}`, `SELECT count(*) ${sub('task')} AND t.kind = '${k}' AND ${inP('t.created_at')}`);
		add(`tasks.doneByKind.${k}`, `SELECT count(*) ${sub('task')} AND t.kind = '${k}' AND t.status = 'done' AND ${inP('t.completed_at')}`);
	}
	add('tasks.doneWithDue', `SELECT count(*) ${sub('task')} AND t.status = 'done' AND t.due_at IS NOT NULL AND ${inP('t.completed_at')}`);
	add('tasks.doneOnTime', `SELECT count(*) ${sub('task')} AND t.status = 'done' AND t.completed_at <= t.due_at AND ${inP('t.completed_at')}`);
	add('volunteers.tasksDone', `SELECT count(*) ${sub('task')} AND t.status = 'done' AND t.assignee_volunteer_id IS NOT NULL AND ${inP('t.completed_at')}`);
	add('volunteers.seconds', `SELECT coalesce(sum(floor(extract(epoch FROM t.completed_at - coalesce(t.started_at, t.assigned_at, t.completed_at)))), 0) ${sub('task')}
		AND t.status = 'done' AND t.assignee_volunteer_id IS NOT NULL AND ${inP('t.completed_at')}`);
	return list;
}

const valueAt = (row, id) => id.split('.').reduce((v, k) => (v === undefined || v === null ? undefined : v[k]), row);

async function naiveRollup(url, communities, period, indicators) {
	return withClient(url, async (c) => {
		// the same settings our rollup uses, so that only the shape of the work differs
		await c.query("SET search_path = grid, public; SET work_mem = '64MB'; SET jit = off");
		const out = new Map();
		for (const unit of communities) {
			const figures = {};
			for (const ind of indicators) {
				const { rows: [r] } = await c.query(ind.text, [unit.path, `${unit.path}~`, period.start, period.end]);
				figures[ind.id] = r[Object.keys(r)[0]] === null ? null : Number(r[Object.keys(r)[0]]);
			}
			out.set(unit.code, figures);
		}
		return out;
	});
}

async function main() {
	const a = numericArgs({ units: 46_360, residents: 1_700_000, observations: 2_000_000, incidents: 500_000, tasks: 300_000, volunteers: 2_400, runs: 3 }, process.argv.slice(2));
	const server = await benchServer();
	const name = `grid_bench_rollup_${randomBytes(4).toString('hex')}`;
	await withClient(server.admin, (c) => c.query(`CREATE DATABASE "${name}"`));
	const url = dbUrl(server.admin, name);
	const config = lib.configFromUrl(url, { personalDataKey: KEY, timezone: 'Asia/Shanghai' });
	try {
		const t0 = Date.now();
		const units = generateDistrict(a.units).map((u) => lib.checkNewUnit(u, lib.DEFAULT_SEGMENT_WIDTHS));
		await lib.withUnitOfWork(config, { actor: ACTOR }, async (w) => {
			const made = await lib.createUnits(w, units);
			if (made.some((o) => !o.ok)) throw new Error('could not create the district');
		});
		const seeded = await withClient(url, (c) => seedActivity(c, 'grid', a, { month: MONTH }));
		await withClient(url, (c) => c.query('VACUUM ANALYZE'));
		console.log(`data: ${units.length.toLocaleString('en-US')} units (${seeded.communities} communities), ${a.residents.toLocaleString('en-US')} residents, ${a.observations.toLocaleString('en-US')} observations, ${a.incidents.toLocaleString('en-US')} incidents, ${a.tasks.toLocaleString('en-US')} tasks, loaded in ${((Date.now() - t0) / 1000).toFixed(0)} s on ${server.label}`);

		const period = lib.periodOf({ type: 'month', date: `${MONTH}-15` }, 'Asia/Shanghai');
		const ours = [];
		let result;
		for (let r = 0; r < a.runs; r++) {
			const m = await measure(() => lib.withUnitOfWork(config, { actor: ACTOR }, (w) => lib.rollup(w, { unit: { code: '370614' }, period, byLevel: 3 })));
			ours.push(m);
			result = m.value;
		}
		const communities = await withClient(url, async (c) => (await c.query(`SELECT code, path FROM grid.grid_unit WHERE level = 3 ORDER BY path`)).rows);
		const indicators = naiveIndicators();
		const naive = await measure(() => naiveRollup(url, communities, period, indicators));

		// equal work: every naive figure equals ours
		let compared = 0;
		const mismatches = [];
		for (const row of result.rows) {
			const theirs = naive.value.get(row.unitCode);
			for (const ind of indicators) {
				compared++;
				const mine = valueAt(row, ind.id) ?? 0;
				const other = theirs[ind.id] ?? 0;
				if (Math.abs(Number(mine) - Number(other)) > 0.05) mismatches.push(`${row.unitCode} ${ind.id}: ours ${mine}, naive ${other}`);
			}
		}
		if (mismatches.length) throw new Error(`the naive figures differ from the rollup's:\n${mismatches.slice(0, 20).join('\n')}`);

		const ourSeconds = median(ours.map((m) => m.seconds));
		const queries = communities.length * indicators.length;
		const rows = [{
			workload: `rollup by community, 1 month (${communities.length} communities x ${indicators.length} indicators)`,
			ours: `${ourSeconds.toFixed(2)} s`,
			baseline: `${naive.seconds.toFixed(1)} s (${queries.toLocaleString('en-US')} queries)`,
			ratio: `${(naive.seconds / ourSeconds).toFixed(1)}x`,
			peakRss: `${Math.round(Math.max(...ours.map((m) => m.peakRssMb)))} MB`,
		}];
		console.log(textTable(['workload', 'ours', 'naive baseline', 'naive / ours', 'peak RSS'], rows.map((r) => [r.workload, r.ours, r.baseline, r.ratio, r.peakRss])));
		console.log(`figures compared with the naive baseline: ${compared.toLocaleString('en-US')}, all equal`);
		writeResult(RESULT_FILE, {
			benchmark: 'rollup',
			measuredAt: new Date().toISOString(),
			server: server.label,
			data: { units: units.length, communities: communities.length, residents: a.residents, observations: a.observations, incidents: a.incidents, tasks: a.tasks },
			ours: { seconds: ourSeconds, runs: ours.map((m) => m.seconds), peakRssMb: Math.max(...ours.map((m) => m.peakRssMb)) },
			naive: { seconds: naive.seconds, queries, indicators: indicators.length, peakRssMb: naive.peakRssMb },
			ratio: naive.seconds / ourSeconds,
			figuresCompared: compared,
		});
	} finally {
		await lib.closeAllPools();
		await withClient(server.admin, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).catch(() => undefined);
		await server.stop();
	}
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
