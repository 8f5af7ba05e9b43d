/**
 * The Grid Trigger's feed against real PostgreSQL: events come out once and in commit-safe order,
 * the (tx, id) cursor does not skip an event whose transaction commits after a later id, SLA breaches
 * are noted once per due time (also with parallel pollers), and the topic, risk, subtree and
 * credential-scope filters hold.
 *
 * Incidents and their events are written by a tiny SQL fixture as the admin login (the way intake
 * and the actions write them: an incident row plus timeline entries), so that these tests depend on
 * the schema only.
 */
import { Client } from 'pg';
import type { ConnectionConfig } from '../../nodes/shared/db/config';
import { closeAllPools } from '../../nodes/shared/db/pool';
import { nextStart } from '../../nodes/shared/domain/feedCursor';
import { appendEvents } from '../../nodes/shared/domain/incident/events';
import {
	type FeedEvent,
	type FeedFilter,
	type FeedStart,
	latestEvents,
	noteSlaBreaches,
	readFeed,
	startFeed,
} from '../../nodes/shared/domain/incident/feed';
import type { RiskLevel } from '../../nodes/shared/domain/incident/risk';
import type { EventKind, IncidentStatus } from '../../nodes/shared/domain/incident/vocabulary';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { run, seedSmallDistrict } from '../helpers/uow';

