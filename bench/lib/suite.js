// The benchmark suite's list and its one table. Each benchmark script keeps writing its own detailed
// results file; `summarize` reads such a file and turns it into rows of one shape:
//   { benchmark, workload, size, ours, baseline, ratio, peakMb }
// where `baseline` names the alternative it ran against in the same process and run (raw pg, n8n's
// Postgres node, the naive one-query-per-item version), and `ratio` says how many times better ours is
// (baseline time / our time, our rate / baseline rate, baseline memory / our memory), so that above 1
// is always in our favour. The README's table is rendered from bench/results/suite.json by `renderTable`,
// and test/unit/readmeBenchmarks.test.ts checks that the README holds exactly that rendering.

const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * Every benchmark: its script, the results file it writes, extra node flags, and smaller arguments for
 * `npm run bench -- --quick` (a smoke run that checks the suite works; its figures are not the ones
 * the issues ask for).
 */
const BENCHMARKS = [
	{ id: 'grid-import', script: 'bench/grid/import.js', result: 'grid-import.json', quick: ['--size', '5000', '--runs', '1'] },
	{ id: 'residents', script: 'bench/residents/run.js', result: 'residents.json',
		quick: ['--import', '5000', '--import-runs', '1', '--registry', '10000', '--exposures', '50000', '--traces', '10', '--baseline-traces', '3', '--list', '500'] },
	{ id: 'incident-intake', script: 'bench/incidents/intake.js', result: 'incident-intake.json', quick: ['--items', '1000', '--runs', '1'] },
	{ id: 'escalate-overdue', script: 'bench/incidents/escalateOverdue.js', result: 'escalate-overdue.json', quick: ['--incidents', '5000', '--overdue', '500', '--runs', '1'] },
	{ id: 'dispatch', script: 'bench/dispatch/run.js', result: 'dispatch.json', quick: ['--tasks', '2000', '--volunteers', '500', '--naive-tasks', '200'] },
	{ id: 'campaign', script: 'bench/campaign/run.js', result: 'campaign.json', quick: ['--registry', '10000'] },
	{ id: 'rollup', script: 'bench/stats/rollup.js', result: 'rollup.json',
		quick: ['--units', '4636', '--residents', '50000', '--observations', '50000', '--incidents', '20000', '--tasks', '10000', '--runs', '1'] },
	{ id: 'export-memory', script: 'bench/exports/memory.js', result: 'export-memory.json', quick: ['--small', '300', '--large', '1000'] },
	{ id: 'delivery', script: 'bench/exports/delivery.js', result: 'delivery.json', quick: ['--periods', '20'] },
	{ id: 'notices', script: 'bench/notices/prepare.js', result: 'notices.json', nodeFlags: ['--expose-gc'], quick: ['--registry', '10000'] },
	{ id: 'consultations', script: 'bench/consultations/responses.js', result: 'consultation-responses.json',
		quick: ['--registry', '2000', '--responses', '1000'] },
];

const SUITE_FILE = path.join(ROOT, 'bench', 'results', 'suite.json');

const n = (x) => Number(x).toLocaleString('en-US');
const secs = (x) => (x >= 10 ? `${x.toFixed(1)} s` : x >= 0.1 ? `${x.toFixed(2)} s` : `${(x * 1000).toFixed(0)} ms`);
const mb = (x) => `${Math.round(x)} MB`;
/** The leading number of a string such as "0.43 (runs …)". */
const leadingNumber = (text) => Number(/^[\d.]+/.exec(String(text).trim())?.[0]);
/** "448 / 492 MB" → the larger of the two (the peak of the measurement). */
const peakOfPair = (text) => {
	const figures = String(text ?? '').match(/[\d.]+/g);
	return figures ? Math.max(...figures.map(Number)) : null;
};

/** Rows of the older result files, which already hold { workload, size, ours, baseline, ratio, rss } strings. */
function fromStringRows(benchmark, rows, baselineOf) {
	return rows.map((r) => ({
		benchmark,
		workload: r.workload,
		size: String(r.size).replace(/\d{4,}/g, (d) => n(d)),
		ours: r.ours,
		baseline: `${r.baseline} (${baselineOf(r)})`,
		ratio: leadingNumber(r.ratio),
		peakMb: peakOfPair(r.rss),
	}));
}

