#!/usr/bin/env node
// node bench/incidents/escalateOverdue.js [--incidents 100000 --overdue 5000 --runs 3]   (after npm run build)
//
// Escalate-overdue over N open incidents of which M are overdue, in a district of 4,000 buildings
// (10 streets × 10 communities × 4 grids × 10 buildings; one grid in ten has no grid head, so its
// cases walk up to the community), two ways, on the same data rebuilt for each measurement:
//   ours      escalateOverdue from the built package (dist/): set-based, a handful of statements per
//             chunk of 5,000 (lock with SKIP LOCKED, who answers, one UPDATE … FROM unnest, one INSERT)
//   naive     one incident at a time in one transaction: select it FOR UPDATE, find who answers one
//             level up (one query walking the chain), compute the due time, update it, insert its event
// Both run in-process through the package's unit of work (application role, row-level security, audit
// triggers), so the difference is the shape of the work only. Both must leave the same incidents
// (handling unit, assignee, counts, status, supervision) and the same number of events, or the run fails.
// ratio = naive time / our time, the median of the per-run ratios (runs alternate ours and naive).
//
// Server: GRID_BENCH_DATABASE_URL (an admin URL; scratch databases are created and dropped), else an
// embedded PostgreSQL started for the run. Output: a table, and bench/results/escalate-overdue.json.
const fs = require('fs');
const path = require('path');
const { randomBytes } = require('crypto');
const pg = require('pg');
const { benchServer, measure, median, textTable, writeResult, runMain } = require('../lib/inProcess');

const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist', 'nodes', 'shared');
const RESULT_FILE = path.join(ROOT, 'bench', 'results', 'escalate-overdue.json');
const KEY = 'bench-personal-data-key-0123456789';
const ACTOR = { node: 'bench', workflowId: 'bench', executionId: 'bench' };

function args(argv) {
	const a = { incidents: 100_000, overdue: 5_000, runs: 3 };
	for (let i = 0; i < argv.length; i += 2) {
		const k = argv[i].replace(/^--/, '');
		if (k === 'help' || k === 'h') {
			console.log('node bench/incidents/escalateOverdue.js [--incidents 100000 --overdue 5000 --runs 3]');
			process.exit(0);
		}
		if (!(k in a)) throw new Error(`unknown argument ${argv[i]}`);
		a[k] = Number(argv[i + 1]);
	}
	if (!Number.isInteger(a.incidents) || !Number.isInteger(a.overdue) || a.overdue < 1 || a.incidents % a.overdue !== 0) {
		throw new Error('--incidents must be a whole multiple of --overdue');
	}
	if (!Number.isInteger(a.runs) || a.runs < 1) throw new Error('--runs must be >= 1');
	return a;
}

function need(rel) {
	const file = path.join(DIST, rel);
	if (!fs.existsSync(file)) throw new Error(`${path.relative(ROOT, file)} is missing: run npm run build first`);
	return require(file);
}

const lib = {
	configFromUrl: need('db/config.js').configFromUrl,
	withUnitOfWork: need('db/unitOfWork.js').withUnitOfWork,
	closeAllPools: need('db/pool.js').closeAllPools,
	sql: need('db/sql.js').sql,
	createUnits: need('domain/grid/units.js').createUnits,
	checkNewUnit: need('domain/grid/unitInput.js').checkNewUnit,
	createStaff: need('domain/grid/staff.js').createStaff,
	assignStaff: need('domain/grid/assignments.js').assignStaff,
	RESPONSIBLE_ROLES: need('domain/grid/roles.js').RESPONSIBLE_ROLES,
	escalateOverdue: need('domain/incident/escalation.js').escalateOverdue,
	DEFAULT_SLA_POLICY: need('domain/incident/lifecycle.js').DEFAULT_SLA_POLICY,
	appendEvents: need('domain/incident/events.js').appendEvents,
	sla: need('domain/incident/sla.js'),
	OPEN_STATUSES: need('domain/incident/vocabulary.js').OPEN_STATUSES,
	SUPERVISION_THRESHOLD: need('domain/incident/vocabulary.js').SUPERVISION_THRESHOLD,
	DEFAULT_SEGMENT_WIDTHS: need('validation/gridCode.js').DEFAULT_SEGMENT_WIDTHS,
};

