#!/usr/bin/env node
// Loads the demo district through the domain core (set-based, audited like any other change), in
// four parts, each skipped when it is there already:
//   grid        the district, then one transaction per street with its units, staff and posts;
//   people      per street, its households and residents through the Resident import pipeline
//               (checked, hashed and encrypted with the credential's key, audited);
//   volunteers  per street, its party members, sent-down cadres and teams through the Volunteer domain;
//   history     thirty days up to now, in one transaction as the schema owner (history.js).
// An interrupted load resumes at the first street or part not written. A district 370614 that this
// generator did not create is left alone.
//
// node scripts/demo/load.js --url postgres://user@host:5432/db [--scale 1] [--seed text] [--parts grid,people,volunteers,history]
//   (the personal-data key comes from GRID_PERSONAL_DATA_KEY; --schema grid by default)
const path = require('path');
const { buildDistrict, DISTRICT_CODE } = require('./district');
const { buildPeople } = require('./people');
const { buildVolunteers } = require('./volunteers');
const { writeHistory, historyPresent } = require('./history');

const ALL_PARTS = ['grid', 'people', 'volunteers', 'history'];

const DIST = path.join(__dirname, '..', '..', 'dist', 'nodes', 'shared');
const ACTOR = { node: 'Demo district generator' };

function domain() {
	return {
		withUnitOfWork: require(path.join(DIST, 'db', 'unitOfWork')).withUnitOfWork,
		sql: require(path.join(DIST, 'db', 'sql')).sql,
		createUnits: require(path.join(DIST, 'domain', 'grid', 'units')).createUnits,
		createStaff: require(path.join(DIST, 'domain', 'grid', 'staff')).createStaff,
		assignStaff: require(path.join(DIST, 'domain', 'grid', 'assignments')).assignStaff,
		importResidents: require(path.join(DIST, 'domain', 'resident', 'residentSave')).importResidents,
		checkResident: require(path.join(DIST, 'domain', 'resident', 'residentInput')).checkResident,
		saveVolunteers: require(path.join(DIST, 'domain', 'volunteer', 'volunteers')).saveVolunteers,
		createTeams: require(path.join(DIST, 'domain', 'volunteer', 'teams')).createTeams,
		addTeamMembers: require(path.join(DIST, 'domain', 'volunteer', 'teams')).addTeamMembers,
	};
}

/** Throws the first rejected input of a batch, naming what it was. */
function expectAllOk(outcomes, inputs, what) {
	const index = outcomes.findIndex((o) => !o.ok);
	if (index < 0) return;
	const error = outcomes[index].error;
	throw new Error(`demo ${what} ${JSON.stringify(inputs[index])} was rejected: ${error.field ? `${error.field}: ` : ''}${error.message}`);
}

const fmt = (n) => n.toLocaleString('en-US');

/** One line that redraws itself on a terminal and prints plain lines elsewhere. */
function progressReporter(out, total) {
	const tty = Boolean(out.isTTY);
	let last = '';
	return {
		/** milestone: worth a line of its own when the output is not a terminal. */
		update(done, text, { final = false, milestone = false } = {}) {
			const share = total ? done / total : 1;
			const width = 24;
			const filled = Math.round(share * width);
			const line = `  [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(share * 100)).padStart(3)}%  ${text}`;
			if (tty) {
				out.write(`\r${line}${' '.repeat(Math.max(0, last.length - line.length))}${final ? '\n' : ''}`);
			} else if (final || milestone) {
				out.write(`${line}\n`);
			}
			last = line;
		},
	};
}

/** Which parts of the demo are in the database, and whether the district there is the demo's. */
async function demoStatus(config, plan) {
	const { withUnitOfWork, sql } = domain();
	const codes = plan.parts.map((p) => p.code);
	return withUnitOfWork(config, { actor: ACTOR }, async (uow) => {
		const { rows } = await sql(
			uow,
			`SELECT u.code, EXISTS (
				SELECT 1 FROM audit_log a
				WHERE a.entity = 'grid_unit' AND a.action = 'insert' AND a.entity_id = u.id::text AND a.actor->>'node' = ?
			) AS ours
			FROM grid_unit u WHERE u.code = ANY(?::text[])`,
			[ACTOR.node, codes],
		);
		const present = new Map(rows.map((r) => [r.code, r.ours]));
		return {
			districtExists: present.has(DISTRICT_CODE),
			districtIsDemo: present.get(DISTRICT_CODE) === true,
			missing: plan.parts.filter((p) => !present.has(p.code)),
		};
	});
}

