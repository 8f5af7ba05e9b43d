#!/usr/bin/env node
// node bench/dispatch/run.js [--tasks 20000 --volunteers 5000 --parallel 4 --naive-tasks 2000 --chunk 1000]
//
// Dispatch of open tasks to volunteers, through the domain (dispatchTasks in withUnitOfWork, one
// connection per dispatcher, all in this process), against a naive baseline measured in the same run on
// the same data rebuilt: one task at a time (lock the next open task, find the best volunteer with one
// scoring query, raise the load, assign, write the event, commit). The naive rate is measured on the
// first --naive-tasks tasks (it takes minutes for 20,000); its assignments per second are compared.
// Each scenario ends with SQL counts of double assignments and volunteers past their maximum (both 0).
// Server: GRID_BENCH_DATABASE_URL (admin URL; a scratch database is created and dropped), else an
// embedded PostgreSQL started for the run. Output: a table, and bench/results/dispatch.json.
const path = require('path');
const { performance } = require('perf_hooks');
const pg = require('pg');
const { textTable, benchServer, writeResult, runMain } = require('../lib/inProcess');

const ROOT = path.resolve(__dirname, '..', '..');
const RESULT_FILE = path.join(ROOT, 'bench', 'results', 'dispatch.json');
const KEY = 'bench-personal-data-key-0123456789';

function args(argv) {
	const a = { tasks: 20_000, volunteers: 5_000, parallel: 4, naiveTasks: 2_000, chunk: 1_000 };
	for (let i = 0; i < argv.length; i += 2) {
		const k = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
		if (!(k in a)) throw new Error(`unknown argument ${argv[i]}`);
		a[k] = Number(argv[i + 1]);
	}
	return a;
}

// Windows of volunteers, and of tasks (local Shanghai time, within one day, starting Monday 2026-11-30).
const AVAILABILITY = [
	'[]',
	JSON.stringify([1, 2, 3, 4, 5, 6, 7].map((day) => ({ day, start: '08:00', end: '20:00' }))),
	JSON.stringify([1, 2, 3, 4, 5].map((day) => ({ day, start: '18:00', end: '21:30' }))),
	JSON.stringify([6, 7].map((day) => ({ day, start: '09:00', end: '17:00' }))),
];

/** Empties the dispatch tables and generates the same volunteers, tasks and declines again. */
async function rebuild(db, a) {
	await db.query(`TRUNCATE grid.task_event, grid.task_decline, grid.team_member, grid.task, grid.team, grid.volunteer RESTART IDENTITY CASCADE`);
	await db.query(`
		WITH b AS (SELECT array_agg(id ORDER BY code) AS ids, count(*)::int AS nb FROM grid.grid_unit WHERE level = 5)
		INSERT INTO grid.volunteer (name, kind, skills, availability, unit_id, max_tasks)
		SELECT '志愿者' || i, 'resident_volunteer',
			(ARRAY['{delivery}', '{delivery,driving}', '{door_survey,registration}', '{disinfection,delivery}', '{temperature_check,door_survey}', '{delivery,door_survey}'])[1 + abs(hashint4(i * 5 + 1)) % 6]::text[],
			($2::text[])[1 + abs(hashint4(i * 5 + 2)) % 4]::jsonb,
			b.ids[1 + abs(hashint4(i * 5 + 3)) % b.nb], 1 + abs(hashint4(i * 5 + 4)) % 5
		FROM generate_series(1, $1::int) i CROSS JOIN b`, [a.volunteers, AVAILABILITY]);
	await db.query(`
		WITH b AS (SELECT array_agg(id ORDER BY code) AS ids, count(*)::int AS nb FROM grid.grid_unit WHERE level = 5),
		g AS (SELECT array_agg(id ORDER BY code) AS ids, count(*)::int AS ng FROM grid.grid_unit WHERE level = 4),
		p AS (SELECT i, abs(hashint4(i * 7 + 1)) % 100 AS r1, abs(hashint4(i * 7 + 2)) % 5 AS r2, abs(hashint4(i * 7 + 3)) % 10 AS r3,
			abs(hashint4(i * 7 + 4)) % 7 AS day, abs(hashint4(i * 7 + 5)) AS r5 FROM generate_series(1, $1::int) i)
		INSERT INTO grid.task (kind, title, unit_id, required_skills, window_start, window_end, priority, due_at)
		SELECT (ARRAY['supply_delivery', 'door_survey', 'disinfection', 'errand', 'temperature_check'])[1 + r2], '任务' || i,
			CASE WHEN r1 < 80 THEN b.ids[1 + r5 % b.nb] ELSE g.ids[1 + r5 % g.ng] END,
			(ARRAY['{delivery}', '{door_survey}', '{disinfection}', '{}', '{temperature_check}'])[1 + r2]::text[],
			CASE WHEN r3 < 5 THEN NULL WHEN r3 < 8 THEN timestamptz '2026-11-30 09:00+08' + make_interval(days => day)
				ELSE timestamptz '2026-11-30 19:00+08' + make_interval(days => day) END,
			CASE WHEN r3 < 5 THEN NULL WHEN r3 < 8 THEN timestamptz '2026-11-30 11:00+08' + make_interval(days => day)
				ELSE timestamptz '2026-11-30 20:00+08' + make_interval(days => day) END,
			1 + abs(hashint4(i * 7 + 6)) % 4, timestamptz '2026-11-30 00:00+08' + make_interval(hours => abs(hashint4(i * 7 + 7)) % 200)
		FROM p CROSS JOIN b CROSS JOIN g`, [a.tasks]);
	await db.query(`INSERT INTO grid.task_decline (task_id, volunteer_id, unit_id, reason)
		SELECT t.id, 1 + abs(hashint4(t.id::int)) % $1::int, t.unit_id, 'bench' FROM grid.task t WHERE t.id % 100 = 0 ON CONFLICT DO NOTHING`, [a.volunteers]);
	await db.query(`ANALYZE grid.task, grid.volunteer, grid.task_decline`);
}

