#!/usr/bin/env node
// node bench/consultations/responses.js [--registry 14000 --responses 10000 --batch 100 --duplicates 0.05 --forged 0.01 --baseline 1]
//
// Consultation responses at the size the issue asks for: a district registry (test/helpers/registry.ts),
// an adult-resident consultation of the whole district that does not allow changing a response, its
// invitations issued, then 10,000 responses through Respond (respond() in withUnitOfWork with partial
// on, as the node runs it under Continue On Fail), in batches of --batch items as n8n hands a node its
// input. Of the responses 5% repeat an earlier token (refused: no changes allowed) and 1% carry a forged
// signature (refused). Every answer is drawn by the script, which keeps its own expected counts per
// option and per community; the run fails unless the tally equals them exactly.
// Baseline, in the same run on a second consultation of the same registry: the same workload one
// response per unit of work (batch of 1), as a webhook workflow that takes each response on its own does.
// Server: GRID_BENCH_DATABASE_URL (admin URL; a scratch database is created and dropped), else an
// embedded PostgreSQL started for the run. Output: a table, and bench/results/consultation-responses.json.
const path = require('path');
const { performance } = require('perf_hooks');
const { benchServer, textTable, numericArgs, writeResult, runMain } = require('../lib/inProcess');
const { prng } = require('../lib/district');

const ROOT = path.resolve(__dirname, '..', '..');
const RESULT_FILE = path.join(ROOT, 'bench', 'results', 'consultation-responses.json');
const SHAPE = { streets: 2, communitiesPerStreet: 4, gridsPerCommunity: 4, buildingsPerGrid: 10 };
const OPTIONS = ['A', 'B', 'C', 'D'];

/** A small deterministic generator (mulberry32), so every run sends the same workload. */
const communityOf = (building) => building.split('-').slice(0, 3).join('-');

function forge(token) {
	const [body, mac] = token.split('.');
	return `${body}.${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`;
}

/**
 * The response stream: exactly `dups` repeats of earlier tokens and `forged` forged ones spread over
 * the stream (selection sampling), the rest first answers of distinct invitations, each with its
 * expected effect on the tally.
 */
function workload(invitations, total, dups, forged, seed) {
	const rand = prng(seed);
	const firsts = total - dups - forged;
	if (invitations.length < firsts) throw new Error(`${invitations.length} invitations cannot carry ${firsts} first responses: raise --registry`);
	const items = [];
	const answered = [];
	const expected = { counts: Object.fromEntries(OPTIONS.map((o) => [o, 0])), byCommunity: new Map(), responded: 0 };
	let dupsLeft = dups;
	let forgedLeft = forged;
	for (let left = total; left > 0; left--) {
		const r = rand() * left;
		if (r < dupsLeft && answered.length) {
			dupsLeft--;
			const first = answered[Math.floor(rand() * answered.length)];
			// another answer on the same token: if it were taken, the tally would move
			const other = OPTIONS[(OPTIONS.indexOf(first.choice) + 1) % OPTIONS.length];
			items.push({ kind: 'duplicate', input: { token: first.token, choices: [other] } });
		} else if (r < dupsLeft + forgedLeft) {
			forgedLeft--;
			const target = invitations[Math.floor(rand() * invitations.length)];
			items.push({ kind: 'forged', input: { token: forge(target.token), choices: [OPTIONS[0]] } });
		} else {
			const inv = invitations[answered.length];
			const choice = OPTIONS[Math.floor(rand() * OPTIONS.length)];
			answered.push({ token: inv.token, choice });
			items.push({ kind: 'first', input: { token: inv.token, choices: [choice] } });
			expected.counts[choice]++;
			expected.responded++;
			const c = communityOf(inv.buildingCode);
			const row = expected.byCommunity.get(c) ?? { responded: 0, counts: Object.fromEntries(OPTIONS.map((o) => [o, 0])) };
			row.responded++;
			row.counts[choice]++;
			expected.byCommunity.set(c, row);
		}
	}
	return { items, expected };
}

