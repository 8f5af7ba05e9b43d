import { migrationList } from '../../nodes/shared/db/migrations';
import pg, { Client } from 'pg';
import { configFromUrl } from '../../nodes/shared/db/config';
import { testConnection } from '../../nodes/shared/db/connectionTest';
import { migrateToLatest, schemaStatus } from '../../nodes/shared/db/migrate';
import { APPLICATION_NAME, closeAllPools, openPoolCount, withDatabase } from '../../nodes/shared/db/pool';
import { withUnitOfWork } from '../../nodes/shared/db/unitOfWork';
import { createStaff } from '../../nodes/shared/domain/grid/staff';
import { createUnits, getUnits, listUnits } from '../../nodes/shared/domain/grid/units';
import { GridError } from '../../nodes/shared/validation/errors';
import { type TestDatabase, TEST_KEY, createTestDatabase } from '../helpers/db';
import { run, seedSmallDistrict, units } from '../helpers/uow';

let db: TestDatabase;

beforeAll(async () => {
	db = await createTestDatabase('core');
});

afterAll(async () => {
	await closeAllPools();
	await db.drop();
});

describe('migrations', () => {
	it('migrate once under concurrent first use, and report the version', async () => {
		const configs = [0, 1, 2].map(() => db.config());
		// three pools (distinct max sizes) racing to migrate the same empty database
		await Promise.all(configs.map((c, i) => withDatabase({ ...c, maxConnections: 2 + i }, async () => undefined)));
		const rows = await db.query<{ name: string }>(`SELECT name FROM grid.knex_migrations`);
		const known = migrationList('grid', 'grid_app').map((m) => m.name);
		expect(known.slice(0, 3)).toEqual(['001_foundation', '002_residents', '003_incidents']);
		expect(rows.map((r) => r.name)).toEqual(known);
		const report = await testConnection(db.config());
		expect(report).toMatchObject({ migrated: true, version: known[known.length - 1], keyMatches: true });
		expect(report.message).toMatch(/Connected to PostgreSQL \d+/);
	});

	it('refuses a schema newer than the code', async () => {
		const other = await createTestDatabase('newer');
		try {
			const k = (await import('knex')).default({ client: 'pg', connection: other.url });
			try {
				await migrateToLatest(k, 'grid');
				await k.raw(`INSERT INTO grid.knex_migrations (name, batch, migration_time) VALUES ('999_from_the_future', 2, now())`);
				const status = await schemaStatus(k, 'grid');
				expect(status.unknown).toEqual(['999_from_the_future']);
				await expect(migrateToLatest(k, 'grid')).rejects.toThrow(/newer than this package knows/);
			} finally {
				await k.destroy();
			}
			await expect(run(other.config(), async () => 1)).rejects.toThrow(/newer than this package knows/);
		} finally {
			await closeAllPools();
			await other.drop();
		}
	});
});

describe('personal-data key', () => {
	it('refuses a key that does not match the one the database was set up with', async () => {
		await run(db.config(), async () => undefined);
		const wrong = db.config({ personalDataKey: 'a-completely-different-key-xyz' });
		const error = await run(wrong, async () => undefined).catch((e) => e);
		expect(error).toBeInstanceOf(GridError);
		expect(error.message).toMatch(/does not match the key the database/);
		const report = await testConnection(wrong);
		expect(report.keyMatches).toBe(false);
	});

	it('refuses a key that is too short', async () => {
		await expect(run(db.config({ personalDataKey: 'short' }), async () => undefined)).rejects.toThrow(/at least 16 characters/);
	});
});

describe('connection errors', () => {
	it('names host and port when the server is unreachable', async () => {
		const config = configFromUrl('postgres://postgres@127.0.0.1:1/postgres', { personalDataKey: TEST_KEY });
		await expect(run(config, async () => undefined)).rejects.toThrow('Cannot connect to PostgreSQL at 127.0.0.1:1: connection refused');
		await expect(testConnection(config)).rejects.toThrow(/127\.0\.0\.1:1/);
	});

	it('names the host that cannot be found', async () => {
		const config = configFromUrl('postgres://postgres@no-such-host.invalid:5432/postgres', { personalDataKey: TEST_KEY });
		await expect(run(config, async () => undefined)).rejects.toThrow(/no-such-host\.invalid/);
	});
});