async function counts(db) {
	const [c] = await db.query(`SELECT
		(SELECT count(*)::int FROM (SELECT task_id FROM grid.task_event WHERE kind = 'assigned' GROUP BY task_id HAVING count(*) > 1) d) AS "doubleAssignments",
		(SELECT count(*)::int FROM (SELECT v.id FROM grid.volunteer v LEFT JOIN grid.task t ON t.assignee_volunteer_id = v.id
			GROUP BY v.id, v.max_tasks, v.current_load HAVING count(t.id) > v.max_tasks OR v.current_load > v.max_tasks OR v.current_load <> count(t.id)) x) AS "capViolations",
		(SELECT count(*)::int FROM grid.task WHERE status = 'assigned') AS assigned,
		(SELECT count(*)::int FROM grid.task_event WHERE kind = 'assigned') AS events`);
	return c;
}

/** The naive dispatcher: one task per transaction, the best volunteer found by one query. */
async function naive(url, n) {
	const client = new pg.Client({ connectionString: url, application_name: 'grid-bench-naive' });
	await client.connect();
	await client.query(`SET search_path = grid, public`);
	let assigned = 0;
	let examined = 0;
	let cursor = [-10, '-infinity', 0];
	try {
		while (examined < n) {
			await client.query('BEGIN');
			const { rows: [t] } = await client.query(`
				SELECT t.id, t.unit_id, t.required_skills, t.window_start, t.window_end, u.path, -t.priority AS p, coalesce(t.due_at, 'infinity')::text AS due
				FROM task t JOIN grid_unit u ON u.id = t.unit_id
				WHERE t.status = 'open' AND (-t.priority, coalesce(t.due_at, 'infinity'), t.id) > ($1::int, $2::timestamptz, $3::bigint)
				ORDER BY -t.priority, coalesce(t.due_at, 'infinity'), t.id LIMIT 1 FOR UPDATE OF t SKIP LOCKED`, cursor);
			if (!t) {
				await client.query('COMMIT');
				break;
			}
			examined++;
			cursor = [t.p, t.due, t.id];
			const { rows: [v] } = await client.query(`
				WITH tw AS (SELECT ($2::timestamptz AT TIME ZONE 'Asia/Shanghai') AS ls, ($3::timestamptz AT TIME ZONE 'Asia/Shanghai') AS le)
				SELECT v.id, v.current_load, (CASE (SELECT count(*) FROM unnest(string_to_array(trim(both '/' from vu.path), '/')) WITH ORDINALITY a(x, i)
						JOIN unnest(string_to_array(trim(both '/' from $4::text), '/')) WITH ORDINALITY b(y, j) ON i = j AND x = y)
						WHEN 5 THEN 40 WHEN 4 THEN 30 WHEN 3 THEN 20 WHEN 2 THEN 10 ELSE 0 END)
					+ round(9 * (1 - v.current_load::numeric / v.max_tasks))::int AS score
				FROM volunteer v JOIN grid_unit vu ON vu.id = v.unit_id CROSS JOIN tw
				WHERE v.active AND v.current_load < v.max_tasks AND v.skills @> $5::text[]
					AND NOT EXISTS (SELECT 1 FROM task_decline d WHERE d.task_id = $1 AND d.volunteer_id = v.id)
					AND ($2::timestamptz IS NULL OR v.availability = '[]'::jsonb OR EXISTS (
						SELECT 1 FROM jsonb_array_elements(v.availability) w
						WHERE (w->>'day')::int = extract(isodow FROM tw.ls) AND (w->>'start')::time <= tw.ls::time AND (w->>'end')::time >= tw.le::time))
				ORDER BY score DESC, v.last_assigned_at NULLS FIRST, v.id LIMIT 1 FOR UPDATE OF v`,
			[t.id, t.window_start, t.window_end, t.path, t.required_skills]);
			if (v) {
				await client.query(`UPDATE volunteer SET current_load = current_load + 1, last_assigned_at = clock_timestamp(), updated_at = now() WHERE id = $1 AND current_load + 1 <= max_tasks`, [v.id]);
				await client.query(`UPDATE task SET status = 'assigned', assignee_volunteer_id = $2, assigned_at = now(), updated_at = now() WHERE id = $1`, [t.id, v.id]);
				await client.query(`INSERT INTO task_event (task_id, unit_id, kind, from_status, to_status, details) VALUES ($1, $2, 'assigned', 'open', 'assigned', jsonb_build_object('volunteerId', $3::bigint, 'score', $4::int))`, [t.id, t.unit_id, v.id, v.score]);
				assigned++;
			}
			await client.query('COMMIT');
		}
	} finally {
		await client.end();
	}
	return { assigned, examined };
}

