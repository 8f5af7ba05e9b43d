#!/usr/bin/env node
// node bench/notices/prepare.js [--registry 170000 --cap 200000 --page 2000]
//
// Preparing a policy notice for every resident of a 170,000-resident registry (test/helpers/registry.ts),
// through the domain as the Notice node's Prepare Delivery runs it (prepareNotice in withUnitOfWork,
// recipient items collected into one list as the node returns them), then the same notice again:
// the re-run must prepare 0. Reported: time of both runs and peak RSS while preparing, for
//   node-shaped   the items kept, as the node hands them to n8n
//   streamed      the items only counted (what the paged preparation itself needs)
// against baselines in the same run: the RSS before preparation (registry built, pools open), and an
// unpaged preparation in plain pg (every matching resident read in one query, every item built, the
// log written in one INSERT … SELECT FROM unnest), which must hold the whole registry at once.
// Server: GRID_BENCH_DATABASE_URL (admin URL; a scratch database is created and dropped), else an
// embedded PostgreSQL started for the run. Output: a table, and bench/results/notices.json.
const path = require('path');
const { performance } = require('perf_hooks');
const { randomBytes } = require('crypto');
const { benchServer, measure, numericArgs, textTable, withClient, writeResult, runMain } = require('../lib/inProcess');

const ROOT = path.resolve(__dirname, '..', '..');
const RESULT_FILE = path.join(ROOT, 'bench', 'results', 'notices.json');

/** The unpaged way: one read of everyone, items built in memory, one insert of the whole log. */
function unpaged(url, noticeId) {
	return withClient(url, async (c) => {
		await c.query('BEGIN');
		const { rows } = await c.query(`SELECT r.id, r.name, r.unit_id, r.phone_masked, (r.phone_hash IS NOT NULL) AS reachable, b.code, b.name AS building
			FROM grid.resident r JOIN grid.grid_unit b ON b.id = r.unit_id WHERE r.active ORDER BY r.id`);
		const items = rows.map((r) => ({ noticeId, recipientId: r.id, messageId: `ntc_${randomBytes(16).toString('base64url')}`, reachable: r.reachable, maskedPhone: r.phone_masked,
			text: `${r.name.slice(0, 1)}*您好：请于本周内核对${r.building}住户信息，有疑问请联系网格员网格员。`, unitCode: r.code, buildingName: r.building, unitId: r.unit_id }));
		await c.query(`INSERT INTO grid.notice_recipient (notice_id, resident_id, unit_id, message_id, status)
			SELECT $1, t.rid, t.uid, t.mid, CASE WHEN t.ok THEN 'prepared' ELSE 'not_reachable' END FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::boolean[]) AS t(rid, uid, mid, ok)
			ON CONFLICT DO NOTHING`, [noticeId, items.map((i) => i.recipientId), items.map((i) => i.unitId), items.map((i) => i.messageId), items.map((i) => i.reachable)]);
		await c.query('COMMIT');
		return { prepared: items.filter((i) => i.reachable).length, notReachable: items.filter((i) => !i.reachable).length };
	});
}

