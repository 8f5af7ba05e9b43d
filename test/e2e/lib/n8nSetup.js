// One real n8n installation for the template runs: its own governance and n8n databases, a user
// folder per process with this package installed in it, the credentials and the (patched)
// templates imported with the CLI, `n8n start` (plus `n8n worker`s in queue mode) on free ports,
// the owner set up and logged in through the REST API, and the templates activated through it.
// Every process, database, folder and Redis key it makes is undone by the cleanups it registers.
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const lib = require('../../../scripts/lib/n8n');
const { freePort } = require('../../../scripts/lib/embeddedPostgres');
const { seedDistrict, closePools } = require('./seed');

const OWNER = { email: 'owner@grid-e2e.example.cn', firstName: 'Grid', lastName: 'Owner', password: 'E2e-Owner-Passw0rd' };
const REDIS = { host: '127.0.0.1', port: 6379 };
const OUTPUT_KEPT = 2_000_000;

/** The credential ids the templates are pointed at, by credential type. */
const CREDENTIAL_IDS = {
	gridGovernancePostgres: lib.stableId('e2e:gridGovernancePostgres'),
	gridUpstreamApi: lib.stableId('e2e:gridUpstreamApi'),
	smtp: lib.stableId('e2e:smtp'),
};

/** Keeps the last part of a process's output for the failure messages. */
function captureOutput(child, label, echo) {
	const out = { text: '' };
	const add = (d) => {
		out.text = (out.text + d).slice(-OUTPUT_KEPT);
		if (echo) process.stdout.write(String(d).replace(/^/gm, `[${label}] `));
	};
	child.stdout?.on('data', add);
	child.stderr?.on('data', add);
	return out;
}

/** Points every credential reference of a workflow at the imported credential of its type. */
function withOurCredentials(workflow) {
	for (const node of workflow.nodes ?? []) {
		for (const type of Object.keys(node.credentials ?? {})) {
			if (CREDENTIAL_IDS[type]) node.credentials[type] = { id: CREDENTIAL_IDS[type], name: `e2e ${type}` };
		}
	}
	return workflow;
}

/** How many jobs wait in the Bull queue ("jobs") of this prefix for a worker to take them. */
async function waitingJobs(prefix) {
	const Redis = require('ioredis');
	const redis = new Redis({ ...REDIS, lazyConnect: true, maxRetriesPerRequest: 1 });
	await redis.connect();
	try {
		return await redis.llen(`${prefix}:jobs:wait`);
	} finally {
		redis.disconnect();
	}
}

async function deleteRedisKeys(prefix) {
	const Redis = require('ioredis');
	const redis = new Redis({ ...REDIS, lazyConnect: true, maxRetriesPerRequest: 1 });
	await redis.connect();
	try {
		let cursor = '0';
		do {
			const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
			cursor = next;
			if (keys.length) await redis.del(...keys);
		} while (cursor !== '0');
	} finally {
		redis.disconnect();
	}
}

/**
 * options: name, adminUrl, cleanups, log, templates [{ file, workflow, activate }],
 * upstreamUrl, smtp (credentialData), queue (false | { workers }), buildingsPerGrid (see seed.js).
 */
