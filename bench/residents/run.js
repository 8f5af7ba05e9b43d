#!/usr/bin/env node
// npm run bench:residents [-- --import 100000 --import-runs 3 --registry 170000 --exposures 1000000 --traces 100 --baseline-traces 20 --list 5000]
//                           [-- --only import]   the import rows alone, printed, results file left as it is
//
// The Residents issue's figures, each against its baseline in this same process and run:
//   import        Import Many of N residents through the Resident node in the in-process n8n harness
//                 (validation, GB 11643 checks, HMAC hashing, AES-GCM encryption, households, audit)
//                 vs raw `pg` inserting rows of the same width with unnest
//   trace         2-hop contact traces over 1,000,000 exposures among 170,000 residents: median and
//                 p95 over 100 index persons, vs the same queries with the exposure indexes dropped
//   verification  a pushed list of 5,000 persons checked against the 170,000 registry through the node,
//                 vs the naive one-query-per-person (document, then phone, then last 4 + name)
// Server: GRID_BENCH_DATABASE_URL (admin URL; scratch databases are created and dropped), else an
// embedded PostgreSQL started for the run. Output: a table, and bench/results/residents.json.
const path = require('path');
const { performance } = require('perf_hooks');
const pg = require('pg');
const { benchServer, measure, quantile, writeResult, runMain } = require('../lib/inProcess');

const ROOT = path.resolve(__dirname, '..', '..');
const RESULT_FILE = path.join(ROOT, 'bench', 'results', 'residents.json');
const KEY = 'bench-personal-data-key-0123456789';

function args(argv) {
	const a = { import: 100_000, importRuns: 3, registry: 170_000, exposures: 1_000_000, traces: 100, baselineTraces: 20, list: 5_000, only: '' };
	for (let i = 0; i < argv.length; i += 2) {
		const k = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
		if (!(k in a)) throw new Error(`unknown argument ${argv[i]}`);
		a[k] = k === 'only' ? argv[i + 1] : Number(argv[i + 1]);
	}
	if (a.only && a.only !== 'import') throw new Error(`--only takes "import", got ${a.only}`);
	return a;
}

function residentItems(n, buildings, offset = 0) {
	const { idFor, mobile } = require(path.join(ROOT, 'test', 'helpers', 'people.ts'));
	const tags = ['elderly_living_alone', 'chronic_illness', 'child', 'disabled', 'key_population'];
	const surnames = '王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗';
	const given = ['伟', '芳', '娜', '敏', '静', '强', '磊', '军', '洋', '勇', '艳', '杰', '秀英', '桂英'];
	const items = [];
	for (let k = 0; k < n; k++) {
		const i = k + offset;
		const day = new Date(Date.UTC(1940, 0, 1) + (i % 25_000) * 86_400_000);
		const birth = day.toISOString().slice(0, 10).replace(/-/g, '');
		const b = buildings[i % buildings.length];
		items.push({
			name: surnames[i % surnames.length] + given[(i >> 3) % given.length],
			documentNumber: idFor('370614', birth, 1 + Math.floor(i / 25_000)),
			phone: mobile(10_000_000 + i),
			buildingCode: b,
			unitNo: String(1 + (i % 2)),
			roomNo: String(101 + ((Math.floor(i / buildings.length) >> 1) % 40)),
			tags: i % 17 === 0 ? [tags[i % tags.length]] : [],
		});
	}
	return items;
}

