import { sql } from '../../db/sql';
import { FieldError } from '../../validation/errors';
import type { Outcome, UnitOfWork } from '../context';
import { loadUnits } from '../grid/unitLookup';
import type { UnitRow } from '../grid/unitRecord';
import type { NoticeDraft, NoticeTarget } from './noticeInput';
import { NOTICE_CATEGORIES, NOTICE_CHANNELS, NOTICE_REACHES, type NoticeCategory, type NoticeChannel } from './vocabulary';

export interface NoticeRecord {
	noticeId: number;
	title: string;
	body: string;
	category: NoticeCategory;
	categoryLabel: string;
	channel: NoticeChannel;
	channelLabel: string;
	unitCode: string;
	unitName: string;
	target: NoticeTarget;
	reachLabel: string;
	validFrom: string;
	validUntil: string | null;
	createdAt: string;
}

/** A stored notice with what preparation needs of its subtree. */
export interface NoticeRow {
	id: number;
	title: string;
	body: string;
	category: NoticeCategory;
	channel: NoticeChannel;
	unit_id: number;
	unit_code: string;
	unit_name: string;
	unit_path: string;
	target: NoticeTarget;
	valid_from: Date;
	valid_until: Date | null;
	created_at: Date;
}

export function toNoticeRecord(r: NoticeRow): NoticeRecord {
	return {
		noticeId: Number(r.id),
		title: r.title,
		body: r.body,
		category: r.category,
		categoryLabel: NOTICE_CATEGORIES[r.category],
		channel: r.channel,
		channelLabel: NOTICE_CHANNELS[r.channel],
		unitCode: r.unit_code,
		unitName: r.unit_name,
		target: r.target,
		reachLabel: NOTICE_REACHES[r.target.reach],
		validFrom: new Date(r.valid_from).toISOString(),
		validUntil: r.valid_until ? new Date(r.valid_until).toISOString() : null,
		createdAt: new Date(r.created_at).toISOString(),
	};
}

/** Stores checked drafts in one statement; a unit that does not exist fails its item and, unless partial, writes nothing. */
export async function composeNotices(uow: UnitOfWork, drafts: NoticeDraft[]): Promise<Array<Outcome<NoticeRecord>>> {
	const units = await loadUnits(uow, drafts.map((d) => d.within), 'Within Unit');
	const outcomes: Array<Outcome<NoticeRecord>> = units.map((u) => (u instanceof FieldError ? { ok: false, error: u } : { ok: true, value: [] }));
	if (outcomes.some((o) => !o.ok) && !uow.partial) return outcomes;
	const good = drafts.map((d, i) => ({ d, i, u: units[i] })).filter((x): x is { d: NoticeDraft; i: number; u: UnitRow } => !(x.u instanceof FieldError));
	if (!good.length) return outcomes;
	const { rows } = await sql<{ id: number }>(uow,
		`INSERT INTO notice (title, body, category, channel, unit_id, target, valid_from, valid_until)
		SELECT t.title, t.body, t.category, t.channel, t.unit_id, t.target::jsonb, coalesce(t.valid_from, now()), t.valid_until
		FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::text[], ?::timestamptz[], ?::timestamptz[])
			WITH ORDINALITY AS t(title, body, category, channel, unit_id, target, valid_from, valid_until, n)
		ORDER BY t.n
		RETURNING id`,
		[
			good.map((g) => g.d.title),
			good.map((g) => g.d.body),
			good.map((g) => g.d.category),
			good.map((g) => g.d.channel),
			good.map((g) => g.u.id),
			good.map((g) => JSON.stringify(targetJson(g.d.target))),
			good.map((g) => g.d.validFrom?.toISOString() ?? null),
			good.map((g) => g.d.validUntil?.toISOString() ?? null),
		]);
	const stored = await loadNotices(uow, rows.map((r) => Number(r.id)));
	good.forEach((g, k) => {
		outcomes[g.i] = { ok: true, value: toNoticeRecord(stored.get(Number(rows[k].id))!) };
	});
	return outcomes;
}

/** The target as stored: only what was given, so a stored notice reads back as composed. */
function targetJson(t: NoticeTarget): NoticeTarget {
	return {
		reach: t.reach,
		tagMatch: t.tagMatch,
		...(t.tags?.length ? { tags: t.tags } : {}),
		...(t.statuses?.length ? { statuses: t.statuses } : {}),
		...(t.minAge !== undefined ? { minAge: t.minAge } : {}),
		...(t.maxAge !== undefined ? { maxAge: t.maxAge } : {}),
	};
}

export async function loadNotices(uow: UnitOfWork, ids: number[]): Promise<Map<number, NoticeRow>> {
	const { rows } = await sql<NoticeRow>(uow,
		`SELECT n.id::int AS id, n.title, n.body, n.category, n.channel, n.unit_id::int AS unit_id, u.code AS unit_code, u.name AS unit_name,
			u.path AS unit_path, n.target, n.valid_from, n.valid_until, n.created_at
		FROM notice n JOIN grid_unit u ON u.id = n.unit_id WHERE n.id = ANY(?::bigint[])`,
		[ids]);
	return new Map(rows.map((r) => [r.id, r]));
}

export async function loadNotice(uow: UnitOfWork, id: number, field = 'Notice ID'): Promise<NoticeRow> {
	const row = (await loadNotices(uow, [id])).get(id);
	if (!row) throw new FieldError(field, `unknown notice ${id}${uow.scopeCode ? ` (or it lies outside this credential's scope ${uow.scopeCode})` : ''}`);
	return row;
}
