#!/usr/bin/env node
// node bench/exports/memory.js [--small 1000 --large 10000 --indicators 20]
//
// Peak memory of producing an export of N units x 20 indicators in each format (DHIS2, CSV long,
// CSV wide, JSON, FHIR), at about 1,000 and about 10,000 units, to show that it stays bounded as the
// units grow: the writers stream the document to a file chunk by chunk, and FHIR reads its records a
// page at a time. Each measurement runs in a child process of its own and reports the kernel's peak
// RSS (getrusage maxrss) and the peak of the V8 heap, so that one measurement cannot inherit another's
// high-water mark. Baseline, measured the same way on the same data: the document built whole in
// memory (JSON.stringify of the full object, the full CSV string), as a straightforward exporter does.
// Each large export is also run with the V8 heap capped (--heap-limit, default 40 MB): what fits there
// is bounded by what must be live at once, not by what the sampled peak happened to hold as garbage.
// Server: GRID_BENCH_DATABASE_URL (admin URL), else an embedded PostgreSQL. Output: a table, and
// bench/results/export-memory.json.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { fork } = require('child_process');
const { randomBytes } = require('crypto');
const pg = require('pg');
const { benchServer, textTable, needDist: need, numericArgs, dbUrl, withClient, writeResult } = require('../lib/inProcess');
const { generateDistrict } = require('../lib/district');
const { seedActivity } = require('../lib/activity');

const ROOT = path.resolve(__dirname, '..', '..');
const RESULT_FILE = path.join(ROOT, 'bench', 'results', 'export-memory.json');
const KEY = 'bench-personal-data-key-0123456789';
const ACTOR = { node: 'bench export memory' };
const MONTH = '2026-10';
const FORMATS = [['dhis2'], ['csv', 'long'], ['csv', 'wide'], ['json'], ['fhir']];




/** A dataset of the first n shipped monthly indicators, every one with a DHIS2, CSV and JSON code. */
function dataset(n) {
	const { DEFAULT_DATASETS } = need('domain/export/dataset.js');
	const all = DEFAULT_DATASETS.find((d) => d.code === 'GRID_MONTHLY').indicators;
	if (all.length < n) throw new Error(`the monthly dataset has only ${all.length} indicators`);
	return { code: 'BENCH_MEMORY', name: 'Export memory benchmark', periodTypes: ['month'], indicators: all.slice(0, n).map((i) => ({ ...i, codes: { ...i.codes } })) };
}

// ---------------------------------------------------------------- child: one measurement

async function child([url, format, layout, mode, indicators]) {
	const { configFromUrl } = need('db/config.js');
	const { withUnitOfWork } = need('db/unitOfWork.js');
	const { closeAllPools } = need('db/pool.js');
	const { writeExport } = need('domain/export/exportFile.js');
	const { periodOf } = need('domain/stats/period.js');
	const { rollup } = need('domain/stats/rollup.js');
	const { indicatorValue } = need('domain/export/dataset.js');
	const { fhirRecords } = need('domain/export/fhirSource.js');
	const { fhirEntry, fhirSystems } = need('domain/export/fhir.js');
	const { loadUnit } = need('domain/grid/unitLookup.js');
	const config = configFromUrl(url, { personalDataKey: KEY, timezone: 'Asia/Shanghai' });
	const period = periodOf({ type: 'month', date: `${MONTH}-15` }, 'Asia/Shanghai');
	const ds = dataset(Number(indicators));
	let heapPeak = 0;
	const timer = setInterval(() => { heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed); }, 10);
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grid-bench-export-'));
	const t0 = Date.now();
	let bytes = 0;
	let rows = 0;
	try {
		await withUnitOfWork(config, { actor: ACTOR }, async (uow) => {
			if (mode === 'streamed') {
				const file = await writeExport(uow, { unit: { code: '370614' }, period, byLevel: 5, format, dataset: ds, csvLayout: layout || undefined, directory: dir });
				bytes = file.bytes;
				rows = file.rows;
				return;
			}
			// the whole document in memory, then written
			let text;
			if (format === 'fhir') {
				const root = await loadUnit(uow, { code: '370614' }, 'Unit');
				const entries = [];
				for await (const r of fhirRecords(uow, { unitPath: root.path, period })) entries.push(fhirEntry(r, fhirSystems()));
				text = JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: entries });
				rows = entries.length;
			} else {
				const r = await rollup(uow, { unit: { code: '370614' }, period, byLevel: 5 });
				rows = r.rows.length;
				if (format === 'csv') {
					const lines = [['unit_code', 'unit_name', 'indicator', 'value'].join(',')];
					for (const row of r.rows) for (const ind of ds.indicators) lines.push([row.unitCode, JSON.stringify(row.unitName), ind.codes.csv, indicatorValue(row, ind.id)].join(','));
					text = `\uFEFF${lines.join('\r\n')}`;
				} else {
					const dataValues = [];
					for (const row of r.rows) for (const ind of ds.indicators) dataValues.push({ dataElement: ind.codes.dhis2, period: period.id, orgUnit: row.unitCode, value: String(indicatorValue(row, ind.id)) });
					text = JSON.stringify(format === 'json' ? { rows: r.rows } : { dataSet: ds.code, dataValues });
				}
			}
			fs.writeFileSync(path.join(dir, 'whole'), text);
			bytes = Buffer.byteLength(text);
		});
	} finally {
		clearInterval(timer);
		await closeAllPools();
		fs.rmSync(dir, { recursive: true, force: true });
	}
	heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
	process.send({ seconds: (Date.now() - t0) / 1000, bytes, rows, maxRssMb: process.resourceUsage().maxRSS / 1024, heapPeakMb: heapPeak / 1048576 });
}