async function startSetup({ name, adminUrl, cleanups, log, templates, upstreamUrl, smtp, queue = false, buildingsPerGrid }) {
	const suffix = crypto.randomBytes(4).toString('hex');
	const gridDb = `grid_e2e_${name}_${suffix}`;
	const n8nDb = `n8n_e2e_${name}_${suffix}`;
	cleanups.push(() => lib.dropDatabases(adminUrl, [gridDb, n8nDb]));
	await lib.createDatabases(adminUrl, [gridDb, n8nDb]);
	const gridUrl = lib.withDatabase(adminUrl, gridDb);
	const n8nDbUrl = lib.withDatabase(adminUrl, n8nDb);

	const personalDataKey = crypto.randomBytes(24).toString('base64url');
	const { configFromUrl } = require(path.join(lib.ROOT, 'dist', 'nodes', 'shared', 'db', 'config'));
	const config = configFromUrl(gridUrl, { personalDataKey, maxConnections: 3 });
	const seeded = await seedDistrict(config, { buildingsPerGrid });
	await closePools();

	const root = fs.mkdtempSync(path.join(os.tmpdir(), `grid-e2e-${name}-`));
	cleanups.push(() => fs.rmSync(root, { recursive: true, force: true }));
	const folder = (role) => {
		const dir = path.join(root, role);
		fs.mkdirSync(dir, { recursive: true });
		// every process that runs workflows needs the package, as every queue-mode worker does
		lib.installPackageLink(dir);
		return dir;
	};
	const prefix = `grid-e2e-${suffix}`;
	const encryptionKey = crypto.randomBytes(24).toString('hex');
	const mainPort = await freePort(0);
	const baseUrl = `http://127.0.0.1:${mainPort}`;
	const common = {
		N8N_ENCRYPTION_KEY: encryptionKey,
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		WEBHOOK_URL: `${baseUrl}/`,
		N8N_EDITOR_BASE_URL: `${baseUrl}/`,
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_LOG_LEVEL: process.env.E2E_N8N_LOG_LEVEL || 'info',
		...(queue
			? {
				EXECUTIONS_MODE: 'queue',
				QUEUE_BULL_REDIS_HOST: REDIS.host,
				QUEUE_BULL_REDIS_PORT: String(REDIS.port),
				QUEUE_BULL_PREFIX: prefix,
				QUEUE_HEALTH_CHECK_ACTIVE: 'true',
			}
			: {}),
	};
	if (queue) cleanups.push(() => deleteRedisKeys(prefix));
	const envFor = async (role, port, extra = {}) =>
		lib.n8nEnv({ userFolder: folder(role), n8nDbUrl, port, brokerPort: await freePort(0), extra: { ...common, ...extra } });
	const mainEnv = await envFor('main', mainPort);

	// credentials and templates, with the CLI (its first command migrates n8n's database)
	const db = lib.parseDbUrl(gridUrl);
	const credentials = [
		{
			id: CREDENTIAL_IDS.gridGovernancePostgres, name: 'e2e gridGovernancePostgres', type: 'gridGovernancePostgres',
			data: { host: db.host, port: db.port, database: db.database, user: db.user, password: db.password, ssl: 'disable', schema: 'grid', maxConnections: 5, personalDataKey, scopeCode: '', timezone: 'Asia/Shanghai', segmentWidths: '3,3,3,4' },
		},
		{ id: CREDENTIAL_IDS.gridUpstreamApi, name: 'e2e gridUpstreamApi', type: 'gridUpstreamApi', data: { baseUrl: upstreamUrl, authentication: 'none', headers: '{}', timeoutMs: 5000, maxAttempts: 2 } },
		{ id: CREDENTIAL_IDS.smtp, name: 'e2e smtp', type: 'smtp', data: smtp },
	];
	const credentialFile = path.join(root, 'credentials.json');
	fs.writeFileSync(credentialFile, JSON.stringify(credentials), { mode: 0o600 });
	const imports = {};
	imports.credentials = await lib.runN8n(['import:credentials', `--input=${credentialFile}`], mainEnv);
	if (imports.credentials.code !== 0) throw new Error(`import:credentials failed\n${imports.credentials.stdout}\n${imports.credentials.stderr}`);
	const templateDir = path.join(root, 'templates');
	fs.mkdirSync(templateDir);
	for (const t of templates) {
		t.workflow.id = t.workflow.id || lib.stableId(`template:${t.file}`);
		fs.writeFileSync(path.join(templateDir, t.file), JSON.stringify(withOurCredentials(t.workflow)));
	}
	imports.workflows = await lib.runN8n(['import:workflow', '--separate', `--input=${templateDir}`], mainEnv);

	// the processes
	const processes = [];
	// all at once: n8n takes some seconds to shut down gracefully
	const stopAll = () => Promise.all(processes.map((p) => lib.stopGroup(p.child)));
	cleanups.push(stopAll);
	const spawnProcess = (label, args, env) => {
		const child = lib.spawnN8n(args, env, ['ignore', 'pipe', 'pipe'], { group: true });
		const output = captureOutput(child, label, process.env.E2E_ECHO_N8N === '1');
		const entry = { label, child, output, env };
		processes.push(entry);
		return entry;
	};
	const alive = (entry) => entry.child.exitCode === null && entry.child.signalCode === null;
	const main = spawnProcess('main', ['start'], mainEnv);
	const workers = [];
	const startWorker = async () => {
		const n = workers.length + 1;
		const healthPort = await freePort(0);
		const env = await envFor(`worker${n}`, await freePort(0), { QUEUE_HEALTH_CHECK_PORT: String(healthPort) });
		const worker = spawnProcess(`worker${n}`, ['worker', '--concurrency=10'], env);
		worker.healthUrl = `http://127.0.0.1:${healthPort}/healthz/readiness`;
		workers.push(worker);
		return worker;
	};
	const waitReady = async (entry, url) => {
		const ready = await lib.waitForHttp(url, { timeoutMs: 180_000, alive: () => alive(entry) });
		if (!ready) throw new Error(`${entry.label} did not become ready at ${url}${alive(entry) ? '' : ' (it exited)'}\n${entry.output.text.slice(-4000)}`);
	};
	if (queue) for (let i = 0; i < queue.workers; i++) await startWorker();
	await waitReady(main, `${baseUrl}/healthz/readiness`);
	// the REST API and the editor are mounted a moment after the readiness check passes
	await waitReady(main, `${baseUrl}/rest/settings`);
	await Promise.all(workers.map((w) => waitReady(w, w.healthUrl)));

	const rest = lib.restClient(baseUrl);
	await rest.setupOwner(OWNER);
	await rest.login(OWNER.email, OWNER.password);

	/** Publishes (activates) an imported workflow through the REST API, as the editor's toggle does. */
	const activate = async (id) => {
		const wf = await rest.request('GET', `/workflows/${id}`);
		return rest.request('POST', `/workflows/${id}/activate`, { versionId: wf.versionId });
	};
	const activated = {};
	for (const t of templates.filter((x) => x.activate)) {
		try {
			await activate(t.workflow.id);
			activated[t.file] = true;
		} catch (error) {
			activated[t.file] = error;
		}
	}

	return {
		name, baseUrl, rest, gridUrl, n8nDbUrl, config, seeded, imports, activated, processes, main, workers,
		startWorker, waitReady, alive, prefix, stopAll,
		waitingJobs: () => waitingJobs(prefix),
		sql: (text, params) => lib.withClient(gridUrl, async (c) => (await c.query(text, params)).rows),
		n8nSql: (text, params) => lib.withClient(n8nDbUrl, async (c) => (await c.query(text, params)).rows),
		/** Runs an n8n CLI command against this installation's database (a process of its own). */
		// a CLI process next to the running main needs a task-runner broker port of its own
		cli: async (args) => lib.runN8n(args, { ...mainEnv, N8N_RUNNERS_BROKER_PORT: String(await freePort(0)) }),
		webhook: (p) => `${baseUrl}/webhook/${p}`,
		logs: () => processes.map((p) => `--- ${p.label}\n${p.output.text.slice(-3000)}`).join('\n'),
	};
}

module.exports = { startSetup, withOurCredentials, CREDENTIAL_IDS, OWNER };
