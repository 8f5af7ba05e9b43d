// One benchmark measurement in a process of its own (so that its peak RSS is its own):
//   node bench/lib/worker.js '{"workload":"grid","url":"postgres://…","size":50000,"run":1}'
// Prints one line `BENCH_RESULT {json}` with the timed seconds, rows written and the peak RSS.
//
// workloads
//   grid    the Grid node's Import Many in the in-process n8n harness (validation, RLS, audit included)
//   raw     raw `pg`: the same rows into a plain table of the same columns, unnest, 10,000 per statement
//   pgnode  n8n's own Postgres node (v2.6, Insert, auto-map) inserting the same rows into a plain table
//
// Each worker first does a small untimed run of the same path (pool, migrations, table schema lookups,
// JIT), then times the full-size run from handing over the items to the committed result.
const path = require('path');
const { performance } = require('perf_hooks');
const pg = require('pg');
const { generateDistrict, toRows } = require('./district');

const ROOT = path.resolve(__dirname, '..', '..');
const BENCH_KEY = 'bench-personal-data-key-0123456789';
const CHUNK = 10_000;

/** Connection fields of a postgres:// URL, read the way the package itself reads one. */
function connection(url) {
	const { host, port, database, user, password } = require(path.join(ROOT, 'dist', 'nodes', 'shared', 'db', 'config')).configFromUrl(url);
	return { host, port, database, user, password };
}

const PLAIN_COLUMNS = `id bigint PRIMARY KEY, code text NOT NULL, name text NOT NULL, level smallint NOT NULL,
	parent_id bigint, path text NOT NULL, planned_households integer, geojson jsonb, address text`;

async function withClient(url, fn) {
	const client = new pg.Client({ connectionString: url, application_name: 'grid-bench' });
	await client.connect();
	try {
		return await fn(client);
	} finally {
		await client.end();
	}
}

function loadHarness() {
	require('./tsRequire').install();
	return require(path.join(ROOT, 'test', 'helpers', 'n8nHarness.ts'));
}

function workflow(harnessModule, name) {
	return harnessModule.loadWorkflowFile(path.join(ROOT, 'bench', 'workflows', `${name}.json`));
}

/** Raw pg: the rows (ids and paths computed here, as the node does) inserted with unnest in one transaction. */
async function insertRaw(client, table, units, firstId) {
	const rows = toRows(units, firstId);
	await client.query('BEGIN');
	try {
		for (let start = 0; start < rows.length; start += CHUNK) {
			const chunk = rows.slice(start, start + CHUNK);
			await client.query(
				`INSERT INTO ${table} (id, code, name, level, parent_id, path, planned_households, geojson, address)
				SELECT id, code, name, level, parent_id, path, planned, geo::jsonb, address
				FROM unnest($1::bigint[], $2::text[], $3::text[], $4::smallint[], $5::bigint[], $6::text[], $7::int[], $8::text[], $9::text[])
					AS t(id, code, name, level, parent_id, path, planned, geo, address)`,
				[
					chunk.map((r) => r.id),
					chunk.map((r) => r.code),
					chunk.map((r) => r.name),
					chunk.map((r) => r.level),
					chunk.map((r) => r.parent_id),
					chunk.map((r) => r.path),
					chunk.map((r) => r.planned_households),
					chunk.map((r) => (r.geojson === null ? null : JSON.stringify(r.geojson))),
					chunk.map((r) => r.address),
				],
			);
		}
		await client.query('COMMIT');
	} catch (error) {
		await client.query('ROLLBACK');
		throw error;
	}
	return rows.length;
}

async function raw({ url, size, run }) {
	const units = generateDistrict(size);
	const warm = generateDistrict(20, { county: '370699', countyName: '热身区' });
	const table = `bench_raw_r${run}`;
	return withClient(url, async (client) => {
		await client.query(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (${PLAIN_COLUMNS})`);
		await insertRaw(client, table, warm, 1_000_000_000);
		const t0 = performance.now();
		const written = await insertRaw(client, table, units, 1);
		const seconds = (performance.now() - t0) / 1000;
		const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${table} WHERE id < 1000000000`);
		if (rows[0].n !== size) throw new Error(`raw: ${rows[0].n} rows in ${table}, expected ${size}`);
		return { seconds, written };
	});
}

