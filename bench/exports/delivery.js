#!/usr/bin/env node
// node bench/exports/delivery.js [--periods 100 --failure 0.3 --workers 4 --seed 42]
//
// Delivery under failure. A loopback upstream (test/helpers/flakyUpstream.ts) fails 30% of requests
// with a random mix of a 500, a timeout (never answered), a connection dropped before the upstream
// read the request, and one dropped after it processed it (the answer is lost on the way back, as
// when a slow upstream answers past the client's timeout). 100 day periods of a small payload are
// exported through deliverExport (the export ledger, Idempotency-Key, retries with backoff and full
// jitter) by 4 workers at once; then the whole run is repeated, as a second schedule firing would.
// Counted at the upstream: deliveries stored by an upstream that honours Idempotency-Key (one per
// key), duplicates (stored beyond one per period), requests. Baseline in the same run, against the
// same kind of upstream: a plain POST with the same retries and no ledger or key, as an HTTP Request
// node with "retry on fail" does; the upstream can only store every request it processes.
// Server: GRID_BENCH_DATABASE_URL (admin URL), else an embedded PostgreSQL. Output: a table, and
// bench/results/delivery.json.
const path = require('path');
const { createHash } = require('crypto');
const axios = require('axios');
const { ROOT, benchServer, numericArgs, textTable, writeResult } = require('../lib/inProcess');

const RESULT_FILE = path.join(ROOT, 'bench', 'results', 'delivery.json');
const RETRY = { baseDelayMs: 20, maxDelayMs: 200, maxRetryAfterMs: 1_000 };
const TIMEOUT_MS = 300;
const ATTEMPTS = 12;
const KINDS = ['http500', 'timeout', 'drop', 'lostAnswer'];

function prng(seed) {
	let s = seed >>> 0 || 1;
	return () => ((s = (s * 16807) % 2147483647) / 2147483647);
}