async function importBench(ctx, n) {
	const { h, dbh, uow, reg } = ctx;
	const db = await dbh.createTestDatabase('bench_import');
	try {
		await uow.run(db.config({ personalDataKey: KEY }), (u) => require(path.join(ROOT, 'nodes/shared/domain/grid/units.ts')).createUnits(u, uow.units(reg.districtUnits({ streets: 5, communitiesPerStreet: 3, gridsPerCommunity: 4, buildingsPerGrid: 10 }))));
		const buildings = (await db.query(`SELECT code FROM grid.grid_unit WHERE level = 5 ORDER BY code`)).map((r) => r.code);
		const credentials = { gridGovernancePostgres: h.gridCredentials({ ...db.config(), personalDataKey: KEY }) };
		const wf = h.loadWorkflowFile(path.join(ROOT, 'bench', 'workflows', 'resident-import.json'));
		const items = residentItems(n, buildings, 1_000);
		const warm = residentItems(300, buildings, 900_000);
		const harness = await h.getHarness();
		await harness.runWorkflow(wf, { credentials, inputItems: warm });
		const ours = await measure(async () => {
			const r = await harness.runWorkflow(wf, { credentials, inputItems: items });
			if (r.status !== 'success') throw new Error(`import failed: ${r.error?.message}`);
		});
		const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM grid.resident`);
		if (count !== n + warm.length) throw new Error(`import wrote ${count} residents, expected ${n + warm.length}`);

		// Raw pg: rows of the resident table's width (hashes, ciphertexts and masks of the same lengths), no checks, no audit.
		const client = new pg.Client({ connectionString: db.url });
		await client.connect();
		const rows = (await db.query(`SELECT name, household_id, unit_id, doc_type, doc_hash, doc_masked, doc_last4, phone_hash, phone_enc, phone_masked, birth_year, sex, tags, health_status FROM grid.resident ORDER BY id LIMIT $1`, [n]));
		await client.query(`CREATE TABLE plain_resident (id bigserial PRIMARY KEY, name text, household_id bigint, unit_id bigint, doc_type text, doc_hash text, doc_masked text,
			doc_last4 text, phone_hash text, phone_enc text, phone_masked text, birth_year smallint, sex char(1), tags text[], health_status text, created_at timestamptz DEFAULT now())`);
		const rawInsert = async (list) => {
			await client.query('BEGIN');
			for (let s = 0; s < list.length; s += 5_000) {
				const c = list.slice(s, s + 5_000);
				const col = (k) => c.map((r) => r[k]);
				await client.query(`INSERT INTO plain_resident (name, household_id, unit_id, doc_type, doc_hash, doc_masked, doc_last4, phone_hash, phone_enc, phone_masked, birth_year, sex, tags, health_status)
					SELECT t.name, t.household_id, t.unit_id, t.doc_type, t.doc_hash, t.doc_masked, t.doc_last4, t.phone_hash, t.phone_enc, t.phone_masked, t.birth_year, t.sex, string_to_array(t.tags, ','), t.health_status
					FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::smallint[], $12::char(1)[], $13::text[], $14::text[])
					AS t(name, household_id, unit_id, doc_type, doc_hash, doc_masked, doc_last4, phone_hash, phone_enc, phone_masked, birth_year, sex, tags, health_status)`,
				[col('name'), col('household_id'), col('unit_id'), col('doc_type'), col('doc_hash'), col('doc_masked'), col('doc_last4'), col('phone_hash'), col('phone_enc'), col('phone_masked'), col('birth_year'), col('sex'), c.map((r) => r.tags.join(',')), col('health_status')]);
			}
			await client.query('COMMIT');
		};
		await rawInsert(rows.slice(0, 300));
		await client.query('TRUNCATE plain_resident');
		const raw = await measure(() => rawInsert(rows));
		// The same rows into a copy of the resident table with all its indexes (no triggers, no keys
		// to other tables): shows how much of the gap is the indexes that serve the searches.
		await client.query(`ALTER TABLE plain_resident RENAME TO plain_resident_bare;
			CREATE TABLE plain_resident (LIKE grid.resident INCLUDING DEFAULTS INCLUDING INDEXES)`);
		await client.query(`ALTER TABLE plain_resident ALTER COLUMN id SET DEFAULT nextval('grid.resident_id_seq')`);
		await rawInsert(rows.slice(0, 300));
		await client.query('TRUNCATE plain_resident');
		const rawIndexed = await measure(() => rawInsert(rows));
		await client.end();
		return { ours, raw, rawIndexed, n };
	} finally {
		await (await ctx.h.getHarness()).closeGridPools();
		await db.drop();
	}
}

async function registryBench(ctx, a) {
	const { h, dbh, uow, reg } = ctx;
	const db = await dbh.createTestDatabase('bench_registry');
	const out = {};
	try {
		const built = await measure(() => reg.buildRegistry(db, { residents: a.registry }));
		out.registrySeconds = built.seconds;
		// Exposures: mostly among neighbours (same or nearby building), some across the district, over 20 days.
		const t0 = performance.now();
		await db.query('BEGIN');
		await db.query('SET LOCAL session_replication_role = replica');
		await db.query(`
			WITH bounds AS (SELECT min(id) AS lo, max(id) AS hi FROM grid.resident)
			INSERT INTO grid.exposure (resident_a, resident_b, occurred_at, unit_id, kind)
			SELECT a, b, now() - make_interval(secs => (abs(hashint4(i * 5 + 3)) % 1728000)), r.unit_id,
				(ARRAY['household_member','close_contact','same_building','same_checkpoint'])[1 + abs(hashint4(i * 5 + 4)) % 4]
			FROM (
				SELECT i, lo + abs(hashint4(i * 5 + 1)) % (hi - lo + 1) AS a,
					CASE WHEN i % 10 < 8 THEN least(hi, lo + (abs(hashint4(i * 5 + 1)) % (hi - lo + 1)) + 1 + abs(hashint4(i * 5 + 2)) % 40)
						ELSE lo + abs(hashint4(i * 5 + 2)) % (hi - lo + 1) END AS b
				FROM generate_series(1, $1::int) i CROSS JOIN bounds
			) x JOIN grid.resident r ON r.id = x.a
			WHERE x.a <> x.b`, [a.exposures]);
		await db.query('COMMIT');
		await db.query('ANALYZE grid.exposure');
		const [{ n: exposures }] = await db.query(`SELECT count(*)::int AS n FROM grid.exposure`);
		out.exposures = exposures;
		out.exposureSeconds = (performance.now() - t0) / 1000;

		// Verification list: real residents (with the credential's HMAC) on top of the registry.
		const buildings = (await db.query(`SELECT code FROM grid.grid_unit WHERE level = 5 ORDER BY code`)).map((r) => r.code);
		await db.query(`UPDATE grid.grid_unit SET address = '蓬莱区' || replace(code, '-', '') || '号' WHERE level = 5`);
		const known = residentItems(Math.round(a.list * 0.6), buildings, 50_000);
		const { checkResident } = require(path.join(ROOT, 'nodes/shared/domain/resident/residentInput.ts'));
		const { saveResidents } = require(path.join(ROOT, 'nodes/shared/domain/resident/residents.ts'));
		// the registry was set up with the test key, whose fingerprint the database now holds
		const config = db.config();
		const saved = await uow.run(config, (u) => saveResidents(u, known.map((r) => checkResident(r, { widths: [3, 3, 3, 4], allowCustomTags: false })), { mode: 'create', matchPhoneAndName: false, storeFullDocument: false }));
		if (saved.some((o) => !o.ok)) throw new Error('could not register the known residents');
		const persons = [];
		for (const p of known) persons.push({ name: p.name, documentNumber: p.documentNumber, phone: p.phone });
		for (let k = 0; persons.length < Math.round(a.list * 0.8); k++) persons.push({ name: `外来${k}`, phone: known[k].phone });
		for (let k = 0; persons.length < a.list; k++) {
			persons.push({ name: `未知${k}`, documentNumber: require(path.join(ROOT, 'test', 'helpers', 'people.ts')).idFor('370614', '19910101', 1 + (k % 999)), claimedAddress: `蓬莱区${buildings[k % buildings.length].replace(/-/g, '')}号 ${k % 9}室` });
		}
		const credentials = { gridGovernancePostgres: h.gridCredentials({ ...config }) };
		const wf = h.loadWorkflowFile(path.join(ROOT, 'bench', 'workflows', 'resident-verify.json'));
		const harness = await h.getHarness();
		await harness.runWorkflow(wf, { credentials, inputItems: persons.slice(0, 50) });
		const ours = await measure(async () => {
			const r = await harness.runWorkflow(wf, { credentials, inputItems: persons });
			if (r.status !== 'success') throw new Error(`verification failed: ${r.error?.message}`);
			return r.output('Resident');
		});
		const tally = {};
		for (const item of ours.value) tally[item.json.result] = (tally[item.json.result] ?? 0) + 1;
		const { deriveKeys } = require(path.join(ROOT, 'nodes/shared/domain/personalData.ts'));
		const { documentHash, phoneHash } = require(path.join(ROOT, 'nodes/shared/domain/protect.ts'));
		const keys = deriveKeys(dbh.TEST_KEY);
		const client = new pg.Client({ connectionString: db.url });
		client.on('error', () => undefined); // a failure surfaces through the awaited queries
		await client.connect();
		const naive = await measure(async () => {
			const results = { matched: 0, candidates: 0, none: 0 };
			for (const p of persons) {
				if (p.documentNumber) {
					const r = await client.query(`SELECT id FROM grid.resident WHERE doc_hash = $1 AND active`, [documentHash(keys, { type: 'id_card', normalized: p.documentNumber })]);
					if (r.rows.length) { results.matched++; continue; }
				}
				if (p.phone) {
					const r = await client.query(`SELECT id, name FROM grid.resident WHERE phone_hash = $1 AND active`, [phoneHash(keys, p.phone)]);
					if (r.rows.length) { results.candidates++; continue; }
				}
				const r = await client.query(`SELECT id FROM grid.resident WHERE doc_last4 = $1 AND name = $2 AND active`, [p.documentNumber?.slice(14) ?? null, p.name]);
				if (r.rows.length) results.candidates++;
				else results.none++;
			}
			return results;
		});
		out.verification = { ours, naive, tally, persons: persons.length };

		// Traces: 100 index persons spread over the registry, as of now, 14-day window, 2 hops.
		const { trace } = require(path.join(ROOT, 'nodes/shared/domain/resident/tracing.ts'));
		const idx = (await db.query(`SELECT id FROM grid.resident WHERE registered ORDER BY id`)).map((r) => Number(r.id));
		const index = Array.from({ length: a.traces }, (_, k) => idx[Math.floor(((k + 0.5) * idx.length) / a.traces)]);
		const runTraces = async (people) => {
			const times = [];
			let contacts = 0;
			for (const id of people) {
				const t = performance.now();
				const found = await uow.run(config, (u) => trace(u, { person: { id }, hops: 2, windowDays: 14, anchor: new Date() }));
				times.push(performance.now() - t);
				contacts += found.length;
			}
			return { times, contacts };
		};
		await runTraces(index.slice(0, 5));
		const withIndex = await measure(() => runTraces(index));
		await db.query(`DROP INDEX grid.exposure_a_idx; DROP INDEX grid.exposure_b_idx`);
		const baseIndex = index.slice(0, a.baselineTraces);
		const withoutIndex = await measure(() => runTraces(baseIndex));
		const sameContacts = withIndex.value.times.length >= baseIndex.length;
		out.trace = { withIndex, withoutIndex, sameContacts };
		await client.end();
		return out;
	} finally {
		await (await ctx.h.getHarness()).closeGridPools();
		await require(path.join(ROOT, 'nodes/shared/db/pool.ts')).closeAllPools();
		await db.drop();
	}
}

function table(rows) {
	const head = ['workload', 'size', 'ours', 'baseline', 'ratio', 'peak RSS (ours / baseline)'];
	const lines = [head, ...rows.map((r) => [r.workload, r.size, r.ours, r.baseline, r.ratio, r.rss])];
	const widths = head.map((_, c) => Math.max(...lines.map((l) => String(l[c]).length)));
	return lines.map((l, k) => l.map((v, c) => String(v).padEnd(widths[c])).join('  ') + (k === 0 ? `\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : '')).join('\n');
}