const pad = (n, w) => String(n).padStart(w, '0');

function dbUrl(admin, name) {
	const u = new URL(admin);
	u.pathname = `/${name}`;
	return u.toString();
}

async function adminQuery(url, text, params = []) {
	const c = new pg.Client({ connectionString: url });
	await c.connect();
	try {
		return (await c.query(text, params)).rows;
	} finally {
		await c.end();
	}
}

const uow = (config, fn) => lib.withUnitOfWork(config, { actor: ACTOR }, fn);

/** The template database: district, staff and posts through the package; incidents set-based in SQL. */
async function buildTemplate(admin, name, a) {
	await adminQuery(admin, `CREATE DATABASE "${name}"`);
	const url = dbUrl(admin, name);
	const config = lib.configFromUrl(url, { personalDataKey: KEY });
	const raw = [{ code: '370614', name: '蓬莱区' }];
	for (let s = 1; s <= 10; s++) {
		const sc = `370614-${pad(s, 3)}`;
		raw.push({ code: sc, name: `街道${s}`, parentCode: '370614' });
		for (let c = 1; c <= 10; c++) {
			const cc = `${sc}-${pad(c, 3)}`;
			raw.push({ code: cc, name: `社区${s}-${c}`, parentCode: sc });
			for (let g = 1; g <= 4; g++) {
				const gc = `${cc}-${pad(g, 3)}`;
				raw.push({ code: gc, name: `网格${s}-${c}-${g}`, parentCode: cc });
				for (let b = 1; b <= 10; b++) raw.push({ code: `${gc}-${pad(b, 4)}`, name: `${b}号楼`, parentCode: gc });
			}
		}
	}
	const units = raw.map((r) => lib.checkNewUnit(r, lib.DEFAULT_SEGMENT_WIDTHS));
	const posts = [];
	let n = 0;
	for (const u of units) {
		n++;
		const role = u.level === 1 || u.level === 2 ? 'grid_instructor' : u.level === 3 ? 'community_worker' : u.level === 4 && n % 10 !== 0 ? 'grid_head' : null;
		if (role) posts.push({ no: `B${pad(posts.length + 1, 5)}`, unit: u.code, role });
	}
	await uow(config, async (w) => {
		const made = await lib.createUnits(w, units);
		if (made.some((o) => !o.ok)) throw new Error('could not create the district');
		const staff = await lib.createStaff(w, posts.map((p) => ({ name: `员工${p.no}`, unit: { code: p.unit }, staffNo: p.no })));
		if (staff.some((o) => !o.ok)) throw new Error('could not create the staff');
		const assigned = await lib.assignStaff(w, posts.map((p) => ({ staff: { staffNo: p.no }, unit: { code: p.unit }, role: p.role })));
		if (assigned.some((o) => !o.ok)) throw new Error('could not post the staff');
	});
	await lib.closeAllPools();

	// Incidents about random buildings, handled mostly by the building's grid, some higher up; every
	// step-th one overdue; a few transferred or reopened three times (supervision on escalation).
	const step = a.incidents / a.overdue;
	const c = new pg.Client({ connectionString: url });
	await c.connect();
	try {
		await c.query('BEGIN');
		await c.query('SET LOCAL session_replication_role = replica');
		await c.query(`
			WITH b AS (
				SELECT b.id, b.parent_id AS grid_id, g.parent_id AS community_id, c.parent_id AS street_id, c2.parent_id AS district_id,
					row_number() OVER (ORDER BY b.id) AS rn
				FROM grid.grid_unit b JOIN grid.grid_unit g ON g.id = b.parent_id JOIN grid.grid_unit c ON c.id = g.parent_id
					JOIN grid.grid_unit c2 ON c2.id = c.parent_id
				WHERE b.level = 5
			), nb AS (SELECT count(*) AS n FROM b)
			INSERT INTO grid.incident (reference, source, category, description, unit_id, location_unit_id, handling_unit_id,
				risk_level, risk_score, status, assignee_staff_id, transfer_count, reopen_count, due_at, created_at, updated_at)
			SELECT 'INC-20260101-' || lpad(x.g::text, 6, '0'), 'staff',
				(ARRAY['sanitation','supply_need','neighbour_dispute','safety_hazard','medical_need'])[1 + x.g % 5],
				'bench report ' || x.g, b.id, b.id,
				CASE WHEN x.h < 90 THEN b.grid_id WHEN x.h < 98 THEN b.community_id WHEN x.h < 99 THEN b.street_id ELSE b.district_id END,
				(ARRAY['low','low','medium','high','critical'])[1 + (x.g / 7) % 5], 0,
				(ARRAY['new','new','new','triaged','assigned','assigned','assigned','assigned','in_progress','in_progress'])[1 + (x.g / 3) % 10],
				NULL, CASE WHEN x.g % 97 = 0 THEN 3 ELSE 0 END, CASE WHEN x.g % 89 = 0 THEN 3 ELSE 0 END,
				CASE WHEN x.g % $2 = 0 THEN now() - make_interval(mins => 1 + x.g % 600) ELSE now() + make_interval(mins => 60 + x.g % 5000) END,
				now() - interval '2 days', now() - interval '1 day'
			FROM (SELECT g, abs(hashint4(g + 7)) % 100 AS h FROM generate_series(1, $1::int) g) AS x CROSS JOIN nb
			JOIN b ON b.rn = 1 + abs(hashint4(x.g)) % nb.n`, [a.incidents, step]);
		await c.query(`INSERT INTO grid.incident_event (incident_id, unit_id, kind, to_status, details, at)
			SELECT id, unit_id, 'created', status, jsonb_build_object('reference', reference), created_at FROM grid.incident`);
		await c.query('COMMIT');
		await c.query('ANALYZE');
		const [counts] = (await c.query(`SELECT count(*)::int AS open, count(*) FILTER (WHERE due_at < now())::int AS overdue FROM grid.incident
			WHERE status IN ('new','triaged','assigned','in_progress')`)).rows;
		if (counts.open !== a.incidents || counts.overdue !== a.overdue) throw new Error(`template has ${JSON.stringify(counts)}`);
	} finally {
		await c.end();
	}
}

