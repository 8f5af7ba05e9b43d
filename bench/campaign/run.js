#!/usr/bin/env node
// node bench/campaign/run.js [--registry 170000 --tag elderly_living_alone --times 08:00,16:00 --horizon 24]
//
// A campaign over a 170,000-resident registry (test/helpers/registry.ts): a check twice a day for every
// resident with a tag (elderly living alone: about 4,700 people, so about 9,400 tasks over the next 24 h),
// through the domain (runCampaign in withUnitOfWork) as the Task node runs it. Reported:
//   first run   creates the tasks and their "created" events set-based
//   second run  the same campaign again: must create nothing (idempotent), and is timed too
// Baseline, measured in the same run on the same registry under another campaign key: the naive way,
// one statement per task (plain `pg`, one transaction): select the matching residents, then for each
// resident and occurrence INSERT … ON CONFLICT DO NOTHING the task and, if inserted, its event; its
// second run issues the same per-task statements and creates nothing.
// Server: GRID_BENCH_DATABASE_URL (admin URL; a scratch database is created and dropped), else an
// embedded PostgreSQL started for the run. Output: a table, and bench/results/campaign.json.
const path = require('path');
const { performance } = require('perf_hooks');
const pg = require('pg');
const { textTable, benchServer, writeResult, runMain } = require('../lib/inProcess');

const ROOT = path.resolve(__dirname, '..', '..');
const RESULT_FILE = path.join(ROOT, 'bench', 'results', 'campaign.json');
// a fixed "now": 07:00 in Shanghai, so the 24 h horizon holds exactly two occurrences per resident
const AS_OF = new Date('2030-03-01T07:00:00+08:00');

function args(argv) {
	const a = { registry: 170_000, tag: 'elderly_living_alone', times: '08:00,16:00', horizon: 24 };
	for (let i = 0; i < argv.length; i += 2) {
		const k = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
		if (!(k in a)) throw new Error(`unknown argument ${argv[i]}`);
		a[k] = typeof a[k] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
	}
	return a;
}

/** The naive campaign: one round trip per task (and one per event), in one transaction. */
async function naive(url, a, key) {
	const client = new pg.Client({ connectionString: url, application_name: 'grid-bench-campaign-naive' });
	await client.connect();
	let created = 0;
	try {
		await client.query(`SET search_path = grid, public`);
		await client.query('BEGIN');
		const { rows: [root] } = await client.query(`SELECT id, path FROM grid_unit WHERE code = '370614'`);
		const { rows: [c] } = await client.query(
			`INSERT INTO campaign (campaign_key, name, kind, unit_id, target) VALUES ($1, $1, 'temperature_check', $2, 'resident')
			ON CONFLICT (campaign_key) DO UPDATE SET runs = campaign.runs + 1 RETURNING id`, [key, root.id]);
		const { rows: residents } = await client.query(
			`SELECT r.id, r.unit_id, r.household_id, r.name, b.name AS unit_name FROM resident r JOIN grid_unit b ON b.id = r.unit_id
			WHERE b.path >= $1 AND b.path < $2 AND r.active AND r.id IN (SELECT resident_id FROM resident_tag WHERE tag = $3) ORDER BY r.id`,
			[root.path, `${root.path}~`, a.tag]);
		const times = a.times.split(',');
		const occurrences = [];
		for (let d = 0; d < 2; d++) {
			for (const t of times) {
				const at = new Date(new Date(`2030-03-0${1 + d}T${t}:00+08:00`).getTime());
				if (at > AS_OF && at < new Date(AS_OF.getTime() + a.horizon * 3_600_000)) occurrences.push({ key: `2030-03-0${1 + d}T${t}`, at });
			}
		}
		for (const r of residents) {
			for (const o of occurrences) {
				const due = new Date(o.at.getTime() + 120 * 60_000);
				const { rows } = await client.query(
					`INSERT INTO task (kind, title, unit_id, resident_id, household_id, campaign_id, campaign_target, occurrence, window_start, window_end, due_at)
					VALUES ('temperature_check', $1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
					ON CONFLICT (campaign_id, campaign_target, occurrence) WHERE campaign_id IS NOT NULL DO NOTHING RETURNING id`,
					[`Temperature check · ${r.name} · ${r.unit_name}`, r.unit_id, r.id, r.household_id, c.id, String(r.id), o.key, o.at, due]);
				if (rows.length) {
					created++;
					await client.query(`INSERT INTO task_event (task_id, unit_id, kind, to_status) VALUES ($1, $2, 'created', 'open')`, [rows[0].id, r.unit_id]);
				}
			}
		}
		await client.query('COMMIT');
	} catch (error) {
		await client.query('ROLLBACK').catch(() => undefined);
		throw error;
	} finally {
		await client.end();
	}
	return { created };
}

function table(rows) {
	return textTable(['workload', 'tasks created', 'ours (s)', 'naive (s)', 'naive / ours'], rows.map((r) => [r.workload, r.created, r.ours.toFixed(2), r.naive.toFixed(2), r.ratio.toFixed(1)]));
}