const SUMMARIES = {
	'grid-import': (r) =>
		r.rows.map((row) => ({
			benchmark: 'grid-import',
			workload: row.baseline === 'raw pg' ? 'Grid Import Many (n8n) vs raw pg unnest into a plain table' : "Grid Import Many (n8n) vs n8n's Postgres node Insert",
			size: `${n(row.size)} units`,
			ours: secs(row.oursSeconds),
			baseline: `${secs(row.baselineSeconds)} (${row.baseline})`,
			ratio: row.ratio,
			peakMb: Math.max(row.peakRssMb.ours, row.peakRssMb.baseline),
		})),
	residents: (r) =>
		fromStringRows('residents', r.rows, (row) =>
			/raw pg/.test(row.workload) ? 'raw pg' : /trace/.test(row.workload) ? 'indexes dropped' : 'one query per person'),
	'incident-intake': (r) =>
		fromStringRows('incident-intake', r.rows, (row) => (/Postgres node/.test(row.workload) ? 'n8n Postgres node' : 'raw pg')),
	'escalate-overdue': (r) => fromStringRows('escalate-overdue', r.rows, () => 'one incident at a time'),
	dispatch: (r) => {
		const naive = r.rows.find((x) => /naive/.test(x.scenario));
		return r.rows.filter((x) => x !== naive).map((x) => ({
			benchmark: 'dispatch',
			workload: `Volunteer dispatch, ${x.scenario.replace(/^dispatch, /, '')}: assignments per second`,
			size: `${n(r.sizes.tasks)} tasks, ${n(r.sizes.volunteers)} volunteers`,
			ours: `${n(Math.round(x.rate))}/s`,
			baseline: `${n(Math.round(naive.rate))}/s (one task at a time)`,
			ratio: x.rate / naive.rate,
			peakMb: null,
		}));
	},
	campaign: (r) =>
		r.rows.map((x) => ({
			benchmark: 'campaign',
			workload: `Temperature-check campaign, ${x.workload}`,
			size: `${n(r.sizes.residents)} residents`,
			ours: secs(x.ours),
			baseline: `${secs(x.naive)} (one statement per task)`,
			ratio: x.ratio,
			peakMb: null,
		})),
	rollup: (r) => [{
		benchmark: 'rollup',
		workload: 'Rollup of the district by community, one month',
		size: `${n(r.data.units)} units, ${n(r.data.residents)} residents, ${n(r.data.incidents)} incidents`,
		ours: secs(r.ours.seconds),
		baseline: `${secs(r.naive.seconds)} (one query per community per indicator)`,
		ratio: r.ratio,
		peakMb: Math.max(r.ours.peakRssMb, r.naive.peakRssMb),
	}],
	'export-memory': (r) => {
		const formats = [...new Set(r.results.map((x) => x.format))];
		// results written before the file recorded the cap were measured at the script's default, 40 MB
		const limit = r.heapLimitMb ?? 40;
		const fits = (x) => (x.fitsHeapLimit ? 'runs in' : 'fails in');
		return formats.map((format) => {
			const streamed = r.results.find((x) => x.format === format && x.mode === 'streamed');
			const whole = r.results.find((x) => x.format === format && x.mode === 'whole');
			return {
				benchmark: 'export-memory',
				workload: `Export ${format}: peak V8 heap`,
				size: `${n(r.units[1])} units × ${r.indicators} indicators`,
				ours: `${mb(streamed.large.heapPeakMb)}; ${fits(streamed)} a ${limit} MB heap`,
				baseline: `${mb(whole.large.heapPeakMb)}; ${fits(whole)} a ${limit} MB heap (document built whole)`,
				ratio: whole.large.heapPeakMb / streamed.large.heapPeakMb,
				peakMb: Math.max(streamed.large.maxRssMb, whole.large.maxRssMb),
			};
		});
	},
	delivery: (r) => [{
		benchmark: 'delivery',
		workload: `Delivery with ${Math.round(r.failure * 100)}% of requests failing, then a re-run: stored at the upstream`,
		size: `${n(r.periods)} periods, ${r.workers} workers`,
		ours: `${n(r.ours.storedAfterSecondRun)} (${r.ours.duplicatesAfterSecondRun} duplicates)`,
		baseline: `${n(r.naive.storedAfterSecondRun)} (${r.naive.duplicatesAfterSecondRun} duplicates; plain POST with retries)`,
		ratio: r.naive.storedAfterSecondRun / r.ours.storedAfterSecondRun,
		peakMb: null,
	}],
	notices: (r) => {
		const nodeShaped = r.rows.find((x) => /node-shaped/.test(x.mode));
		const unpaged = r.rows.find((x) => /unpaged/.test(x.mode));
		return [{
			benchmark: 'notices',
			workload: 'Notice Prepare Delivery to every resident: memory above the idle process',
			size: `${n(r.sizes.residents)} residents`,
			ours: `${mb(nodeShaped.overBaselineMb)} in ${secs(nodeShaped.firstSeconds)}; re-run prepares ${nodeShaped.rerunPrepared}`,
			baseline: `${mb(unpaged.overBaselineMb)} in ${secs(unpaged.firstSeconds)} (unpaged, raw pg)`,
			ratio: unpaged.overBaselineMb / nodeShaped.overBaselineMb,
			peakMb: Math.max(...r.rows.map((x) => x.peakRssMb)),
		}];
	},
	consultations: (r) => {
		const node = r.runs.find((x) => /Notice node/.test(x.label));
		const single = r.runs.find((x) => x.batch === 1);
		return [{
			benchmark: 'consultations',
			workload: 'Consultation responses through the Notice node, tally checked exactly',
			size: `${n(r.sizes.responses)} responses`,
			ours: secs(node.respondSeconds),
			baseline: `${secs(single.respondSeconds)} (one response per transaction)`,
			ratio: single.respondSeconds / node.respondSeconds,
			peakMb: null,
		}];
	},
};

