import { sql } from '../../db/sql';
import { FieldError } from '../../validation/errors';
import type { Outcome, UnitOfWork } from '../context';
import { COMMUNITY_OF, communityNames } from './audience';
import { loadNotice } from './notices';
import type { CallbackStatus, NoticeCategory } from './vocabulary';

export interface DeliveryCallback {
	messageId: string;
	status: CallbackStatus;
	reason?: string;
	at?: Date;
}

export interface CallbackResult {
	messageId: string;
	noticeId: number;
	status: CallbackStatus;
	/** False when a later callback for the same message was already recorded. */
	applied: boolean;
}

/**
 * Records gateway callbacks set-based. Every message id must be one this log issued to a reachable
 * recipient; an unknown one fails its item and, unless partial, nothing is written. A callback older
 * than the one recorded does not overwrite it, so callbacks arriving out of order end in the last state.
 */
export async function recordCallbacks(uow: UnitOfWork, inputs: DeliveryCallback[]): Promise<Array<Outcome<CallbackResult>>> {
	const { rows: known } = await sql<{ message_id: string; notice_id: number; status: string }>(uow,
		`SELECT message_id, notice_id::int AS notice_id, status FROM notice_recipient WHERE message_id = ANY(?::text[])`,
		[[...new Set(inputs.map((c) => c.messageId))]]);
	const byId = new Map(known.map((k) => [k.message_id, k]));
	const outcomes: Array<Outcome<CallbackResult>> = inputs.map((c) => {
		const k = byId.get(c.messageId);
		if (!k) return { ok: false, error: new FieldError('Message ID', `unknown message id "${c.messageId}": no notice was prepared with it${uow.scopeCode ? ` within this credential's scope ${uow.scopeCode}` : ''}`) };
		if (k.status === 'not_reachable') return { ok: false, error: new FieldError('Message ID', `message "${c.messageId}" went to nobody: its recipient was not reachable`) };
		return { ok: true, value: [] };
	});
	if (outcomes.some((o) => !o.ok) && !uow.partial) return outcomes;
	const good = inputs.map((c, i) => ({ c, i, at: c.at ?? new Date() })).filter(({ i }) => outcomes[i].ok);
	// one row per message in the statement: the latest callback of the batch wins
	const latest = new Map<string, (typeof good)[number]>();
	for (const g of good) {
		const seen = latest.get(g.c.messageId);
		if (!seen || g.at >= seen.at) latest.set(g.c.messageId, g);
	}
	const list = [...latest.values()];
	const { rows } = await sql<{ message_id: string }>(uow,
		`UPDATE notice_recipient nr SET status = t.status, reason = t.reason, status_at = t.at
		FROM unnest(?::text[], ?::text[], ?::text[], ?::timestamptz[]) AS t(mid, status, reason, at)
		WHERE nr.message_id = t.mid AND (nr.status_at IS NULL OR nr.status_at <= t.at)
		RETURNING nr.message_id`,
		[list.map((g) => g.c.messageId), list.map((g) => g.c.status), list.map((g) => g.c.reason ?? null), list.map((g) => g.at.toISOString())]);
	const applied = new Set(rows.map((r) => r.message_id));
	for (const g of good) {
		outcomes[g.i] = {
			ok: true,
			value: { messageId: g.c.messageId, noticeId: byId.get(g.c.messageId)!.notice_id, status: g.c.status, applied: applied.has(g.c.messageId) && latest.get(g.c.messageId) === g },
		};
	}
	return outcomes;
}

export interface CommunityStatus {
	communityCode: string | null;
	communityName: string | null;
	/** Handed to the gateway: awaiting a callback, delivered or failed. */
	sent: number;
	pending: number;
	delivered: number;
	failed: number;
	notReachable: number;
}

export interface NoticeStatus {
	noticeId: number;
	title: string;
	totals: Omit<CommunityStatus, 'communityCode' | 'communityName'>;
	communities: CommunityStatus[];
	failureReasons: Array<{ reason: string; count: number }>;
}

/** The recipient log of a notice counted per community, in one query. */
export async function noticeStatus(uow: UnitOfWork, noticeId: number): Promise<NoticeStatus> {
	const n = await loadNotice(uow, noticeId);
	const { rows } = await sql<{ community_id: number | null; pending: number; delivered: number; failed: number; not_reachable: number }>(uow,
		`SELECT ${COMMUNITY_OF('b.path')} AS community_id,
			count(*) FILTER (WHERE nr.status = 'prepared')::int AS pending,
			count(*) FILTER (WHERE nr.status = 'delivered')::int AS delivered,
			count(*) FILTER (WHERE nr.status = 'failed')::int AS failed,
			count(*) FILTER (WHERE nr.status = 'not_reachable')::int AS not_reachable
		FROM notice_recipient nr JOIN grid_unit b ON b.id = nr.unit_id
		WHERE nr.notice_id = ?
		GROUP BY 1`,
		[n.id]);
	const names = await communityNames(uow, rows.flatMap((r) => (r.community_id === null ? [] : [Number(r.community_id)])));
	const communities = rows.map((r) => ({
		communityCode: r.community_id === null ? null : names.get(Number(r.community_id))?.code ?? null,
		communityName: r.community_id === null ? null : names.get(Number(r.community_id))?.name ?? null,
		sent: r.pending + r.delivered + r.failed,
		pending: r.pending,
		delivered: r.delivered,
		failed: r.failed,
		notReachable: r.not_reachable,
	})).sort((a, b) => (a.communityCode ?? '').localeCompare(b.communityCode ?? ''));
	const sum = (k: 'sent' | 'pending' | 'delivered' | 'failed' | 'notReachable') => communities.reduce((s, c) => s + c[k], 0);
	const { rows: reasons } = await sql<{ reason: string; count: number }>(uow,
		`SELECT coalesce(reason, 'no reason given') AS reason, count(*)::int AS count FROM notice_recipient
		WHERE notice_id = ? AND status = 'failed' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20`, [n.id]);
	return {
		noticeId: n.id,
		title: n.title,
		totals: { sent: sum('sent'), pending: sum('pending'), delivered: sum('delivered'), failed: sum('failed'), notReachable: sum('notReachable') },
		communities,
		failureReasons: reasons,
	};
}

export interface OptOutInput {
	residentId: number;
	categories: NoticeCategory[];
	/** False records an opt-in again: the resident receives those categories once more. */
	optOut: boolean;
	reason?: string;
}

export interface OptOutResult {
	residentId: number;
	optedOut: NoticeCategory[];
}

/** Records residents' opt-outs of non-urgent categories (or takes them back), set-based. */
export async function recordOptOuts(uow: UnitOfWork, inputs: OptOutInput[]): Promise<Array<Outcome<OptOutResult>>> {
	const { rows: found } = await sql<{ id: number; unit_id: number }>(uow,
		`SELECT id::int AS id, unit_id::int AS unit_id FROM resident WHERE id = ANY(?::bigint[])`, [inputs.map((x) => x.residentId)]);
	const unitOf = new Map(found.map((r) => [r.id, r.unit_id]));
	const outcomes: Array<Outcome<OptOutResult>> = inputs.map((x) => (unitOf.has(x.residentId)
		? { ok: true, value: [] }
		: { ok: false, error: new FieldError('Resident ID', `unknown resident ${x.residentId}${uow.scopeCode ? ` (or outside this credential's scope ${uow.scopeCode})` : ''}`) }));
	if (outcomes.some((o) => !o.ok) && !uow.partial) return outcomes;
	const good = inputs.map((x, i) => ({ x, i })).filter(({ i }) => outcomes[i].ok);
	const pairs = (want: boolean) => good.filter(({ x }) => x.optOut === want).flatMap(({ x }) => x.categories.map((c) => ({ x, c })));
	const add = pairs(true);
	if (add.length) {
		await sql(uow,
			`INSERT INTO notice_opt_out (resident_id, category, unit_id, reason)
			SELECT * FROM unnest(?::bigint[], ?::text[], ?::bigint[], ?::text[]) ON CONFLICT DO NOTHING`,
			[add.map((p) => p.x.residentId), add.map((p) => p.c), add.map((p) => unitOf.get(p.x.residentId)), add.map((p) => p.x.reason ?? null)]);
	}
	const remove = pairs(false);
	if (remove.length) {
		await sql(uow,
			`DELETE FROM notice_opt_out o USING unnest(?::bigint[], ?::text[]) AS t(rid, category) WHERE o.resident_id = t.rid AND o.category = t.category`,
			[remove.map((p) => p.x.residentId), remove.map((p) => p.c)]);
	}
	const ids = good.map(({ x }) => x.residentId);
	const { rows: now } = await sql<{ resident_id: number; categories: NoticeCategory[] }>(uow,
		`SELECT resident_id::int AS resident_id, array_agg(category ORDER BY category) AS categories FROM notice_opt_out WHERE resident_id = ANY(?::bigint[]) GROUP BY 1`, [ids]);
	const current = new Map(now.map((r) => [r.resident_id, r.categories]));
	for (const { x, i } of good) outcomes[i] = { ok: true, value: { residentId: x.residentId, optedOut: current.get(x.residentId) ?? [] } };
	return outcomes;
}
