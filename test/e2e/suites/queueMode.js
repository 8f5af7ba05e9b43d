// Queue mode: one main (`n8n start`) and two workers (`n8n worker`) on the machine's Redis with a
// Bull prefix of this run's own, one PostgreSQL. 1,000 intake reports over 20 connections, plus
// repeats of some keys, each make exactly one incident; every high-risk one is escalated (its
// staff notified). Then the worker kill of issue 8: both workers are SIGKILLed while two
// escalations wait for an acknowledgment; one is acknowledged while no worker lives, the other
// times out; a new worker is started and both go on: one to in_progress, one a level up.
//
// The Wait of the escalation template resumes on a webhook call with a time limit: n8n always
// writes such a wait to its database (status "waiting", waitTill) whatever its length, so nothing
// of it lives in a worker; the test checks that row before the kill.
const assert = require('assert/strict');
const crypto = require('crypto');
const lib = require('../../../scripts/lib/n8n');
const { startSetup } = require('../lib/n8nSetup');
const { startHttpRecorder, startSmtpRecorder, until } = require('../lib/standIns');
const { acknowledge, incidentReport, resumeLinkIn } = require('../lib/flows');
const { fileReport, notificationsAbout, incidentRow, HIGH_RISK } = require('./intakeAndEscalation');

const REPORTS = 1000;
const CONNECTIONS = 20;
const REPEATS = 20;
const HIGH_RISK_EVERY = 25;
const ACK_SECONDS = 40;
const BUILDINGS_PER_GRID = 130; // 8 grids × 130: a building of its own for each report
const LOW_RISK = [
	['sanitation', '楼道垃圾堆放，无人清运'],
	['neighbour_dispute', '楼上装修噪音扰民'],
	['public_opinion_other', '建议小区增设快递柜'],
];

/**
 * The reports of the burst, each about a building of its own (three reports about one place within
 * 24 h would make it high risk): distinct keys; every 25th one a medical emergency (high risk).
 */
function burstReports(run, buildings) {
	return Array.from({ length: REPORTS }, (_, i) => {
		const key = `q-${run}-${i}`;
		const unitCode = buildings[i];
		if (i % HIGH_RISK_EVERY === 0) return incidentReport({ key, unitCode, ...HIGH_RISK, description: `${HIGH_RISK.description}（${unitCode}）` });
		const [category, text] = LOW_RISK[i % LOW_RISK.length];
		return incidentReport({ key, unitCode, category, description: `${text}（${unitCode}）` });
	});
}

/** Sends the reports over `connections` parallel loops; returns answers in report order and timings. */
async function sendAll(setup, intake, reports, connections) {
	const answers = new Array(reports.length);
	let next = 0;
	const started = Date.now();
	await Promise.all(Array.from({ length: connections }, async () => {
		while (next < reports.length) {
			const i = next++;
			const t = Date.now();
			try {
				answers[i] = { ...(await fileReport(setup, intake, reports[i])), ms: Date.now() - t };
			} catch (error) {
				answers[i] = { status: 0, text: error.message, ms: Date.now() - t };
			}
		}
	}));
	return { answers, seconds: (Date.now() - started) / 1000 };
}

const percentile = (values, p) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))];

