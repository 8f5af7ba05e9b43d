import { sql } from '../../db/sql';
import type { UnitOfWork } from '../context';
import { responsibleMany } from '../grid/assignments';
import { searchConditions } from '../resident/search';
import type { NoticeRow } from './notices';
import { ADULT_AGE, NOTICE_REACHES, URGENT_CATEGORIES } from './vocabulary';

/** The residents a notice's filters match: a WHERE over `resident r JOIN grid_unit b ON b.id = r.unit_id`. */
export async function matchConditions(uow: UnitOfWork, n: NoticeRow): Promise<{ where: string; args: unknown[] }> {
	const t = n.target;
	const { where, args } = await searchConditions(uow, {
		within: { id: n.unit_id },
		tags: t.tags,
		tagMatch: t.tagMatch ?? 'all',
		statuses: t.statuses,
		minAge: t.minAge,
		maxAge: t.maxAge,
		includeInactive: false,
		// persons met but not registered live here too, and a notice concerns them as much
		includeUnregistered: true,
	});
	return { where: where.length ? where.join(' AND ') : 'true', args };
}

/**
 * The household contact of the resident r: the adult with a phone who has the lowest id, else the
 * lowest-id adult, else the lowest-id member; people without a household are their own contact.
 * Bindings: the latest birth year of an adult.
 */
export const HOUSEHOLD_CONTACT = `LEFT JOIN LATERAL (
		SELECT m.id FROM resident m WHERE m.household_id = r.household_id AND m.active
		ORDER BY (m.birth_year IS NOT NULL AND m.birth_year <= ?) DESC, (m.phone_hash IS NOT NULL OR m.phone_enc IS NOT NULL) DESC, m.id
		LIMIT 1
	) hc ON r.household_id IS NOT NULL`;

export const adultBirthYear = () => new Date().getUTCFullYear() - ADULT_AGE;

export const isUrgent = (n: NoticeRow) => URGENT_CATEGORIES.includes(n.category);

/** SQL testing that resident `col` opted out of the notice's category (false for urgent notices). Binding: category. */
export const optedOut = (col: string) => `EXISTS (SELECT 1 FROM notice_opt_out o WHERE o.resident_id = ${col} AND o.category = ? OFFSET 0)`;

export const COMMUNITY_OF = (pathCol: string) => `nullif(split_part(${pathCol}, '/', 4), '')::bigint`;

export interface CommunityCount {
	communityCode: string | null;
	communityName: string | null;
	recipients: number;
	reachable: number;
	notReachable: number;
	optedOut: number;
	alreadyPrepared: number;
}

export interface NoticePreview {
	noticeId: number;
	title: string;
	reach: string;
	/** Recipients the notice would reach now, opt-outs left out; those already prepared included. */
	recipients: number;
	reachable: number;
	notReachable: number;
	optedOut: number;
	alreadyPrepared: number;
	communities: CommunityCount[];
	message: string;
}

