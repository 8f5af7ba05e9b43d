import { randomBytes } from 'crypto';
import { sql } from '../../db/sql';
import { FieldError } from '../../validation/errors';
import { writeAudit } from '../audit';
import type { UnitOfWork } from '../context';
import { responsibleMany } from '../grid/assignments';
import { decrypt } from '../personalData';
import { HOUSEHOLD_CONTACT, adultBirthYear, isUrgent, matchConditions, optedOut } from './audience';
import { type NoticeRow, loadNotice } from './notices';
import { smsSize } from './smsSegments';
import { fillTemplate, maskName } from './template';
import { DEFAULT_MAX_RECIPIENTS, NOTICE_CATEGORIES, type NoticeCategory, type NoticeChannel } from './vocabulary';

export interface PrepareInput {
	noticeId: number;
	/** Put the full phone into `to` (decrypted here, audited as a reveal). */
	includePhone: boolean;
	/** The per-run cap, so a gateway is not flooded: the rest come on the next run. */
	maxRecipients?: number;
	/** Residents read per page; tests make it small. */
	pageSize?: number;
}

/** One recipient, shaped for a messaging node (HTTP Request to an SMS gateway, a WeCom bot, Send Email). */
export interface RecipientItem {
	noticeId: number;
	recipientKind: 'resident' | 'staff';
	recipientId: number;
	messageId: string;
	channel: NoticeChannel;
	/** The full phone, only when Include Phone is on. */
	to?: string | null;
	maskedPhone: string | null;
	text: string;
	segments?: number;
	title: string;
	category: NoticeCategory;
	categoryLabel: string;
	unitCode: string;
	buildingName: string;
}

export interface PrepareSummary {
	noticeId: number;
	prepared: number;
	notReachable: number;
	/** True when the cap stopped the run: run again for the rest. */
	more: boolean;
	pages: number;
}

const PAGE = 2_000;

/** Unguessable and unique per recipient: 128 random bits. */
const newMessageId = () => `ntc_${randomBytes(16).toString('base64url')}`;

interface Candidate {
	residentId: number | null;
	staffId: number | null;
	unitId: number;
	name: string;
	phoneEnc: string | null;
	phoneMasked: string | null;
	reachable: boolean;
	buildingCode: string;
	buildingName: string;
	gridId: number | null;
}

/**
 * Prepares a notice page by page (keyset over residents, or over buildings for the grid-assistant
 * reach): each page is logged with INSERT … ON CONFLICT DO NOTHING RETURNING, so a re-run, or a
 * parallel worker, prepares nobody twice. Residents without a phone are logged as not reachable.
 * Each page's recipients go to `emit` and are not kept here.
 */
export async function prepareNotice(uow: UnitOfWork, input: PrepareInput, emit: (items: RecipientItem[]) => void): Promise<PrepareSummary> {
	const n = await loadNotice(uow, input.noticeId);
	if (n.valid_until && new Date(n.valid_until) <= new Date()) {
		throw new FieldError('Notice ID', `notice ${n.id} expired at ${new Date(n.valid_until).toISOString()}; nothing was prepared`);
	}
	const cap = input.maxRecipients ?? DEFAULT_MAX_RECIPIENTS;
	const pageSize = input.pageSize ?? PAGE;
	const members = new Map<number, string>();
	const summary: PrepareSummary = { noticeId: n.id, prepared: 0, notReachable: 0, more: false, pages: 0 };
	const page = n.target.reach === 'gridAssistant' ? buildingPage : residentPage;
	const { where, args } = await matchConditions(uow, n);
	let after = 0;
	for (;;) {
		const { candidates, last, full } = await page(uow, n, where, args, after, pageSize);
		summary.pages++;
		// take candidates in order until the cap would be passed by someone reachable
		let take = candidates.length;
		let left = cap - summary.prepared;
		for (let k = 0; k < candidates.length; k++) {
			if (!candidates[k].reachable) continue;
			if (left === 0) {
				take = k;
				summary.more = true;
				break;
			}
			left--;
		}
		const taken = candidates.slice(0, take);
		if (taken.length) emit(await logAndShape(uow, n, taken, input.includePhone, members, summary));
		if (summary.more || !full || last === null) break;
		after = last;
	}
	return summary;
}

