// What `npm start` and the end-to-end check share: building when sources changed, PostgreSQL
// databases, and running the real n8n CLI with this package loaded as a community package.
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');
const { spawn, spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const PACKAGE = require(path.join(ROOT, 'package.json'));

// ---------------------------------------------------------------------------------------------
// Build

const SOURCE_DIRS = ['nodes', 'credentials', 'workflows'];
const SOURCE_FILES = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'gulpfile.js'];
// kept out of dist/, which is what gets published
const BUILD_STAMP = path.join(ROOT, 'node_modules', '.cache', PACKAGE.name, 'build-stamp');

function newestMtime(target) {
	let newest = 0;
	const walk = (p) => {
		let st;
		try {
			st = fs.statSync(p);
		} catch {
			return;
		}
		if (st.isDirectory()) {
			for (const name of fs.readdirSync(p)) walk(path.join(p, name));
		} else {
			newest = Math.max(newest, st.mtimeMs);
		}
	};
	walk(target);
	return newest;
}

/** Why a build is needed, or null when dist/ is complete and newer than every source. */
function buildNeeded() {
	const outputs = [...(PACKAGE.n8n?.nodes ?? []), ...(PACKAGE.n8n?.credentials ?? [])].map((p) => path.join(ROOT, p));
	const missing = outputs.find((p) => !fs.existsSync(p));
	if (missing) return `${path.relative(ROOT, missing)} is missing`;
	const sources = Math.max(
		...SOURCE_DIRS.map((d) => newestMtime(path.join(ROOT, d))),
		...SOURCE_FILES.map((f) => newestMtime(path.join(ROOT, f))),
	);
	// tsc only rewrites what changed and gulp keeps the sources' times, so compare with the
	// newest output and with the stamp written after our own last build
	const built = Math.max(newestMtime(path.join(ROOT, 'dist')), newestMtime(BUILD_STAMP));
	return sources > built ? 'sources changed since the last build' : null;
}

/** Runs `npm run build` when dist/ is missing or older than the sources. */
function ensureBuilt(log = console.log) {
	const reason = buildNeeded();
	if (!reason) return false;
	log(`Building the package (${reason})…`);
	const started = Date.now();
	const result = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
	if (result.status !== 0) throw new Error(`npm run build failed (exit code ${result.status})`);
	fs.mkdirSync(path.dirname(BUILD_STAMP), { recursive: true });
	fs.writeFileSync(BUILD_STAMP, new Date().toISOString());
	log(`Built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
	return true;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

function parseDbUrl(url) {
	const u = new URL(url);
	const sslmode = u.searchParams.get('sslmode');
	return {
		host: decodeURIComponent(u.hostname) || '127.0.0.1',
		port: u.port ? Number(u.port) : 5432,
		user: decodeURIComponent(u.username) || 'postgres',
		password: decodeURIComponent(u.password),
		database: decodeURIComponent(u.pathname.replace(/^\//, '')),
		ssl: sslmode && sslmode !== 'disable' ? sslmode : null,
	};
}

/** The same server and login, another database. */
function withDatabase(url, database) {
	const u = new URL(url);
	u.pathname = `/${encodeURIComponent(database)}`;
	return u.toString();
}

function redact(url) {
	const u = new URL(url);
	if (u.password) u.password = '***';
	return u.toString();
}

async function withClient(url, fn) {
	const { Client } = require('pg');
	const client = new Client({ connectionString: url, application_name: 'grid-governance-scripts' });
	await client.connect();
	try {
		return await fn(client);
	} finally {
		await client.end().catch(() => undefined);
	}
}

function quoteIdent(name) {
	return `"${String(name).replace(/"/g, '""')}"`;
}

/** Creates the databases that do not exist yet; returns the names it created. */
async function createDatabases(adminUrl, names) {
	return withClient(adminUrl, async (client) => {
		const { rows } = await client.query('SELECT datname FROM pg_database WHERE datname = ANY($1::text[])', [names]);
		const have = new Set(rows.map((r) => r.datname));
		const created = [];
		for (const name of names) {
			if (have.has(name)) continue;
			await client.query(`CREATE DATABASE ${quoteIdent(name)} ENCODING 'UTF8' TEMPLATE template0`);
			created.push(name);
		}
		return created;
	});
}

async function dropDatabases(adminUrl, names) {
	await withClient(adminUrl, async (client) => {
		for (const name of names) await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
	});
}

// ---------------------------------------------------------------------------------------------
// n8n

const N8N_BIN = path.join(path.dirname(require.resolve('n8n/package.json', { paths: [ROOT] })), 'bin', 'n8n');

