#!/usr/bin/env node
// npm run migrate -- --url postgres://user:pass@host:5432/db [--schema grid]
// (or DATABASE_URL). Brings the governance schema to this package's version under the
// migration advisory lock, so it is safe while n8n workers are running, and prints the version.
const path = require('path');
const { ensureBuilt, redact } = require('./lib/n8n');

const USAGE = `Usage: npm run migrate -- --url postgres://user:password@host:5432/database [--schema grid]
       DATABASE_URL=postgres://… npm run migrate

Creates or upgrades the governance schema (default "grid") to this package's version.`;

function parseArgs(argv) {
	const args = { url: process.env.DATABASE_URL, schema: process.env.GRID_SCHEMA || 'grid' };
	for (let i = 0; i < argv.length; i++) {
		const [flag, inline] = argv[i].split(/=(.*)/s, 2);
		const value = () => (inline !== undefined ? inline : argv[++i]);
		if (flag === '--url') args.url = value();
		else if (flag === '--schema') args.schema = value();
		else if (flag === '--help' || flag === '-h') args.help = true;
		else throw new Error(`unknown argument ${argv[i]}\n\n${USAGE}`);
	}
	return args;
}

/** Migrates the schema in the database the URL names; returns the schema status afterwards. */
async function migrate(url, schema = 'grid', log = console.log) {
	const dist = path.join(__dirname, '..', 'dist', 'nodes', 'shared', 'db');
	const { migrateToLatest, schemaStatus } = require(path.join(dist, 'migrate'));
	const { configFromUrl, isValidSchemaName } = require(path.join(dist, 'config'));
	const { translateDbError } = require(path.join(dist, 'errors'));
	if (!isValidSchemaName(schema)) throw new Error(`"${schema}" is not a valid schema name (lower-case letters, digits and underscores)`);
	const knex = require('knex')({
		client: 'pg',
		connection: { connectionString: url, application_name: 'grid-governance-migrate' },
		pool: { min: 0, max: 1 },
		// failures are reported once, translated, below
		log: { warn() {}, error() {}, deprecate() {}, debug() {} },
	});
	try {
		const before = await schemaStatus(knex, schema);
		const after = await migrateToLatest(knex, schema);
		const applied = before.pending.filter((name) => !after.pending.includes(name));
		log(
			applied.length
				? `Schema "${schema}" migrated to ${after.version} (applied ${applied.join(', ')})`
				: `Schema "${schema}" is up to date at ${after.version}`,
		);
		return after;
	} catch (error) {
		const translated = translateDbError(error, configFromUrl(url, { schema }));
		if (translated?.description) translated.message = `${translated.message}. ${translated.description}`;
		throw translated;
	} finally {
		await knex.destroy();
	}
}

async function main() {
	const args = parseArgs(process.argv.slice(2));
	if (args.help) {
		console.log(USAGE);
		return;
	}
	if (!args.url) throw new Error(`no database given\n\n${USAGE}`);
	ensureBuilt();
	console.log(`Migrating ${redact(args.url)}`);
	await migrate(args.url, args.schema);
}

module.exports = { migrate };

if (require.main === module) {
	main().catch((error) => {
		console.error(`migrate: ${error.message}`);
		process.exit(1);
	});
}
