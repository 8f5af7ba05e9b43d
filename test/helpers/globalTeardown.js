module.exports = async function globalTeardown() {
	const server = globalThis.__GRID_EMBEDDED_PG__;
	if (server) await server.stop();
};
