// What the in-process benchmarks share: the server they measure on, timing with peak memory,
// medians and quantiles, and a plain-text table.
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

module.exports = { ROOT, benchServer, measure, median, quantile, textTable };
