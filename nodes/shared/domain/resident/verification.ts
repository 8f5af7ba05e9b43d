import { sql } from '../../db/sql';
import type { Document } from '../../validation/idNumber';
import type { Phone } from '../../validation/phone';
import { normalizeAddress } from '../../validation/text';
import type { UnitOfWork } from '../context';
import { type ResponsibleFound, responsibleMany } from '../grid/assignments';
import { documentHashes, phoneHashes } from '../protect';
import { loadResidentRecords } from './residents';
import type { ResidentRecord } from './residentRecord';

/** One person on a list pushed down from a higher level (上级推送名单). */
export interface ListedPerson {
	name: string;
	document?: Document;
	phone?: Phone;
	claimedAddress?: string;
	arrival?: Record<string, unknown>;
}

interface Responsible {
	unitCode: string | null;
	role: string | null;
	staff: Array<{ staffId: number; name: string; phone: string | null; role: string }>;
}

export type VerificationResult =
	| { index: number; result: 'matched'; name: string; resident: ResidentRecord; matchedBy: string[]; responsible: Responsible; arrival?: Record<string, unknown> }
	| { index: number; result: 'ambiguous'; name: string; candidates: Array<{ resident: ResidentRecord; reasons: string[] }>; arrival?: Record<string, unknown> }
	| { index: number; result: 'not_found'; name: string; community: { code: string; name: string } | null; resolvedFrom: string | null; responsible: Responsible | null; arrival?: Record<string, unknown> };

function responsibleOf(found: ResponsibleFound | undefined): Responsible {
	return {
		unitCode: found?.answeredByCode ?? null,
		role: found?.role ?? null,
		staff: (found?.staff ?? []).map((s) => ({ staffId: s.staffId, name: s.name, phone: s.phone, role: s.roleLabel })),
	};
}

/**
 * Checks a whole pushed list against the registry in a fixed number of set-based queries, whatever
 * its length. It never creates residents.
 */
