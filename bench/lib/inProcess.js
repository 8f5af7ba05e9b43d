// What the in-process benchmarks share: the server they measure on, timing with peak memory,
// medians and quantiles, and a plain-text table.
const fs = require('fs');
const path = require('path');
const { performance } = require('perf_hooks');

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * The PostgreSQL a benchmark runs on: GRID_BENCH_DATABASE_URL (an admin URL; scratch databases are
 * created and dropped on it), else an embedded server started for the run. The test helpers (loaded
 * from their TypeScript sources) then use it.
 */
async function benchServer() {
	let server;
	let admin = process.env.GRID_BENCH_DATABASE_URL;
	if (!admin) {
		server = await require(path.join(ROOT, 'scripts', 'lib', 'embeddedPostgres.js')).startEmbeddedPostgres({ purpose: 'test' });
		admin = server.url;
	}
	process.env.GRID_TEST_DATABASE_URL = admin;
	require(path.join(ROOT, 'bench', 'lib', 'tsRequire.js')).install();
	return {
		admin,
		label: server ? `embedded PostgreSQL ${server.version}` : 'GRID_BENCH_DATABASE_URL',
		stop: async () => {
			if (server) await server.stop();
		},
	};
}

/** Wall time and the peak RSS sampled while fn runs. */
async function measure(fn) {
	let peak = process.memoryUsage().rss;
	const timer = setInterval(() => {
		peak = Math.max(peak, process.memoryUsage().rss);
	}, 25);
	const t0 = performance.now();
	try {
		const value = await fn();
		return { seconds: (performance.now() - t0) / 1000, peakRssMb: Math.max(peak, process.memoryUsage().rss) / 1048576, value };
	} finally {
		clearInterval(timer);
	}
}

const quantile = (xs, q) => {
	const s = [...xs].sort((x, y) => x - y);
	return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

const median = (xs) => {
	const s = [...xs].sort((x, y) => x - y);
	const m = Math.floor(s.length / 2);
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Columns padded to their widest cell, a rule under the head. */
function textTable(head, lines) {
	const all = [head, ...lines];
	const widths = head.map((_, c) => Math.max(...all.map((l) => String(l[c]).length)));
	return all.map((l, k) => l.map((v, c) => String(v).padEnd(widths[c])).join('  ') + (k === 0 ? `\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : '')).join('\n');
}

/** A module of the built package (dist/nodes/shared/<rel>), with a clear message when it is not built. */
function needDist(rel) {
	const file = path.join(ROOT, 'dist', 'nodes', 'shared', rel);
	if (!require('fs').existsSync(file)) throw new Error(`${path.relative(ROOT, file)} is missing: run npm run build first`);
	return require(file);
}

/** `--name value` pairs over numeric defaults; an unknown name is an error. */
function numericArgs(defaults, argv) {
	const a = { ...defaults };
	for (let i = 0; i < argv.length; i += 2) {
		const k = argv[i].replace(/^--/, '');
		if (!(k in a)) throw new Error(`unknown argument ${argv[i]}`);
		a[k] = Number(argv[i + 1]);
	}
	return a;
}

/** The URL of another database on the same server. */
function dbUrl(admin, name) {
	const u = new URL(admin);
	u.pathname = `/${name}`;
	return u.toString();
}

/** Runs fn with a plain pg client, closed afterwards. */
async function withClient(url, fn) {
	const c = new (require('pg').Client)({ connectionString: url });
	await c.connect();
	try {
		return await fn(c);
	} finally {
		await c.end();
	}
}

/** Writes a benchmark's result as the JSON the suite and the README table read, and says where. */
function writeResult(file, result) {
	fs.mkdirSync(path.dirname(file), { recursive: true });
	fs.writeFileSync(file, `${JSON.stringify(result, null, '\t')}\n`);
	console.log(`written to ${path.relative(ROOT, file)}`);
}

/** Runs a benchmark script's main and exits with its outcome (open pools would keep the process alive). */
function runMain(main) {
	main().then(() => process.exit(0), (error) => {
		console.error(error);
		process.exit(1);
	});
}

module.exports = { ROOT, benchServer, measure, median, quantile, textTable, needDist, numericArgs, dbUrl, withClient, writeResult, runMain };
