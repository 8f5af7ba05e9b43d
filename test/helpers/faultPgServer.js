// A PostgreSQL of a fault test's own, run by scripts/lib/embeddedPostgres.js in a child process: the
// package is ESM, which jest's module sandbox cannot import, and a test that restarts its server needs
// one it may stop. Started by faultServer.ts; answers over IPC.
const { startEmbeddedPostgres } = require('../../scripts/lib/embeddedPostgres');

const [dataDir, port] = process.argv.slice(2);
let server;

process.on('message', async (m) => {
	if (m === 'stop') {
		try {
			await server?.stop();
		} finally {
			process.send({ stopped: true }, () => process.exit(0));
		}
	}
});

// the test process is gone (killed, crashed): take the server down with it
process.on('disconnect', async () => {
	await server?.stop().catch(() => undefined);
	process.exit(0);
});

startEmbeddedPostgres({ purpose: 'start', dataDir, port: port ? Number(port) : undefined })
	.then((s) => {
		server = s;
		process.send({ url: s.url, port: s.port, version: s.version });
	})
	.catch((e) => {
		process.send({ error: String(e && e.stack || e) }, () => process.exit(1));
	});