/** A plain client as the login role (the schema owner), for the history and the counts. */
function ownerClient(config) {
	const { Client } = require('pg');
	return new Client({
		host: config.host, port: config.port, database: config.database, user: config.user, password: config.password,
		ssl: config.ssl === 'disable' ? false : { rejectUnauthorized: config.ssl === 'verify', ...(config.caCertificate ? { ca: config.caCertificate } : {}) },
	});
}

/** Runs fn(q) in one transaction as the schema owner; q(text, params) returns the rows. */
async function asOwner(config, fn) {
	const client = ownerClient(config);
	await client.connect();
	try {
		await client.query('BEGIN');
		await client.query(`SELECT set_config('search_path', $1, true), set_config('jit', 'off', true)`, [`"${config.schema}", public`]);
		const result = await fn(async (text, params) => (await client.query(text, params)).rows);
		await client.query('COMMIT');
		return result;
	} catch (error) {
		await client.query('ROLLBACK').catch(() => undefined);
		throw error;
	} finally {
		await client.end();
	}
}

/** Streets whose residents, and whose volunteers, are written (each street's are written in one transaction). */
async function peopleStatus(config, plan) {
	const { withUnitOfWork, sql } = domain();
	const streets = plan.parts.slice(1).map((p) => p.code);
	return withUnitOfWork(config, { actor: ACTOR }, async (uow) => {
		const { rows } = await sql(uow,
			`SELECT s.code,
				EXISTS (SELECT 1 FROM grid_unit b JOIN resident r ON r.unit_id = b.id WHERE b.level = 5 AND starts_with(b.path, s.path)) AS residents,
				EXISTS (SELECT 1 FROM volunteer v JOIN grid_unit u ON u.id = v.unit_id WHERE v.volunteer_no LIKE 'PL-%' AND starts_with(u.path, s.path)) AS volunteers
			FROM grid_unit s WHERE s.code = ANY(?::text[])`, [streets]);
		const byCode = new Map(rows.map((r) => [r.code, r]));
		return {
			residents: new Set(streets.filter((c) => byCode.get(c)?.residents)),
			volunteers: new Set(streets.filter((c) => byCode.get(c)?.volunteers)),
		};
	});
}

/** What the demo district holds, counted in the database. */
async function demoCounts(config) {
	return asOwner(config, async (q) => {
		const [row] = await q(`SELECT
			(SELECT count(*) FROM grid_unit WHERE starts_with(code, '${DISTRICT_CODE}'))::int AS units,
			(SELECT count(*) FROM staff)::int AS staff,
			(SELECT count(*) FROM grid_assignment WHERE valid_to IS NULL)::int AS posts,
			(SELECT count(*) FROM household)::int AS households,
			(SELECT count(*) FROM resident)::int AS residents,
			(SELECT count(*) FROM resident WHERE health_status <> 'normal')::int AS "flaggedResidents",
			(SELECT count(*) FROM volunteer WHERE kind = 'party_member')::int AS "partyMembers",
			(SELECT count(*) FROM volunteer WHERE kind = 'cadre')::int AS cadres,
			(SELECT count(*) FROM team)::int AS teams,
			(SELECT count(*) FROM team WHERE kind = 'vanguard')::int AS "vanguardTeams",
			(SELECT count(*) FROM incident)::int AS incidents,
			(SELECT count(*) FROM task)::int AS tasks,
			(SELECT count(*) FROM health_observation)::int AS observations`);
		return row;
	});
}

async function loadGrid(config, plan, missing, { log, out, started }) {
	const { withUnitOfWork, createUnits, createStaff, assignStaff } = domain();
	const resuming = missing.length < plan.parts.length;
	log(`${resuming ? 'Resuming' : 'Loading'} the demo district ${DISTRICT_CODE} ${plan.parts[0].label}: ${fmt(plan.summary.units)} units, ${fmt(plan.summary.staff)} staff, ${fmt(plan.summary.posts)} posts`);
	const total = missing.reduce((s, p) => s + p.units.length + p.staff.length + p.posts.length, 0);
	const progress = progressReporter(out, total);
	const counts = { units: 0, staff: 0, posts: 0 };
	let done = 0;
	const show = (label, flags) =>
		progress.update(done, `${fmt(counts.units)} units · ${fmt(counts.staff)} staff · ${fmt(counts.posts)} posts  ${label}`, flags);
	show('');
	for (const part of missing) {
		await withUnitOfWork(config, { actor: ACTOR }, async (uow) => {
			expectAllOk(await createUnits(uow, part.units), part.units, 'unit');
			done += part.units.length;
			counts.units += part.units.length;
			show(part.label);
			expectAllOk(await createStaff(uow, part.staff), part.staff, 'staff member');
			done += part.staff.length;
			counts.staff += part.staff.length;
			show(part.label);
			expectAllOk(await assignStaff(uow, part.posts), part.posts, 'post');
			done += part.posts.length;
			counts.posts += part.posts.length;
		});
		show(part.label, { milestone: true });
	}
	show(`grid done at ${seconds(started)}`, { final: true });
}

