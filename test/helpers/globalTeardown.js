const fs = require('fs');

module.exports = async function globalTeardown() {
	if (process.env.GRID_HARNESS_TMP) fs.rmSync(process.env.GRID_HARNESS_TMP, { recursive: true, force: true });
	const server = globalThis.__GRID_EMBEDDED_PG__;
	if (server) await server.stop();
};