async function queueMode(ctx, adminUrl, { preparedTemplates, byFile }) {
	const { check, step, log, cleanups } = ctx;
	log(`\n  n8n queue mode: one main and two workers, Redis at 127.0.0.1:6379, ${REPORTS} intake reports over ${CONNECTIONS} connections`);
	const recorder = await startHttpRecorder();
	cleanups.push(recorder.close);
	const smtp = await startSmtpRecorder();
	cleanups.push(smtp.close);
	const templates = preparedTemplates(recorder.url, { ackSeconds: ACK_SECONDS })
		.map((t) => ({ ...t, activate: t.activate && ['incident-intake.json', 'high-risk-escalation.json'].includes(t.file) }));
	const intake = byFile(templates, 'incident-intake.json');
	const escalation = byFile(templates, 'high-risk-escalation.json');
	if (!intake || !escalation) {
		await check('queue mode (the intake and escalation templates present)', () => assert.fail('workflows/incident-intake.json or workflows/high-risk-escalation.json is missing'));
		return;
	}
	const setup = await step('n8n start (EXECUTIONS_MODE=queue) and two n8n workers, intake and escalation activated', () =>
		startSetup({ name: 'queue', adminUrl, cleanups, log, templates, upstreamUrl: `${recorder.url}/upstream`, smtp: smtp.credentialData, queue: { workers: 2 }, buildingsPerGrid: BUILDINGS_PER_GRID }));
	try {
		await check('the intake and escalation templates activate in queue mode', () => {
			assert.equal(setup.activated['incident-intake.json'], true, String(setup.activated['incident-intake.json']?.message));
			assert.equal(setup.activated['high-risk-escalation.json'], true, String(setup.activated['high-risk-escalation.json']?.message));
		});

		// a staff member acknowledging every notice at once, except those of the worker-kill test
		const reserved = new Set();
		const acked = new Set();
		const acker = setInterval(() => {
			for (const r of recorder.to('/high-risk-escalation/')) {
				const link = resumeLinkIn(r);
				if (!link || acked.has(link) || [...reserved].some((ref) => r.text.includes(ref))) continue;
				acked.add(link);
				void acknowledge(link, 60_000).catch(() => acked.delete(link));
			}
		}, 250);
		cleanups.push(() => clearInterval(acker));

		const run = crypto.randomBytes(3).toString('hex');
		const buildings = setup.seeded.units.filter((u) => u.code.split('-').length === 5).map((u) => u.code);
		const reports = burstReports(run, buildings);
		const repeats = reports.filter((_, i) => i % (REPORTS / REPEATS) === 1 || i === 0).slice(0, REPEATS);
		// the repeats go out mixed in with the rest, as a retrying client's would
		const all = [...reports];
		repeats.forEach((r, k) => all.splice(Math.floor(((k + 1) * all.length) / (repeats.length + 1)), 0, r));
		const burst = await step(`${all.length} intake requests (${REPORTS} keys, ${repeats.length} sent twice) over ${CONNECTIONS} connections`, () => sendAll(setup, intake, all, CONNECTIONS));
		const rate = all.length / burst.seconds;
		const ms = burst.answers.map((a) => a.ms);
		log(`        ${rate.toFixed(1)} requests/s (${burst.seconds.toFixed(1)} s; latency p50 ${percentile(ms, 50)} ms, p95 ${percentile(ms, 95)} ms, max ${Math.max(...ms)} ms)`);
		ctx.queueFigures = { requests: all.length, seconds: burst.seconds, rate, p50: percentile(ms, 50), p95: percentile(ms, 95) };

		await check('every request is answered 200 with a reference; a repeated key gets its first incident\'s reference', () => {
			const bad = burst.answers.map((a, i) => ({ i, a })).filter(({ a }) => a.status !== 200 || !/^INC-/.test(a.reference ?? ''));
			assert.deepEqual(bad.slice(0, 5).map(({ i, a }) => `#${i}: ${a.status} ${a.text.slice(0, 200)}`), []);
			const byKey = new Map();
			all.forEach((r, i) => byKey.set(r.idempotencyKey, [...(byKey.get(r.idempotencyKey) ?? []), burst.answers[i].reference]));
			for (const r of repeats) assert.equal(new Set(byKey.get(r.idempotencyKey)).size, 1, `${r.idempotencyKey}: ${byKey.get(r.idempotencyKey)}`);
		});
		await check(`SQL: exactly ${REPORTS} incidents, one per idempotency key, with the references the answers gave`, async () => {
			const rows = await setup.sql(`SELECT idempotency_key AS key, reference FROM grid.incident WHERE idempotency_key LIKE $1`, [`q-${run}-%`]);
			assert.equal(rows.length, REPORTS);
			assert.equal(new Set(rows.map((r) => r.key)).size, REPORTS);
			const answered = new Map(all.map((r, i) => [r.idempotencyKey, burst.answers[i].reference]));
			assert.deepEqual(rows.filter((r) => answered.get(r.key) !== r.reference).map((r) => r.key), []);
		});
		const highRisk = await setup.sql(`SELECT reference FROM grid.incident WHERE idempotency_key LIKE $1 AND risk_level IN ('high', 'critical')`, [`q-${run}-%`]);
		await check(`every escalation fires: one notification for each of the ${highRisk.length} high-risk incidents`, async () => {
			assert.equal(highRisk.length, REPORTS / HIGH_RISK_EVERY, 'the high-risk reports, and only they, are high risk');
			await until(() => highRisk.every((h) => notificationsAbout(recorder, h.reference).length > 0), 120_000, 'a notification for every high-risk incident')
				.catch((e) => assert.fail(`${e.message}; missing: ${highRisk.filter((h) => !notificationsAbout(recorder, h.reference).length).map((h) => h.reference).slice(0, 10).join(', ')}`));
			// once at each level: a notification repeated at one level would be an escalation fired twice
			const counts = highRisk.map((h) => notificationsAbout(recorder, h.reference).length);
			const [{ escalated }] = await setup.sql(`SELECT coalesce(sum(escalation_count), 0)::int AS escalated FROM grid.incident WHERE reference = ANY($1)`, [highRisk.map((h) => h.reference)]);
			assert.equal(counts.reduce((a, b) => a + b, 0), highRisk.length + escalated, `notifications ${counts.join(',')} with ${escalated} escalations`);
		});
		await check('the executions ran on the two workers, shared between them, and none failed', async () => {
			const rows = await setup.n8nSql(`SELECT id::text AS id, status FROM execution_entity`);
			const byStatus = {};
			for (const r of rows) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
			assert.equal((byStatus.error ?? 0) + (byStatus.crashed ?? 0), 0, JSON.stringify(byStatus));
			assert.ok((byStatus.success ?? 0) >= REPORTS, JSON.stringify(byStatus));
			// the workers log "Worker started execution <id>"; the last lines may still be on their way
			const ranOn = () => setup.workers.map((w) => new Set([...w.output.text.matchAll(/Worker started execution (\d+)/g)].map((m) => m[1])));
			const notStarted = () => rows.filter((r) => r.status !== 'new' && !ranOn().some((ids) => ids.has(r.id))).map((r) => r.id);
			await until(() => notStarted().length === 0, 10_000, 'the workers\' logs').catch(() => undefined);
			const ran = ranOn();
			assert.ok(ran.every((ids) => ids.size > 0), `executions per worker: ${ran.map((ids) => ids.size).join(', ')}`);
			assert.deepEqual(notStarted(), [], 'executions no worker started');
			log(`        executions per worker: ${ran.map((ids) => ids.size).join(' and ')}`);
		});

		await workerKilled(ctx, setup, recorder, intake, reserved, run);
		clearInterval(acker);
	} finally {
		if (process.env.E2E_VERBOSE === '1') log(setup.logs());
		await setup.stopAll();
	}
}