export async function verifyList(uow: UnitOfWork, persons: ListedPerson[]): Promise<VerificationResult[]> {
	// while a key rotation is in progress a person is looked up under both keys' hashes (one row each)
	const keyCount = uow.keys.previous ? 2 : 1;
	const idx = persons.map((_, i) => i);
	const hashIdx = persons.flatMap((_, i) => Array<number>(keyCount).fill(i));
	const docHashes = persons.flatMap((p) => (p.document ? documentHashes(uow.keys, p.document) : Array<null>(keyCount).fill(null)));
	const phoneHashList = persons.flatMap((p) => (p.phone ? phoneHashes(uow.keys, p.phone.normalized) : Array<null>(keyCount).fill(null)));
	const names = persons.flatMap((p) => Array<string>(keyCount).fill(p.name));

	// Exact document matches, and the two kinds of partial evidence, each in one query.
	const { rows: byDoc } = await sql<{ idx: number; id: number }>(uow,
		`SELECT t.idx, r.id FROM unnest(?::int[], ?::text[]) AS t(idx, h) JOIN resident r ON r.doc_hash = t.h WHERE r.active AND r.registered`,
		[hashIdx, docHashes]);
	const { rows: byPhone } = await sql<{ idx: number; id: number; same_name: boolean }>(uow,
		`SELECT t.idx, r.id, r.name = t.name AS same_name FROM unnest(?::int[], ?::text[], ?::text[]) AS t(idx, h, name)
		JOIN resident r ON r.phone_hash = t.h WHERE r.active AND r.registered`,
		[hashIdx, phoneHashList, names]);
	const { rows: byLast4 } = await sql<{ idx: number; id: number }>(uow,
		`SELECT t.idx, r.id FROM unnest(?::int[], ?::text[], ?::text[]) AS t(idx, last4, name)
		JOIN resident r ON r.doc_last4 = t.last4 AND r.name = t.name WHERE r.active AND r.registered`,
		[idx, persons.map((p) => p.document?.last4 ?? null), persons.map((p) => p.name)]);

	const docMatch = new Map(byDoc.map((r) => [r.idx, r.id]));
	const evidence = new Map<number, Map<number, Set<string>>>();
	const note = (i: number, id: number, reason: string) => {
		const forPerson = evidence.get(i) ?? new Map<number, Set<string>>();
		const reasons = forPerson.get(id) ?? new Set<string>();
		reasons.add(reason);
		forPerson.set(id, reasons);
		evidence.set(i, forPerson);
	};
	for (const r of byPhone) {
		note(r.idx, r.id, 'phone');
		if (r.same_name) note(r.idx, r.id, 'name');
	}
	for (const r of byLast4) {
		note(r.idx, r.id, 'last 4 digits of the document');
		note(r.idx, r.id, 'name');
	}

	const matchedId = new Map<number, { id: number; by: string[] }>();
	for (const i of idx) {
		const d = docMatch.get(i);
		if (d !== undefined) {
			matchedId.set(i, { id: d, by: ['document'] });
			continue;
		}
		const cands = evidence.get(i);
		// one candidate with the same phone and the same name is as good as a document match
		if (cands && cands.size === 1) {
			const [[id, reasons]] = [...cands];
			if (reasons.has('phone') && reasons.has('name')) matchedId.set(i, { id, by: [...reasons] });
		}
	}

	// Not found: the community comes from the longest registered address that prefixes the claimed one.
	const unresolved = idx.filter((i) => !matchedId.has(i) && !evidence.get(i)?.size && persons[i].claimedAddress);
	const prefixes: Array<[number, string]> = [];
	for (const i of unresolved) {
		const a = normalizeAddress(persons[i].claimedAddress!);
		for (let len = Math.min(a.length, 120); len >= 4; len--) prefixes.push([i, a.slice(0, len)]);
	}
	const { rows: places } = await sql<{ idx: number; id: number; path: string; len: number }>(uow,
		`SELECT DISTINCT ON (t.idx) t.idx, u.id, u.path, length(t.prefix) AS len
		FROM unnest(?::int[], ?::text[]) AS t(idx, prefix)
		JOIN grid_unit u ON u.address = t.prefix AND u.active
		ORDER BY t.idx, length(t.prefix) DESC`,
		[prefixes.map((p) => p[0]), prefixes.map((p) => p[1])]);
	const placeOf = new Map(places.map((p) => [p.idx, p]));
	const communityIds = places.map((p) => Number(p.path.split('/').filter(Boolean)[2])).filter((x) => !Number.isNaN(x));
	const { rows: communities } = await sql<{ id: number; code: string; name: string }>(uow,
		`SELECT id, code, name FROM grid_unit WHERE id = ANY(?::bigint[])`, [communityIds]);
	const communityById = new Map(communities.map((c) => [c.id, c]));

	const residentIds = [...new Set([...[...matchedId.values()].map((m) => m.id), ...[...evidence.values()].flatMap((m) => [...m.keys()])])];
	const records = await loadResidentRecords(uow, residentIds);
	const { rows: homes } = await sql<{ id: number; unit_id: number }>(uow, `SELECT id, unit_id FROM resident WHERE id = ANY(?::bigint[])`, [[...matchedId.values()].map((m) => m.id)]);
	const homeOf = new Map(homes.map((h) => [h.id, h.unit_id]));
	const answers = await responsibleMany(uow, [...homeOf.values(), ...communityIds]);

	return idx.map((i): VerificationResult => {
		const p = persons[i];
		const base = { index: i, name: p.name, ...(p.arrival ? { arrival: p.arrival } : {}) };
		const m = matchedId.get(i);
		if (m) {
			return { ...base, result: 'matched', resident: records.get(m.id)!, matchedBy: m.by, responsible: responsibleOf(answers.get(homeOf.get(m.id)!)) };
		}
		const cands = evidence.get(i);
		if (cands?.size) {
			return {
				...base,
				result: 'ambiguous',
				candidates: [...cands].map(([id, reasons]) => ({ resident: records.get(id)!, reasons: [...reasons] })),
			};
		}
		const place = placeOf.get(i);
		const communityId = place ? Number(place.path.split('/').filter(Boolean)[2]) : undefined;
		const community = communityId !== undefined ? communityById.get(communityId) : undefined;
		return {
			...base,
			result: 'not_found',
			community: community ? { code: community.code, name: community.name } : null,
			resolvedFrom: community && p.claimedAddress ? p.claimedAddress : null,
			responsible: community ? responsibleOf(answers.get(community.id)) : null,
		};
	});
}