/**
 * Makes n8n load this package the way it loads an installed community package
 * (<user folder>/.n8n/nodes/node_modules/<name>), so node types keep their real ids
 * (n8n-nodes-grid-governance.grid). The entry holds a copy of package.json and a link to dist/;
 * modules resolve through the link to the project, so knex and pg come from its node_modules.
 */
function installPackageLink(userFolder) {
	const dir = path.join(userFolder, '.n8n', 'nodes', 'node_modules', PACKAGE.name);
	const stat = fs.lstatSync(dir, { throwIfNoEntry: false });
	if (stat && !stat.isDirectory()) fs.rmSync(dir, { force: true });
	fs.mkdirSync(dir, { recursive: true });
	fs.writeFileSync(path.join(dir, 'package.json'), fs.readFileSync(path.join(ROOT, 'package.json')));
	const link = path.join(dir, 'dist');
	const target = path.join(ROOT, 'dist');
	let current = null;
	try {
		current = fs.readlinkSync(link);
	} catch {
		// absent, or a real directory from elsewhere
	}
	if (current !== target) {
		fs.rmSync(link, { recursive: true, force: true });
		fs.symlinkSync(target, link, 'dir');
	}
	return dir;
}

/** Environment for an n8n process that keeps its data in the given PostgreSQL database. */
function n8nEnv({ userFolder, n8nDbUrl, port, brokerPort, extra = {} }) {
	const db = parseDbUrl(n8nDbUrl);
	// n8n puts some files in the OS temp directory (e.g. data table uploads): keep them in its folder
	const tmp = path.join(userFolder, 'tmp');
	fs.mkdirSync(tmp, { recursive: true });
	const env = {
		...process.env,
		N8N_USER_FOLDER: userFolder,
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: db.host,
		DB_POSTGRESDB_PORT: String(db.port),
		DB_POSTGRESDB_DATABASE: db.database,
		DB_POSTGRESDB_USER: db.user,
		DB_POSTGRESDB_PASSWORD: db.password,
		DB_POSTGRESDB_SCHEMA: 'public',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_SECURE_COOKIE: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
		N8N_RUNNERS_MODE: 'internal',
		N8N_RUNNERS_BROKER_PORT: String(brokerPort),
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		GENERIC_TIMEZONE: process.env.GENERIC_TIMEZONE || 'Asia/Shanghai',
		TMPDIR: tmp,
		...extra,
	};
	if (port) env.N8N_PORT = String(port);
	if (db.ssl) {
		env.DB_POSTGRESDB_SSL_ENABLED = 'true';
		env.DB_POSTGRESDB_SSL_REJECT_UNAUTHORIZED = db.ssl === 'verify-full' || db.ssl === 'verify-ca' ? 'true' : 'false';
	}
	// a custom-extension setting from the caller's shell would load a second copy of the nodes
	delete env.N8N_CUSTOM_EXTENSIONS;
	return env;
}

/**
 * Spawns the n8n CLI; stdin is closed so n8n never treats a terminal as its own. With
 * { group: true } it leads a process group of its own, so that killGroup() also ends the task
 * runners it starts.
 */
function spawnN8n(args, env, stdio = ['ignore', 'pipe', 'pipe'], { group = false } = {}) {
	return spawn(process.execPath, [N8N_BIN, ...args], { cwd: ROOT, env, stdio, detached: group });
}

/** Sends a signal to the process group a child leads (see spawnN8n); false when it is gone. */
function killGroup(child, signal = 'SIGTERM') {
	if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return false;
	try {
		process.kill(-child.pid, signal);
		return true;
	} catch {
		return false;
	}
}

/** Resolves true when the child exits within ms, false otherwise. */
function waitForExit(child, ms) {
	return new Promise((resolve) => {
		if (!child || child.exitCode !== null || child.signalCode !== null) return resolve(true);
		const timer = setTimeout(() => resolve(false), ms);
		child.once('exit', () => {
			clearTimeout(timer);
			resolve(true);
		});
	});
}

/** SIGTERM to the group, then SIGKILL when it does not stop within graceMs. */
async function stopGroup(child, graceMs = 20_000) {
	if (!killGroup(child, 'SIGTERM')) return;
	if (await waitForExit(child, graceMs)) return;
	killGroup(child, 'SIGKILL');
	await waitForExit(child, 5_000);
}