/** The suite rows of one benchmark's results file (parsed JSON). */
function summarize(id, result) {
	const summary = SUMMARIES[id];
	if (!summary) throw new Error(`no summary for benchmark ${id}`);
	return summary(result);
}

const ratioText = (x) => (x == null || !Number.isFinite(x) ? '—' : x >= 100 ? `${Math.round(x)}×` : x >= 10 ? `${x.toFixed(1)}×` : x >= 0.1 ? `${x.toFixed(2)}×` : `${x.toFixed(3)}×`);

/** The suite as a Markdown table (the README holds exactly this, between its bench markers). */
function renderTable(suite) {
	const header = ['workload', 'size', 'ours', 'baseline (same run)', 'ratio', 'peak RSS'];
	const lines = [`| ${header.join(' | ')} |`, `| ${header.map((h, i) => (i >= 4 ? '---:' : '---')).join(' | ')} |`];
	for (const r of suite.rows) {
		const peak = r.peakMb ?? suite.benchmarks.find((b) => b.id === r.benchmark)?.processPeakMb;
		const cells = [r.workload, r.size, r.ours, r.baseline, ratioText(r.ratio), peak == null ? '—' : mb(peak)];
		lines.push(`| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`);
	}
	return lines.join('\n');
}

/** The line under the table: when, where and how the figures were measured. */
function renderCaption(suite) {
	const when = suite.date.slice(0, 16).replace('T', ' ');
	return `Measured by \`npm run bench\` on ${when} UTC (${suite.host.cpus} × ${suite.host.cpuModel}, Node.js ${suite.host.node}, PostgreSQL ${suite.server}${suite.quick ? ', QUICK sizes' : ''}); ratio above 1 is in our favour; bench/results/suite.json holds every figure.`;
}

module.exports = { BENCHMARKS, SUITE_FILE, summarize, renderTable, renderCaption, ROOT };
