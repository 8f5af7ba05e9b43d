import { sql } from '../../db/sql';
import { FieldError } from '../../validation/errors';
import type { Document } from '../../validation/idNumber';
import type { Phone } from '../../validation/phone';
import type { Outcome, UnitOfWork } from '../context';
import { responsibleMany } from '../grid/assignments';
import { loadUnits } from '../grid/unitLookup';
import type { UnitRef } from '../grid/unitRecord';
import { documentHash, documentHashes, matchHash, protectDocument, protectPhone } from '../protect';
import { type ResidentRef, resolveResidentsMany } from './residents';
import { EXPOSURE_KINDS, EXPOSURE_RANK, type ExposureKind } from './vocabulary';

/** Someone met during an exposure who is not in the registry: stored protected, like any person. */
export interface OutsidePerson {
	name: string;
	document?: Document;
	phone?: Phone;
}

export type ExposurePerson = { resident: ResidentRef } | { outside: OutsidePerson };

export interface NewExposure {
	a: ExposurePerson;
	b: ExposurePerson;
	occurredAt: Date;
	place: UnitRef;
	kind: ExposureKind;
	note?: string;
}

export interface ExposureRecord {
	id: number;
	residentA: number;
	residentB: number;
	occurredAt: string;
	placeCode: string;
	kind: ExposureKind;
	kindLabel: string;
}

/**
 * Resolves outside persons to unregistered person records (found by document when known,
 * otherwise created at the place of the exposure).
 */