/** One query that answers who is responsible for a unit, walking up past vacant posts (as responsibleMany does). */
function responsibleQuery() {
	const rows = [];
	for (const [level, roles] of Object.entries(lib.RESPONSIBLE_ROLES)) roles.forEach((role, rank) => rows.push(`(${level}, '${role}', ${rank})`));
	return `SELECT s.id, s.name
		FROM grid_unit t
		CROSS JOIN LATERAL unnest(string_to_array(trim(both '/' from t.path), '/')::bigint[]) WITH ORDINALITY AS c(uid, depth)
		JOIN grid_unit u ON u.id = c.uid AND u.active
		JOIN (VALUES ${rows.join(', ')}) AS r(level, role, rank) ON r.level = u.level
		JOIN grid_assignment a ON a.unit_id = u.id AND a.role = r.role AND a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now())
		JOIN staff s ON s.id = a.staff_id AND s.active
		WHERE t.id = ?
		ORDER BY c.depth DESC, r.rank, a.valid_from, a.id
		LIMIT 1`;
}

/** The baseline: the same rules, one incident at a time. */
async function naiveEscalateOverdue(w) {
	const { sql } = lib;
	const open = lib.OPEN_STATUSES.map((s) => `'${s}'`).join(', ');
	const who = responsibleQuery();
	const { rows: due } = await sql(w, `SELECT id FROM incident WHERE status IN (${open}) AND due_at < now() ORDER BY due_at, id`);
	let escalated = 0;
	for (const { id } of due) {
		const { rows: [r] } = await sql(w,
			`SELECT i.id, i.unit_id, i.status, i.category, i.risk_level, i.due_at, i.handling_unit_id, i.escalation_count, i.reopen_count,
				i.transfer_count, i.supervised, i.breach_noted_due_at, hu.code AS handling_code, hu.level AS handling_level, hu.parent_id, pu.code AS parent_code
			FROM incident i JOIN grid_unit hu ON hu.id = i.handling_unit_id LEFT JOIN grid_unit pu ON pu.id = hu.parent_id
			WHERE i.id = ? FOR UPDATE OF i`, [id]);
		const rise = r.parent_id !== null;
		const staff = rise ? (await sql(w, who, [r.parent_id])).rows[0] ?? null : null;
		const newDue = lib.sla.addDuration(new Date(), lib.sla.slaFor(r.risk_level, r.category, lib.DEFAULT_SLA_POLICY.sla), lib.DEFAULT_SLA_POLICY.calendar);
		const status = staff && (r.status === 'new' || r.status === 'triaged') ? 'assigned' : r.status;
		const supervise = !r.supervised && (r.reopen_count >= lib.SUPERVISION_THRESHOLD || r.transfer_count >= lib.SUPERVISION_THRESHOLD);
		// a breach nobody announced yet is announced before its due time is replaced, as ours does
		const unannounced = r.breach_noted_due_at === null || new Date(r.breach_noted_due_at).getTime() !== new Date(r.due_at).getTime();
		if (unannounced) {
			await sql(w, `INSERT INTO incident_event (incident_id, unit_id, kind, note, details) VALUES (?, ?, 'sla_breached', ?, ?::jsonb)`,
				[r.id, r.unit_id, `Due ${r.due_at} passed while ${r.status}`, JSON.stringify({ dueAt: r.due_at, status: r.status })]);
		}
		await sql(w,
			`UPDATE incident SET breach_noted_due_at = due_at, handling_unit_id = ?, escalation_count = escalation_count + ?, due_at = ?::timestamptz, status = ?,
				assignee_staff_id = CASE WHEN ?::boolean THEN ?::bigint ELSE assignee_staff_id END,
				assignee_team = CASE WHEN ?::boolean THEN NULL ELSE assignee_team END,
				supervised = supervised OR ?::boolean, updated_at = now()
			WHERE id = ?`,
			[rise ? r.parent_id : r.handling_unit_id, rise ? 1 : 0, newDue.toISOString(), status, staff !== null, staff?.id ?? null, staff !== null, supervise, r.id]);
		await sql(w,
			`INSERT INTO incident_event (incident_id, unit_id, kind, from_status, to_status, note, details) VALUES (?, ?, 'escalated', ?, ?, ?, ?::jsonb)`,
			[r.id, r.unit_id, r.status, status, rise ? `escalated from ${r.handling_code} to ${r.parent_code}` : `already at the district ${r.handling_code}`,
				JSON.stringify({ automatic: true, atTop: !rise, fromUnitCode: r.handling_code, toUnitCode: rise ? r.parent_code : r.handling_code, dueAt: { from: r.due_at, to: newDue.toISOString() } })]);
		if (supervise) {
			await sql(w, `INSERT INTO incident_event (incident_id, unit_id, kind, note) VALUES (?, ?, 'supervision', 'put under supervision')`, [r.id, r.unit_id]);
		}
		if (rise) escalated++;
	}
	return { processed: due.length, escalated };
}