/** Runs one n8n CLI command to the end and collects its output. */
function runN8n(args, env, { timeoutMs = 180_000, onChild } = {}) {
	return new Promise((resolve, reject) => {
		const started = Date.now();
		const child = spawnN8n(args, env);
		if (onChild) onChild(child);
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d) => (stdout += d));
		child.stderr.on('data', (d) => (stderr += d));
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`n8n ${args[0]} did not finish within ${timeoutMs / 1000} s\n${stdout}\n${stderr}`));
		}, timeoutMs);
		child.on('error', (e) => {
			clearTimeout(timer);
			reject(e);
		});
		child.on('close', (code, signal) => {
			clearTimeout(timer);
			resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
		});
	});
}

/**
 * The execution record n8n prints for `execute` (the run data on success, the failed run after
 * "Execution was NOT successful"): the last top-level JSON object in the output that has run data.
 */
function parseExecution(text) {
	const lines = text.split('\n');
	let found = null;
	for (let i = 0; i < lines.length; i++) {
		if (lines[i] !== '{') continue;
		for (let j = i + 1; j < lines.length; j++) {
			if (lines[j] !== '}') continue;
			try {
				const value = JSON.parse(lines.slice(i, j + 1).join('\n'));
				if (value?.data?.resultData) found = value;
			} catch {
				// not a complete object: keep looking for its real end
				continue;
			}
			i = j;
			break;
		}
	}
	return found;
}

/** The JSON of the items a node put on its first output, in its first run. */
function nodeOutput(execution, nodeName) {
	const run = execution?.data?.resultData?.runData?.[nodeName]?.[0];
	if (!run) return undefined;
	return (run.data?.main?.[0] ?? []).map((item) => item.json);
}

function httpStatus(url, timeoutMs = 3000) {
	return new Promise((resolve) => {
		const req = http.get(url, { timeout: timeoutMs }, (res) => {
			let body = '';
			res.on('data', (d) => (body += d));
			res.on('end', () => resolve({ status: res.statusCode, body }));
		});
		req.on('timeout', () => req.destroy(new Error('timeout')));
		req.on('error', () => resolve({ status: 0, body: '' }));
	});
}

/** Polls until the URL answers 200; gives up when alive() turns false or time runs out. */
async function waitForHttp(url, { timeoutMs = 180_000, alive = () => true } = {}) {
	const until = Date.now() + timeoutMs;
	while (Date.now() < until) {
		if (!alive()) return false;
		const { status } = await httpStatus(url);
		if (status === 200) return true;
		await new Promise((r) => setTimeout(r, 500));
	}
	return false;
}

/** The JSON in a response body, or undefined when it is not JSON (an HTML error page, plain text). */
function jsonOrUndefined(text) {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}

/**
 * A client of n8n's internal REST API (/rest) as the editor uses it: the auth cookie plus the
 * browser-id header the cookie is bound to. setupOwner() works once, on a fresh instance.
 */
function restClient(baseUrl, browserId = crypto.randomUUID()) {
	let cookie = '';
	async function request(method, route, body) {
		const res = await fetch(`${baseUrl}/rest${route}`, {
			method,
			headers: { 'content-type': 'application/json', 'browser-id': browserId, ...(cookie ? { cookie } : {}) },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const setCookie = res.headers.getSetCookie?.() ?? [];
		const auth = setCookie.map((c) => c.split(';')[0]).find((c) => c.startsWith('n8n-auth='));
		if (auth) cookie = auth;
		const text = await res.text();
		const json = jsonOrUndefined(text);
		if (!res.ok) throw new Error(`${method} /rest${route}: HTTP ${res.status} ${text.slice(0, 500)}`);
		return json && typeof json === 'object' && 'data' in json ? json.data : json;
	}
	return {
		browserId,
		/** The value of the n8n-auth cookie, once logged in. */
		authToken: () => cookie.replace(/^n8n-auth=/, ''),
		request,
		setupOwner: (owner) => request('POST', '/owner/setup', owner),
		login: (email, password) => request('POST', '/login', { emailOrLdapLoginId: email, password }),
	};
}

/** Stable 16-character n8n entity id derived from a name (credential and workflow ids). */
function stableId(name) {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
	const bytes = crypto.createHash('sha256').update(name).digest();
	return Array.from(bytes.subarray(0, 16), (b) => alphabet[b % alphabet.length]).join('');
}

module.exports = {
	ROOT,
	PACKAGE,
	N8N_BIN,
	buildNeeded,
	ensureBuilt,
	parseDbUrl,
	withDatabase,
	redact,
	withClient,
	createDatabases,
	dropDatabases,
	installPackageLink,
	n8nEnv,
	spawnN8n,
	killGroup,
	waitForExit,
	stopGroup,
	runN8n,
	parseExecution,
	nodeOutput,
	httpStatus,
	waitForHttp,
	stableId,
	restClient,
	jsonOrUndefined,
};
