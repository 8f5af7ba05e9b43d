#!/usr/bin/env node
// npm run bench:grid-import [-- --size 50000 --runs 3 --profile]
//
// Imports a realistic district (default 50,000 grid units: district, streets, communities, base grids,
// buildings) three ways against the same PostgreSQL server in the same run, and prints ratios:
//   ours      the Grid node's Import Many, run as workflow JSON through the in-process n8n harness
//             (n8n-core's WorkflowExecute, our built dist/), with validation, RLS and audit
//   raw pg    the same rows with raw `pg` + unnest into a plain table of the same columns
//   n8n pg    n8n's own Postgres node (Insert) inserting the same rows into a plain table, same harness
// ratio = baseline time / our time (for raw pg: the fraction of raw speed we reach; target >= 0.3),
// the median of the per-run ratios (each run measures the three workloads back to back).
// Each measurement runs in a child process of its own (bench/lib/worker.js) so that peak RSS is its
// own; runs are interleaved and the median is reported. --profile adds one diagnosed run of ours that
// says where the time goes (bench/lib/diagnose.js).
//
// Server: GRID_BENCH_DATABASE_URL (an admin URL; a scratch database is created and dropped), else an
// embedded PostgreSQL started for the run (scripts/lib/embeddedPostgres.js).
// Output: a table on stdout and bench/results/grid-import.json.
const { spawn } = require('child_process');
const { randomBytes } = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const pg = require('pg');
const { writeResult } = require('../lib/inProcess');

const ROOT = path.resolve(__dirname, '..', '..');
const RESULT_FILE = path.join(ROOT, 'bench', 'results', 'grid-import.json');
const TARGET = 0.3;

function parseArgs(argv) {
	const args = { size: 50_000, runs: 3, profile: false };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--profile') args.profile = true;
		else if (a === '--size') args.size = Number(argv[++i]);
		else if (a === '--runs') args.runs = Number(argv[++i]);
		else if (a === '--help' || a === '-h') {
			console.log('npm run bench:grid-import [-- --size N (default 50000) --runs R (default 3) --profile]');
			process.exit(0);
		} else throw new Error(`unknown argument ${a}`);
	}
	if (!Number.isInteger(args.size) || args.size < 100) throw new Error('--size must be a whole number >= 100');
	if (!Number.isInteger(args.runs) || args.runs < 1) throw new Error('--runs must be >= 1');
	return args;
}

function worker(args) {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [path.join(ROOT, 'bench', 'lib', 'worker.js'), JSON.stringify(args)], {
			cwd: ROOT,
			stdio: ['ignore', 'pipe', 'inherit'],
		});
		let out = '';
		child.stdout.on('data', (d) => {
			out += d;
		});
		child.on('error', reject);
		child.on('exit', (code) => {
			const line = out.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
			if (code !== 0 || !line) return reject(new Error(`${args.workload} worker exited with ${code}${out ? `: ${out.slice(-2000)}` : ''}`));
			resolve(JSON.parse(line.slice('BENCH_RESULT '.length)));
		});
	});
}