async function grid({ url, size, run, diagnose }) {
	const h = loadHarness();
	const harness = await h.getHarness();
	const schema = `bench_grid_r${run}`;
	const credentials = {
		gridGovernancePostgres: h.gridCredentials({ ...connection(url), personalDataKey: BENCH_KEY, schema, maxConnections: 5 }),
	};
	const wf = workflow(h, 'grid-import');
	const units = generateDistrict(size);
	const warm = generateDistrict(20, { county: '370699', countyName: '热身区' });
	// creates and migrates the schema, opens the pool, warms the code path
	const first = await harness.runWorkflow(wf, { credentials, inputItems: warm });
	if (first.error) throw new Error(`grid warm-up failed: ${first.error.message}`);

	const probe = diagnose ? await require('./diagnose').attach(harness, credentials.gridGovernancePostgres) : undefined;
	const t0 = performance.now();
	let cpu;
	let result;
	if (probe) ({ value: result, cpu } = await require('./diagnose').profile(() => harness.runWorkflow(wf, { credentials, inputItems: units })));
	else result = await harness.runWorkflow(wf, { credentials, inputItems: units });
	const seconds = (performance.now() - t0) / 1000;
	if (result.error) throw new Error(`grid import failed: ${result.error.message}`);
	const out = result.output('Import Units');
	if (out.length !== size || out.some((item) => item.json.error !== undefined)) throw new Error(`grid: ${out.length} output items, expected ${size} without errors`);
	const breakdown = probe ? await probe.report({ seconds, result, units }) : undefined;
	if (breakdown) {
		breakdown.cpu = cpu;
		// a second, empty schema migrated by the node itself, for the server-side ablation
		const diag = { gridGovernancePostgres: { ...credentials.gridGovernancePostgres, schema: `${schema}_diag` } };
		const made = await harness.runWorkflow(wf, { credentials: diag, inputItems: warm });
		if (made.error) throw new Error(`diagnose schema: ${made.error.message}`);
		breakdown.server = await require('./diagnose').ablation(url, `${schema}_diag`, units);
	}
	const counted = await withClient(url, async (client) => (await client.query(
		`SELECT (SELECT count(*)::int FROM "${schema}".grid_unit WHERE code LIKE '370614%') AS units,
			(SELECT count(*)::int FROM "${schema}".grid_unit) AS all_units,
			(SELECT count(*)::int FROM "${schema}".audit_log WHERE entity = 'grid_unit' AND action = 'insert') AS audited`,
	)).rows[0]);
	if (counted.units !== size) throw new Error(`grid: ${counted.units} rows in ${schema}.grid_unit, expected ${size}`);
	// every unit written (the warm-up's and these) has its audit row
	if (counted.audited !== counted.all_units) throw new Error(`grid: ${counted.audited} audit rows for ${counted.all_units} units`);
	await harness.closeGridPools();
	return { seconds, written: counted.units, audited: counted.audited - warm.length, nodeSeconds: result.node('Import Units').executionTime / 1000, breakdown };
}

async function pgnode({ url, size, run }) {
	const h = loadHarness();
	const harness = await h.getHarness();
	const table = `bench_pgnode_r${run}`;
	await withClient(url, (client) => client.query(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (${PLAIN_COLUMNS})`));
	const wf = workflow(h, 'postgres-insert');
	wf.nodes.find((n) => n.name === 'Insert Rows').parameters.table.value = table;
	const credentials = { postgres: h.postgresCredentials(url, 5) };
	const rows = toRows(generateDistrict(size), 1);
	const warm = toRows(generateDistrict(20, { county: '370699', countyName: '热身区' }), 1_000_000_000);
	const first = await harness.runWorkflow(wf, { credentials, inputItems: warm });
	if (first.error) throw new Error(`pgnode warm-up failed: ${first.error.message}`);
	const t0 = performance.now();
	const result = await harness.runWorkflow(wf, { credentials, inputItems: rows });
	const seconds = (performance.now() - t0) / 1000;
	if (result.error) throw new Error(`Postgres node insert failed: ${result.error.message}`);
	const written = await withClient(url, async (client) => (await client.query(`SELECT count(*)::int AS n FROM ${table} WHERE id < 1000000000`)).rows[0].n);
	if (written !== size) throw new Error(`pgnode: ${written} rows in ${table}, expected ${size}`);
	return { seconds, written, nodeSeconds: result.node('Insert Rows').executionTime / 1000 };
}

const WORKLOADS = { raw, grid, pgnode };

async function main() {
	const args = JSON.parse(process.argv[2] || '{}');
	const fn = WORKLOADS[args.workload];
	if (!fn) throw new Error(`unknown workload ${args.workload}; one of ${Object.keys(WORKLOADS).join(', ')}`);
	const result = await fn(args);
	const peakRssMb = process.resourceUsage().maxRSS / 1024;
	process.stdout.write(`BENCH_RESULT ${JSON.stringify({ workload: args.workload, run: args.run, size: args.size, ...result, peakRssMb })}\n`);
}

main().then(
	// n8n's Postgres node keeps a pool-cleanup interval alive: end the process once the result is out
	() => process.exit(0),
	(error) => {
		process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
		process.exit(1);
	},
);
