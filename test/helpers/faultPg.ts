/**
 * Tools for fault tests: the keyed intake workflow they load, and admin-side queries on a fresh
 * connection (a restarted server has ended every old one), a table lock that parks the application's
 * transaction at a known statement, and pg_stat_activity sampling.
 */
import { Client } from 'pg';
import { type WorkflowJson, type WorkflowNodeJson, singleNodeWorkflow } from './n8nHarness';

/**
 * Intake of items { key, text, unit } with the key as idempotency key and dedupe off, so that a rerun
 * of the same items must leave exactly one incident each.
 */
export function keyedIntakeWorkflow(source: string, settings: Partial<WorkflowNodeJson> = {}): WorkflowJson {
	return singleNodeWorkflow('n8n-nodes-grid-governance.incident', 'Intake', {
		resource: 'incident', operation: 'create', idempotencyKey: '={{ $json.key }}', source,
		category: 'sanitation', description: '={{ $json.text }}', locationBy: 'unit',
		unit: { __rl: true, mode: 'code', value: '={{ $json.unit }}' },
		options: { dedupeWindowHours: 0 },
	}, settings);
}

/** A connected client whose unexpected termination (the fault itself) is not an unhandled 'error' event. */
export async function adminClient(url: string): Promise<Client> {
	const client = new Client({ connectionString: url, application_name: 'grid-fault-admin' });
	client.on('error', () => undefined);
	await client.connect();
	return client;
}

/** Runs one query on a connection of its own. */
export async function sqlOnce<T = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
	const client = await adminClient(url);
	try {
		return (await client.query(text, params)).rows as T[];
	} finally {
		await client.end().catch(() => undefined);
	}
}

export interface HeldLock {
	/** Backend pids of the application's sessions waiting for the lock, once there are at least `count`. */
	waiters(count?: number, timeoutMs?: number): Promise<number[]>;
	/** Ends the admin transaction (the lock goes with it); harmless when the server already ended it. */
	release(): Promise<void>;
}

/**
 * Holds an EXCLUSIVE lock on a table in an open admin transaction: reads go on, the application's
 * next write to that table waits. Its transaction is then in flight at a known point, not by luck.
 */
export async function holdTableLock(url: string, table: string, applicationName: string): Promise<HeldLock> {
	const admin = await adminClient(url);
	await admin.query('BEGIN');
	await admin.query(`LOCK TABLE ${table} IN EXCLUSIVE MODE`);
	return {
		async waiters(count = 1, timeoutMs = 30_000) {
			const until = Date.now() + timeoutMs;
			for (;;) {
				const rows = await sqlOnce<{ pid: number }>(url,
					`SELECT DISTINCT a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
					WHERE NOT l.granted AND l.relation = $1::regclass AND a.application_name = $2 ORDER BY a.pid`,
					[table, applicationName]);
				if (rows.length >= count) return rows.map((r) => r.pid);
				if (Date.now() > until) throw new Error(`no session of ${applicationName} waited for the lock on ${table} within ${timeoutMs} ms`);
				await new Promise((resolve) => setTimeout(resolve, 20));
			}
		},
		async release() {
			await admin.query('ROLLBACK').catch(() => undefined);
			await admin.end().catch(() => undefined);
		},
	};
}

/**
 * Counts the sessions matching a WHERE clause on pg_stat_activity every few milliseconds, from one
 * admin connection, until stop(); returns the highest count seen and how many samples were taken.
 */
export async function sampleActivity(url: string, where: string, params: unknown[], everyMs = 5) {
	const admin = await adminClient(url);
	let running = true;
	let peak = 0;
	let samples = 0;
	const loop = (async () => {
		while (running) {
			// pg_stat_activity is a snapshot per transaction: each sample is its own statement outside one
			const [{ n }] = (await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE ${where}`, params)).rows as Array<{ n: number }>;
			peak = Math.max(peak, n);
			samples++;
			await new Promise((resolve) => setTimeout(resolve, everyMs));
		}
	})();
	return {
		async stop() {
			running = false;
			await loop;
			await admin.end();
			return { peak, samples };
		},
	};
}