async function main() {
	const a = numericArgs({ registry: 14_000, responses: 10_000, batch: 100, duplicates: 0.05, forged: 0.01, baseline: 1 }, process.argv.slice(2));
	const server = await benchServer();
	const dbh = require(path.join(ROOT, 'test', 'helpers', 'db.ts'));
	const reg = require(path.join(ROOT, 'test', 'helpers', 'registry.ts'));
	const { withUnitOfWork } = require(path.join(ROOT, 'nodes/shared/db/unitOfWork.ts'));
	const { closeAllPools } = require(path.join(ROOT, 'nodes/shared/db/pool.ts'));
	const { createConsultation } = require(path.join(ROOT, 'nodes/shared/domain/consultation/consultations.ts'));
	const { issueInvitations } = require(path.join(ROOT, 'nodes/shared/domain/consultation/invitations.ts'));
	const { respond } = require(path.join(ROOT, 'nodes/shared/domain/consultation/responses.ts'));
	const { tallyConsultation } = require(path.join(ROOT, 'nodes/shared/domain/consultation/tally.ts'));
	const db = await dbh.createTestDatabase('bench_consult');
	try {
		const config = db.config();
		const uow = (fn, partial = false) => withUnitOfWork(config, { actor: { node: 'bench' }, partial }, fn);
		const t0 = performance.now();
		const stats = await reg.buildRegistry(db, { residents: a.registry, shape: SHAPE });
		console.log(`consultation responses benchmark: ${stats.residents} residents in ${stats.buildings} buildings, built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

		const dups = Math.round(a.responses * a.duplicates);
		const forged = Math.round(a.responses * a.forged);
		const now = Date.now();
		const define = (question) => uow((u) => createConsultation(u, {
			question, scope: { code: '370614' }, choiceKind: 'single', options: OPTIONS.map((code) => ({ code, label: `方案${code}` })),
			opensAt: new Date(now - 3_600_000), closesAt: new Date(now + 86_400_000), electorate: 'adult', allowChange: false,
		}));

		/** One consultation's full run: issue, respond in batches of `size`, tally, check. */
		async function runOnce(label, size, seed, viaNode = false) {
			const c = await define(`${label}: 是否同意小区停车改造方案？`);
			const ti = performance.now();
			const invitations = await uow((u) => issueInvitations(u, { consultationId: c.id, linkBase: 'https://n8n.example.org/webhook/consult' }));
			const issueSeconds = (performance.now() - ti) / 1000;
			const again = await uow((u) => issueInvitations(u, { consultationId: c.id }));
			if (again.length) throw new Error(`${label}: re-issuing made ${again.length} more invitations`);
			const { items, expected } = workload(invitations, a.responses, dups, forged, seed);

			const rejected = { duplicate: 0, forged: 0, other: 0 };
			const misjudged = [];
			let accepted = 0;
			const tr = performance.now();
			for (let k = 0; k < items.length; k += size) {
				const batch = items.slice(k, k + size);
				const outcomes = viaNode ? await respondThroughNode(batch) : await uow((u) => respond(u, batch.map((x) => x.input)), true);
				outcomes.forEach((o, j) => {
					const kind = batch[j].kind;
					if (o.ok) {
						accepted++;
						if (kind !== 'first') misjudged.push(`${kind} item ${k + j} was accepted`);
						return;
					}
					const why = /forged|signature/.test(o.error.message) ? 'forged' : /already used/.test(o.error.message) ? 'duplicate' : 'other';
					rejected[why]++;
					if (why !== kind) misjudged.push(`${kind} item ${k + j} rejected: ${o.error.message}`);
				});
			}
			const respondSeconds = (performance.now() - tr) / 1000;

			const tally = await uow((u) => tallyConsultation(u, { consultationId: c.id, byLevel: 3 }));
			const problems = [...misjudged.slice(0, 5)];
			if (tally.total.responded !== expected.responded) problems.push(`responded ${tally.total.responded}, expected ${expected.responded}`);
			for (const o of OPTIONS) if (tally.total.counts[o] !== expected.counts[o]) problems.push(`option ${o}: ${tally.total.counts[o]}, expected ${expected.counts[o]}`);
			for (const row of tally.rows) {
				const want = expected.byCommunity.get(row.unitCode) ?? { responded: 0, counts: Object.fromEntries(OPTIONS.map((o) => [o, 0])) };
				if (row.responded !== want.responded || OPTIONS.some((o) => row.counts[o] !== want.counts[o])) {
					problems.push(`${row.unitCode}: ${JSON.stringify(row.counts)}, expected ${JSON.stringify(want.counts)}`);
				}
			}
			if (tally.total.invited !== invitations.length) problems.push(`invited ${tally.total.invited}, issued ${invitations.length}`);
			const [stored] = await db.query(`SELECT count(*)::int AS n FROM grid.consultation_response WHERE consultation_id = $1`, [c.id]);
			if (stored.n !== expected.responded) problems.push(`${stored.n} responses stored, expected ${expected.responded}`);
			if (problems.length) throw new Error(`${label}: the tally is not exact:\n  ${problems.join('\n  ')}`);
			console.log(`  ${label}: ${invitations.length} invitations in ${issueSeconds.toFixed(2)} s; ${items.length} responses in batches of ${size}: ` +
				`${accepted} accepted, ${rejected.duplicate} duplicates and ${rejected.forged} forged refused, in ${respondSeconds.toFixed(2)} s; tally exact`);
			return { label, batch: size, invitations: invitations.length, issueSeconds, responses: items.length, accepted, rejected, respondSeconds, tally: { responded: tally.total.responded, counts: tally.total.counts, turnout: tally.total.turnout, eligible: tally.total.eligible } };
		}

		// the Notice node's Respond in the in-process n8n harness, Continue On Fail on, a batch of items per execution
		const h = require(path.join(ROOT, 'test', 'helpers', 'n8nHarness.ts'));
		const harness = await h.getHarness();
		const credentials = { gridGovernancePostgres: h.gridCredentials(config) };
		const respondWf = {
			nodes: [
				{ name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {} },
				{ name: 'Respond', type: 'n8n-nodes-grid-governance.notice', typeVersion: 1, continueOnFail: true, parameters: { resource: 'consultation', operation: 'respond', options: {} } },
			],
			connections: { Start: { main: [[{ node: 'Respond', type: 'main', index: 0 }]] } },
		};
		async function respondThroughNode(batch) {
			const r = await harness.runWorkflow(respondWf, { credentials, inputItems: batch.map((x) => ({ token: x.input.token, choice: x.input.choices.join(',') })) });
			if (r.status !== 'success') throw new Error(`Respond failed: ${r.error?.message}`);
			const out = new Array(batch.length);
			for (const item of r.output('Respond')) {
				const j = item.pairedItem.item;
				out[j] = item.json.error ? { ok: false, error: { message: String(item.json.error) } } : { ok: true };
			}
			return out;
		}

		const viaNode = await runOnce('through the Notice node', a.batch, 9, true);
		const ours = await runOnce('batched', a.batch, 9);
		const base = a.baseline ? await runOnce('one per unit of work', 1, 9) : null;

		const line = (r) => [r.label, r.batch, r.responses, r.accepted, r.rejected.duplicate, r.rejected.forged, r.rejected.other, r.respondSeconds.toFixed(2),
			Math.round(r.responses / r.respondSeconds), base ? (base.respondSeconds / r.respondSeconds).toFixed(1) : '-'];
		console.log(`\n${textTable(['run', 'batch', 'responses', 'accepted', 'dup refused', 'forged refused', 'other', 'seconds', 'per s', 'baseline / this'],
			[viaNode, ours, ...(base ? [base] : [])].map(line))}\n`);
		console.log(`tally through the node (exact, checked against the script's own counts): ${JSON.stringify(viaNode.tally)}`);
		const result = {
			benchmark: 'consultation-responses',
			date: new Date().toISOString(),
			server: server.label,
			sizes: { ...a, residents: stats.residents, buildings: stats.buildings },
			note: 'the Notice node\'s Respond in the n8n harness, and respond() through withUnitOfWork with partial (Continue On Fail) in batches, vs the same workload one response per unit of work; tallies checked exactly against counts kept by the script',
			runs: [viaNode, ours, ...(base ? [base] : [])],
		};
		writeResult(RESULT_FILE, result);
	} finally {
		await closeAllPools();
		await require(path.join(ROOT, 'test', 'helpers', 'n8nHarness.ts')).getHarness().then((x) => x.closeGridPools()).catch(() => undefined);
		await db.drop();
		await server.stop();
	}
}

runMain(main);