async function main() {
	const a = numericArgs({ registry: 170_000, cap: 200_000, page: 2_000 }, process.argv.slice(2));
	const server = await benchServer();
	const dbh = require(path.join(ROOT, 'test', 'helpers', 'db.ts'));
	const reg = require(path.join(ROOT, 'test', 'helpers', 'registry.ts'));
	const { composeNotices } = require(path.join(ROOT, 'nodes/shared/domain/notice/notices.ts'));
	const { checkNotice } = require(path.join(ROOT, 'nodes/shared/domain/notice/noticeInput.ts'));
	const { prepareNotice } = require(path.join(ROOT, 'nodes/shared/domain/notice/prepare.ts'));
	const { withUnitOfWork } = require(path.join(ROOT, 'nodes/shared/db/unitOfWork.ts'));
	const { closeAllPools } = require(path.join(ROOT, 'nodes/shared/db/pool.ts'));
	const db = await dbh.createTestDatabase('bench_notices');
	try {
		const config = db.config();
		const uow = (fn) => withUnitOfWork(config, { actor: { node: 'bench' } }, fn);
		const t0 = performance.now();
		const stats = await reg.buildRegistry(db, { residents: a.registry });
		console.log(`notice benchmark: registry of ${stats.residents} residents in ${stats.buildings} buildings built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

		const compose = async (within) => {
			const [o] = await uow((u) => composeNotices(u, [checkNotice({
				title: '关于居民信息核对的通知',
				body: '{{name}}您好：请于本周内核对{{building}}住户信息，有疑问请联系网格员{{gridMember}}。',
				category: 'policy',
				channel: 'sms',
				within: { code: within },
				target: { reach: 'every', tagMatch: 'all' },
			})]));
			if (!o.ok) throw o.error;
			return o.value.noticeId;
		};
		const prepare = (noticeId, keep) => measure(async () => {
			const items = [];
			let n = 0;
			const summary = await uow((u) => prepareNotice(u, { noticeId, includePhone: false, maxRecipients: a.cap, pageSize: a.page }, (page) => {
				n += page.length;
				if (keep) for (const item of page) items.push(item);
			}));
			return { summary, emitted: n, kept: items.length };
		});

		// warm-up on one street (JIT, pool), not timed
		await prepare(await compose('370614-001'), false);
		global.gc?.();
		const baseRss = process.memoryUsage().rss / 1048576;

		const rows = [];
		for (const keep of [true, false]) {
			const id = await compose('370614');
			const first = await prepare(id, keep);
			const again = await prepare(id, keep);
			if (again.value.summary.prepared !== 0 || again.value.emitted !== 0) throw new Error(`the re-run prepared ${again.value.summary.prepared}`);
			const [c] = await db.query(`SELECT count(*)::int AS logged, count(*) FILTER (WHERE status = 'prepared')::int AS prepared,
				count(DISTINCT message_id)::int AS ids FROM grid.notice_recipient WHERE notice_id = $1`, [id]);
			if (c.prepared !== first.value.summary.prepared || c.ids !== c.logged) throw new Error(`log disagrees: ${JSON.stringify(c)}`);
			console.log(`  ${keep ? 'node-shaped' : 'streamed'}: prepared ${first.value.summary.prepared}, not reachable ${first.value.summary.notReachable}, ${first.value.summary.pages} pages in ${first.seconds.toFixed(2)} s; re-run ${again.value.summary.prepared} in ${again.seconds.toFixed(2)} s`);
			rows.push({
				mode: keep ? 'node-shaped (items kept)' : 'streamed (items counted)',
				prepared: first.value.summary.prepared,
				notReachable: first.value.summary.notReachable,
				firstSeconds: first.seconds,
				rerunPrepared: again.value.summary.prepared,
				rerunSeconds: again.seconds,
				peakRssMb: first.peakRssMb,
				overBaselineMb: first.peakRssMb - baseRss,
			});
			global.gc?.();
		}
		{
			const id = await compose('370614');
			const base = await measure(() => unpaged(db.url, id));
			console.log(`  unpaged baseline: prepared ${base.value.prepared} in ${base.seconds.toFixed(2)} s`);
			rows.push({ mode: 'baseline: unpaged, plain pg', prepared: base.value.prepared, notReachable: base.value.notReachable, firstSeconds: base.seconds, rerunPrepared: '-', rerunSeconds: NaN, peakRssMb: base.peakRssMb, overBaselineMb: base.peakRssMb - baseRss });
			global.gc?.();
		}
		for (const r of rows) r.memoryVsUnpaged = r.overBaselineMb / rows[rows.length - 1].overBaselineMb;
		console.log(`\n${textTable(['mode', 'prepared', 'not reachable', 'first run (s)', 're-run prepared', 're-run (s)', 'peak RSS (MB)', 'over start (MB)', 'growth / unpaged'],
			rows.map((r) => [r.mode, r.prepared, r.notReachable, r.firstSeconds.toFixed(2), r.rerunPrepared, Number.isNaN(r.rerunSeconds) ? '-' : r.rerunSeconds.toFixed(2), r.peakRssMb.toFixed(0), r.overBaselineMb.toFixed(0), r.memoryVsUnpaged.toFixed(2)]))}\n`);
		console.log(`baseline RSS before preparing: ${baseRss.toFixed(0)} MB`);
		const result = { benchmark: 'notices-prepare', date: new Date().toISOString(), server: server.label, sizes: { ...a, residents: stats.residents }, baselineRssMb: baseRss, rows };
		writeResult(RESULT_FILE, result);
	} finally {
		await closeAllPools();
		await db.drop();
		await server.stop();
	}
}

runMain(main);