async function workerKilled({ check, step, log }, setup, recorder, intake, reserved, run) {
	log('\n  worker killed (issue 8): SIGKILL both workers while two escalations wait for an acknowledgment');
	const refs = [];
	for (const [k, unit] of [[1, '370614-001-002-002'], [2, '370614-002-002-002']]) {
		const key = `kill-${run}-${k}`;
		const answer = await fileReport(setup, intake, incidentReport({ key, unitCode: unit, category: 'quarantine_breach', description: `居家隔离人员擅自外出，拒不返回（${unit}）` }));
		if (!answer.reference) throw new Error(`intake did not answer with a reference: ${answer.text}`);
		reserved.add(answer.reference);
		refs.push(answer.reference);
	}
	const [toAck, toTimeOut] = refs;
	let links;
	let waiting;
	await check('both escalations are notified and wait in n8n\'s database (execution status "waiting", waitTill set)', async () => {
		const notes = await until(() => {
			const found = refs.map((r) => notificationsAbout(recorder, r)[0]);
			return found.every(Boolean) ? found : false;
		}, 90_000, 'the two notifications');
		links = notes.map(resumeLinkIn);
		const ids = links.map((l) => Number(/webhook-waiting\/(\d+)/.exec(l)[1]));
		waiting = await until(async () => {
			const rows = await setup.n8nSql(`SELECT id, status, "waitTill" FROM execution_entity WHERE id = ANY($1) AND status = 'waiting' AND "waitTill" IS NOT NULL`, [ids]);
			return rows.length === 2 ? rows : false;
		}, 30_000, 'both executions to be waiting');
	});
	if (!waiting) return;
	const killed = await step('SIGKILL both workers (and their task runners)', async () => {
		for (const w of setup.workers) lib.killGroup(w.child, 'SIGKILL');
		await Promise.all(setup.workers.map((w) => lib.waitForExit(w.child, 10_000)));
		return setup.workers.filter((w) => !setup.alive(w)).length;
	});
	await check(`both workers are dead (${killed} of 2)`, () => assert.equal(killed, 2));
	await check('the acknowledgment of the first is taken while no worker lives: its job waits in Redis and nothing moves', async () => {
		const res = await acknowledge(links[0]);
		assert.equal(res.status, 200);
		await until(async () => (await setup.waitingJobs()) >= 1, 10_000, 'the resumed execution\'s job in the Redis queue');
		await new Promise((r) => setTimeout(r, 2000));
		const row = await incidentRow(setup, toAck);
		assert.notEqual(row.status, 'in_progress', 'it moved with no worker alive');
		assert.ok((await setup.waitingJobs()) >= 1, 'the job left the queue with no worker alive');
	});
	const worker = await step('a new worker started', async () => {
		const w = await setup.startWorker();
		await setup.waitReady(w, w.healthUrl);
		return w;
	});
	await check(`after the restart the acknowledged escalation goes on: ${toAck} is in_progress (SQL)`, async () => {
		await until(async () => (await incidentRow(setup, toAck)).status === 'in_progress', 60_000, `${toAck} to be in progress`);
	});
	await check(`after the restart the unacknowledged one escalates on its timeout (${ACK_SECONDS} s): ${toTimeOut} one level up (SQL), the next level notified`, async () => {
		const row = await until(async () => {
			const r = await incidentRow(setup, toTimeOut);
			return r.escalation_count > 0 ? r : false;
		}, (ACK_SECONDS + 100) * 1000, `${toTimeOut} to escalate`);
		assert.equal(row.escalation_count, 1);
		await until(() => notificationsAbout(recorder, toTimeOut).length >= 2, 30_000, 'the notification of the next level');
		assert.ok(setup.alive(worker), 'the new worker died');
	});
}

module.exports = { queueMode };
