#!/usr/bin/env node
// npm run bench:intake [-- --items 10000 --runs 3]
//
// The Incidents issue's intake figure: N reports through the Incident node (Create Many, item fields) in the in-process
// n8n harness — idempotency keys, routing, responsible lookup, risk scoring, pg_trgm dedupe, SLA due
// times on the working calendar, gap-free references, encrypted reporter phones, timeline and audit —
// against, in the same process and run:
//   n8n pg   n8n's own Postgres node (Insert, v2.6) inserting the same item fields into a plain table
//   raw pg   raw `pg` inserting the same fields with unnest in one transaction
// ratio = baseline time / our time (above 1: ours is faster). Each run uses fresh databases; the
// ratio is the median of the per-run ratios. Server: GRID_BENCH_DATABASE_URL, else embedded PostgreSQL.
const path = require('path');
const pg = require('pg');
const { benchServer, measure, median, writeResult, runMain } = require('../lib/inProcess');

const ROOT = path.resolve(__dirname, '..', '..');
const RESULT_FILE = path.join(ROOT, 'bench', 'results', 'incident-intake.json');
const KEY = 'bench-personal-data-key-0123456789';
const TARGET = 2;

function args(argv) {
	const a = { items: 10_000, runs: 3 };
	for (let i = 0; i < argv.length; i += 2) {
		const k = argv[i].replace(/^--/, '');
		if (!(k in a)) throw new Error(`unknown argument ${argv[i]}`);
		a[k] = Number(argv[i + 1]);
	}
	return a;
}

const CATEGORIES = ['sanitation', 'safety_hazard', 'neighbour_dispute', 'supply_need', 'fever_symptoms', 'medical_need', 'vulnerable_resident_help', 'public_opinion_other'];
const PHRASES = ['楼道堆放杂物影响通行', '垃圾桶满溢无人清运', '楼上漏水到我家', '老人独居需要买药', '小区门口积水严重', '晚上广场舞噪音扰民', '电动车在楼道充电', '家中缺米缺油', '发烧38度需要就医', '路灯不亮很危险'];

/**
 * Reports spread over the district's buildings and categories, each with its own key, text and
 * reporter phone: a unit and category meet about twice in 10,000 reports, with different wording.
 */
function reportItems(n, buildings, run, offset = 0) {
	const items = [];
	for (let k = 0; k < n; k++) {
		const i = k + offset;
		const b = i % buildings.length;
		const round = Math.floor(i / buildings.length);
		items.push({
			idempotencyKey: `bench-${run}-${i}`,
			source: ['resident', 'hotline', 'staff', 'open311'][i % 4],
			category: CATEGORIES[round % CATEGORIES.length],
			description: `${PHRASES[(round + Math.floor(round / CATEGORIES.length)) % PHRASES.length]}，编号${i}`,
			unitCode: buildings[b],
			reporterPhone: `139${String(10_000_000 + i).slice(-8)}`,
		});
	}
	return items;
}

const PLAIN = `id bigserial PRIMARY KEY, "idempotencyKey" text, source text, category text, description text, "unitCode" text, "reporterPhone" text, created_at timestamptz DEFAULT now()`;

