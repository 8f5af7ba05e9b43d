#!/usr/bin/env node
// Rotation rate of the personal-data key: seeds N residents (phones, half with the full document
// number stored) under one key, then rotates to a second key with the built package (dist/), batch
// by batch as the Grid node's operation does, and prints rows re-keyed per second and the time per
// batch. Usage: node bench/security/keyRotation.js [--residents 50000] [--batch 5000]
// Needs `npm run build` first; uses GRID_BENCH_DATABASE_URL or the local server.
const path = require('path');
const { performance } = require('perf_hooks');
const pg = require('pg');

const ROOT = path.resolve(__dirname, '..', '..');
const dist = (p) => require(path.join(ROOT, 'dist', 'nodes', 'shared', p));
const arg = (name, d) => {
	const i = process.argv.indexOf(`--${name}`);
	return i > 0 ? Number(process.argv[i + 1]) : d;
};

async function main() {
	const residents = arg('residents', 50_000);
	const batchSize = arg('batch', 5_000);
	const admin = process.env.GRID_BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
	const name = `grid_bench_rotation_${process.pid}`;
	const a = new pg.Client({ connectionString: admin });
	await a.connect();
	await a.query(`CREATE DATABASE "${name}"`);
	const u = new URL(admin);
	u.pathname = `/${name}`;
	const { configFromUrl } = dist('db/config');
	const { withUnitOfWork } = dist('db/unitOfWork');
	const { closeAllPools } = dist('db/pool');
	const { createUnits } = dist('domain/grid/units');
	const { checkNewUnit } = dist('domain/grid/unitInput');
	const { checkResident } = dist('domain/resident/residentInput');
	const { saveResidents } = dist('domain/resident/residents');
	const { rotatePersonalDataKey } = dist('domain/keyRotation/runRotation');
	const { checkCharacter } = dist('validation/idNumber');
	const K1 = 'bench-first-personal-data-key-0001';
	const K2 = 'bench-second-personal-data-key-0002';
	const actor = { node: 'bench' };
	const c1 = configFromUrl(u.toString(), { personalDataKey: K1 });
	try {
		const widths = [3, 3, 3, 4];
		const units = [{ code: '370614', name: '区' }, { code: '370614-001', name: '街道', parentCode: '370614' },
			{ code: '370614-001-001', name: '社区', parentCode: '370614-001' }, { code: '370614-001-001-001', name: '网格', parentCode: '370614-001-001' }];
		for (let b = 1; b <= 50; b++) units.push({ code: `370614-001-001-001-${String(b).padStart(4, '0')}`, name: `${b}号楼`, parentCode: '370614-001-001-001' });
		await withUnitOfWork(c1, { actor }, (uow) => createUnits(uow, units.map((r) => checkNewUnit(r, widths))));
		const t0 = performance.now();
		for (let start = 0; start < residents; start += 5_000) {
			const chunk = [];
			for (let k = start; k < Math.min(residents, start + 5_000); k++) {
				// year from k mod 60, month from the thousands, sequence from k / 60: distinct for up to 720,000 residents
				const first17 = `370614${1940 + (k % 60)}${String(1 + (Math.floor(k / 60_000) % 12)).padStart(2, '0')}01${String(Math.floor(k / 60) % 1000).padStart(3, '0')}`;
				chunk.push(checkResident({ name: `居民${k}`, documentNumber: first17 + checkCharacter(first17), phone: `139${String(k).padStart(8, '0')}`,
					buildingCode: `370614-001-001-001-${String(1 + (k % 50)).padStart(4, '0')}`, roomNo: `${k}` }, { widths, allowCustomTags: false }));
			}
			await withUnitOfWork(c1, { actor }, (uow) => saveResidents(uow, chunk, { mode: 'create', matchPhoneAndName: false, storeFullDocument: start % 10_000 === 0 }));
		}
		const b = new pg.Client({ connectionString: u.toString() });
		await b.connect();
		const seeded = Number((await b.query(`SELECT count(*) AS n FROM grid.resident`)).rows[0].n);
		await b.end();
		console.log(`seeded ${seeded} residents in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
		await closeAllPools();
		const c2 = configFromUrl(u.toString(), { personalDataKey: K2, previousPersonalDataKey: K1 });
		const times = [];
		const t1 = performance.now();
		let last = t1;
		const report = await rotatePersonalDataKey(c2, actor, { batchSize, maxBatches: 1_000_000, afterBatch: () => {
			const now = performance.now();
			times.push(now - last);
			last = now;
		} });
		const seconds = (performance.now() - t1) / 1000;
		const rows = Object.values(report.rotated).reduce((x, y) => x + y, 0);
		times.sort((x, y) => x - y);
		console.table([{ residents: seeded, batchSize, batches: report.batches, rowsRekeyed: rows, seconds: +seconds.toFixed(2),
			rowsPerSecond: Math.round(rows / seconds), medianBatchMs: Math.round(times[Math.floor(times.length / 2)] ?? 0), done: report.done }]);
	} finally {
		await closeAllPools();
		await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
		await a.end();
	}
}

main().catch((e) => {
	console.error(e);
	process.exit(1);
});