let db: TestDatabase;
const S1_B = '370614-001-001-001-0001';
const S1_B2 = '370614-001-002-001-0002';
const S2_B = '370614-002-001-001-0001';
const ALL: FeedFilter['topics'] = ['incident.created', 'incident.escalated', 'incident.slaBreached', 'incident.statusChanged'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- fixture (admin SQL)

let refNo = 0;

interface Fixture {
	id: number;
	reference: string;
	createdEventId: string;
}

/** An incident as intake leaves it: the row and its 'created' entry, in one transaction. */
async function incident(o: { unit: string; risk?: RiskLevel; status?: IncidentStatus; dueAt?: string | null; duplicateOf?: number; at?: string }): Promise<Fixture> {
	const reference = `FEED-${String(++refNo).padStart(5, '0')}`;
	const status = o.status ?? (o.duplicateOf ? 'duplicate' : 'new');
	const risk = o.risk ?? 'low';
	const [row] = await db.query<{ id: number; event_id: string }>(
		`WITH u AS (SELECT id FROM grid.grid_unit WHERE code = $1),
		i AS (
			INSERT INTO grid.incident (reference, source, category, description, unit_id, handling_unit_id, risk_level, status, due_at, duplicate_of)
			SELECT $2, 'resident', 'environment', '楼道堆放杂物', u.id, u.id, $3, $4, $5::timestamptz, $6 FROM u
			RETURNING id, unit_id
		)
		INSERT INTO grid.incident_event (incident_id, unit_id, kind, to_status, details, at)
		SELECT i.id, i.unit_id, 'created', $4, jsonb_build_object('riskLevel', $3::text, 'category', 'environment', 'reference', $2::text),
			coalesce($7::timestamptz, now())
		FROM i
		RETURNING incident_id AS id, id::text AS event_id`,
		[o.unit, reference, risk, status, o.dueAt ?? null, o.duplicateOf ?? null, o.at ?? null]);
	if (!row) throw new Error(`fixture: no unit ${o.unit}`);
	return { id: Number(row.id), reference, createdEventId: row.event_id };
}

/** A timeline entry, moving the incident's status when toStatus is given. */
async function event(inc: Fixture, kind: EventKind, toStatus?: IncidentStatus, at?: string): Promise<string> {
	const [row] = await db.query<{ id: string }>(
		`WITH old AS (SELECT id, unit_id, status FROM grid.incident WHERE id = $1 FOR UPDATE),
		upd AS (UPDATE grid.incident i SET status = coalesce($3, i.status) FROM old WHERE i.id = old.id RETURNING i.id)
		INSERT INTO grid.incident_event (incident_id, unit_id, kind, from_status, to_status, at)
		SELECT old.id, old.unit_id, $2, CASE WHEN $3::text IS NULL THEN NULL ELSE old.status END, $3, coalesce($4::timestamptz, now())
		FROM old, upd
		RETURNING id::text AS id`,
		[inc.id, kind, toStatus ?? null, at ?? null]);
	return row.id;
}

/**
 * A transaction left open on its own connection, holding a 'triaged' entry of the incident: the entry
 * commits or vanishes when the test says so, and meanwhile holds every snapshot's xmin back.
 */
async function openTriage(incidentId: number): Promise<{ eventId: string; end: (how: 'COMMIT' | 'ROLLBACK') => Promise<void>; close: () => Promise<void> }> {
	const c = new Client({ connectionString: db.url });
	await c.connect();
	await c.query('BEGIN');
	const { rows: [row] } = await c.query<{ id: string }>(
		`INSERT INTO grid.incident_event (incident_id, unit_id, kind, from_status, to_status)
		SELECT id, unit_id, 'triaged', 'new', 'triaged' FROM grid.incident WHERE id = $1 RETURNING id::text AS id`, [incidentId]);
	return { eventId: row.id, end: async (how) => { await c.query(how); }, close: () => c.end() };
}

/** Waits until these events' transactions lie below every snapshot's xmin (other test files may hold it back). */
async function settled(eventIds: string[]): Promise<void> {
	for (let i = 0; i < 200; i++) {
		const [row] = await db.query<{ ok: boolean }>(
			`SELECT bool_and(tx < pg_snapshot_xmin(pg_current_snapshot())) AS ok FROM grid.incident_event WHERE id = ANY($1::bigint[])`, [eventIds]);
		if (row.ok) return;
		await sleep(100);
	}
	throw new Error('events did not settle');
}

/** Event ids in commit-safe order, as the database orders them. */
async function inTxOrder(eventIds: string[]): Promise<string[]> {
	const rows = await db.query<{ id: string }>(`SELECT id::text AS id FROM grid.incident_event WHERE id = ANY($1::bigint[]) ORDER BY tx, id`, [eventIds]);
	return rows.map((r) => r.id);
}

// ---------------------------------------------------------------- a poller as the trigger runs it

class Poller {
	start?: FeedStart;
	delivered: FeedEvent[] = [];
	polls = 0;

	constructor(
		readonly filter: FeedFilter,
		readonly opts: { config?: () => ConnectionConfig; limit?: number; sinceHours?: number } = {},
	) {}

	private config() {
		return this.opts.config?.() ?? db.config();
	}

	async poll(): Promise<FeedEvent[]> {
		this.polls++;
		if (this.filter.topics.includes('incident.slaBreached')) await run(this.config(), (uow) => noteSlaBreaches(uow));
		const page = await run(this.config(), async (uow) =>
			readFeed(uow, this.filter, this.start ?? (await startFeed(uow, this.filter, this.opts.sinceHours)), this.opts.limit ?? 1000));
		this.start = nextStart(page);
		this.delivered.push(...page.events);
		return page.events;
	}

	/** Delivered events of these incidents only (other tests' incidents may pass by). */
	of(incidents: Fixture[]): FeedEvent[] {
		const ids = new Set(incidents.map((i) => i.id));
		return this.delivered.filter((e) => ids.has(e.incidentId));
	}

	/** Polls until every one of these event ids has been delivered (then once more, to catch a repeat). */
	async pollUntil(want: string[] | ((delivered: FeedEvent[]) => boolean), tries = 200): Promise<void> {
		const done = typeof want === 'function'
			? want
			: (delivered: FeedEvent[]) => {
				const seen = new Set(delivered.map((e) => e.eventId));
				return want.every((id) => seen.has(id));
			};
		for (let i = 0; i < tries; i++) {
			await this.poll();
			if (done(this.delivered)) {
				await this.poll();
				return;
			}
			await sleep(100);
		}
		throw new Error(`wanted events were not delivered after ${tries} polls`);
	}
}

async function startedPoller(filter: FeedFilter, opts: ConstructorParameters<typeof Poller>[1] = {}): Promise<Poller> {
	const p = new Poller(filter, opts);
	await p.poll();
	return p;
}

beforeAll(async () => {
	db = await createTestDatabase('incident_feed');
	await seedSmallDistrict(db.config());
});

afterAll(async () => {
	await closeAllPools();
	await db.drop();
});

describe('the cursor', () => {
	it('starts from now, then delivers each new event once, in order, with its incident', async () => {
		const before = await incident({ unit: S1_B, risk: 'high' });
		await settled([before.createdEventId]);
		const p = await startedPoller({ topics: ALL });

		const a = await incident({ unit: S1_B, risk: 'medium' });
		const triaged = await event(a, 'triaged', 'triaged');
		const assigned = await event(a, 'assigned', 'assigned');
		const comment = await event(a, 'commented');
		const escalated = await event(a, 'escalated');
		const expected = [a.createdEventId, triaged, assigned, escalated];
		await p.pollUntil(expected);

		const mine = p.of([before, a]);
		expect(mine.map((e) => e.eventId)).toEqual(await inTxOrder(expected));
		expect(mine.map((e) => e.eventId)).not.toContain(comment);
		expect(mine.map((e) => e.trigger)).toEqual(['incident.created', 'incident.statusChanged', 'incident.statusChanged', 'incident.escalated']);
		expect(mine[0]).toMatchObject({
			event: 'created',
			incidentId: a.id,
			reference: a.reference,
			toStatus: 'new',
			details: { riskLevel: 'medium', reference: a.reference },
			incident: { id: a.id, reference: a.reference, unitCode: S1_B, riskLevel: 'medium', status: 'assigned' },
		});
		expect(mine[0].label).toContain(a.reference);
		expect(mine[2]).toMatchObject({ event: 'assigned', fromStatus: 'triaged', toStatus: 'assigned' });
		expect(mine[2].label).toMatch(/Triaged.*→.*Assigned/);
		expect(new Set(p.delivered.map((e) => e.eventId)).size).toBe(p.delivered.length);
	});

	it('does not skip an event whose transaction commits after an event with a higher id', async () => {
		const x = await incident({ unit: S1_B });
		const y = await incident({ unit: S1_B });
		await settled([x.createdEventId, y.createdEventId]);
		const p = await startedPoller({ topics: ['incident.statusChanged'] });

		const slow = await openTriage(x.id);
		const first = { id: slow.eventId };
		try {
			const second = await event(y, 'triaged', 'triaged'); // autocommit: committed now, with a higher id
			expect(BigInt(second)).toBeGreaterThan(BigInt(first.id));

			for (let i = 0; i < 3; i++) await p.poll();
			// an id cursor would have delivered the second and then passed over the first for good
			expect(p.of([x, y])).toEqual([]);

			await slow.end('COMMIT');
			await p.pollUntil([first.id, second]);
			expect(p.of([x, y]).map((e) => e.eventId)).toEqual([first.id, second]);
		} finally {
			await slow.close();
		}
	});

	it('starting while a long transaction runs, leaves out what had already committed and delivers what that transaction commits later', async () => {
		const x = await incident({ unit: S1_B });
		const y = await incident({ unit: S1_B }); // the long transaction's entry locks x against the others' FOR UPDATE
		await settled([x.createdEventId, y.createdEventId]);
		// as a long report query would, the open transaction holds every snapshot's xmin back
		const long = await openTriage(x.id);
		const inLong = { id: long.eventId };
		try {
			const already = await event(y, 'triaged', 'triaged'); // committed above the held-back xmin, before the start
			const p = await startedPoller({ topics: ['incident.statusChanged'] });
			expect(p.start?.before).toBeDefined();
			const late = await event(y, 'assigned', 'assigned'); // committed after the start
			await long.end('COMMIT'); // was running at the start: its event belongs after it
			await p.pollUntil([inLong.id, late]);
			const got = p.of([x, y]).map((e) => e.eventId);
			expect(got).not.toContain(already);
			expect(got.sort()).toEqual([inLong.id, late].sort());
			// once the cursor has passed the start snapshot, the stream keeps no trace of it
			const after = await event(y, 'status_changed', 'in_progress');
			await p.pollUntil([after]);
			expect(p.start?.before).toBeUndefined();
		} finally {
			await long.close();
		}
	});

	it('passes over events that an aborted transaction wrote', async () => {
		const x = await incident({ unit: S1_B });
		await settled([x.createdEventId]);
		const p = await startedPoller({ topics: ['incident.statusChanged'] });
		const aborted = await openTriage(x.id);
		try {
			await p.poll();
			await aborted.end('ROLLBACK');
		} finally {
			await aborted.close();
		}
		const later = await event(x, 'assigned', 'assigned');
		await p.pollUntil([later]);
		expect(p.of([x]).map((e) => e.eventId)).toEqual([later]);
	});

	it('pages through a backlog in order without repeats when a poll is limited', async () => {
		const p = await startedPoller({ topics: ['incident.created'] }, { limit: 3 });
		const made: Fixture[] = [];
		for (let i = 0; i < 8; i++) made.push(await incident({ unit: S1_B2 }));
		const ids = made.map((m) => m.createdEventId);
		await settled(ids);
		const sizes: number[] = [];
		for (let i = 0; i < 10; i++) sizes.push((await p.poll()).length);
		expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
		expect(p.of(made).map((e) => e.eventId)).toEqual(await inTxOrder(ids));
	});

	it('with "include last N hours" starts that far back on the first poll, and only then', async () => {
		const old = await incident({ unit: S1_B, at: new Date(Date.now() - 30 * 3600_000).toISOString() });
		const recent = await incident({ unit: S1_B, at: new Date(Date.now() - 3 * 3600_000).toISOString() });
		await settled([old.createdEventId, recent.createdEventId]);
		const p = new Poller({ topics: ['incident.created'] }, { sinceHours: 24 });
		await p.poll();
		expect(p.of([old, recent]).map((e) => e.eventId)).toEqual([recent.createdEventId]);
		const now = new Poller({ topics: ['incident.created'] });
		await now.poll();
		expect(now.of([old, recent])).toEqual([]);
	});

	it('never loses or repeats an event while many writers commit in any order', async () => {
		const targets: Fixture[] = [];
		for (const unit of [S1_B, S1_B2, S2_B]) targets.push(await incident({ unit }));
		await settled(targets.map((t) => t.createdEventId));
		const p = await startedPoller({ topics: ['incident.escalated'] });
		const written: string[] = [];
		let writing = true;
		const writer = async (w: number) => {
			const c = new Client({ connectionString: db.url });
			await c.connect();
			try {
				for (let k = 0; k < 12; k++) {
					const t = targets[(w + k) % targets.length];
					await c.query('BEGIN');
					const { rows } = await c.query<{ id: string }>(
						`INSERT INTO grid.incident_event (incident_id, unit_id, kind) SELECT id, unit_id, 'escalated' FROM grid.incident WHERE id = $1 RETURNING id::text AS id`, [t.id]);
					await c.query(`SELECT pg_sleep($1)`, [((w * 7 + k * 13) % 9) / 100]);
					await c.query('COMMIT');
					written.push(rows[0].id);
				}
			} finally {
				await c.end();
			}
		};
		const polling = (async () => {
			while (writing) {
				await p.poll();
				await sleep(15);
			}
		})();
		await Promise.all([0, 1, 2, 3, 4, 5].map(writer));
		writing = false;
		await polling;
		await p.pollUntil(written);
		const got = p.of(targets).map((e) => e.eventId);
		expect(got).toHaveLength(written.length);
		expect(new Set(got)).toEqual(new Set(written));
		expect(got).toEqual(await inTxOrder(written));
		expect(p.polls).toBeGreaterThan(3);
	});
});

describe('SLA breaches', () => {
	const past = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
	const future = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

	it('are noted once per due time, only for open incidents, and come out through the feed', async () => {
		const p = await startedPoller({ topics: ['incident.slaBreached'] });
		const late = await incident({ unit: S1_B, risk: 'high', status: 'assigned', dueAt: past(30) });
		const onTime = await incident({ unit: S1_B, status: 'assigned', dueAt: future(60) });
		const closedLate = await incident({ unit: S1_B, status: 'closed', dueAt: past(30) });
		const noDue = await incident({ unit: S1_B, status: 'new', dueAt: null });
		const mine = [late, onTime, closedLate, noDue];

		await p.pollUntil(() => p.of(mine).length > 0);
		const breaches = p.of(mine);
		expect(breaches).toHaveLength(1);
		expect(breaches[0]).toMatchObject({
			event: 'sla_breached',
			trigger: 'incident.slaBreached',
			incidentId: late.id,
			details: { reference: late.reference, status: 'assigned', riskLevel: 'high' },
			incident: { id: late.id, overdue: true },
		});
		expect(new Date(breaches[0].details.dueAt as string).getTime()).toBe(new Date((await db.query<{ due_at: Date }>(`SELECT due_at FROM grid.incident WHERE id = $1`, [late.id]))[0].due_at).getTime());
		const rows = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.incident_event WHERE incident_id = ANY($1::int[]) AND kind = 'sla_breached'`, [mine.map((m) => m.id)]);
		expect(rows[0].n).toBe(1);

		// escalation gives a new due time, which breaches again (once)
		await db.query(`UPDATE grid.incident SET due_at = $2 WHERE id = $1`, [late.id, past(5)]);
		await p.pollUntil(() => p.of(mine).length > 1);
		expect(p.of(mine).map((e) => e.incidentId)).toEqual([late.id, late.id]);
		// an incident that is still open when its future due time passes is noted then
		await db.query(`UPDATE grid.incident SET due_at = $2 WHERE id = $1`, [onTime.id, past(1)]);
		await p.pollUntil(() => p.of(mine).length > 2);
		expect(p.of(mine).map((e) => e.incidentId)).toEqual([late.id, late.id, onTime.id]);
	});

	it('are noted once when pollers race', async () => {
		const late: Fixture[] = [];
		for (let k = 0; k < 40; k++) late.push(await incident({ unit: k % 2 ? S1_B : S2_B, status: 'in_progress', dueAt: past(10 + k) }));
		const noted = await Promise.all(Array.from({ length: 6 }, () => run(db.config(), (uow) => noteSlaBreaches(uow))));
		const ids = noted.flat().map((n) => n.incidentId).filter((id) => late.some((l) => l.id === id));
		expect(ids.sort((a, b) => a - b)).toEqual(late.map((l) => l.id).sort((a, b) => a - b));
		const [row] = await db.query<{ n: number; d: number }>(
			`SELECT count(*)::int AS n, count(DISTINCT incident_id)::int AS d FROM grid.incident_event WHERE incident_id = ANY($1::int[]) AND kind = 'sla_breached'`,
			[late.map((l) => l.id)]);
		expect(row).toEqual({ n: late.length, d: late.length });
	});

	it('are noted only inside the credential scope', async () => {
		const inside = await incident({ unit: S1_B, status: 'new', dueAt: past(3) });
		const outside = await incident({ unit: S2_B, status: 'new', dueAt: past(3) });
		const noted = await run(db.config({ scopeCode: '370614-001' }), (uow) => noteSlaBreaches(uow));
		const ids = noted.map((n) => n.incidentId);
		expect(ids).toContain(inside.id);
		expect(ids).not.toContain(outside.id);
		const [row] = await db.query<{ breach_noted_due_at: Date | null }>(`SELECT breach_noted_due_at FROM grid.incident WHERE id = $1`, [outside.id]);
		expect(row.breach_noted_due_at).toBeNull();
	});
});

describe('filters', () => {
	it('limits to a subtree', async () => {
		const p = await startedPoller({ topics: ALL, within: { code: '370614-001' } });
		const s1 = await incident({ unit: S1_B });
		const s1b = await incident({ unit: S1_B2 });
		const s2 = await incident({ unit: S2_B });
		const s2moved = await event(s2, 'triaged', 'triaged');
		const s1moved = await event(s1b, 'triaged', 'triaged');
		await p.pollUntil([s1.createdEventId, s1b.createdEventId, s1moved]);
		const got = p.of([s1, s1b, s2]).map((e) => e.eventId);
		expect(got).toEqual(await inTxOrder([s1.createdEventId, s1b.createdEventId, s1moved]));
		expect(got).not.toContain(s2moved);
	});

	it('leaves out new incidents below the minimum risk, and duplicates unless asked', async () => {
		const p = await startedPoller({ topics: ['incident.created', 'incident.statusChanged'], minRisk: 'high' });
		const withDup = await startedPoller({ topics: ['incident.created'], includeDuplicates: true });
		const low = await incident({ unit: S1_B, risk: 'low' });
		const medium = await incident({ unit: S1_B, risk: 'medium' });
		const high = await incident({ unit: S1_B, risk: 'high' });
		const critical = await incident({ unit: S1_B, risk: 'critical' });
		const dup = await incident({ unit: S1_B, risk: 'critical', duplicateOf: critical.id });
		const lowMoved = await event(low, 'triaged', 'triaged');
		await p.pollUntil([high.createdEventId, critical.createdEventId, lowMoved]);
		await withDup.pollUntil([dup.createdEventId]);
		const mine = [low, medium, high, critical, dup];
		expect(p.of(mine).map((e) => e.eventId)).toEqual(await inTxOrder([high.createdEventId, critical.createdEventId, lowMoved]));
		expect(withDup.of(mine).map((e) => e.eventId)).toEqual(await inTxOrder(mine.map((m) => m.createdEventId)));
	});

	it('reads only inside the credential scope', async () => {
		const scoped = () => db.config({ scopeCode: '370614-001' });
		const p = await startedPoller({ topics: ALL }, { config: scoped });
		const inside = await incident({ unit: S1_B2, risk: 'high' });
		const outside = await incident({ unit: S2_B, risk: 'high' });
		const insideMoved = await event(inside, 'triaged', 'triaged');
		await event(outside, 'triaged', 'triaged');
		await p.pollUntil([inside.createdEventId, insideMoved]);
		expect(p.of([inside, outside]).map((e) => e.incidentId)).toEqual([inside.id, inside.id]);
		// asking for a unit outside the scope is an error that names the field
		await expect(run(scoped(), (uow) => latestEvents(uow, { topics: ALL, within: { code: '370614-002' } })))
			.rejects.toThrow(/unknown grid unit 370614-002 \(or it lies outside this credential's scope 370614-001\)/);
	});

	it('for trying out, returns the latest matching events oldest first, without a cursor', async () => {
		const a = await incident({ unit: S2_B, risk: 'critical' });
		const written = await run(db.config(), async (uow) => {
			await appendEvents(uow, [{ incidentId: a.id, unitId: (await unitId(S2_B)), kind: 'escalated', note: '上报街道' }]);
			return latestEvents(uow, { topics: ['incident.escalated'] }, 10);
		});
		// the own transaction's entry is visible to itself
		expect(written.at(-1)).toMatchObject({ incidentId: a.id, event: 'escalated', note: '上报街道' });
		const latest = await run(db.config(), (uow) => latestEvents(uow, { topics: ['incident.created'], within: { code: '370614-002' } }, 3));
		expect(latest).toHaveLength(3);
		expect(latest.at(-1)).toMatchObject({ incidentId: a.id, event: 'created' });
		const ids = latest.map((e) => e.eventId);
		expect(ids).toEqual(await inTxOrder(ids));
	});

	it('rejects an empty event selection and an unknown one', async () => {
		await expect(run(db.config(), (uow) => latestEvents(uow, { topics: [] }))).rejects.toThrow(/Select at least one event/);
		await expect(run(db.config(), (uow) => latestEvents(uow, { topics: ['task.overdue' as never] }))).rejects.toThrow(/Unknown event "?task.overdue/);
	});
});

async function unitId(code: string): Promise<number> {
	const [row] = await db.query<{ id: number }>(`SELECT id FROM grid.grid_unit WHERE code = $1`, [code]);
	return Number(row.id);
}