/** The same payload for a period every time: what a re-run of the schedule exports again. */
function payloadOf(period) {
	const body = Buffer.from(JSON.stringify({ dataSet: 'GRID_DAILY', period, orgUnit: '370614-001', dataValues: [{ dataElement: 'GRID_INC_CREATED', period, orgUnit: '370614-001', value: String(Number(period) % 17) }] }));
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

/** What the upstream holds: stored deliveries, and how many are beyond one per period. */
function tally(upstream, periods) {
	const processedPeriods = new Set(upstream.requests.filter((q) => q.processed).map((q) => JSON.parse(q.body.toString()).period));
	const faults = {};
	for (const q of upstream.requests) {
		const f = typeof q.fault === 'string' ? q.fault : `http${q.fault.status}`;
		faults[f] = (faults[f] ?? 0) + 1;
	}
	return {
		stored: upstream.stored(),
		periodsStored: processedPeriods.size,
		missing: periods.filter((p) => !processedPeriods.has(p)).length,
		duplicates: upstream.stored() - processedPeriods.size,
		requests: upstream.requests.length,
		keysSeenAgain: upstream.duplicates().length,
		faults,
	};
}

function countBy(xs) {
	const out = {};
	for (const x of xs) out[x] = (out[x] ?? 0) + 1;
	return out;
}

async function main() {
	const a = numericArgs({ periods: 100, failure: 0.3, workers: 4, seed: 42 }, process.argv.slice(2));
	const server = await benchServer();
	const { createTestDatabase } = require(path.join(ROOT, 'test', 'helpers', 'db.ts'));
	const { seedSmallDistrict } = require(path.join(ROOT, 'test', 'helpers', 'uow.ts'));
	const { FlakyUpstream } = require(path.join(ROOT, 'test', 'helpers', 'flakyUpstream.ts'));
	const { deliverExport } = require(path.join(ROOT, 'nodes', 'shared', 'domain', 'export', 'deliverExport.ts'));
	const { checkUpstream } = require(path.join(ROOT, 'nodes', 'shared', 'domain', 'export', 'upstream.ts'));
	const { closeAllPools } = require(path.join(ROOT, 'nodes', 'shared', 'db', 'pool.ts'));

	const db = await createTestDatabase('bench_delivery');
	const config = db.config({ maxConnections: a.workers + 1 });
	const periods = Array.from({ length: a.periods }, (_, k) => new Date(Date.UTC(2026, 0, 1) + k * 86_400_000).toISOString().slice(0, 10).replace(/-/g, ''));
	const ours = await new FlakyUpstream().start();
	const naive = await new FlakyUpstream().start();
	try {
		await seedSmallDistrict(config);

		// ours: the ledger, twice over (the second run is the schedule firing again)
		ours.failing(a.failure, prng(a.seed), KINDS);
		const upstream = checkUpstream({ baseUrl: ours.url, auth: 'bearer', token: 'bench-token', timeoutMs: TIMEOUT_MS });
		const deliver = (period) => deliverExport(config, { node: 'bench delivery' }, {
			upstream, path: '/api/dataValueSets', dataset: 'GRID_DAILY', period, scopeCode: '370614-001', format: 'dhis2',
			payload: payloadOf(period), maxAttempts: ATTEMPTS, retry: RETRY,
		});
		const t0 = Date.now();
		const first = await inWorkers(periods, a.workers, deliver);
		const seconds = (Date.now() - t0) / 1000;
		const oursFirst = tally(ours, periods);
		const second = await inWorkers(periods, a.workers, deliver);
		const oursBoth = tally(ours, periods);
		const [ledger] = await db.query(`SELECT count(*) FILTER (WHERE status = 'acknowledged')::int AS acknowledged, sum(attempts)::int AS attempts FROM grid.export_batch`);

		// naive: the same failures, plain retries, no key; run twice the same way
		naive.failing(a.failure, prng(a.seed), KINDS);
		const url = `${naive.url}/api/dataValueSets`;
		const random = prng(a.seed + 1);
		const t1 = Date.now();
		const naiveStatuses = await inWorkers(periods, a.workers, (p) => naivePost(url, payloadOf(p), random));
		const naiveSeconds = (Date.now() - t1) / 1000;
		const naiveFirst = tally(naive, periods);
		await inWorkers(periods, a.workers, (p) => naivePost(url, payloadOf(p), random));
		const naiveBoth = tally(naive, periods);

		const result = {
			benchmark: 'delivery', measuredAt: new Date().toISOString(), server: server.label,
			periods: a.periods, failure: a.failure, workers: a.workers, faultKinds: KINDS, maxAttempts: ATTEMPTS, timeoutMs: TIMEOUT_MS, retry: RETRY,
			ours: {
				...oursFirst, seconds, attemptsInLedger: ledger.attempts, acknowledgedInLedger: ledger.acknowledged,
				firstRun: countBy(first.map((r) => r.action)), secondRun: countBy(second.map((r) => r.action)),
				secondRunRequests: oursBoth.requests - oursFirst.requests, storedAfterSecondRun: oursBoth.stored, duplicatesAfterSecondRun: oursBoth.duplicates,
			},
			naive: {
				...naiveFirst, seconds: naiveSeconds, failedPosts: naiveStatuses.filter((s) => s === 0).length,
				secondRunRequests: naiveBoth.requests - naiveFirst.requests, storedAfterSecondRun: naiveBoth.stored, duplicatesAfterSecondRun: naiveBoth.duplicates,
			},
		};
		console.log(`${a.periods} day periods, ${Math.round(a.failure * 100)}% of requests failing (${KINDS.join(', ')}), ${a.workers} workers, up to ${ATTEMPTS} attempts, on ${server.label}`);
		console.log(textTable(['', 'stored (run 1)', 'duplicates (run 1)', 'requests (run 1)', 'time (run 1)', 'stored after a re-run', 'requests of the re-run'], [
			['ours: ledger + Idempotency-Key', oursFirst.stored, oursFirst.duplicates, oursFirst.requests, `${seconds.toFixed(2)} s`, oursBoth.stored, result.ours.secondRunRequests],
			['naive: POST with retries', naiveFirst.stored, naiveFirst.duplicates, naiveFirst.requests, `${naiveSeconds.toFixed(2)} s`, naiveBoth.stored, result.naive.secondRunRequests],
		]));
		console.log(`ours: ledger acknowledged ${ledger.acknowledged}/${a.periods}, ${ledger.attempts} attempts recorded (${oursFirst.requests} requests seen); run 1 ${JSON.stringify(result.ours.firstRun)}, re-run ${JSON.stringify(result.ours.secondRun)}`);
		console.log(`ours: faults ${JSON.stringify(oursFirst.faults)}; keys offered again after a lost answer, stored once: ${oursFirst.keysSeenAgain}`);
		writeResult(RESULT_FILE, result);
		const exact = oursBoth.stored === a.periods && oursBoth.duplicates === 0 && oursFirst.missing === 0 && ledger.acknowledged === a.periods && ledger.attempts === oursBoth.requests;
		if (!exact) throw new Error(`expected exactly ${a.periods} deliveries and no duplicates; the upstream stored ${oursBoth.stored} (${oursBoth.duplicates} duplicates), the ledger acknowledged ${ledger.acknowledged}`);
	} finally {
		await ours.close();
		await naive.close();
		await closeAllPools();
		await db.drop();
		await server.stop();
	}
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
