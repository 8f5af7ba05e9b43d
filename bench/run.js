#!/usr/bin/env node
// npm run bench [-- --only rollup,dispatch] [-- --skip residents] [-- --quick]
//
// The whole benchmark suite: runs every benchmark script the issues defined (bench/lib/suite.js lists
// them), one after another, each in a child process of its own with its default sizes (or small
// ones with --quick), each measuring its baselines in the same process and run. Each script writes its
// detailed results file as before; this one then prints one table (workload and size, our figure, the
// baseline's, the ratio, peak memory) and writes it as JSON to bench/results/suite.json, with a copy of
// each script's detailed results, so that every figure in the table can be traced to what was measured.
// The README's table is `npm run bench -- --table` (rendered from suite.json's measured details, not
// measured again).
// Server: GRID_BENCH_DATABASE_URL for every script (admin URL), else each starts an embedded PostgreSQL.
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { BENCHMARKS, SUITE_FILE, ROOT, summarize, renderTable, renderCaption } = require('./lib/suite');

const USAGE = `npm run bench [-- --only id,id] [-- --skip id,id] [-- --quick] [-- --table]
benchmarks: ${BENCHMARKS.map((b) => b.id).join(', ')}`;

function parseArgs(argv) {
	const args = { only: null, skip: new Set(), quick: false, table: false };
	const ids = (text) => {
		const list = String(text ?? '').split(',').map((x) => x.trim()).filter(Boolean);
		const unknown = list.filter((id) => !BENCHMARKS.some((b) => b.id === id));
		if (!list.length || unknown.length) throw new Error(`unknown benchmark ${unknown.join(', ') || '(none given)'}\n${USAGE}`);
		return list;
	};
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--only') args.only = new Set(ids(argv[++i]));
		else if (a === '--skip') for (const id of ids(argv[++i])) args.skip.add(id);
		else if (a === '--quick') args.quick = true;
		else if (a === '--table') args.table = true;
		else if (a === '--help' || a === '-h') {
			console.log(USAGE);
			process.exit(0);
		} else throw new Error(`unknown argument ${a}\n${USAGE}`);
	}
	return args;
}

function runScript(benchmark, quick) {
	const peakFile = path.join(os.tmpdir(), `grid-bench-peak-${process.pid}-${benchmark.id}`);
	fs.rmSync(peakFile, { force: true });
	const argv = [...(benchmark.nodeFlags ?? []), '-r', path.join(__dirname, 'lib', 'peakRss.js'), path.join(ROOT, benchmark.script), ...(quick ? benchmark.quick : [])];
	const started = Date.now();
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, GRID_BENCH_PEAK_FILE: peakFile } });
		child.on('error', reject);
		child.on('exit', (code, signal) => {
			const seconds = (Date.now() - started) / 1000;
			let processPeakMb = null;
			if (fs.existsSync(peakFile)) {
				processPeakMb = Number(fs.readFileSync(peakFile, 'utf8')) / 1024;
				fs.rmSync(peakFile, { force: true });
			}
			if (code !== 0) return reject(new Error(`${benchmark.script} failed (${signal ?? `exit code ${code}`}) after ${seconds.toFixed(0)} s`));
			resolve({ seconds, processPeakMb });
		});
	});
}

function readResult(benchmark, notBefore) {
	const file = path.join(ROOT, 'bench', 'results', benchmark.result);
	const result = JSON.parse(fs.readFileSync(file, 'utf8'));
	const measured = Date.parse(result.date ?? result.measuredAt);
	if (!(measured >= notBefore)) throw new Error(`${benchmark.result} was not rewritten by this run (its date is ${result.date ?? result.measuredAt})`);
	return result;
}

async function main() {
	const args = parseArgs(process.argv.slice(2));
	if (args.table) {
		const suite = JSON.parse(fs.readFileSync(SUITE_FILE, 'utf8'));
		// the rows are summaries of the measured details kept in the file: made again, in case the way
		// a benchmark is summarized changed since (no figure is measured here)
		suite.rows = suite.benchmarks.flatMap((b) => summarize(b.id, b.detail));
		fs.writeFileSync(SUITE_FILE, `${JSON.stringify(suite, null, '\t')}\n`);
		console.log(`${renderTable(suite)}\n\n${renderCaption(suite)}`);
		return;
	}
	if (!fs.existsSync(path.join(ROOT, 'dist', 'nodes', 'Grid', 'Grid.node.js'))) throw new Error('dist/ is missing: run `npm run build` first');
	const chosen = BENCHMARKS.filter((b) => (!args.only || args.only.has(b.id)) && !args.skip.has(b.id));
	const started = Date.now();
	const benchmarks = [];
	const rows = [];
	for (const [k, benchmark] of chosen.entries()) {
		console.log(`\n━━━ [${k + 1}/${chosen.length}] ${benchmark.id}: node ${benchmark.script}${args.quick ? ` ${benchmark.quick.join(' ')}` : ''}`);
		const t = Date.now();
		const resultFile = path.join(ROOT, 'bench', 'results', benchmark.result);
		// a quick run must not replace the figures of the last real one
		const kept = args.quick && fs.existsSync(resultFile) ? fs.readFileSync(resultFile) : null;
		let run;
		let result;
		try {
			try {
				run = await runScript(benchmark, args.quick);
			} catch (error) {
				// one retry: a long suite should not be lost to one failure (a server hiccup, a rebuild of dist/)
				console.log(`\n${error.message}; running it once more`);
				run = await runScript(benchmark, args.quick);
			}
			result = readResult(benchmark, t);
		} finally {
			if (kept) fs.writeFileSync(resultFile, kept);
		}
		benchmarks.push({ id: benchmark.id, script: benchmark.script, resultFile: `bench/results/${benchmark.result}`, seconds: run.seconds, processPeakMb: run.processPeakMb, detail: result });
		rows.push(...summarize(benchmark.id, result));
	}
	const pg = require('pg');
	let server = 'embedded (per script)';
	if (process.env.GRID_BENCH_DATABASE_URL) {
		const client = new pg.Client({ connectionString: process.env.GRID_BENCH_DATABASE_URL });
		await client.connect();
		server = (await client.query('SHOW server_version')).rows[0].server_version.split(' ')[0];
		await client.end();
	}
	const suite = {
		benchmark: 'suite',
		date: new Date().toISOString(),
		quick: args.quick,
		server,
		host: { node: process.version, platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model?.trim() },
		totalSeconds: (Date.now() - started) / 1000,
		benchmarks,
		rows,
	};
	console.log(`\n${renderTable(suite)}\n\n${renderCaption(suite)}`);
	if (chosen.length === BENCHMARKS.length && !args.quick) {
		fs.writeFileSync(SUITE_FILE, `${JSON.stringify(suite, null, '\t')}\n`);
		console.log(`\nwritten to ${path.relative(ROOT, SUITE_FILE)}`);
	} else {
		const partial = SUITE_FILE.replace(/\.json$/, '.partial.json');
		fs.writeFileSync(partial, `${JSON.stringify(suite, null, '\t')}\n`);
		console.log(`\n${args.quick ? 'a quick run' : 'not every benchmark ran'}: written to ${path.relative(ROOT, partial)} (suite.json keeps the last full run)`);
	}
}

main().catch((error) => {
	console.error(error && error.stack ? error.stack : error);
	process.exit(1);
});
