import { sql } from '../../db/sql';
import { FieldError } from '../../validation/errors';
import type { Level } from '../../validation/gridCode';
import type { Document } from '../../validation/idNumber';
import type { UnitOfWork } from '../context';
import { loadUnit } from '../grid/unitLookup';
import { type UnitRef, subtreeBounds } from '../grid/unitRecord';
import { documentHashes, matchHash, phoneHashes } from '../protect';
import { RESIDENT_COLUMNS, RESIDENT_FROM, type ResidentRecord, type ResidentRow, toResidentRecords } from './residentRecord';
import type { HealthStatus } from './vocabulary';

export interface ResidentSearch {
	within?: UnitRef;
	level?: Level;
	tags?: string[];
	tagMatch: 'all' | 'any';
	statuses?: HealthStatus[];
	minAge?: number;
	maxAge?: number;
	namePrefix?: string;
	document?: Document;
	/** Normalized phone. */
	phone?: string;
	quarantineEndsWithinDays?: number;
	includeInactive: boolean;
	includeUnregistered: boolean;
	limit?: number;
	reveal: boolean;
}

const PAGE = 1_000;

/** Builds the WHERE clause; every condition is answerable from an index of resident or grid_unit. */
export async function searchConditions(uow: UnitOfWork, q: Omit<ResidentSearch, 'limit' | 'reveal'>): Promise<{ where: string[]; args: unknown[] }> {
	const where: string[] = [];
	const args: unknown[] = [];
	if (q.within) {
		const root = await loadUnit(uow, q.within, 'Grid Unit');
		const [lo, hi] = subtreeBounds(root.path);
		where.push('b.path >= ? AND b.path < ?');
		args.push(lo, hi);
	}
	if (q.level) {
		where.push('b.level = ?');
		args.push(q.level);
	}
	if (q.tags?.length) {
		// through resident_tag: its equality lookups may use the index under row-level security
		if (q.tagMatch === 'all') {
			where.push('r.id IN (SELECT rt.resident_id FROM resident_tag rt WHERE rt.tag = ANY(?::text[]) GROUP BY rt.resident_id HAVING count(*) = ?)');
			args.push(q.tags, new Set(q.tags).size);
		} else {
			where.push('r.id IN (SELECT rt.resident_id FROM resident_tag rt WHERE rt.tag = ANY(?::text[]))');
			args.push(q.tags);
		}
	}
	if (q.statuses?.length) {
		where.push('r.health_status = ANY(?::text[])');
		args.push(q.statuses);
	}
	const year = new Date().getUTCFullYear();
	if (q.minAge !== undefined || q.maxAge !== undefined) {
		if (q.minAge !== undefined && q.maxAge !== undefined && q.maxAge < q.minAge) {
			throw new FieldError('Max Age', `Max Age ${q.maxAge} is below Min Age ${q.minAge}`);
		}
		where.push('r.birth_year BETWEEN ? AND ?');
		args.push(q.maxAge !== undefined ? year - q.maxAge : 1800, q.minAge !== undefined ? year - q.minAge : 3000);
	}
	if (q.namePrefix) {
		// the pattern operators are leakproof, so the index serves them under row-level security; LIKE rechecks
		where.push('r.name ~>=~ ? AND r.name ~<~ ? AND r.name LIKE ?');
		args.push(q.namePrefix, `${q.namePrefix}\u{10FFFF}`, `${q.namePrefix.replace(/[\\%_]/g, '\\$&')}%`);
	}
	if (q.document) {
		const m = matchHash('r.doc_hash', documentHashes(uow.keys, q.document));
		where.push(m.sql);
		args.push(m.binding);
	}
	if (q.phone) {
		const m = matchHash('r.phone_hash', phoneHashes(uow.keys, q.phone));
		where.push(m.sql);
		args.push(m.binding);
	}
	if (q.quarantineEndsWithinDays !== undefined) {
		where.push(`r.quarantine_ends_at <= now() + make_interval(days => ?) AND r.health_status IN ('home_quarantine', 'central_quarantine')`);
		args.push(q.quarantineEndsWithinDays);
	}
	if (!q.includeInactive) where.push('r.active');
	if (!q.includeUnregistered) where.push('r.registered');
	return { where, args };
}

export async function searchResidents(uow: UnitOfWork, q: ResidentSearch): Promise<ResidentRecord[]> {
	const { where, args } = await searchConditions(uow, q);
	const out: ResidentRecord[] = [];
	let after = 0;
	for (;;) {
		const want = q.limit === undefined ? PAGE : Math.min(PAGE, q.limit - out.length);
		if (want <= 0) break;
		const { rows } = await sql<ResidentRow>(uow,
			`SELECT ${RESIDENT_COLUMNS} FROM ${RESIDENT_FROM}
			WHERE r.id > ? ${where.map((w) => `AND ${w}`).join(' ')}
			ORDER BY r.id LIMIT ?`,
			[after, ...args, want]);
		out.push(...(await toResidentRecords(uow, rows, q.reveal)));
		if (rows.length < want) break;
		after = rows[rows.length - 1].id;
	}
	return out;
}