/** Counts a notice's recipients per community, set-based: one query for residents, responsibleMany for buildings. */
export async function previewNotice(uow: UnitOfWork, n: NoticeRow): Promise<NoticePreview> {
	const { where, args } = await matchConditions(uow, n);
	const urgent = isUrgent(n);
	let rows: Array<{ community_id: number | null; recipients: number; reachable: number; opted_out: number; already: number }>;
	if (n.target.reach === 'gridAssistant') {
		rows = await previewAssistants(uow, n, where, args);
	} else {
		const contacts = n.target.reach === 'household'
			? `SELECT DISTINCT coalesce(hc.id, r.id) AS id FROM resident r JOIN grid_unit b ON b.id = r.unit_id ${HOUSEHOLD_CONTACT} WHERE ${where}`
			: `SELECT r.id FROM resident r JOIN grid_unit b ON b.id = r.unit_id WHERE ${where}`;
		const contactArgs = n.target.reach === 'household' ? [adultBirthYear(), ...args] : args;
		({ rows } = await sql(uow,
			`SELECT ${COMMUNITY_OF('b.path')} AS community_id,
				count(*) FILTER (WHERE NOT x.opted)::int AS recipients,
				count(*) FILTER (WHERE NOT x.opted AND x.reachable)::int AS reachable,
				count(*) FILTER (WHERE x.opted)::int AS opted_out,
				count(*) FILTER (WHERE NOT x.opted AND x.already)::int AS already
			FROM (
				SELECT c.id, c.unit_id, (c.phone_hash IS NOT NULL OR c.phone_enc IS NOT NULL) AS reachable,
					${urgent ? 'false' : optedOut('c.id')} AS opted,
					EXISTS (SELECT 1 FROM notice_recipient nr WHERE nr.notice_id = ? AND nr.resident_id = c.id) AS already
				FROM (${contacts}) k JOIN resident c ON c.id = k.id
			) x JOIN grid_unit b ON b.id = x.unit_id
			GROUP BY 1`,
			[...(urgent ? [] : [n.category]), n.id, ...contactArgs]));
	}
	const names = await communityNames(uow, rows.map((r) => r.community_id).filter((x): x is number => x !== null));
	const communities: CommunityCount[] = rows.map((r) => ({
		communityCode: r.community_id === null ? null : names.get(Number(r.community_id))?.code ?? null,
		communityName: r.community_id === null ? null : names.get(Number(r.community_id))?.name ?? null,
		recipients: r.recipients,
		reachable: r.reachable,
		notReachable: r.recipients - r.reachable,
		optedOut: r.opted_out,
		alreadyPrepared: r.already,
	})).sort((a, b) => (a.communityCode ?? '').localeCompare(b.communityCode ?? ''));
	const sum = (k: keyof CommunityCount) => communities.reduce((s, c) => s + (c[k] as number), 0);
	const recipients = sum('recipients');
	const who = n.target.reach === 'gridAssistant' ? 'buildings' : 'recipients';
	return {
		noticeId: n.id,
		title: n.title,
		reach: NOTICE_REACHES[n.target.reach],
		recipients,
		reachable: sum('reachable'),
		notReachable: sum('notReachable'),
		optedOut: sum('optedOut'),
		alreadyPrepared: sum('alreadyPrepared'),
		communities: communities.filter((c) => c.recipients + c.optedOut > 0),
		message: recipients === 0
			? `The target matches nobody in ${n.unit_code} (${n.unit_name}): 0 ${who}. Nothing would be sent; widen the filters or pick another unit.`
			: `${recipients} ${who} in ${communities.filter((c) => c.recipients > 0).length} communities; ${sum('reachable')} reachable, ${sum('notReachable')} not reachable (${n.target.reach === 'gridAssistant' ? 'no one with a phone answers for the building' : 'no phone'})${sum('optedOut') ? `, ${sum('optedOut')} opted out` : ''}`,
	};
}

/** For the grid-assistant reach the recipients are buildings with a matching resident, each reached through whoever answers for it. */
async function previewAssistants(uow: UnitOfWork, n: NoticeRow, where: string, args: unknown[]) {
	const { rows } = await sql<{ unit_id: number; community_id: number | null }>(uow,
		`SELECT DISTINCT r.unit_id::int AS unit_id, ${COMMUNITY_OF('b.path')} AS community_id FROM resident r JOIN grid_unit b ON b.id = r.unit_id WHERE ${where}`, args);
	const answer = await responsibleMany(uow, rows.map((r) => r.unit_id));
	const { rows: already } = await sql<{ unit_id: number }>(uow,
		`SELECT unit_id::int AS unit_id FROM notice_recipient WHERE notice_id = ? AND resident_id IS NULL`, [n.id]);
	const done = new Set(already.map((a) => a.unit_id));
	const phones = await staffPhones(uow, [...answer.values()].flatMap((f) => f.staff.slice(0, 1).map((s) => s.staffId)));
	const by = new Map<string, { community_id: number | null; recipients: number; reachable: number; opted_out: number; already: number }>();
	for (const r of rows) {
		const key = String(r.community_id);
		const c = by.get(key) ?? { community_id: r.community_id, recipients: 0, reachable: 0, opted_out: 0, already: 0 };
		const staff = answer.get(r.unit_id)?.staff[0];
		c.recipients++;
		if (staff && phones.has(staff.staffId)) c.reachable++;
		if (done.has(r.unit_id)) c.already++;
		by.set(key, c);
	}
	return [...by.values()];
}

/** Staff ids with a phone on file. */
export async function staffPhones(uow: UnitOfWork, ids: number[]): Promise<Set<number>> {
	if (!ids.length) return new Set();
	const { rows } = await sql<{ id: number }>(uow, `SELECT id::int AS id FROM staff WHERE id = ANY(?::bigint[]) AND phone_enc IS NOT NULL`, [ids]);
	return new Set(rows.map((r) => r.id));
}

export async function communityNames(uow: UnitOfWork, ids: number[]): Promise<Map<number, { code: string; name: string }>> {
	if (!ids.length) return new Map();
	const { rows } = await sql<{ id: number; code: string; name: string }>(uow, `SELECT id::int AS id, code, name FROM grid_unit WHERE id = ANY(?::bigint[])`, [[...new Set(ids)]]);
	return new Map(rows.map((r) => [r.id, { code: r.code, name: r.name }]));
}