async function main() {
	const a = args(process.argv.slice(2));
	const server = await benchServer();
	const admin = server.admin;
	const dbh = require(path.join(ROOT, 'test', 'helpers', 'db.ts'));
	const reg = require(path.join(ROOT, 'test', 'helpers', 'registry.ts'));
	const { runCampaign } = require(path.join(ROOT, 'nodes/shared/domain/task/campaigns.ts'));
	const { withUnitOfWork } = require(path.join(ROOT, 'nodes/shared/db/unitOfWork.ts'));
	const { closeAllPools } = require(path.join(ROOT, 'nodes/shared/db/pool.ts'));
	const db = await dbh.createTestDatabase('bench_campaign');
	try {
		const config = db.config();
		const t0 = performance.now();
		const stats = await reg.buildRegistry(db, { residents: a.registry });
		console.log(`campaign benchmark: registry of ${stats.residents} residents in ${stats.buildings} buildings built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
		const [{ n: matching }] = await db.query(`SELECT count(*)::int AS n FROM grid.resident r WHERE r.active AND r.id IN (SELECT resident_id FROM grid.resident_tag WHERE tag = $1)`, [a.tag]);

		const campaign = (key, within = '370614') => ({
			key,
			name: `bench ${a.tag} ${a.times}`,
			kind: 'temperature_check',
			within: { code: within },
			target: 'resident',
			residentFilter: { tags: [a.tag] },
			schedule: { mode: 'timesOfDay', times: a.times.split(',') },
			template: { requiredSkills: ['temperature_check'] },
			horizonHours: a.horizon,
			asOf: AS_OF,
		});
		const runOnce = async (key, within) => {
			const t = performance.now();
			const r = await withUnitOfWork(config, { actor: { node: 'bench' } }, (uow) => runCampaign(uow, campaign(key, within)));
			return { seconds: (performance.now() - t) / 1000, result: r };
		};
		// warm-up on one street (plans, JIT, pool), under a key of its own, not timed
		await runOnce('bench-warmup', '370614-001');

		const first = await runOnce('bench-campaign');
		console.log(`  first run: ${first.result.created} tasks for ${first.result.targetsMatched} residents in ${first.seconds.toFixed(2)} s`);
		const second = await runOnce('bench-campaign');
		console.log(`  second run: ${second.result.created} created, ${second.result.alreadyPresent} already present in ${second.seconds.toFixed(2)} s`);

		const n1t = performance.now();
		const n1 = await naive(db.url, a, 'bench-naive');
		const naiveFirst = (performance.now() - n1t) / 1000;
		const n2t = performance.now();
		const n2 = await naive(db.url, a, 'bench-naive');
		const naiveSecond = (performance.now() - n2t) / 1000;
		console.log(`  naive: ${n1.created} tasks in ${naiveFirst.toFixed(2)} s; again ${n2.created} in ${naiveSecond.toFixed(2)} s`);

		const [check] = await db.query(`SELECT
			(SELECT count(*)::int FROM grid.task t JOIN grid.campaign c ON c.id = t.campaign_id WHERE c.campaign_key = 'bench-campaign') AS tasks,
			(SELECT count(*)::int FROM grid.task_event e JOIN grid.task t ON t.id = e.task_id JOIN grid.campaign c ON c.id = t.campaign_id WHERE c.campaign_key = 'bench-campaign') AS events,
			(SELECT count(*)::int FROM grid.task t JOIN grid.campaign c ON c.id = t.campaign_id WHERE c.campaign_key = 'bench-naive') AS naive_tasks`);
		if (second.result.created !== 0) throw new Error(`the second run created ${second.result.created} tasks`);
		if (check.tasks !== first.result.created || check.events !== check.tasks) throw new Error(`counts disagree: ${JSON.stringify(check)}`);
		if (check.naive_tasks !== check.tasks) throw new Error(`naive made ${check.naive_tasks} tasks, ours ${check.tasks}`);

		const rows = [
			{ workload: `first run: ${first.result.targetsMatched} residents × occurrences in ${a.horizon} h`, created: first.result.created, ours: first.seconds, naive: naiveFirst },
			{ workload: 'second run (same campaign, creates nothing)', created: second.result.created, ours: second.seconds, naive: naiveSecond },
		].map((r) => ({ ...r, ratio: r.naive / r.ours }));
		console.log(`\n${table(rows)}\n`);
		const result = {
			benchmark: 'campaign',
			date: new Date().toISOString(),
			server: server.label,
			sizes: { ...a, residents: stats.residents, matchingResidents: matching },
			note: 'runCampaign through withUnitOfWork (as the Task node runs it) vs a naive one-statement-per-task loop in plain pg on the same registry; ratio = naive seconds / ours',
			rows,
			check,
		};
		writeResult(RESULT_FILE, result);
	} finally {
		await closeAllPools();
		await db.drop();
		await server.stop();
	}
}

runMain(main);