const median = (xs) => {
	const s = [...xs].sort((a, b) => a - b);
	const m = Math.floor(s.length / 2);
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function mask(url) {
	return url.replace(/:[^:@/]*@/, ':***@');
}

function table(rows) {
	const headers = ['workload', 'size', 'ours (s)', 'baseline (s)', 'ratio', 'peak RSS ours / baseline (MB)'];
	const cells = rows.map((r) => [
		r.workload,
		r.size.toLocaleString('en-US'),
		r.oursSeconds.toFixed(2),
		r.baselineSeconds.toFixed(2),
		r.ratio.toFixed(2),
		`${Math.round(r.peakRssMb.ours)} / ${Math.round(r.peakRssMb.baseline)}`,
	]);
	const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
	const line = (c) => `| ${c.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join(' | ')} |`;
	return [line(headers), `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...cells.map(line)].join('\n');
}

function printBreakdown(b) {
	const ms = (x) => `${Math.round(x)} ms`;
	const pct = (x) => `${((100 * x) / b.executionMs).toFixed(0)}%`;
	console.log(`\nWhere the Grid import's ${ms(b.executionMs)} go (one diagnosed run; the profiler adds a little):`);
	console.log(`  n8n engine around the node ........ ${ms(b.n8nEngineMs)} (${pct(b.n8nEngineMs)})`);
	console.log(`  Grid node ......................... ${ms(b.nodeMs)} (${pct(b.nodeMs)})`);
	console.log(`    SQL (waiting for PostgreSQL) .... ${ms(b.sqlMs)} (${pct(b.sqlMs)})`);
	for (const s of b.statements) console.log(`      ${String(s.count).padStart(3)} × ${s.kind}: ${ms(s.ms)}`);
	console.log(`    read + validate items (est.) .... ${ms(b.readValidateMs)} (${pct(b.readValidateMs)})`);
	console.log(`    other JavaScript, GC ............ ${ms(b.nodeJsOtherMs)} (${pct(b.nodeJsOtherMs)})`);
	if (b.cpu) {
		console.log('  CPU profile of the run, self time by area:');
		for (const a of b.cpu.byArea.slice(0, 10)) console.log(`    ${a.name.padEnd(40)} ${ms(a.ms)}`);
		console.log('  hottest functions:');
		for (const f of b.cpu.byFunction.filter((x) => !x.name.startsWith('(idle)')).slice(0, 12)) console.log(`    ${String(f.ms).padStart(6)} ms  ${f.name}`);
	}
	if (b.server) {
		console.log('  PostgreSQL alone, the same rows by raw pg, one cost switched on at a time:');
		let prev;
		for (const v of b.server) {
			const delta = prev === undefined ? '' : ` (${v.ms >= prev ? '+' : '−'}${Math.abs(Math.round(v.ms - prev))})`;
			console.log(`    ${v.variant.padEnd(72)} ${ms(v.ms)}${delta}`);
			if (!v.proposal) prev = v.ms;
		}
	}
}

async function main() {
	const args = parseArgs(process.argv.slice(2));
	for (const f of ['dist/nodes/Grid/Grid.node.js', 'dist/credentials/GridGovernancePostgres.credentials.js']) {
		if (!fs.existsSync(path.join(ROOT, f))) throw new Error(`${f} is missing: run \`npm run build\` first`);
	}

	let server;
	let adminUrl = process.env.GRID_BENCH_DATABASE_URL;
	let serverKind = 'GRID_BENCH_DATABASE_URL';
	if (!adminUrl) {
		const { startEmbeddedPostgres } = require(path.join(ROOT, 'scripts', 'lib', 'embeddedPostgres'));
		server = await startEmbeddedPostgres({ purpose: 'test' });
		adminUrl = server.url;
		serverKind = `embedded PostgreSQL ${server.version} (fsync off)`;
	}
	const dbName = `grid_bench_${randomBytes(4).toString('hex')}`;
	const admin = new pg.Client({ connectionString: adminUrl });
	await admin.connect();
	const serverVersion = (await admin.query('SHOW server_version')).rows[0].server_version;
	await admin.query(`CREATE DATABASE "${dbName}"`);
	const u = new URL(adminUrl);
	u.pathname = `/${dbName}`;
	const url = u.toString();
	console.log(`Grid import benchmark: ${args.size.toLocaleString('en-US')} units, ${args.runs} run(s) each, PostgreSQL ${serverVersion} at ${mask(adminUrl)} (${serverKind}), database ${dbName}`);

	const measured = { raw: [], grid: [], pgnode: [] };
	let breakdown;
	try {
		const order = ['raw', 'grid', 'pgnode'];
		for (let run = 1; run <= args.runs; run++) {
			// rotate the order so that no workload always runs first on a cold server
			const rotated = order.slice(run - 1).concat(order.slice(0, run - 1));
			for (const workload of rotated) {
				const r = await worker({ workload, url, size: args.size, run });
				measured[workload].push(r);
				console.log(`  run ${run} ${workload.padEnd(6)} ${r.seconds.toFixed(2)} s  peak RSS ${Math.round(r.peakRssMb)} MB`);
			}
		}
		if (args.profile) {
			const r = await worker({ workload: 'grid', url, size: args.size, run: args.runs + 1, diagnose: true });
			breakdown = r.breakdown;
		}
	} finally {
		await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => undefined);
		await admin.end();
		if (server) await server.stop();
	}

	const summary = (w) => ({
		seconds: median(measured[w].map((r) => r.seconds)),
		peakRssMb: Math.max(...measured[w].map((r) => r.peakRssMb)),
		runs: measured[w].map((r) => r.seconds),
	});
	const grid = summary('grid');
	const raw = summary('raw');
	const pgnode = summary('pgnode');
	// each run measured all three close together: the ratio is the median of the per-run ratios, which
	// a host that speeds up or slows down during the benchmark does not skew
	const pairedRatio = (w) => median(measured[w].map((r, k) => r.seconds / measured.grid[k].seconds));
	const rows = [
		{
			workload: 'Grid Import Many (n8n) vs raw pg unnest, plain table',
			baseline: 'raw pg',
			size: args.size,
			oursSeconds: grid.seconds,
			baselineSeconds: raw.seconds,
			ratio: pairedRatio('raw'),
			ratios: measured.raw.map((r, k) => r.seconds / measured.grid[k].seconds),
			peakRssMb: { ours: grid.peakRssMb, baseline: raw.peakRssMb },
		},
		{
			workload: "Grid Import Many (n8n) vs n8n's Postgres node Insert",
			baseline: 'n8n Postgres node',
			size: args.size,
			oursSeconds: grid.seconds,
			baselineSeconds: pgnode.seconds,
			ratio: pairedRatio('pgnode'),
			ratios: measured.pgnode.map((r, k) => r.seconds / measured.grid[k].seconds),
			peakRssMb: { ours: grid.peakRssMb, baseline: pgnode.peakRssMb },
		},
	];
	console.log(`\n${table(rows)}`);
	const met = rows[0].ratio >= TARGET;
	console.log(`\ntimes are medians; ratio = baseline time / our time, the median of the ${args.runs} runs' ratios (per run: ${rows[0].ratios.map((r) => r.toFixed(2)).join(', ')}).`);
	console.log(`Target: ours >= ${TARGET} of raw pg speed: ${met ? 'met' : 'NOT met'} (${rows[0].ratio.toFixed(2)}).`);
	if (breakdown) printBreakdown(breakdown);

	const report = {
		benchmark: 'grid-import',
		date: new Date().toISOString(),
		size: args.size,
		runsPerWorkload: args.runs,
		server: { kind: serverKind, version: serverVersion },
		host: { node: process.version, platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model },
		target: { ratioToRawPg: TARGET, met },
		rows,
		measurements: { grid, raw, pgnode },
		...(breakdown ? { breakdown } : {}),
	};
	writeResult(RESULT_FILE, report);
}

main().catch((error) => {
	console.error(error && error.stack ? error.stack : error);
	process.exit(1);
});
