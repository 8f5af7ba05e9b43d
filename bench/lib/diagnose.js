// Where the Grid import's time goes (npm run bench -- --profile). Three views:
//  1. n8n engine vs the Grid node: the execution's wall time vs the node's own executionTime.
//  2. Inside the node: every SQL statement the node sends, timed from knex's query events on the very
//     pool the node uses (same credential → same pool key); the item read/validation stage re-timed by
//     running the built checkNewUnit over the same items; the rest is the node's JavaScript.
//  3. Inside PostgreSQL: the same rows inserted by raw pg into the real grid_unit table of a migrated
//     schema, switching on one cost at a time (its indexes and checks, the statement-level audit trigger,
//     row-level security as the application role), each in a transaction that is rolled back.
const path = require('path');
const { performance } = require('perf_hooks');
const pg = require('pg');
const { toRows } = require('./district');

const ROOT = path.resolve(__dirname, '..', '..');
const dist = (p) => require(path.join(ROOT, 'dist', p));

const CHUNK = 10_000;

function statementKind(sql) {
	const s = sql.replace(/\s+/g, ' ').trim();
	if (/^SELECT set_config\('role'/.test(s)) return 'begin: role, search_path, actor, scope';
	if (/^BEGIN|^COMMIT|^ROLLBACK|^SAVEPOINT|^RELEASE/i.test(s)) return s.split(' ')[0].toUpperCase();
	if (/^INSERT INTO grid_unit/.test(s)) return 'INSERT INTO grid_unit … FROM unnest (one per level and chunk)';
	if (/FROM grid_unit WHERE code = ANY/.test(s)) return 'SELECT existing codes and parents (= ANY)';
	if (/^SELECT now\(\)/.test(s)) return 'SELECT now()';
	return s.slice(0, 70);
}

async function attach(harness, credentialData) {
	const { configFromCredential } = dist('nodes/shared/n8n/credentials');
	const { withDatabase } = dist('nodes/shared/db/pool');
	const config = configFromCredential(credentialData);
	const knex = await withDatabase(config, async (db) => db.knex);
	const started = new Map();
	const statements = [];
	const onQuery = (q) => started.set(q.__knexQueryUid, { t: performance.now(), sql: q.sql, n: Array.isArray(q.bindings) ? q.bindings.length : 0 });
	const onDone = (_response, q) => {
		const s = started.get(q.__knexQueryUid);
		if (!s) return;
		started.delete(q.__knexQueryUid);
		statements.push({ kind: statementKind(s.sql), ms: performance.now() - s.t });
	};
	knex.on('query', onQuery);
	knex.on('query-response', onDone);
	knex.on('query-error', onDone);

	return {
		async report({ seconds, result, units }) {
			knex.off('query', onQuery);
			knex.off('query-response', onDone);
			knex.off('query-error', onDone);
			const nodeMs = result.node('Import Units').executionTime;
			const byKind = new Map();
			for (const s of statements) {
				const k = byKind.get(s.kind) ?? { count: 0, ms: 0 };
				k.count++;
				k.ms += s.ms;
				byKind.set(s.kind, k);
			}
			const sqlMs = statements.reduce((a, s) => a + s.ms, 0);

			// the read stage: what bulkImport's read() does per item, without n8n's parameter access
			const { checkNewUnit } = dist('nodes/shared/domain/grid/unitInput');
			const { parseSegmentWidths } = dist('nodes/shared/validation/gridCode');
			const widths = parseSegmentWidths(credentialData.segmentWidths);
			const t0 = performance.now();
			for (const u of units) checkNewUnit(u, widths);
			const readMs = performance.now() - t0;

			return {
				executionMs: seconds * 1000,
				n8nEngineMs: seconds * 1000 - nodeMs,
				nodeMs,
				sqlMs,
				readValidateMs: readMs,
				nodeJsOtherMs: nodeMs - sqlMs - readMs,
				statements: [...byKind.entries()].map(([kind, v]) => ({ kind, count: v.count, ms: v.ms })).sort((a, b) => b.ms - a.ms),
			};
		},
	};
}

/**
 * Server-side ablation on a migrated schema: the same rows, one cost switched on at a time.
 * Every variant runs in a transaction that is rolled back, so they all see an empty table; three
 * interleaved rounds, the median of each is reported.
 */
async function ablation(url, schema, units) {
	const rows = toRows(units, 500_000_000);
	const client = new pg.Client({ connectionString: url, application_name: 'grid-bench-diagnose' });
	await client.connect();
	const s = `"${schema}"`;
	const insert = async (table, columns) => {
		for (let start = 0; start < rows.length; start += CHUNK) {
			const chunk = rows.slice(start, start + CHUNK);
			await client.query(
				`INSERT INTO ${table} (${columns})
				SELECT id, code, name, level, parent_id, path, planned, geo::jsonb, address
				FROM unnest($1::bigint[], $2::text[], $3::text[], $4::smallint[], $5::bigint[], $6::text[], $7::int[], $8::text[], $9::text[])
					AS t(id, code, name, level, parent_id, path, planned, geo, address)`,
				[
					chunk.map((r) => r.id), chunk.map((r) => r.code), chunk.map((r) => r.name), chunk.map((r) => r.level),
					chunk.map((r) => r.parent_id), chunk.map((r) => r.path), chunk.map((r) => r.planned_households),
					chunk.map((r) => (r.geojson === null ? null : JSON.stringify(r.geojson))), chunk.map((r) => r.address),
				],
			);
		}
	};
	const cols = 'id, code, name, level, parent_id, path, planned_households, geojson, address';
	const variants = [
		{
			name: 'plain table, primary key only (the raw baseline)',
			setup: [`CREATE TABLE ${s}.bench_plain_unit (id bigint PRIMARY KEY, code text NOT NULL, name text NOT NULL, level smallint NOT NULL,
				parent_id bigint, path text NOT NULL, planned_households integer, geojson jsonb, address text)`],
			table: `${s}.bench_plain_unit`,
		},
		{
			name: 'grid_unit: + its indexes and checks (no FK, audit trigger off, no RLS)',
			setup: [`ALTER TABLE ${s}.grid_unit DISABLE TRIGGER USER`, `ALTER TABLE ${s}.grid_unit DROP CONSTRAINT grid_unit_parent_fk`],
			table: `${s}.grid_unit`,
		},
		{
			name: 'grid_unit: + foreign key check on parent_id (audit trigger off, no RLS)',
			setup: [`ALTER TABLE ${s}.grid_unit DISABLE TRIGGER USER`],
			table: `${s}.grid_unit`,
		},
		{
			name: 'grid_unit: + statement-level audit trigger (no RLS)',
			setup: [`SELECT set_config('grid.actor', '{"node":"Import Units","workflowId":"bench","executionId":"bench"}', true)`],
			table: `${s}.grid_unit`,
		},
		{
			name: 'grid_unit: + row-level security as the app role (= what the node pays)',
			setup: [`SELECT set_config('search_path', '${schema}, public', true), set_config('grid.actor', '{"node":"Import Units","workflowId":"bench","executionId":"bench"}', true),
				set_config('grid.scope_path', '/', true), set_config('role', '${schema}_app', true)`],
			table: `${s}.grid_unit`,
		},
		{
			// a proposal, not the product: the same, but INSERT audit rows without the row image in
			// details (the inserted row is itself the record; updates keep logging their diffs)
			name: 'what if: as above, INSERT audit rows without the row image',
			setup: [
				`CREATE OR REPLACE FUNCTION ${s}.audit_changes() RETURNS trigger LANGUAGE plpgsql AS $f$
				DECLARE who jsonb := ${s}.current_actor();
				BEGIN
					EXECUTE format('INSERT INTO %I.audit_log (action, entity, entity_id, unit_id, actor, details)
						SELECT %L, %L, n.%I::text, n.%I, $1, NULL FROM new_rows n', TG_TABLE_SCHEMA, 'insert', TG_TABLE_NAME, TG_ARGV[0], TG_ARGV[1]) USING who;
					RETURN NULL;
				END $f$`,
				`SELECT set_config('search_path', '${schema}, public', true), set_config('grid.actor', '{"node":"Import Units","workflowId":"bench","executionId":"bench"}', true),
				set_config('grid.scope_path', '/', true), set_config('role', '${schema}_app', true)`,
			],
			table: `${s}.grid_unit`,
			proposal: true,
		},
	];
	// three interleaved rounds, median per variant: the host may be busy
	const times = variants.map(() => []);
	try {
		for (let round = 0; round < 3; round++) {
			for (const [k, v] of variants.entries()) {
				await client.query('BEGIN');
				try {
					for (const statement of v.setup) await client.query(statement);
					const t0 = performance.now();
					await insert(v.table, cols);
					times[k].push(performance.now() - t0);
				} finally {
					await client.query('ROLLBACK');
				}
			}
		}
	} finally {
		await client.end();
	}
	const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
	const out = variants.map((v, k) => ({ variant: v.name, ms: median(times[k]), ...(v.proposal ? { proposal: true } : {}) }));
	return out;
}

module.exports = { attach, ablation };

/** CPU profile of fn() only (inspector), summarised: self time by function and by package. */
async function profile(fn) {
	const inspector = require('inspector');
	const session = new inspector.Session();
	session.connect();
	const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
	await post('Profiler.enable');
	await post('Profiler.setSamplingInterval', { interval: 1000 });
	await post('Profiler.start');
	let value;
	try {
		value = await fn();
	} finally {
		var { profile: prof } = await post('Profiler.stop');
		session.disconnect();
	}
	const selfById = new Map();
	prof.samples.forEach((id, i) => selfById.set(id, (selfById.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0) / 1000));
	const byFunction = new Map();
	const byArea = new Map();
	const area = (url) => {
		if (!url) return '(engine: idle, GC, native)';
		const rel = url.replace(`file://${ROOT}/`, '');
		if (rel.startsWith('dist/')) return `ours: ${rel.split('/').slice(1, 4).join('/')}`;
		const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(rel);
		if (m) return m[1];
		return rel.startsWith('node:') ? 'node internals' : rel;
	};
	for (const n of prof.nodes) {
		const ms = selfById.get(n.id) ?? 0;
		if (!ms) continue;
		const { functionName, url, lineNumber } = n.callFrame;
		const fnKey = `${functionName || '(anonymous)'}  ${url.replace(`file://${ROOT}/`, '')}:${lineNumber + 1}`;
		byFunction.set(fnKey, (byFunction.get(fnKey) ?? 0) + ms);
		const a = functionName === '(idle)' ? '(idle: waiting for PostgreSQL)' : functionName === '(garbage collector)' ? '(garbage collector)' : area(url);
		byArea.set(a, (byArea.get(a) ?? 0) + ms);
	}
	const top = (m, n) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, ms]) => ({ name, ms: Math.round(ms) }));
	return { value, cpu: { byArea: top(byArea, 15), byFunction: top(byFunction, 25) } };
}

module.exports.profile = profile;
