#!/usr/bin/env node
// node bench/exports/delivery.js [--periods 100 --failure 0.3 --workers 4 --seed 42]
//
// Delivery under failure: a loopback upstream fails 30% of requests with a random mix of 500, a
// timeout (no answer), a dropped connection, and a lost answer (the upstream stores the data, then
// the connection drops before the client hears back). 100 day periods are exported through
// deliverExport (the export ledger, Idempotency-Key, retries with backoff and jitter), by 4 workers
// at once, and then the whole run is repeated as a second schedule firing would. Counted at the
// upstream: deliveries stored (one per Idempotency-Key; a repeated key is answered without storing
// again), requests, and duplicates. Baseline in the same run against the same kind of upstream: a
// plain POST with the same retries but no ledger and no key, as an HTTP Request node with "retry on
// fail" does; the upstream can only store every request it processes.
// Server: GRID_BENCH_DATABASE_URL (admin URL), else an embedded PostgreSQL. Output: a table, and
// bench/results/delivery.json.
const fs = require('fs');
const http = require('http');
const path = require('path');
const { createHash, randomBytes } = require('crypto');
const axios = require('axios');
const pg = require('pg');
const { benchServer, textTable, needDist: need, numericArgs, dbUrl } = require('../lib/inProcess');

const ROOT = path.resolve(__dirname, '..', '..');
const RESULT_FILE = path.join(ROOT, 'bench', 'results', 'delivery.json');
const KEY = 'bench-personal-data-key-0123456789';
const RETRY = { baseDelayMs: 20, maxDelayMs: 200, maxRetryAfterMs: 1_000 };
const TIMEOUT_MS = 300;
const ATTEMPTS = 12;



function prng(seed) {
	let s = seed >>> 0 || 1;
	return () => ((s = (s * 16807) % 2147483647) / 2147483647);
}