async function main() {
	const a = args(process.argv.slice(2));
	const server = await benchServer();
	const ctx = {
		h: require(path.join(ROOT, 'test', 'helpers', 'n8nHarness.ts')),
		dbh: require(path.join(ROOT, 'test', 'helpers', 'db.ts')),
		uow: require(path.join(ROOT, 'test', 'helpers', 'uow.ts')),
		reg: require(path.join(ROOT, 'test', 'helpers', 'registry.ts')),
	};
	try {
		console.log(`residents benchmark: import ${a.import}, registry ${a.registry}, exposures ${a.exposures}, traces ${a.traces} (baseline ${a.baselineTraces}), list ${a.list}`);
		// The import is repeated, each run in a fresh database, and the ratio is the median of the
		// per-run ratios: a single short raw-pg measurement on a busy host swings by a third.
		const runs = [];
		for (let k = 0; k < a.importRuns; k++) runs.push(await importBench(ctx, a.import));
		const median = (xs) => quantile(xs, 0.5);
		const pick = (key) => ({ seconds: median(runs.map((r) => r[key].seconds)), peakRssMb: Math.max(...runs.map((r) => r[key].peakRssMb)) });
		const imp = { ours: pick('ours'), raw: pick('raw'), rawIndexed: pick('rawIndexed'), runs };
		const ratioRaw = median(runs.map((r) => r.raw.seconds / r.ours.seconds));
		const ratioIndexed = median(runs.map((r) => r.rawIndexed.seconds / r.ours.seconds));
		if (a.only === 'import') {
			const runList = (key) => runs.map((x) => (x[key].seconds / x.ours.seconds).toFixed(2)).join(', ');
			console.log(`import: ours ${imp.ours.seconds.toFixed(2)} s, raw ${imp.raw.seconds.toFixed(2)} s, raw indexed ${imp.rawIndexed.seconds.toFixed(2)} s`);
			console.log(`ratio vs raw ${ratioRaw.toFixed(2)} (runs ${runList('raw')}); vs raw, same indexes ${ratioIndexed.toFixed(2)} (runs ${runList('rawIndexed')})`);
			return;
		}
		const r = await registryBench(ctx, a);
		const ms = (x) => `${x.toFixed(1)} ms`;
		const t = r.trace;
		const rows = [
			{ workload: 'Resident Import Many (n8n) vs raw pg unnest', size: `${a.import} residents`, ours: `${imp.ours.seconds.toFixed(2)} s`, baseline: `${imp.raw.seconds.toFixed(2)} s`, ratio: `${ratioRaw.toFixed(2)} (runs ${runs.map((r) => (r.raw.seconds / r.ours.seconds).toFixed(2)).join(', ')})`, rss: `${imp.ours.peakRssMb.toFixed(0)} / ${imp.raw.peakRssMb.toFixed(0)} MB` },
			{ workload: 'Resident Import Many (n8n) vs raw pg, same indexes', size: `${a.import} residents`, ours: `${imp.ours.seconds.toFixed(2)} s`, baseline: `${imp.rawIndexed.seconds.toFixed(2)} s`, ratio: `${ratioIndexed.toFixed(2)} (runs ${runs.map((r) => (r.rawIndexed.seconds / r.ours.seconds).toFixed(2)).join(', ')})`, rss: `${imp.ours.peakRssMb.toFixed(0)} / ${imp.rawIndexed.peakRssMb.toFixed(0)} MB` },
			{ workload: '2-hop trace, median (vs exposure indexes dropped)', size: `${r.exposures} exposures, ${a.registry} residents`, ours: ms(quantile(t.withIndex.value.times, 0.5)), baseline: ms(quantile(t.withoutIndex.value.times, 0.5)), ratio: (quantile(t.withoutIndex.value.times, 0.5) / quantile(t.withIndex.value.times, 0.5)).toFixed(0), rss: `${t.withIndex.peakRssMb.toFixed(0)} / ${t.withoutIndex.peakRssMb.toFixed(0)} MB` },
			{ workload: '2-hop trace, p95', size: `${a.traces} / ${a.baselineTraces} index persons`, ours: ms(quantile(t.withIndex.value.times, 0.95)), baseline: ms(quantile(t.withoutIndex.value.times, 0.95)), ratio: (quantile(t.withoutIndex.value.times, 0.95) / quantile(t.withIndex.value.times, 0.95)).toFixed(0), rss: '' },
			{ workload: 'Verification list (n8n) vs one query per person', size: `${r.verification.persons} persons`, ours: `${r.verification.ours.seconds.toFixed(2)} s`, baseline: `${r.verification.naive.seconds.toFixed(2)} s`, ratio: (r.verification.naive.seconds / r.verification.ours.seconds).toFixed(2), rss: `${r.verification.ours.peakRssMb.toFixed(0)} / ${r.verification.naive.peakRssMb.toFixed(0)} MB` },
		];
		console.log(`\n${table(rows)}\n`);
		console.log(`verification outcome: ${JSON.stringify(r.verification.tally)}; trace contacts found: ${t.withIndex.value.contacts} over ${a.traces} persons`);
		const result = {
			benchmark: 'residents',
			date: new Date().toISOString(),
			server: server.label,
			sizes: a,
			rows,
			raw: {
				import: { oursSeconds: imp.ours.seconds, rawSeconds: imp.raw.seconds, ratio: ratioRaw, rawIndexedSeconds: imp.rawIndexed.seconds, ratioIndexed, runs: runs.map((r) => ({ ours: r.ours.seconds, raw: r.raw.seconds, rawIndexed: r.rawIndexed.seconds })) },
				trace: { withIndexMs: t.withIndex.value.times, withoutIndexMs: t.withoutIndex.value.times },
				verification: { oursSeconds: r.verification.ours.seconds, naiveSeconds: r.verification.naive.seconds, tally: r.verification.tally },
				setup: { registrySeconds: r.registrySeconds, exposureSeconds: r.exposureSeconds },
			},
		};
		writeResult(RESULT_FILE, result);
	} finally {
		await server.stop();
	}
}

runMain(main);
