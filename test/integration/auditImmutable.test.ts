/**
 * The audit log cannot be rewritten by anyone the nodes act as. A deployment as README "Database
 * privileges" describes it, with roles that are NOT superusers:
 *   - a DBA login that migrates, and therefore owns the schema and every table (also the shape of the
 *     simplest setup, where the credential's own login migrates on first use);
 *   - an n8n login that is only granted the application role `<schema>_app`;
 *   - the application role itself, which every unit of work switches to.
 * Each of them tries UPDATE, DELETE, TRUNCATE and switching the guard trigger off. What the owner and a
 * superuser can still do is asserted too (and rolled back), so SECURITY.md states it from a test.
 * Roles are cluster-wide: the schema and the roles carry a random suffix and are dropped afterwards.
 */
import { randomBytes } from 'crypto';
import { Client } from 'pg';
import { closeAllPools } from '../../nodes/shared/db/pool';
import { withUnitOfWork } from '../../nodes/shared/db/unitOfWork';
import { createUnits } from '../../nodes/shared/domain/grid/units';
import { type TestDatabase, adminUrl, createTestDatabase } from '../helpers/db';
import { smallDistrict, units } from '../helpers/uow';

const suffix = randomBytes(4).toString('hex');
const SCHEMA = `ga_${suffix}`;
const APP = `${SCHEMA}_app`;
const DBA = `gtest_dba_${suffix}`;
const N8N = `gtest_n8n_${suffix}`;
const ACTOR = { node: 'auditImmutable', workflowId: 'wf-audit', executionId: 'ex-audit' };
// the machine's server trusts local logins, the embedded one asks for a password (SCRAM)
const PASSWORD = randomBytes(12).toString('hex');

let db: TestDatabase;
const clients: Client[] = [];

/** A plain session on the test database as another login. */
async function loginAs(user: string): Promise<Client> {
	const u = new URL(db.url);
	u.username = user;
	u.password = PASSWORD;
	const c = new Client({ connectionString: u.toString() });
	await c.connect();
	clients.push(c);
	return c;
}

/** Runs the statements in one transaction that is always rolled back; returns the last result's rows. */
async function rolledBack(c: Client, ...sql: string[]): Promise<Record<string, unknown>[]> {
	await c.query('BEGIN');
	try {
		let rows: Record<string, unknown>[] = [];
		for (const s of sql) rows = (await c.query(s)).rows;
		return rows;
	} finally {
		await c.query('ROLLBACK');
	}
}

/** The whole log as one digest, read as the superuser admin: any change to any row changes it. */
const logDigest = async () =>
	(await db.query<{ n: number; digest: string }>(
		`SELECT count(*)::int AS n, md5(coalesce(string_agg(l::text, '|' ORDER BY id), '')) AS digest FROM "${SCHEMA}".audit_log l`))[0];

const TAMPERING = [
	`UPDATE "${SCHEMA}".audit_log SET action = 'forged'`,
	`DELETE FROM "${SCHEMA}".audit_log`,
	`TRUNCATE "${SCHEMA}".audit_log`,
];

beforeAll(async () => {
	db = await createTestDatabase('audit_immutable');
	await db.query(`CREATE ROLE "${DBA}" LOGIN CREATEROLE PASSWORD '${PASSWORD}'`);
	await db.query(`CREATE ROLE "${N8N}" LOGIN PASSWORD '${PASSWORD}'`);
	await db.query(`GRANT CREATE ON DATABASE "${db.name}" TO "${DBA}"`);
	// The DBA's first unit of work migrates (creating the schema and the application role) and writes
	// audited rows; then the DBA grants the application role to the n8n login, as the README says.
	const asDba = db.config({ user: DBA, password: PASSWORD, schema: SCHEMA });
	const created = await withUnitOfWork(asDba, { actor: ACTOR }, (uow) => createUnits(uow, units(smallDistrict().slice(0, 5))));
	expect(created.every((o) => o.ok)).toBe(true);
	const dba = await loginAs(DBA);
	await dba.query(`GRANT "${APP}" TO "${N8N}"`);
	// A unit of work as the app role through the owner login (the usual single-login setup).
	const more = await withUnitOfWork(asDba, { actor: ACTOR }, (uow) => createUnits(uow, units(smallDistrict().slice(5, 8))));
	expect(more.every((o) => o.ok)).toBe(true);
});

afterAll(async () => {
	await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
	await closeAllPools();
	await db?.drop();
	const admin = new Client({ connectionString: adminUrl() });
	await admin.connect();
	try {
		for (const role of [N8N, APP, DBA]) await admin.query(`DROP ROLE IF EXISTS "${role}"`);
	} finally {
		await admin.end();
	}
});