async function resolveOutside(uow: UnitOfWork, people: Array<{ p: OutsidePerson; unitId: number }>): Promise<number[]> {
	const ids: number[] = [];
	for (const { p, unitId } of people) {
		if (p.document) {
			const m = matchHash('doc_hash', documentHashes(uow.keys, p.document));
			const { rows } = await sql<{ id: number }>(uow, `SELECT id FROM resident WHERE ${m.sql}`, [m.binding]);
			if (rows.length) {
				ids.push(rows[0].id);
				continue;
			}
		}
		const doc = protectDocument(uow.keys, p.document, false);
		const phone = protectPhone(uow.keys, p.phone);
		const { rows } = await sql<{ id: number }>(uow,
			`INSERT INTO resident (name, unit_id, registered, doc_type, doc_hash, doc_masked, doc_last4, phone_hash, phone_enc, phone_masked, birth_year, sex)
			VALUES (?, ?, false, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			[p.name, unitId, doc.type, doc.hash, doc.masked, doc.last4, phone.hash, phone.enc, phone.masked, p.document?.birthYear ?? null, p.document?.sex ?? null]);
		ids.push(rows[0].id);
	}
	return ids;
}

export async function recordExposures(uow: UnitOfWork, inputs: NewExposure[]): Promise<Array<Outcome<ExposureRecord>>> {
	const errors = new Map<number, FieldError>();
	const places = await loadUnits(uow, inputs.map((e) => e.place), 'Place');
	places.forEach((p, i) => {
		if (p instanceof FieldError) errors.set(i, p);
	});
	const sideRefs = (side: 'a' | 'b') => inputs.map((e) => ('resident' in e[side] ? (e[side] as { resident: ResidentRef }).resident : null));
	const resolveSide = async (side: 'a' | 'b') => {
		const refs = sideRefs(side);
		const present = refs.map((r, i) => ({ r, i })).filter((x): x is { r: ResidentRef; i: number } => x.r !== null);
		const found = await resolveResidentsMany(uow, present.map((x) => x.r), side === 'a' ? 'Person A' : 'Person B');
		const out: Array<number | undefined> = new Array(inputs.length).fill(undefined);
		present.forEach(({ i }, k) => {
			const f = found[k];
			if (f instanceof FieldError) {
				if (!errors.has(i)) errors.set(i, f);
			} else out[i] = f;
		});
		return out;
	};
	const a = await resolveSide('a');
	const b = await resolveSide('b');
	inputs.forEach((e, i) => {
		if (errors.has(i)) return;
		const sameResident = a[i] !== undefined && a[i] === b[i];
		const sameOutside = 'outside' in e.a && 'outside' in e.b && e.a.outside.document && e.b.outside.document
			&& documentHash(uow.keys, e.a.outside.document) === documentHash(uow.keys, e.b.outside.document);
		if (sameResident || sameOutside) errors.set(i, new FieldError('Person B', 'an exposure needs two different people; both sides name the same person'));
	});
	const outcomes: Array<Outcome<ExposureRecord>> = inputs.map((_, i) => (errors.has(i) ? { ok: false, error: errors.get(i)! } : { ok: true, value: [] }));
	if (errors.size && !uow.partial) return outcomes;
	const good = inputs.map((e, i) => ({ e, i })).filter(({ i }) => !errors.has(i));
	if (!good.length) return outcomes;
	for (const side of ['a', 'b'] as const) {
		const outside = good.filter(({ e }) => 'outside' in e[side]);
		const ids = await resolveOutside(uow, outside.map(({ e, i }) => ({ p: (e[side] as { outside: OutsidePerson }).outside, unitId: (places[i] as { id: number }).id })));
		outside.forEach(({ i }, k) => {
			(side === 'a' ? a : b)[i] = ids[k];
		});
	}
	const clash = good.find(({ i }) => a[i] === b[i]);
	if (clash) throw Object.assign(new FieldError('Person B', 'an exposure needs two different people; both sides name the same person'), { itemIndex: clash.i });
	const { rows } = await sql(uow,
		`INSERT INTO exposure (resident_a, resident_b, occurred_at, unit_id, kind, note)
		SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::timestamptz[], ?::bigint[], ?::text[], ?::text[])
		RETURNING id, resident_a, resident_b, occurred_at, kind`,
		[
			good.map(({ i }) => a[i]),
			good.map(({ i }) => b[i]),
			good.map(({ e }) => e.occurredAt.toISOString()),
			good.map(({ i }) => (places[i] as { id: number }).id),
			good.map(({ e }) => e.kind),
			good.map(({ e }) => e.note ?? null),
		]);
	good.forEach(({ i }, k) => {
		const r = rows[k];
		outcomes[i] = {
			ok: true,
			value: {
				id: r.id, residentA: r.resident_a, residentB: r.resident_b, occurredAt: r.occurred_at,
				placeCode: (places[i] as { code: string }).code, kind: r.kind, kindLabel: EXPOSURE_KINDS[r.kind as ExposureKind],
			},
		};
	});
	return outcomes;
}

export interface TraceInput {
	person: ResidentRef;
	hops: number;
	windowDays: number;
	/** Onset or report time; by default the start of the current symptomatic or confirmed status, else now. */
	anchor?: Date;
}

export interface Contact {
	residentId: number;
	name: string;
	registered: boolean;
	hops: number;
	/** Resident ids from the index person to the contact, along a shortest chain. */
	path: number[];
	pathNames: string[];
	closestKind: ExposureKind;
	closestKindLabel: string;
	firstExposureAt: string;
	lastExposureAt: string;
	buildingCode: string;
	healthStatus: string;
	phone: string | null;
	responsible: { unitCode: string | null; role: string | null; staff: Array<{ staffId: number; name: string; phone: string | null }> };
}

/**
 * Contacts within k hops in a time window, by one recursive query over the two exposure indexes.
 * Each hop expands a person's exposures grouped by contact, so repeated exposures between the same
 * two people cost one row, and a person already on the chain is never revisited.
 */
export async function trace(uow: UnitOfWork, input: TraceInput): Promise<Contact[]> {
	if (input.hops < 1 || input.hops > 4) throw new FieldError('Hops', `Hops must be 1 to 4, got ${input.hops}`);
	if (input.windowDays < 1 || input.windowDays > 60) throw new FieldError('Window (Days)', `the window must be 1 to 60 days, got ${input.windowDays}`);
	const [index] = await resolveResidentsMany(uow, [input.person], 'Person');
	if (index instanceof FieldError) throw index;
	const { rows: [who] } = await sql<{ health_status: string; health_since: string }>(uow, `SELECT health_status, health_since FROM resident WHERE id = ?`, [index]);
	const anchor = input.anchor ?? (['symptomatic', 'confirmed'].includes(who.health_status) ? new Date(who.health_since) : new Date());
	const from = new Date(anchor.getTime() - input.windowDays * 86_400_000);
	const rankCase = `CASE kind ${Object.entries(EXPOSURE_RANK).map(([k, v]) => `WHEN '${k}' THEN ${v}`).join(' ')} ELSE 9 END`;
	const { rows } = await sql<{ person: number; hop: number; path: number[]; rank: number; first_at: string; last_at: string }>(uow,
		`WITH RECURSIVE walk(person, hop, path, rank, first_at, last_at) AS (
			SELECT ?::bigint, 0, ARRAY[?::bigint], 0, NULL::timestamptz, NULL::timestamptz
			UNION ALL
			SELECT n.other, w.hop + 1, w.path || n.other, n.rank, n.first_at, n.last_at
			FROM walk w
			CROSS JOIN LATERAL (
				SELECT x.other, min(x.rank) AS rank, min(x.occurred_at) AS first_at, max(x.occurred_at) AS last_at
				FROM (
					SELECT e.resident_b AS other, e.occurred_at, ${rankCase} AS rank FROM exposure e
					WHERE e.resident_a = w.person AND e.occurred_at >= ? AND e.occurred_at <= now()
					UNION ALL
					SELECT e.resident_a, e.occurred_at, ${rankCase} FROM exposure e
					WHERE e.resident_b = w.person AND e.occurred_at >= ? AND e.occurred_at <= now()
				) x
				GROUP BY x.other
			) n
			WHERE w.hop < ? AND n.other <> ALL(w.path)
		)
		SELECT DISTINCT ON (w.person) w.person, w.hop, w.path, w.rank, w.first_at, w.last_at
		FROM walk w JOIN resident r ON r.id = w.person
		WHERE w.hop > 0
		ORDER BY w.person, w.hop, w.rank, w.first_at`,
		[index, index, from.toISOString(), from.toISOString(), input.hops]);
	if (!rows.length) return [];
	const ids = [...new Set(rows.flatMap((r) => r.path))];
	const { rows: people } = await sql<{ id: number; name: string; registered: boolean; unit_id: number; code: string; health_status: string; phone_masked: string | null }>(uow,
		`SELECT r.id, r.name, r.registered, r.unit_id, b.code, r.health_status, r.phone_masked FROM resident r JOIN grid_unit b ON b.id = r.unit_id WHERE r.id = ANY(?::bigint[])`,
		[ids]);
	const byId = new Map(people.map((p) => [p.id, p]));
	const answers = await responsibleMany(uow, rows.map((r) => byId.get(r.person)!.unit_id));
	const kindOfRank = Object.fromEntries(Object.entries(EXPOSURE_RANK).map(([k, v]) => [v, k])) as Record<number, ExposureKind>;
	return rows
		.sort((x, y) => x.hop - y.hop || x.rank - y.rank || x.first_at.localeCompare(y.first_at))
		.map((r) => {
			const p = byId.get(r.person)!;
			const found = answers.get(p.unit_id);
			const kind = kindOfRank[r.rank];
			return {
				residentId: r.person,
				name: p.name,
				registered: p.registered,
				hops: r.hop,
				path: r.path,
				pathNames: r.path.map((id) => byId.get(id)?.name ?? '?'),
				closestKind: kind,
				closestKindLabel: EXPOSURE_KINDS[kind],
				firstExposureAt: r.first_at,
				lastExposureAt: r.last_at,
				buildingCode: p.code,
				healthStatus: p.health_status,
				phone: p.phone_masked,
				responsible: {
					unitCode: found?.answeredByCode ?? null,
					role: found?.role ?? null,
					staff: (found?.staff ?? []).map((s) => ({ staffId: s.staffId, name: s.name, phone: s.phone })),
				},
			};
		});
}