async function residentPage(uow: UnitOfWork, n: NoticeRow, where: string, args: unknown[], after: number, size: number) {
	const household = n.target.reach === 'household';
	const urgent = isUrgent(n);
	// OFFSET 0 keeps each check a probe of the unique index for the row at hand: pulled up into an anti
	// join, the planner (whose statistics never saw this run's rows) sorts or hashes every row already
	// logged for the notice on every page, and the run grows quadratic
	const skip = (col: string) => `NOT EXISTS (SELECT 1 FROM notice_recipient nr WHERE nr.notice_id = ? AND nr.resident_id = ${col} OFFSET 0)${urgent ? '' : ` AND NOT ${optedOut(col)}`}`;
	const skipArgs = urgent ? [n.id] : [n.id, n.category];
	const { rows } = await sql<Record<string, any>>(uow,
		`WITH m AS (
			SELECT r.id, ${household ? 'coalesce(hc.id, r.id)' : 'r.id'} AS contact_id
			FROM resident r JOIN grid_unit b ON b.id = r.unit_id ${household ? HOUSEHOLD_CONTACT : ''}
			WHERE r.id > ? AND ${where} ${household ? '' : `AND ${skip('r.id')}`}
			ORDER BY r.id LIMIT ?
		), s AS (SELECT max(id) AS last, count(*)::int AS n FROM m)
		SELECT s.last, s.n, x.* FROM s LEFT JOIN (
			SELECT c.id::int AS id, c.name, c.unit_id::int AS unit_id, c.phone_enc, c.phone_masked,
				(c.phone_hash IS NOT NULL OR c.phone_enc IS NOT NULL) AS reachable, b.code AS building_code, b.name AS building_name,
				nullif(split_part(b.path, '/', 5), '')::int AS grid_id
			FROM (SELECT DISTINCT contact_id FROM m) d JOIN resident c ON c.id = d.contact_id JOIN grid_unit b ON b.id = c.unit_id
			WHERE ${skip('c.id')}
		) x ON true
		ORDER BY x.id`,
		[...(household ? [adultBirthYear()] : []), after, ...args, ...(household ? [] : skipArgs), size, ...skipArgs]);
	const head = rows[0];
	const candidates: Candidate[] = rows.filter((r) => r.id !== null).map((r) => ({
		residentId: r.id,
		staffId: null,
		unitId: r.unit_id,
		name: r.name,
		phoneEnc: r.phone_enc,
		phoneMasked: r.phone_masked,
		reachable: r.reachable,
		buildingCode: r.building_code,
		buildingName: r.building_name,
		gridId: r.grid_id,
	}));
	return { candidates, last: head?.last === null || head === undefined ? null : Number(head.last), full: (head?.n ?? 0) === size };
}

/** A page of buildings with a matching resident; each is reached through whoever answers for it (its grid assistant first). */
async function buildingPage(uow: UnitOfWork, n: NoticeRow, where: string, args: unknown[], after: number, size: number) {
	const { rows } = await sql<{ unit_id: number; code: string; name: string; grid_id: number | null }>(uow,
		`SELECT u.id::int AS unit_id, u.code, u.name, nullif(split_part(u.path, '/', 5), '')::int AS grid_id
		FROM (
			SELECT DISTINCT r.unit_id FROM resident r JOIN grid_unit b ON b.id = r.unit_id
			WHERE r.unit_id > ? AND ${where}
			ORDER BY r.unit_id LIMIT ?
		) p JOIN grid_unit u ON u.id = p.unit_id
		ORDER BY u.id`,
		[after, ...args, size]);
	const last = rows.length ? rows[rows.length - 1].unit_id : null;
	const { rows: done } = await sql<{ unit_id: number }>(uow,
		`SELECT unit_id::int AS unit_id FROM notice_recipient WHERE notice_id = ? AND resident_id IS NULL AND unit_id = ANY(?::bigint[])`,
		[n.id, rows.map((r) => r.unit_id)]);
	const skip = new Set(done.map((d) => d.unit_id));
	const open = rows.filter((r) => !skip.has(r.unit_id));
	const answer = await responsibleMany(uow, open.map((r) => r.unit_id));
	const staffIds = [...new Set(open.flatMap((r) => answer.get(r.unit_id)?.staff.slice(0, 1).map((s) => s.staffId) ?? []))];
	const { rows: staff } = await sql<{ id: number; name: string; phone_enc: string | null; phone_masked: string | null }>(uow,
		`SELECT id::int AS id, name, phone_enc, phone_masked FROM staff WHERE id = ANY(?::bigint[])`, [staffIds]);
	const byId = new Map(staff.map((s) => [s.id, s]));
	const candidates: Candidate[] = open.map((r) => {
		const s = byId.get(answer.get(r.unit_id)?.staff[0]?.staffId ?? -1);
		return {
			residentId: null,
			staffId: s?.id ?? null,
			unitId: r.unit_id,
			name: s?.name ?? '',
			phoneEnc: s?.phone_enc ?? null,
			phoneMasked: s?.phone_masked ?? null,
			reachable: !!s?.phone_enc,
			buildingCode: r.code,
			buildingName: r.name,
			gridId: r.grid_id,
		};
	});
	return { candidates, last, full: rows.length === size };
}