function table(rows) {
	return textTable(['scenario', 'tasks examined', 'assigned', 'seconds', 'assignments/s', 'vs naive', 'double', 'past max'], rows.map((r) => [r.scenario, r.examined, r.assigned, r.seconds.toFixed(2), r.rate.toFixed(0), r.ratio, r.doubleAssignments, r.capViolations]));
}

async function main() {
	const a = args(process.argv.slice(2));
	const server = await benchServer();
	const admin = server.admin;
	const dbh = require(path.join(ROOT, 'test', 'helpers', 'db.ts'));
	const uow = require(path.join(ROOT, 'test', 'helpers', 'uow.ts'));
	const reg = require(path.join(ROOT, 'test', 'helpers', 'registry.ts'));
	const { createUnits } = require(path.join(ROOT, 'nodes/shared/domain/grid/units.ts'));
	const { dispatchTasks } = require(path.join(ROOT, 'nodes/shared/domain/volunteer/dispatch.ts'));
	const { withUnitOfWork } = require(path.join(ROOT, 'nodes/shared/db/unitOfWork.ts'));
	const { closeAllPools } = require(path.join(ROOT, 'nodes/shared/db/pool.ts'));
	const db = await dbh.createTestDatabase('bench_dispatch');
	try {
		const config = db.config({ personalDataKey: KEY, maxConnections: Math.max(2, a.parallel + 1) });
		const shape = { streets: 5, communitiesPerStreet: 4, gridsPerCommunity: 4, buildingsPerGrid: 10 };
		const made = await uow.run(config, (u) => createUnits(u, uow.units(reg.districtUnits(shape))));
		if (made.some((o) => !o.ok)) throw new Error('grid setup failed');
		console.log(`dispatch benchmark: ${a.tasks} open tasks, ${a.volunteers} volunteers, ${made.length} grid units; parallel ${a.parallel}; naive on the first ${a.naiveTasks} tasks`);

		const dispatchRun = () => withUnitOfWork(config, { actor: { node: 'bench' } }, (u) => dispatchTasks(u, { within: { code: '370614' }, limit: a.tasks, chunkSize: a.chunk }));
		const rows = [];
		const scenario = async (name, fn) => {
			await rebuild(db, a);
			const t0 = performance.now();
			const r = await fn();
			const seconds = (performance.now() - t0) / 1000;
			const c = await counts(db);
			if (c.events !== c.assigned) throw new Error(`${name}: ${c.events} assigned events for ${c.assigned} assigned tasks`);
			const row = { scenario: name, examined: r.examined, assigned: c.assigned, seconds, rate: c.assigned / seconds, doubleAssignments: c.doubleAssignments, capViolations: c.capViolations };
			rows.push(row);
			console.log(`  ${name}: ${c.assigned} assigned in ${seconds.toFixed(2)} s; double ${c.doubleAssignments}, past max ${c.capViolations}`);
			return row;
		};
		// warm-up (JIT, pool, plans) on the same data, not timed
		await rebuild(db, a);
		await withUnitOfWork(config, { actor: { node: 'bench' } }, (u) => dispatchTasks(u, { within: { code: '370614' }, limit: 500, chunkSize: 250 }));

		const base = await scenario(`naive, one task at a time (first ${a.naiveTasks})`, () => naive(db.url, a.naiveTasks));
		const one = await scenario('dispatch, 1 dispatcher', async () => {
			const out = await dispatchRun();
			return { examined: out.length };
		});
		const many = await scenario(`dispatch, ${a.parallel} parallel dispatchers`, async () => {
			const outs = await Promise.all(Array.from({ length: a.parallel }, () => dispatchRun()));
			return { examined: new Set(outs.flat().map((o) => o.taskId)).size };
		});
		for (const r of rows) r.ratio = r === base ? '1.00' : (r.rate / base.rate).toFixed(2);
		console.log(`\n${table(rows)}\n`);
		const result = {
			benchmark: 'dispatch',
			date: new Date().toISOString(),
			server: server.label,
			sizes: a,
			note: 'assignments per second; the naive baseline runs on the first naiveTasks tasks of the same rebuilt data (its rate, not its total, is compared)',
			rows,
			parallelVsOne: many.rate / one.rate,
		};
		writeResult(RESULT_FILE, result);
		if (rows.some((r) => r.doubleAssignments || r.capViolations)) throw new Error('double assignments or volunteers past their maximum');
	} finally {
		await closeAllPools();
		await db.drop();
		await server.stop();
	}
}

runMain(main);
