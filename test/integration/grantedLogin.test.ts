/**
 * The DBA set-up the README describes: a privileged user migrates (npm run migrate), and n8n logs in as a
 * role that was only granted the application role. That login must open the pool, record the key's
 * fingerprint on first use, work through the domain under row-level security, and be refused another key.
 */
import { randomBytes } from 'crypto';
import path from 'path';
import { closeAllPools } from '../../nodes/shared/db/pool';
import { type TestDatabase, TEST_KEY, createTestDatabase } from '../helpers/db';
import { run, seedSmallDistrict } from '../helpers/uow';
import { sql } from '../../nodes/shared/db/sql';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { migrate } = require(path.join(__dirname, '..', '..', 'scripts', 'migrate.js'));

let db: TestDatabase;
const login = `grid_login_${randomBytes(3).toString('hex')}`;
const password = randomBytes(12).toString('hex');

beforeAll(async () => {
	db = await createTestDatabase('granted_login');
	await migrate(db.url, 'grid', () => undefined);
	await db.query(`CREATE ROLE ${login} LOGIN PASSWORD '${password}' NOSUPERUSER NOCREATEDB NOCREATEROLE`);
	await db.query(`GRANT grid_app TO ${login}`);
});

afterAll(async () => {
	await closeAllPools();
	// the role's connections are gone with the pools; it owns nothing, so it can go before the database
	await db.query(`DROP ROLE IF EXISTS ${login}`);
	await db.drop();
});

const asLogin = (key = TEST_KEY) => db.config({ user: login, password, personalDataKey: key });

describe('a login granted only the application role', () => {
	it('is an ordinary login and the schema has no key fingerprint yet', async () => {
		const [role] = await db.query<{ rolsuper: boolean; rolcreaterole: boolean }>(`SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = $1`, [login]);
		expect(role).toEqual({ rolsuper: false, rolcreaterole: false });
		expect(await db.query(`SELECT key FROM grid.settings WHERE key = 'personal_data_key_fingerprint'`)).toEqual([]);
	});

	it('records the fingerprint on first use and works through the domain', async () => {
		await seedSmallDistrict(asLogin());
		const [fp] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.settings WHERE key = 'personal_data_key_fingerprint'`);
		expect(fp.n).toBe(1);
		const count = await run(asLogin(), async (uow) => (await sql<{ n: number }>(uow, 'SELECT count(*)::int AS n FROM grid_unit')).rows[0].n);
		expect(count).toBe(31);
		const [audit] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.audit_log WHERE entity = 'grid_unit' AND action = 'insert'`);
		expect(audit.n).toBeGreaterThan(0);
	});

	it('cannot write settings or the audit log directly', async () => {
		const { Client } = await import('pg');
		const u = new URL(db.url);
		u.username = login;
		u.password = password;
		const c = new Client({ connectionString: u.toString() });
		await c.connect();
		try {
			await expect(c.query(`UPDATE grid.settings SET value = '"x"' WHERE key = 'personal_data_key_fingerprint'`)).rejects.toThrow(/permission denied/);
			await expect(c.query(`SELECT grid.settings_first_use('schema_version', '"1"')`)).rejects.toThrow(/cannot record/);
			await expect(c.query(`DELETE FROM grid.audit_log`)).rejects.toThrow(/permission denied|append-only/);
		} finally {
			await c.end();
		}
	});

	it('is refused another key', async () => {
		await closeAllPools();
		await expect(run(asLogin('another-personal-data-key-0000'), async () => 1)).rejects.toThrow(/does not match|key/);
	});
});