async function loadPeople(config, streets, { log, out, started, today }) {
	const { withUnitOfWork, importResidents, checkResident } = domain();
	const total = streets.reduce((s, p) => s + p.residents.length, 0);
	log(`Registering ${fmt(total)} residents in ${streets.length} street${streets.length === 1 ? '' : 's'} (checked, hashed and encrypted like Resident → Import Many)`);
	const progress = progressReporter(out, total);
	const rules = { widths: config.segmentWidths, allowCustomTags: false, today };
	let done = 0;
	progress.update(0, '');
	for (const street of streets) {
		await withUnitOfWork(config, { actor: ACTOR }, async (uow) => {
			const list = street.residents;
			const source = { length: list.length, resident: (i) => checkResident(list[i], rules) };
			const outcomes = await importResidents(uow, source, { mode: 'create', matchPhoneAndName: false, storeFullDocument: true });
			expectAllOk(outcomes, list, 'resident');
		});
		done += street.residents.length;
		progress.update(done, `${fmt(done)} residents  ${street.label}`, { milestone: true });
	}
	progress.update(done, `${fmt(done)} residents, done at ${seconds(started)}`, { final: true });
}

async function loadVolunteers(config, streets, { log, started }) {
	const { withUnitOfWork, saveVolunteers, createTeams, addTeamMembers } = domain();
	const total = streets.reduce((s, p) => s + p.volunteers.length, 0);
	log(`Registering ${fmt(total)} volunteers and ${fmt(streets.reduce((s, p) => s + p.teams.length, 0))} teams`);
	for (const street of streets) {
		await withUnitOfWork(config, { actor: ACTOR }, async (uow) => {
			expectAllOk(await saveVolunteers(uow, street.volunteers, { mode: 'create' }), street.volunteers, 'volunteer');
			const teams = await createTeams(uow, street.teams);
			expectAllOk(teams, street.teams, 'team');
			const members = street.members.map(([team, volunteerNo]) => ({ teamId: teams[team].value.id, volunteer: { volunteerNo } }));
			if (members.length) expectAllOk(await addTeamMembers(uow, members), members, 'team member');
		});
	}
	log(`  volunteers done at ${seconds(started)}`);
}

const seconds = (started) => `${((Date.now() - started) / 1000).toFixed(1)} s`;

/** Today's date in Asia/Shanghai, as a UTC midnight: what ages are counted to. */
const shanghaiToday = (now) => new Date(`${new Date(now + 8 * 3_600_000).toISOString().slice(0, 10)}T00:00:00Z`);

/**
 * Loads whatever part of the demo district is missing. Options: seed; scale (1 is the paper's
 * district; 0.02 has some 3,400 residents) for people, volunteers and history; parts (default all);
 * now (ms; history ends there). Returns { state: 'loaded' | 'present' | 'foreign', summary, counts, ms }.
 */