describe('transactions', () => {
	it('reruns the unit of work after a serialization failure, and gives up after a bound', async () => {
		let attempts = 0;
		const value = await run(db.config(), async (uow) => {
			attempts++;
			if (attempts < 3) await uow.trx.raw(`DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$`);
			return 'done';
		});
		expect([value, attempts]).toEqual(['done', 3]);

		let always = 0;
		await expect(run(db.config(), async (uow) => {
			always++;
			await uow.trx.raw(`DO $$ BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = '40P01'; END $$`);
		})).rejects.toThrow(/kept colliding/);
		expect(always).toBe(4);
	});

	it('rolls back everything when the unit of work fails', async () => {
		const before = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.grid_unit`);
		await expect(run(db.config(), async (uow) => {
			await createUnits(uow, units([{ code: '370614', name: '蓬莱区' }]));
			throw new Error('boom');
		})).rejects.toThrow('boom');
		const after = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.grid_unit`);
		expect(after[0].n).toBe(before[0].n);
	});
});

describe('scope enforced by row-level security', () => {
	beforeAll(async () => {
		await seedSmallDistrict(db.config());
		await run(db.config(), (uow) => createStaff(uow, [
			{ name: 'inside', unit: { code: '370614-001-001' } },
			{ name: 'outside', unit: { code: '370614-002-001' } },
		]));
	});

	it('runs as a login that is a superuser, so only RLS can confine it', async () => {
		const [{ rolsuper }] = await db.query<{ rolsuper: boolean }>(`SELECT rolsuper FROM pg_roles WHERE rolname = current_user`);
		expect(rolsuper).toBe(true);
	});

	it('sees only its subtree, even with a hand-written query that asks for everything', async () => {
		const scoped = db.config({ scopeCode: '370614-001-001' });
		const seen = await run(scoped, async (uow) => (await uow.trx.raw(`SELECT code FROM grid_unit`)).rows.map((r: { code: string }) => r.code));
		expect(seen.length).toBeGreaterThan(0);
		expect(seen.every((c: string) => c.startsWith('370614-001-001'))).toBe(true);
		const staff = await run(scoped, async (uow) => (await uow.trx.raw(`SELECT name FROM staff`)).rows.map((r: { name: string }) => r.name));
		expect(staff).toEqual(['inside']);
		const [outside] = await run(scoped, (uow) => getUnits(uow, [{ code: '370614-002' }]));
		expect(!outside.ok && outside.error.message).toMatch(/unknown grid unit 370614-002 \(or it lies outside this credential's scope 370614-001-001\)/);
		await expect(run(scoped, (uow) => listUnits(uow, { root: { code: '370614' }, includeRoot: true, activeOnly: true }))).rejects.toThrow(/unknown grid unit 370614/);
	});

	it('cannot write outside its subtree, even with raw SQL', async () => {
		const scoped = db.config({ scopeCode: '370614-001-001' });
		const [o] = await run(scoped, (uow) => createUnits(uow, units([{ code: '370614-002-001-009', name: 'x', parentCode: '370614-002-001' }])));
		expect(!o.ok && o.error.field).toBe('Parent Code');
		await expect(run(scoped, (uow) => uow.trx.raw(`UPDATE grid_unit SET name = 'hijacked' WHERE code = '370614-002'`).then((r) => r.rowCount)))
			.resolves.toBe(0);
		await expect(run(scoped, (uow) => uow.trx.raw(`INSERT INTO grid_unit (code, name, level, parent_id, path) VALUES ('370614-002-077', 'x', 3, 1, '/1/999/')`)))
			.rejects.toThrow(/outside the grid scope/);
		const names = await db.query<{ name: string }>(`SELECT name FROM grid.grid_unit WHERE code = '370614-002'`);
		expect(names[0].name).toBe('街道2');
	});

	it('refuses a scope code that does not exist', async () => {
		await expect(run(db.config({ scopeCode: '370614-005' }), async () => 1)).rejects.toThrow(/scope grid code 370614-005 does not exist/);
	});
});

describe('connection pool', () => {
	it('serves 1,000 executions with at most Max Connections connections', async () => {
		const config = db.config({ maxConnections: 3 });
		let peak = 0;
		const watcher = new Client({ connectionString: db.url });
		await watcher.connect();
		let watching = true;
		const sample = (async () => {
			while (watching) {
				const r = await watcher.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2`, [db.name, APPLICATION_NAME]);
				peak = Math.max(peak, r.rows[0].n);
				await new Promise((res) => setTimeout(res, 5));
			}
		})();
		await closeAllPools();
		const executions = Array.from({ length: 1000 }, (_, i) => i);
		const workers = Array.from({ length: 25 }, async (_, w) => {
			for (let i = w; i < executions.length; i += 25) {
				await withUnitOfWork(config, { actor: { executionId: String(i) } }, (uow) => uow.trx.raw('SELECT pg_sleep(0.001)'));
			}
		});
		await Promise.all(workers);
		watching = false;
		await sample;
		await watcher.end();
		expect(peak).toBeGreaterThan(0);
		expect(peak).toBeLessThanOrEqual(3);
	});
});

describe('pool lifecycle', () => {
	it('closes a pool after it has been idle, and opens a new one on next use', async () => {
		await closeAllPools();
		const config = db.config({ idleCloseMs: 300 });
		await run(config, async () => undefined);
		expect(openPoolCount()).toBe(1);
		await new Promise((r) => setTimeout(r, 1200));
		expect(openPoolCount()).toBe(0);
		const conns = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2`, [db.name, APPLICATION_NAME]);
		expect(conns[0].n).toBe(0);
		await expect(run(config, async () => 'again')).resolves.toBe('again');
	});

	it('sets type parsers on its own connections, leaving pg\'s global parsers alone', async () => {
		const value = await run(db.config(), async (uow) => (await uow.trx.raw(`SELECT 42::bigint AS n, now() AS t`)).rows[0]);
		expect(value.n).toBe(42);
		expect(value.t).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
		expect(pg.types.getTypeParser(20, 'text')('42')).toBe('42');
		const plain = new Client({ connectionString: db.url });
		await plain.connect();
		const r = await plain.query(`SELECT 42::bigint AS n`);
		await plain.end();
		expect(r.rows[0].n).toBe('42');
	});

	it('does not depend on global parsers another node replaced (as n8n\'s Postgres node does)', async () => {
		const saved = [1184, 1114, 20, 1016].map((oid) => [oid, pg.types.getTypeParser(oid, 'text')] as const);
		try {
			for (const [oid] of saved) pg.types.setTypeParser(oid, (v: string) => `replaced:${v}`);
			await closeAllPools();
			const value = await run(db.config(), async (uow) => (await uow.trx.raw(
				`SELECT 42::bigint AS n, '2026-11-26 19:44:28.5+08'::timestamptz AS t, ARRAY[1,2]::bigint[] AS a`)).rows[0]);
			expect(value).toEqual({ n: 42, t: '2026-11-26T11:44:28.500Z', a: [1, 2] });
		} finally {
			for (const [oid, parser] of saved) pg.types.setTypeParser(oid, parser);
		}
	});

	it('tests a credential without ending the pool executions share', async () => {
		await run(db.config(), async () => undefined);
		const before = openPoolCount();
		await testConnection(db.config());
		expect(openPoolCount()).toBe(before);
		await expect(run(db.config(), async (uow) => (await uow.trx.raw('SELECT 1 AS one')).rows[0].one)).resolves.toBe(1);
	});
});