async function fingerprint(url) {
	const [r] = await adminQuery(url, `SELECT
		(SELECT md5(string_agg(concat_ws(',', id, handling_unit_id, assignee_staff_id, assignee_team, escalation_count, status, supervised), ';' ORDER BY id)) FROM grid.incident) AS incidents,
		(SELECT count(*)::int FROM grid.incident_event) AS events,
		(SELECT count(*)::int FROM grid.incident WHERE due_at < now() AND status IN ('new','triaged','assigned','in_progress')) AS still_overdue`);
	return r;
}

async function runOnce(admin, template, which, k) {
	const name = `bench_esc_${which}_${k}_${randomBytes(3).toString('hex')}`;
	await adminQuery(admin, `CREATE DATABASE "${name}" TEMPLATE "${template}"`);
	const url = dbUrl(admin, name);
	const config = lib.configFromUrl(url, { personalDataKey: KEY });
	try {
		// the first unit of work on a pool checks the schema version: not part of the measurement
		await uow(config, (w) => lib.sql(w, 'SELECT count(*) FROM incident'));
		const m = await measure(() => uow(config, (w) => (which === 'ours'
			? lib.escalateOverdue(w, {}, lib.DEFAULT_SLA_POLICY)
			: naiveEscalateOverdue(w))));
		await lib.closeAllPools();
		return { ...m, value: { processed: m.value.processed, escalated: m.value.escalated }, fingerprint: await fingerprint(url) };
	} finally {
		await lib.closeAllPools();
		await adminQuery(admin, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
	}
}

function table(rows) {
	return textTable(['workload', 'size', 'ours', 'baseline', 'ratio', 'peak RSS (ours / baseline)'], rows.map((r) => [r.workload, r.size, r.ours, r.baseline, r.ratio, r.rss]));
}

async function main() {
	const a = args(process.argv.slice(2));
	const server = await benchServer();
	const admin = server.admin;
	const template = `bench_esc_template_${randomBytes(3).toString('hex')}`;
	try {
		console.log(`escalate-overdue benchmark: ${a.incidents} open incidents, ${a.overdue} overdue, ${a.runs} runs`);
		const built = await measure(() => buildTemplate(admin, template, a));
		console.log(`template built in ${built.seconds.toFixed(1)} s`);
		const runs = [];
		for (let k = 0; k < a.runs; k++) {
			const ours = await runOnce(admin, template, 'ours', k);
			const naive = await runOnce(admin, template, 'naive', k);
			for (const [label, r] of [['ours', ours], ['naive', naive]]) {
				if (r.value.processed !== a.overdue) throw new Error(`${label} processed ${r.value.processed} incidents, expected ${a.overdue}`);
				if (r.fingerprint.still_overdue !== 0) throw new Error(`${label} left ${r.fingerprint.still_overdue} overdue`);
			}
			if (ours.fingerprint.incidents !== naive.fingerprint.incidents || ours.fingerprint.events !== naive.fingerprint.events) {
				throw new Error(`ours and naive disagree: ${JSON.stringify(ours.fingerprint)} vs ${JSON.stringify(naive.fingerprint)}`);
			}
			runs.push({ ours, naive, ratio: naive.seconds / ours.seconds });
			console.log(`run ${k + 1}: ours ${ours.seconds.toFixed(2)} s, naive ${naive.seconds.toFixed(2)} s, ratio ${(naive.seconds / ours.seconds).toFixed(1)}`);
		}
		const ours = median(runs.map((r) => r.ours.seconds));
		const naive = median(runs.map((r) => r.naive.seconds));
		const ratio = median(runs.map((r) => r.ratio));
		const rows = [{
			workload: 'Escalate overdue: set-based vs one incident at a time',
			size: `${a.overdue} overdue of ${a.incidents} open`,
			ours: `${ours.toFixed(2)} s`,
			baseline: `${naive.toFixed(2)} s`,
			ratio: `${ratio.toFixed(1)} (runs ${runs.map((r) => r.ratio.toFixed(1)).join(', ')})`,
			rss: `${Math.max(...runs.map((r) => r.ours.peakRssMb)).toFixed(0)} / ${Math.max(...runs.map((r) => r.naive.peakRssMb)).toFixed(0)} MB`,
		}];
		console.log(`\n${table(rows)}\n`);
		console.log(`escalated ${runs[0].ours.value.escalated} one level, ${a.overdue - runs[0].ours.value.escalated} already at the district; both ways left identical incidents`);
		const result = {
			benchmark: 'escalate-overdue',
			date: new Date().toISOString(),
			server: server.label,
			sizes: a,
			rows,
			raw: {
				templateSeconds: built.seconds,
				runs: runs.map((r) => ({ oursSeconds: r.ours.seconds, naiveSeconds: r.naive.seconds, ratio: r.ratio, escalated: r.ours.value.escalated })),
				medianOursSeconds: ours,
				medianNaiveSeconds: naive,
				ratio,
			},
		};
		writeResult(RESULT_FILE, result);
	} finally {
		await lib.closeAllPools().catch(() => undefined);
		await adminQuery(admin, `DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`).catch(() => undefined);
		await server.stop();
	}
}

if (require.main === module) runMain(main);

module.exports = { buildTemplate, dbUrl, adminQuery, lib, KEY, ACTOR };