function measureInChild(url, format, layout, mode, indicators, heapLimitMb) {
	return new Promise((resolve, reject) => {
		const execArgv = heapLimitMb ? [`--max-old-space-size=${heapLimitMb}`] : [];
		const p = fork(__filename, ['--child', url, format, layout ?? '', mode, String(indicators)], { stdio: ['ignore', 'ignore', heapLimitMb ? 'ignore' : 'inherit', 'ipc'], execArgv });
		let result;
		p.on('message', (m) => { result = m; });
		p.on('exit', (code) => {
			if (heapLimitMb) resolve({ fits: code === 0 && Boolean(result) });
			else if (code === 0 && result) resolve(result);
			else reject(new Error(`measurement ${format} ${mode} exited with ${code}`));
		});
	});
}

// ---------------------------------------------------------------- parent

async function district(admin, total) {
	const name = `grid_bench_export_${randomBytes(4).toString('hex')}`;
	await withClient(admin, (c) => c.query(`CREATE DATABASE "${name}"`));
	const url = dbUrl(admin, name);
	const { configFromUrl } = need('db/config.js');
	const { withUnitOfWork } = need('db/unitOfWork.js');
	const { createUnits } = need('domain/grid/units.js');
	const { checkNewUnit } = need('domain/grid/unitInput.js');
	const { DEFAULT_SEGMENT_WIDTHS } = need('validation/gridCode.js');
	const config = configFromUrl(url, { personalDataKey: KEY });
	const units = generateDistrict(total).map((x) => checkNewUnit(x, DEFAULT_SEGMENT_WIDTHS));
	await withUnitOfWork(config, { actor: ACTOR }, async (w) => {
		if ((await createUnits(w, units)).some((o) => !o.ok)) throw new Error('could not create the district');
	});
	const buildings = units.filter((x) => x.level === 5).length;
	await withClient(url, (c) => seedActivity(c, 'grid', { residents: buildings * 20, observations: buildings * 2, incidents: buildings * 3, tasks: buildings, volunteers: 50 }, { month: MONTH }));
	return { name, url, buildings, units: units.length };
}

async function main() {
	const a = numericArgs({ small: 1_000, large: 10_000, indicators: 20, heapLimit: 40 }, process.argv.slice(2));
	const server = await benchServer();
	const { closeAllPools } = need('db/pool.js');
	const made = [];
	try {
		// generateDistrict(total) puts all but a few percent of the units in buildings
		const sizes = [await district(server.admin, Math.round(a.small * 1.01) + 8), await district(server.admin, Math.round(a.large * 1.04))];
		made.push(...sizes);
		await closeAllPools();
		const results = [];
		for (const [format, layout] of FORMATS) {
			for (const mode of ['streamed', 'whole']) {
				const bySize = [];
				for (const s of sizes) bySize.push(await measureInChild(s.url, format, layout, mode, a.indicators));
				// the same export of the large district again, with the V8 heap capped: garbage the sampled
				// peak still counts cannot matter here, only what must be live at once
				const capped = await measureInChild(sizes[1].url, format, layout, mode, a.indicators, a.heapLimit);
				results.push({ format: layout ? `${format} (${layout})` : format, mode, small: bySize[0], large: bySize[1], fitsHeapLimit: capped.fits });
			}
		}
		const mb = (x) => `${x.toFixed(0)} MB`;
		const lines = results.map((r) => [
			r.format, r.mode,
			`${(r.small.bytes / 1048576).toFixed(1)} / ${(r.large.bytes / 1048576).toFixed(1)} MB`,
			`${mb(r.small.maxRssMb)} / ${mb(r.large.maxRssMb)}`,
			`${mb(r.small.heapPeakMb)} / ${mb(r.large.heapPeakMb)}`,
			(r.large.heapPeakMb / r.small.heapPeakMb).toFixed(2),
			r.fitsHeapLimit ? 'yes' : 'no (out of memory)',
		]);
		console.log(`units: ${sizes[0].buildings.toLocaleString('en-US')} and ${sizes[1].buildings.toLocaleString('en-US')} buildings x ${a.indicators} indicators, on ${server.label}`);
		console.log(textTable(['format', 'document', `file size (${sizes[0].buildings} / ${sizes[1].buildings})`, 'peak RSS', 'peak heap', 'heap growth', `${sizes[1].buildings} units in a ${a.heapLimit} MB heap`], lines));
		writeResult(RESULT_FILE, {
			benchmark: 'export-memory', measuredAt: new Date().toISOString(), server: server.label, indicators: a.indicators,
			heapLimitMb: a.heapLimit, units: sizes.map((s) => s.buildings), results,
		});
	} finally {
		await closeAllPools();
		for (const s of made) await withClient(server.admin, (c) => c.query(`DROP DATABASE IF EXISTS "${s.name}" WITH (FORCE)`)).catch(() => undefined);
		await server.stop();
	}
}

if (process.argv[2] === '--child') {
	child(process.argv.slice(3)).then(() => process.exit(0), (error) => {
		console.error(error);
		process.exit(1);
	});
} else {
	main().catch((error) => {
		console.error(error);
		process.exit(1);
	});
}