async function oneRun(ctx, a, run) {
	const { h, dbh, uow, reg } = ctx;
	const db = await dbh.createTestDatabase('bench_intake');
	try {
		await uow.run(db.config({ personalDataKey: KEY }), (u) => require(path.join(ROOT, 'nodes/shared/domain/grid/units.ts')).createUnits(u,
			uow.units(reg.districtUnits({ streets: 5, communitiesPerStreet: 3, gridsPerCommunity: 4, buildingsPerGrid: 10 }))));
		const buildings = (await db.query(`SELECT code FROM grid.grid_unit WHERE level = 5 ORDER BY code`)).map((r) => r.code);
		const items = reportItems(a.items, buildings, run);
		const warm = reportItems(200, buildings, run, 5_000_000);
		const harness = await h.getHarness();

		// ours
		const credentials = { gridGovernancePostgres: h.gridCredentials({ ...db.config(), personalDataKey: KEY }) };
		const wf = h.loadWorkflowFile(path.join(ROOT, 'bench', 'workflows', 'incident-intake.json'));
		const w = await harness.runWorkflow(wf, { credentials, inputItems: warm });
		if (w.status !== 'success') throw new Error(`warm-up failed: ${w.error?.message}`);
		const ours = await measure(async () => {
			const r = await harness.runWorkflow(wf, { credentials, inputItems: items });
			if (r.status !== 'success') throw new Error(`intake failed: ${r.error?.message}`);
			return r.output('Incident').length;
		});
		const [{ n, events }] = await db.query(`SELECT (SELECT count(*)::int FROM grid.incident) AS n, (SELECT count(*)::int FROM grid.incident_event WHERE kind = 'created') AS events`);
		if (n !== a.items + warm.length || events !== n) throw new Error(`intake wrote ${n} incidents and ${events} events, expected ${a.items + warm.length}`);

		// n8n's Postgres node
		await db.query(`CREATE TABLE public.plain_pgnode (${PLAIN}); CREATE TABLE public.plain_raw (${PLAIN})`);
		const pgwf = h.loadWorkflowFile(path.join(ROOT, 'bench', 'workflows', 'postgres-insert.json'));
		pgwf.nodes.find((x) => x.name === 'Insert Rows').parameters.table.value = 'plain_pgnode';
		const pgcred = { postgres: h.postgresCredentials(db.url, 5) };
		const pw = await harness.runWorkflow(pgwf, { credentials: pgcred, inputItems: warm });
		if (pw.error) throw new Error(`Postgres node warm-up failed: ${pw.error.message}`);
		const pgnode = await measure(async () => {
			const r = await harness.runWorkflow(pgwf, { credentials: pgcred, inputItems: items });
			if (r.error) throw new Error(`Postgres node insert failed: ${r.error.message}`);
		});
		const [{ m }] = await db.query(`SELECT count(*)::int AS m FROM public.plain_pgnode`);
		if (m !== a.items + warm.length) throw new Error(`Postgres node wrote ${m} rows`);

		// raw pg
		const client = new pg.Client({ connectionString: db.url });
		await client.connect();
		const rawInsert = async (list) => {
			await client.query('BEGIN');
			const col = (k) => list.map((r) => r[k]);
			await client.query(`INSERT INTO public.plain_raw ("idempotencyKey", source, category, description, "unitCode", "reporterPhone")
				SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])`,
			[col('idempotencyKey'), col('source'), col('category'), col('description'), col('unitCode'), col('reporterPhone')]);
			await client.query('COMMIT');
		};
		await rawInsert(warm);
		const raw = await measure(() => rawInsert(items));
		await client.end();
		return { ours, pgnode, raw };
	} finally {
		await (await ctx.h.getHarness()).closeGridPools();
		await db.drop();
	}
}

async function main() {
	const a = args(process.argv.slice(2));
	const server = await benchServer();
	const admin = server.admin;
	const ctx = {
		h: require(path.join(ROOT, 'test', 'helpers', 'n8nHarness.ts')),
		dbh: require(path.join(ROOT, 'test', 'helpers', 'db.ts')),
		uow: require(path.join(ROOT, 'test', 'helpers', 'uow.ts')),
		reg: require(path.join(ROOT, 'test', 'helpers', 'registry.ts')),
	};
	try {
		console.log(`incident intake benchmark: ${a.items} items, ${a.runs} runs`);
		const runs = [];
		for (let k = 0; k < a.runs; k++) runs.push(await oneRun(ctx, a, k));
		const vsNode = runs.map((r) => r.pgnode.seconds / r.ours.seconds);
		const vsRaw = runs.map((r) => r.raw.seconds / r.ours.seconds);
		const sec = (key) => median(runs.map((r) => r[key].seconds));
		const rss = (key) => Math.max(...runs.map((r) => r[key].peakRssMb)).toFixed(0);
		const rows = [
			{ workload: 'Incident Create (n8n) vs n8n Postgres node Insert', size: `${a.items} reports`, ours: `${sec('ours').toFixed(2)} s`, baseline: `${sec('pgnode').toFixed(2)} s`, ratio: `${median(vsNode).toFixed(2)} (runs ${vsNode.map((x) => x.toFixed(2)).join(', ')}; target >= ${TARGET})`, rss: `${rss('ours')} / ${rss('pgnode')} MB` },
			{ workload: 'Incident Create (n8n) vs raw pg unnest', size: `${a.items} reports`, ours: `${sec('ours').toFixed(2)} s`, baseline: `${sec('raw').toFixed(3)} s`, ratio: `${median(vsRaw).toFixed(3)} (runs ${vsRaw.map((x) => x.toFixed(3)).join(', ')})`, rss: `${rss('ours')} / ${rss('raw')} MB` },
		];
		const widths = ['workload', 'size', 'ours', 'baseline', 'ratio', 'rss'].map((k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length)));
		const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ');
		console.log(`\n${line(['workload', 'size', 'ours', 'baseline', 'ratio (baseline/ours)', 'peak RSS'])}\n${rows.map((r) => line([r.workload, r.size, r.ours, r.baseline, r.ratio, r.rss])).join('\n')}\n`);
		const result = {
			benchmark: 'incident-intake',
			date: new Date().toISOString(),
			server: server.label,
			sizes: a,
			rows,
			raw: { runs: runs.map((r) => ({ ours: r.ours.seconds, pgnode: r.pgnode.seconds, raw: r.raw.seconds })), ratioVsPostgresNode: median(vsNode), ratioVsRawPg: median(vsRaw) },
		};
		writeResult(RESULT_FILE, result);
	} finally {
		await server.stop();
	}
}

runMain(main);