/** Logs a page in one statement and shapes the rows it inserted; phones are revealed and audited set-based. */
async function logAndShape(uow: UnitOfWork, n: NoticeRow, taken: Candidate[], includePhone: boolean, members: Map<number, string>, summary: PrepareSummary): Promise<RecipientItem[]> {
	const ids = taken.map(newMessageId);
	const { rows } = await sql<{ message_id: string }>(uow,
		`INSERT INTO notice_recipient (notice_id, resident_id, staff_id, unit_id, message_id, status, reason, status_at)
		SELECT ?, t.rid, t.sid, t.uid, t.mid, t.st, CASE WHEN t.st = 'not_reachable' THEN t.why END, CASE WHEN t.st = 'not_reachable' THEN now() END
		FROM unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::text[]) AS t(rid, sid, uid, mid, st, why)
		ON CONFLICT DO NOTHING
		RETURNING message_id`,
		[
			n.id,
			taken.map((c) => c.residentId),
			taken.map((c) => c.staffId),
			taken.map((c) => c.unitId),
			ids,
			taken.map((c) => (c.reachable ? 'prepared' : 'not_reachable')),
			taken.map((c) => (c.residentId === null && c.staffId === null ? 'no one answers for this building' : 'no phone on file')),
		]);
	const inserted = new Set(rows.map((r) => r.message_id));
	const mine = taken.map((c, k) => ({ c, id: ids[k] })).filter((x) => inserted.has(x.id));
	const sent = mine.filter((x) => x.c.reachable);
	summary.notReachable += mine.length - sent.length;
	summary.prepared += sent.length;
	if (!sent.length) return [];
	await gridMembers(uow, sent.map((x) => x.c.gridId).filter((g): g is number => g !== null), members);
	if (includePhone) {
		await writeAudit(uow, sent.filter((x) => x.c.phoneEnc).map((x) => ({
			action: 'reveal',
			entity: x.c.residentId !== null ? 'resident' : 'staff',
			entityId: String(x.c.residentId ?? x.c.staffId),
			unitId: x.c.unitId,
			details: { fields: ['phone'], noticeId: n.id, messageId: x.id },
		})));
	}
	return sent.map(({ c, id }) => {
		const text = fillTemplate(n.body, { name: maskName(c.name), building: c.buildingName, gridMember: members.get(c.gridId ?? -1) ?? '网格员' });
		return {
			noticeId: n.id,
			recipientKind: c.residentId !== null ? 'resident' : 'staff',
			recipientId: (c.residentId ?? c.staffId)!,
			messageId: id,
			channel: n.channel,
			...(includePhone ? { to: c.phoneEnc ? decrypt(uow.keys, c.phoneEnc) : null } : {}),
			maskedPhone: c.phoneMasked,
			text,
			...(n.channel === 'sms' ? { segments: smsSize(text).segments } : {}),
			title: n.title,
			category: n.category,
			categoryLabel: NOTICE_CATEGORIES[n.category],
			unitCode: c.buildingCode,
			buildingName: c.buildingName,
		};
	});
}

/** Names of the current grid members (网格员) of base grids not yet known, into the cache. */
async function gridMembers(uow: UnitOfWork, gridIds: number[], cache: Map<number, string>): Promise<void> {
	const missing = [...new Set(gridIds)].filter((g) => !cache.has(g));
	if (!missing.length) return;
	const { rows } = await sql<{ unit_id: number; name: string }>(uow,
		`SELECT DISTINCT ON (a.unit_id) a.unit_id::int AS unit_id, s.name
		FROM grid_assignment a JOIN staff s ON s.id = a.staff_id
		WHERE a.unit_id = ANY(?::bigint[]) AND a.role = 'grid_member' AND s.active
			AND a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now())
		ORDER BY a.unit_id, a.valid_from, a.id`,
		[missing]);
	for (const g of missing) cache.set(g, '');
	for (const r of rows) cache.set(r.unit_id, r.name);
	// a grid without a grid member is named by whoever answers for it
	const vacant = missing.filter((g) => !cache.get(g));
	if (vacant.length) {
		const answer = await responsibleMany(uow, vacant);
		for (const g of vacant) cache.set(g, answer.get(g)?.staff[0]?.name ?? '网格员');
	}
}