describe('who owns what', () => {
	it('the DBA login, not a superuser, owns the schema and the audit log; the n8n login and the app role own nothing', async () => {
		const [owner] = await db.query<{ schema_owner: string; table_owner: string }>(
			`SELECT n.nspowner::regrole::text AS schema_owner, c.relowner::regrole::text AS table_owner
			FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid WHERE n.nspname = $1 AND c.relname = 'audit_log'`, [SCHEMA]);
		expect(owner).toEqual({ schema_owner: `"${DBA}"`.replace(/"/g, ''), table_owner: DBA });
		const roles = await db.query<{ rolname: string; rolsuper: boolean; rolcanlogin: boolean }>(
			`SELECT rolname, rolsuper, rolcanlogin FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname`, [[DBA, N8N, APP]]);
		expect(roles).toEqual([
			{ rolname: APP, rolsuper: false, rolcanlogin: false },
			{ rolname: DBA, rolsuper: false, rolcanlogin: true },
			{ rolname: N8N, rolsuper: false, rolcanlogin: true },
		].sort((a, b) => a.rolname.localeCompare(b.rolname)));
		const actors = await db.query<{ db_user: string }>(
			`SELECT DISTINCT actor->>'dbUser' AS db_user FROM "${SCHEMA}".audit_log ORDER BY 1`);
		expect(actors.map((a) => a.db_user)).toEqual([DBA]);
	});
});

describe('tampering is refused', () => {
	it('for the owner login: UPDATE, DELETE and TRUNCATE hit the append-only trigger', async () => {
		const before = await logDigest();
		expect(before.n).toBeGreaterThan(0);
		const dba = await loginAs(DBA);
		for (const sql of TAMPERING) await expect(dba.query(sql)).rejects.toThrow(/audit_log is append-only/);
		expect(await logDigest()).toEqual(before);
	});

	it('for the application role the nodes switch to: no privilege to change rows or the trigger', async () => {
		const before = await logDigest();
		const dba = await loginAs(DBA);
		for (const sql of [...TAMPERING,
			`ALTER TABLE "${SCHEMA}".audit_log DISABLE TRIGGER audit_log_no_update`,
			`ALTER TABLE "${SCHEMA}".audit_log DISABLE TRIGGER ALL`,
			`ALTER TABLE "${SCHEMA}".audit_log DISABLE ROW LEVEL SECURITY`,
			`DROP TRIGGER audit_log_no_update ON "${SCHEMA}".audit_log`,
			`DROP TABLE "${SCHEMA}".audit_log`,
		]) {
			await expect(rolledBack(dba, `SET LOCAL ROLE "${APP}"`, sql)).rejects.toThrow(/permission denied|must be owner/);
		}
		expect(await logDigest()).toEqual(before);
	});

	it('inside a real unit of work of a credential whose login owns the tables', async () => {
		const before = await logDigest();
		const config = db.config({ user: DBA, password: PASSWORD, schema: SCHEMA });
		for (const sql of [...TAMPERING, `ALTER TABLE audit_log DISABLE TRIGGER ALL`]) {
			await expect(withUnitOfWork(config, { actor: ACTOR }, (uow) => uow.trx.raw(sql))).rejects.toThrow(/permission denied|must be owner|not allowed/);
		}
		expect(await logDigest()).toEqual(before);
	});

	it('for the n8n login of the DBA setup, even outside the application role', async () => {
		const before = await logDigest();
		const n8n = await loginAs(N8N);
		for (const sql of [...TAMPERING, `ALTER TABLE "${SCHEMA}".audit_log DISABLE TRIGGER ALL`, `DROP TABLE "${SCHEMA}".audit_log`]) {
			await expect(n8n.query(sql)).rejects.toThrow(/permission denied|must be owner/);
		}
		expect(await logDigest()).toEqual(before);
	});
});

describe('what the guard does not stop (for SECURITY.md)', () => {
	it('the table owner can switch the trigger off and then rewrite rows: keep the owner login away from n8n', async () => {
		const before = await logDigest();
		const dba = await loginAs(DBA);
		const rows = await rolledBack(dba,
			`ALTER TABLE "${SCHEMA}".audit_log DISABLE TRIGGER audit_log_no_update`,
			`UPDATE "${SCHEMA}".audit_log SET action = 'forged' RETURNING id`);
		expect(rows).toHaveLength(before.n);
		expect(await logDigest()).toEqual(before);
	});

	it('a superuser is refused by the trigger too, but can bypass it (replication role) — superusers can do anything', async () => {
		const before = await logDigest();
		const [{ rolsuper }] = await db.query<{ rolsuper: boolean }>(`SELECT rolsuper FROM pg_roles WHERE rolname = current_user`);
		expect(rolsuper).toBe(true);
		await expect(db.query(`UPDATE "${SCHEMA}".audit_log SET action = 'forged'`)).rejects.toThrow(/append-only/);
		const admin = new Client({ connectionString: db.url });
		await admin.connect();
		clients.push(admin);
		const rows = await rolledBack(admin,
			`SET LOCAL session_replication_role = replica`,
			`DELETE FROM "${SCHEMA}".audit_log RETURNING id`);
		expect(rows).toHaveLength(before.n);
		expect(await logDigest()).toEqual(before);
	});
});
