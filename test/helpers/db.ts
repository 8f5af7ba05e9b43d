import { randomBytes } from 'crypto';
import { Client } from 'pg';
import { type ConnectionConfig, configFromUrl } from '../../nodes/shared/db/config';

export const TEST_KEY = 'test-personal-data-key-0123456789';

export function adminUrl(): string {
	const url = process.env.GRID_TEST_DATABASE_URL;
	if (!url) throw new Error('GRID_TEST_DATABASE_URL is not set: run the tests through jest (npm test), whose global setup provides it');
	return url;
}

export interface TestDatabase {
	name: string;
	url: string;
	config(overrides?: Partial<ConnectionConfig>): ConnectionConfig;
	/** A plain client on this database as the admin login, for assertions with SQL. */
	query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
	drop(): Promise<void>;
}

/** A database of its own for one test file; drop() removes it and every connection to it. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
	const name = `grid_t_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase().slice(0, 30)}_${randomBytes(4).toString('hex')}`;
	const admin = new Client({ connectionString: adminUrl() });
	await admin.connect();
	try {
		await admin.query(`CREATE DATABASE "${name}"`);
	} finally {
		await admin.end();
	}
	const u = new URL(adminUrl());
	u.pathname = `/${name}`;
	const url = u.toString();
	const client = new Client({ connectionString: url });
	await client.connect();
	return {
		name,
		url,
		config: (overrides = {}) => configFromUrl(url, { personalDataKey: TEST_KEY, idleCloseMs: 60_000, ...overrides }),
		async query<T>(sql: string, params: unknown[] = []) {
			return (await client.query(sql, params)).rows as T[];
		},
		async drop() {
			await client.end().catch(() => undefined);
			const a = new Client({ connectionString: adminUrl() });
			await a.connect();
			try {
				await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
			} finally {
				await a.end();
			}
		},
	};
}