async function loadDemoDistrict(config, { seed, scale = 1, parts = ALL_PARTS, now = Date.now(), out = process.stdout, log = console.log } = {}) {
	const started = Date.now();
	for (const p of parts) if (!ALL_PARTS.includes(p)) throw new Error(`unknown demo part "${p}"; the parts are ${ALL_PARTS.join(', ')}`);
	if (!(typeof scale === 'number' && scale > 0 && scale <= 1)) throw new Error(`the demo scale must be a number above 0 and at most 1, got ${scale}`);
	const plan = buildDistrict(seed ? { seed } : {});
	const status = await demoStatus(config, plan);
	if (status.districtExists && !status.districtIsDemo) {
		log(`Grid unit ${DISTRICT_CODE} already exists and was not created by the demo generator: not loading the demo district.`);
		return { state: 'foreign', summary: plan.summary, ms: Date.now() - started };
	}
	const want = (part) => parts.includes(part);
	let wrote = false;
	if (status.missing.length) {
		// people, volunteers and history all live in the grid
		if (!want('grid')) throw new Error('the demo grid is not loaded: include the "grid" part');
		await loadGrid(config, plan, status.missing, { log, out, started });
		wrote = true;
	}
	if (want('people') || want('volunteers')) {
		const present = await peopleStatus(config, plan);
		const today = shanghaiToday(now);
		if (want('people') && present.residents.size < plan.parts.length - 1) {
			const streets = buildPeople(plan, { seed: plan.seed, scale, today, now }).filter((s) => !present.residents.has(s.code));
			await loadPeople(config, streets, { log, out, started, today });
			wrote = true;
		}
		if (want('volunteers') && present.volunteers.size < plan.parts.length - 1) {
			const streets = buildVolunteers(plan, { seed: plan.seed, scale }).filter((s) => !present.volunteers.has(s.code));
			await loadVolunteers(config, streets, { log, started });
			wrote = true;
		}
	}
	if (want('history') && !(await asOwner(config, historyPresent))) {
		log('Writing 30 days of history: quarantines and temperatures, incidents, tasks');
		const written = await asOwner(config, (q) => writeHistory(q, { seed: plan.seed, scale, now, onStep: (what) => log(`  ${what} at ${seconds(started)}`) }));
		log(`  ${fmt(written.incidents)} incidents and ${fmt(written.tasks)} tasks, done at ${seconds(started)}`);
		wrote = true;
	}
	const counts = await demoCounts(config);
	if (wrote) log(`Demo district ready in ${seconds(started)}`);
	return { state: wrote ? 'loaded' : 'present', summary: plan.summary, counts, ms: Date.now() - started };
}

function parseArgs(argv) {
	const a = { url: '', scale: 1, seed: undefined, parts: ALL_PARTS, schema: 'grid' };
	for (let i = 0; i < argv.length; i += 2) {
		const key = argv[i].replace(/^--/, '');
		const value = argv[i + 1];
		if (value === undefined) throw new Error(`${argv[i]} needs a value`);
		if (key === 'url') a.url = value;
		else if (key === 'scale') a.scale = Number(value);
		else if (key === 'seed') a.seed = value;
		else if (key === 'schema') a.schema = value;
		else if (key === 'parts') a.parts = value.split(',').map((p) => p.trim()).filter(Boolean);
		else throw new Error(`unknown argument ${argv[i]}; use --url, --scale, --seed, --parts, --schema`);
	}
	if (!a.url) throw new Error('--url postgres://user:password@host:port/database is required');
	return a;
}

async function main() {
	const a = parseArgs(process.argv.slice(2));
	const key = process.env.GRID_PERSONAL_DATA_KEY;
	if (!key || key.length < 16) throw new Error('set GRID_PERSONAL_DATA_KEY to the credential\'s personal-data key (at least 16 characters): residents\' documents and phones are hashed and encrypted with it');
	const { configFromUrl } = require(path.join(DIST, 'db', 'config'));
	const config = configFromUrl(a.url, { personalDataKey: key, schema: a.schema });
	const started = Date.now();
	try {
		const result = await loadDemoDistrict(config, { seed: a.seed, scale: a.scale, parts: a.parts });
		if (result.state === 'present') console.log('The demo district is already loaded: nothing to do.');
		if (result.counts) {
			const c = result.counts;
			console.log(`${fmt(c.units)} units · ${fmt(c.staff)} staff · ${fmt(c.households)} households · ${fmt(c.residents)} residents (${fmt(c.flaggedResidents)} not normal) · `
				+ `${fmt(c.partyMembers)} party members · ${fmt(c.cadres)} cadres · ${fmt(c.teams)} teams (${fmt(c.vanguardTeams)} vanguard) · `
				+ `${fmt(c.incidents)} incidents · ${fmt(c.tasks)} tasks · ${fmt(c.observations)} observations`);
		}
		console.log(`Total ${seconds(started)}`);
	} finally {
		await require(path.join(DIST, 'db', 'pool')).closeAllPools();
	}
}

if (require.main === module) {
	main().catch((error) => {
		console.error(error.message);
		process.exit(1);
	});
}

module.exports = { loadDemoDistrict, demoStatus, demoCounts, ACTOR, ALL_PARTS };