/** The failing upstream: stores a delivery once per Idempotency-Key (or per request without one). */
function flakyUpstream(failure, random) {
	const stats = { requests: 0, stored: 0, storedKeys: new Map(), answeredOk: 0, faults: { 500: 0, timeout: 0, drop: 0, lostAnswer: 0 } };
	const sockets = new Set();
	const server = http.createServer((req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			stats.requests++;
			const key = req.headers['idempotency-key'];
			const store = () => {
				if (key && stats.storedKeys.has(key)) {
					stats.storedKeys.set(key, stats.storedKeys.get(key) + 1);
					return;
				}
				stats.stored++;
				if (key) stats.storedKeys.set(key, 1);
			};
			if (random() < failure) {
				const kind = ['500', 'timeout', 'drop', 'lostAnswer'][Math.floor(random() * 4)];
				stats.faults[kind]++;
				if (kind === '500') {
					res.writeHead(500, { 'Content-Type': 'application/json' });
					res.end('{"error":"busy"}');
				} else if (kind === 'drop') {
					req.socket.destroy();
				} else if (kind === 'lostAnswer') {
					store();
					req.socket.destroy();
				}
				return; // timeout: never answered
			}
			store();
			stats.answeredOk++;
			res.writeHead(200, { 'Content-Type': 'application/json' });
			res.end('{"status":"SUCCESS","importCount":{"imported":1,"updated":0,"ignored":0,"deleted":0}}');
		});
	});
	server.on('connection', (s) => {
		sockets.add(s);
		s.on('close', () => sockets.delete(s));
	});
	return {
		stats,
		start: () => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`))),
		close: () => new Promise((resolve) => {
			for (const s of sockets) s.destroy();
			server.close(() => resolve());
		}),
	};
}

/** The same payload for a period every time: what a re-run of the schedule would export again. */
function payloadOf(period) {
	const body = Buffer.from(JSON.stringify({ dataSet: 'GRID_DAILY', dataValues: [{ dataElement: 'GRID_INC_CREATED', period, orgUnit: '370614-001', value: String(period.length) }] }));
	return { body, contentType: 'application/json; charset=utf-8', sha256: createHash('sha256').update(body).digest('hex') };
}

async function inWorkers(items, workers, fn) {
	const queue = [...items];
	const out = [];
	await Promise.all(Array.from({ length: workers }, async () => {
		for (let item = queue.shift(); item !== undefined; item = queue.shift()) out.push(await fn(item));
	}));
	return out;
}

/** A plain POST with the same retry rule and no key: what "retry on fail" gives. */
async function naivePost(url, payload, random) {
	for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
		try {
			const r = await axios.post(url, payload.body, { headers: { 'Content-Type': payload.contentType }, timeout: TIMEOUT_MS, validateStatus: () => true, proxy: false });
			if (r.status < 500) return r.status;
		} catch {
			// timeouts and dropped connections are retried
		}
		await new Promise((resolve) => setTimeout(resolve, random() * Math.min(RETRY.maxDelayMs, RETRY.baseDelayMs * 2 ** (attempt - 1))));
	}
	return 0;
}

async function main() {
	const a = numericArgs({ periods: 100, failure: 0.3, workers: 4, seed: 42 }, process.argv.slice(2));
	const server = await benchServer();
	const { configFromUrl } = need('db/config.js');
	const { withUnitOfWork } = need('db/unitOfWork.js');
	const { closeAllPools } = need('db/pool.js');
	const { createUnits } = need('domain/grid/units.js');
	const { checkNewUnit } = need('domain/grid/unitInput.js');
	const { DEFAULT_SEGMENT_WIDTHS } = need('validation/gridCode.js');
	const { deliverExport } = need('domain/export/deliverExport.js');
	const { checkUpstream } = need('domain/export/upstream.js');

	const name = `grid_bench_delivery_${randomBytes(4).toString('hex')}`;
	const admin = new pg.Client({ connectionString: server.admin });
	await admin.connect();
	await admin.query(`CREATE DATABASE "${name}"`);
	const url = dbUrl(server.admin, name);
	const config = configFromUrl(url, { personalDataKey: KEY, maxConnections: a.workers + 1 });
	const periods = Array.from({ length: a.periods }, (_, k) => new Date(Date.UTC(2026, 0, 1) + k * 86_400_000).toISOString().slice(0, 10).replace(/-/g, ''));
	try {
		await withUnitOfWork(config, { actor: { node: 'bench delivery' } }, async (w) => {
			const units = [{ code: '370614', name: '蓬莱区' }, { code: '370614-001', name: '登州街道', parentCode: '370614' }].map((x) => checkNewUnit(x, DEFAULT_SEGMENT_WIDTHS));
			if ((await createUnits(w, units)).some((o) => !o.ok)) throw new Error('could not create the district');
		});

		// ours: the ledger, twice over (the second run is a schedule firing again)
		const ours = flakyUpstream(a.failure, prng(a.seed));
		const oursUrl = await ours.start();
		const upstream = checkUpstream({ baseUrl: oursUrl, auth: 'bearer', token: 'bench-token', timeoutMs: TIMEOUT_MS });
		const deliver = (period) => deliverExport(config, { node: 'bench delivery' }, {
			upstream, path: '/api/dataValueSets', dataset: 'GRID_DAILY', period, scopeCode: '370614-001', format: 'dhis2',
			payload: payloadOf(period), maxAttempts: ATTEMPTS, retry: RETRY,
		});
		const t0 = Date.now();
		const first = await inWorkers(periods, a.workers, deliver);
		const firstSeconds = (Date.now() - t0) / 1000;
		const requestsAfterFirst = ours.stats.requests;
		const second = await inWorkers(periods, a.workers, deliver);
		await ours.close();
		const scratch = new pg.Client({ connectionString: url });
		await scratch.connect();
		const { rows: [ledger] } = await scratch.query(`SELECT count(*) FILTER (WHERE status = 'acknowledged')::int AS acknowledged, sum(attempts)::int AS attempts FROM grid.export_batch`);
		await scratch.end();

		// naive: same failures, plain retries, no key, run twice the same way
		const naive = flakyUpstream(a.failure, prng(a.seed));
		const naiveUrl = `${await naive.start()}/api/dataValueSets`;
		const random = prng(a.seed + 1);
		const t1 = Date.now();
		const naiveFirst = await inWorkers(periods, a.workers, (p) => naivePost(naiveUrl, payloadOf(p), random));
		const naiveSeconds = (Date.now() - t1) / 1000;
		const naiveStoredFirst = naive.stats.stored;
		await inWorkers(periods, a.workers, (p) => naivePost(naiveUrl, payloadOf(p), random));
		await naive.close();

		const duplicates = [...ours.stats.storedKeys.values()].filter((n) => n > 1).length;
		const result = {
			benchmark: 'delivery', measuredAt: new Date().toISOString(), server: server.label,
			periods: a.periods, failure: a.failure, workers: a.workers,
			ours: {
				stored: ours.stats.stored, acknowledgedInLedger: ledger.acknowledged, requests: requestsAfterFirst, attemptsInLedger: ledger.attempts,
				faults: ours.stats.faults, keysRepeatedAfterLostAnswer: duplicates, seconds: firstSeconds,
				firstRun: countBy(first.map((r) => r.action)), secondRun: countBy(second.map((r) => r.action)),
				secondRunRequests: ours.stats.requests - requestsAfterFirst,
			},
			naive: { storedFirstRun: naiveStoredFirst, storedBothRuns: naive.stats.stored, requests: naive.stats.requests, faults: naive.stats.faults, seconds: naiveSeconds, failedPosts: naiveFirst.filter((s) => s === 0).length },
		};
		console.log(`${a.periods} periods, ${Math.round(a.failure * 100)}% of requests failing (500, timeout, dropped connection, lost answer), ${a.workers} workers, on ${server.label}`);
		console.log(textTable(['', 'stored upstream (run 1)', 'stored after a re-run', 'duplicates', 'requests (run 1)', 'time (run 1)'], [
			['ours: ledger + Idempotency-Key', result.ours.stored, ours.stats.stored, result.ours.stored - a.periods, result.ours.requests, `${firstSeconds.toFixed(1)} s`],
			['naive: POST with retries', naiveStoredFirst, naive.stats.stored, naive.stats.stored - a.periods, naive.stats.requests, `${naiveSeconds.toFixed(1)} s`],
		]));
		console.log(`ours: ledger acknowledged ${ledger.acknowledged}/${a.periods}; run 1 ${JSON.stringify(result.ours.firstRun)}; re-run ${JSON.stringify(result.ours.secondRun)} with ${result.ours.secondRunRequests} requests; keys repeated after a lost answer and answered without storing again: ${duplicates}`);
		fs.mkdirSync(path.dirname(RESULT_FILE), { recursive: true });
		fs.writeFileSync(RESULT_FILE, `${JSON.stringify(result, null, 2)}\n`);
		if (result.ours.stored !== a.periods || ledger.acknowledged !== a.periods) throw new Error(`expected exactly ${a.periods} deliveries, the upstream stored ${result.ours.stored}`);
	} finally {
		await closeAllPools();
		await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
		await admin.end();
		await server.stop();
	}
}

function countBy(xs) {
	const out = {};
	for (const x of xs) out[x] = (out[x] ?? 0) + 1;
	return out;
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
