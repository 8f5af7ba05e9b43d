import { sql } from '../../db/sql';
import { FieldError, batchError } from '../../validation/errors';
import type { Outcome, UnitOfWork } from '../context';
import { loadUnits } from '../grid/unitLookup';
import { documentHash, phoneHash, protectDocument, protectPhone } from '../protect';
import { addressKey, ensureHouseholds, notABuilding } from './households';
import type { NewResident } from './residentInput';
import { RESIDENT_COLUMNS, RESIDENT_FROM, type ResidentRecord, type ResidentRow, toResidentRecords } from './residentRecord';
import { HEALTH_STATUSES } from './vocabulary';
import type { Document } from '../../validation/idNumber';

export interface SaveOptions {
	mode: 'create' | 'upsert';
	/** Upsert only: match residents without a document by phone plus name. */
	matchPhoneAndName: boolean;
	storeFullDocument: boolean;
}

export type SavedResident = ResidentRecord & { operation: 'created' | 'updated' };

const CHUNK = 5_000;

/** Allocates ids up front so rows written from unnest map back to their items without relying on order. */
async function allocateIds(uow: UnitOfWork, sequence: string, n: number): Promise<number[]> {
	if (!n) return [];
	const { rows } = await sql<{ id: number }>(uow, `SELECT nextval(?::regclass) AS id FROM generate_series(1, ?)`, [sequence, n]);
	return rows.map((r) => r.id);
}

export async function loadResidentRecords(uow: UnitOfWork, ids: number[], reveal = false): Promise<Map<number, ResidentRecord>> {
	const out = new Map<number, ResidentRecord>();
	for (let start = 0; start < ids.length; start += 10_000) {
		const part = ids.slice(start, start + 10_000);
		const { rows } = await sql<ResidentRow>(uow, `SELECT ${RESIDENT_COLUMNS} FROM ${RESIDENT_FROM} WHERE r.id = ANY(?::bigint[])`, [part]);
		for (const rec of await toResidentRecords(uow, rows, reveal)) out.set(rec.id, rec);
	}
	return out;
}

/**
 * Creates or upserts residents. Everything is checked first — document duplicates within the batch
 * (naming both items), buildings, households, existing registrations — then written set-based.
 */
export async function saveResidents(uow: UnitOfWork, inputs: NewResident[], opts: SaveOptions): Promise<Array<Outcome<SavedResident>>> {
	const errors = new Map<number, FieldError>();
	const fail = (i: number, e: FieldError) => {
		if (!errors.has(i)) errors.set(i, e);
	};
	const docs = inputs.map((r) => protectDocument(uow.keys, r.document, opts.storeFullDocument));
	const phones = inputs.map((r) => protectPhone(uow.keys, r.phone));

	const byDoc = new Map<string, number>();
	const byPhoneName = new Map<string, number>();
	inputs.forEach((r, i) => {
		const h = docs[i].hash;
		if (h) {
			const first = byDoc.get(h);
			if (first !== undefined) {
				fail(i, batchError('Document Number', [first, i], (a, b) => `the same document number is given in items ${a} and ${b}`));
			} else byDoc.set(h, i);
		} else if (opts.mode === 'upsert' && opts.matchPhoneAndName && phones[i].hash) {
			const key = `${phones[i].hash}|${r.name}`;
			const first = byPhoneName.get(key);
			if (first !== undefined) fail(i, batchError('Phone', [first, i], (a, b) => `the same phone and name are given in items ${a} and ${b}`));
			else byPhoneName.set(key, i);
		}
	});

	// Buildings named directly or through an address, and households named by id: two queries.
	const buildingCodes = inputs.map((r) => r.buildingCode ?? (r.household && 'buildingCode' in r.household ? r.household.buildingCode : undefined));
	const wanted = [...new Set(buildingCodes.filter((c): c is string => !!c))];
	const units = await loadUnits(uow, wanted.map((code) => ({ code })), 'Building Code');
	const unitByCode = new Map<string, { id: number; level: number; active: boolean; code: string } | FieldError>();
	wanted.forEach((code, k) => unitByCode.set(code, units[k]));
	const householdIds = [...new Set(inputs.flatMap((r) => (r.household && 'id' in r.household ? [r.household.id] : [])))];
	const { rows: hhRows } = await sql<{ id: number; unit_id: number; active: boolean }>(uow, `SELECT id, unit_id, active FROM household WHERE id = ANY(?::bigint[])`, [householdIds]);
	const households = new Map(hhRows.map((h) => [h.id, h]));

	inputs.forEach((r, i) => {
		const code = buildingCodes[i];
		if (code) {
			const u = unitByCode.get(code)!;
			if (u instanceof FieldError) return fail(i, u);
			if (u.level !== 5) return fail(i, notABuilding(u.code, u.level));
			if (!u.active) return fail(i, new FieldError('Building Code', `building ${u.code} is deactivated`));
		}
		if (r.household && 'id' in r.household) {
			const h = households.get(r.household.id);
			if (!h) return fail(i, new FieldError('Household ID', `unknown household ${r.household.id}${uow.scopeCode ? ` (or outside this credential's scope ${uow.scopeCode})` : ''}`));
			if (!h.active) return fail(i, new FieldError('Household ID', `household ${r.household.id} is inactive`));
		}
	});

	// Who is registered already.
	const existing = new Map<number, number>();
	const docHashes = [...byDoc.keys()];
	if (docHashes.length) {
		const { rows } = await sql<{ id: number; doc_hash: string }>(uow, `SELECT id, doc_hash FROM resident WHERE doc_hash = ANY(?::text[])`, [docHashes]);
		for (const r of rows) existing.set(byDoc.get(r.doc_hash)!, r.id);
	}
	if (byPhoneName.size) {
		const hashes = [...new Set([...byPhoneName.keys()].map((k) => k.split('|')[0]))];
		const { rows } = await sql<{ id: number; phone_hash: string; name: string }>(uow,
			`SELECT id, phone_hash, name FROM resident WHERE phone_hash = ANY(?::text[]) AND doc_hash IS NULL AND active ORDER BY id`, [hashes]);
		for (const r of rows) {
			const i = byPhoneName.get(`${r.phone_hash}|${r.name}`);
			if (i !== undefined && !existing.has(i)) existing.set(i, r.id);
		}
	}
	if (opts.mode === 'create') {
		for (const [i, id] of existing) fail(i, new FieldError('Document Number', `a resident with this document number is already registered (resident ${id}); use Upsert to update them`));
	}

	const outcomes: Array<Outcome<SavedResident>> = inputs.map((_, i) => (errors.has(i) ? { ok: false, error: errors.get(i)! } : { ok: true, value: [] }));
	if (errors.size && !uow.partial) return outcomes;
	const good = inputs.map((r, i) => ({ r, i })).filter(({ i }) => !errors.has(i));
	if (!good.length) return outcomes;

	// Households by address are found or created in one go.
	const addressed = good.filter(({ r }) => r.household && 'buildingCode' in r.household);
	const made = await ensureHouseholds(uow, addressed.map(({ r }) => {
		const h = r.household as { buildingCode: string; unitNo?: string; roomNo: string };
		return { buildingId: (unitByCode.get(h.buildingCode) as { id: number }).id, unitNo: h.unitNo, roomNo: h.roomNo };
	}));
	const placement = (r: NewResident): { householdId: number | null; unitId: number } => {
		if (r.household && 'id' in r.household) {
			const h = households.get(r.household.id)!;
			return { householdId: h.id, unitId: h.unit_id };
		}
		if (r.household) {
			const u = unitByCode.get(r.household.buildingCode) as { id: number };
			return { householdId: made.get(addressKey(u.id, r.household.unitNo, r.household.roomNo))!.id, unitId: u.id };
		}
		return { householdId: null, unitId: (unitByCode.get(r.buildingCode!) as { id: number }).id };
	};

	const toInsert = good.filter(({ i }) => !existing.has(i));
	const toUpdate = good.filter(({ i }) => existing.has(i));
	const ids = await allocateIds(uow, 'resident_id_seq', toInsert.length);
	const idOf = new Map<number, number>();
	toInsert.forEach(({ i }, k) => idOf.set(i, ids[k]));
	for (const [i, id] of existing) idOf.set(i, id);

	for (let start = 0; start < toInsert.length; start += CHUNK) {
		const chunk = toInsert.slice(start, start + CHUNK);
		const places = chunk.map(({ r }) => placement(r));
		await sql(uow,
			// One JSON document per chunk: PostgreSQL parses it in C, where eighteen parameter arrays
			// would each be serialized element by element in JavaScript.
			`INSERT INTO resident (id, name, household_id, unit_id, doc_type, doc_hash, doc_masked, doc_last4, doc_enc,
				phone_hash, phone_enc, phone_masked, birth_year, sex, relation, tags, health_status, quarantine_ends_at)
			SELECT t.id, t.name, t.household_id, t.unit_id, t.doc_type, t.doc_hash, t.doc_masked, t.doc_last4, t.doc_enc,
				t.phone_hash, t.phone_enc, t.phone_masked, t.birth_year, t.sex, t.relation, coalesce(t.tags, '{}'), t.health_status, t.quarantine_ends_at
			FROM json_to_recordset(?::json) AS t(id bigint, name text, household_id bigint, unit_id bigint, doc_type text, doc_hash text,
				doc_masked text, doc_last4 text, doc_enc text, phone_hash text, phone_enc text, phone_masked text, birth_year smallint,
				sex char(1), relation text, tags text[], health_status text, quarantine_ends_at timestamptz)`,
			[
				JSON.stringify(chunk.map(({ r, i }, k) => ({
					id: idOf.get(i),
					name: r.name,
					household_id: places[k].householdId,
					unit_id: places[k].unitId,
					doc_type: docs[i].type,
					doc_hash: docs[i].hash,
					doc_masked: docs[i].masked,
					doc_last4: docs[i].last4,
					doc_enc: docs[i].enc,
					phone_hash: phones[i].hash,
					phone_enc: phones[i].enc,
					phone_masked: phones[i].masked,
					birth_year: r.birthYear ?? null,
					sex: r.sex ?? null,
					relation: r.relation ?? null,
					tags: r.tags,
					health_status: r.healthStatus,
					quarantine_ends_at: r.quarantineEndsAt?.toISOString() ?? null,
				}))),
			],
		);
		const flagged = chunk.filter(({ r }) => r.healthStatus !== 'normal');
		if (flagged.length) {
			await sql(uow,
				`INSERT INTO health_status_history (resident_id, unit_id, status, reason, started_at, quarantine_ends_at)
				SELECT r.id, r.unit_id, r.health_status, 'registered with this status', now(), r.quarantine_ends_at
				FROM resident r WHERE r.id = ANY(?::bigint[])`,
				[flagged.map(({ i }) => idOf.get(i))],
			);
		}
	}

	if (toUpdate.length) {
		const places = toUpdate.map(({ r }) => placement(r));
		// Upserts refresh identity, contact and placement; health status changes go through Set Health Status.
		await sql(uow,
			`WITH t AS (
				SELECT * FROM unnest(?::bigint[], ?::text[], ?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::boolean[])
					AS t(id, name, household_id, unit_id, phone_hash, phone_enc, phone_masked, relation, tags, doc_enc, has_phone)
			), moved AS (
				INSERT INTO resident_move (resident_id, from_household_id, to_household_id, from_unit_id, unit_id, reason)
				SELECT r.id, r.household_id, t.household_id, r.unit_id, t.unit_id, 'upsert'
				FROM t JOIN resident r ON r.id = t.id
				WHERE r.unit_id <> t.unit_id OR r.household_id IS DISTINCT FROM coalesce(t.household_id, r.household_id)
			)
			UPDATE resident r SET name = t.name,
				household_id = coalesce(t.household_id, r.household_id),
				unit_id = t.unit_id,
				phone_hash = CASE WHEN t.has_phone THEN t.phone_hash ELSE r.phone_hash END,
				phone_enc = CASE WHEN t.has_phone THEN t.phone_enc ELSE r.phone_enc END,
				phone_masked = CASE WHEN t.has_phone THEN t.phone_masked ELSE r.phone_masked END,
				relation = coalesce(t.relation, r.relation),
				tags = CASE WHEN t.tags = '' THEN r.tags ELSE string_to_array(t.tags, ',') END,
				doc_enc = coalesce(t.doc_enc, r.doc_enc),
				active = true, inactive_reason = NULL,
				updated_at = now()
			FROM t WHERE r.id = t.id`,
			[
				toUpdate.map(({ i }) => idOf.get(i)),
				toUpdate.map(({ r }) => r.name),
				places.map((p) => p.householdId),
				places.map((p) => p.unitId),
				toUpdate.map(({ i }) => phones[i].hash),
				toUpdate.map(({ i }) => phones[i].enc),
				toUpdate.map(({ i }) => phones[i].masked),
				toUpdate.map(({ r }) => r.relation ?? null),
				toUpdate.map(({ r }) => r.tags.join(',')),
				toUpdate.map(({ i }) => docs[i].enc),
				toUpdate.map(({ i }) => phones[i].hash !== null),
			],
		);
	}

	// New residents are described from what was just written; updated ones are read back, since the
	// row keeps values the input did not give.
	const { rows: [{ now }] } = await sql<{ now: string }>(uow, 'SELECT now() AS now');
	const codeOfUnit = new Map<number, string>();
	for (const [code, u] of unitByCode) if (!(u instanceof FieldError)) codeOfUnit.set(u.id, code);
	const year = new Date().getUTCFullYear();
	for (const { r, i } of toInsert) {
		const place = placement(r);
		const addressed = r.household && 'roomNo' in r.household ? r.household : undefined;
		outcomes[i] = {
			ok: true,
			value: {
				id: idOf.get(i)!,
				name: r.name,
				registered: true,
				householdId: place.householdId,
				buildingCode: codeOfUnit.get(place.unitId) ?? '',
				unitNo: addressed?.unitNo ?? null,
				roomNo: addressed?.roomNo ?? null,
				documentType: docs[i].type,
				documentNumber: docs[i].masked,
				phone: phones[i].masked,
				revealed: false,
				birthYear: r.birthYear ?? null,
				age: r.birthYear ? year - r.birthYear : null,
				sex: r.sex ?? null,
				relation: r.relation ?? null,
				tags: r.tags,
				healthStatus: r.healthStatus,
				healthStatusLabel: HEALTH_STATUSES[r.healthStatus],
				healthSince: now,
				quarantineEndsAt: r.quarantineEndsAt?.toISOString() ?? null,
				active: true,
				inactiveReason: null,
				createdAt: now,
				updatedAt: now,
				operation: 'created',
			},
		};
	}
	// Households named by id live in buildings not in unitByCode: complete their codes from the read-back.
	const reread = [...toUpdate.map(({ i }) => idOf.get(i)!), ...toInsert.filter(({ r }) => r.household && 'id' in r.household).map(({ i }) => idOf.get(i)!)];
	const records = await loadResidentRecords(uow, reread);
	for (const { i } of good) {
		const rec = records.get(idOf.get(i)!);
		if (rec) outcomes[i] = { ok: true, value: { ...rec, operation: existing.has(i) ? 'updated' : 'created' } };
	}
	return outcomes;
}

export type ResidentRef = { id: number } | { document: Document } | { phone: string; name?: string };

/** Finds residents by id, by document (through its hash) or by phone (through its hash). */
export async function findResidentIds(uow: UnitOfWork, ref: ResidentRef): Promise<number[]> {
	if ('id' in ref) {
		const { rows } = await sql<{ id: number }>(uow, `SELECT id FROM resident WHERE id = ?`, [ref.id]);
		return rows.map((r) => r.id);
	}
	if ('document' in ref) {
		const { rows } = await sql<{ id: number }>(uow, `SELECT id FROM resident WHERE doc_hash = ?`, [documentHash(uow.keys, ref.document)]);
		return rows.map((r) => r.id);
	}
	const { rows } = await sql<{ id: number }>(uow,
		`SELECT id FROM resident WHERE phone_hash = ? ${ref.name ? 'AND name = ?' : ''} ORDER BY id`,
		[phoneHash(uow.keys, ref.phone), ...(ref.name ? [ref.name] : [])]);
	return rows.map((r) => r.id);
}

export async function resolveResident(uow: UnitOfWork, ref: ResidentRef, field = 'Resident'): Promise<number> {
	const ids = await findResidentIds(uow, ref);
	const what = 'id' in ref ? `resident ${ref.id}` : 'document' in ref ? `document ${ref.document.masked}` : 'that phone';
	if (!ids.length) throw new FieldError(field, `unknown ${what}${uow.scopeCode ? ` (or outside this credential's scope ${uow.scopeCode})` : ''}`);
	if (ids.length > 1) throw new FieldError(field, `${what} matches ${ids.length} residents (${ids.join(', ')}); refer to one by ID or document`);
	return ids[0];
}

export async function getResidents(uow: UnitOfWork, refs: ResidentRef[], reveal: boolean): Promise<Array<ResidentRecord | FieldError>> {
	const ids = await resolveResidentsMany(uow, refs);
	const records = await loadResidentRecords(uow, ids.filter((x): x is number => typeof x === 'number'), reveal);
	return ids.map((x) => (typeof x === 'number' ? records.get(x)! : x));
}

/** Resolves many references with one query per kind of reference; misses and ambiguities become errors. */
export async function resolveResidentsMany(uow: UnitOfWork, refs: ResidentRef[], field = 'Resident'): Promise<Array<number | FieldError>> {
	const ids = refs.flatMap((r) => ('id' in r ? [r.id] : []));
	const docHashes = refs.flatMap((r) => ('document' in r ? [documentHash(uow.keys, r.document)] : []));
	const phoneHashes = refs.flatMap((r) => ('phone' in r ? [phoneHash(uow.keys, r.phone)] : []));
	const { rows } = await sql<{ id: number; doc_hash: string | null; phone_hash: string | null; name: string }>(uow,
		`SELECT id, doc_hash, phone_hash, name FROM resident
		WHERE id = ANY(?::bigint[]) OR doc_hash = ANY(?::text[]) OR phone_hash = ANY(?::text[]) ORDER BY id`,
		[ids, docHashes, phoneHashes]);
	const byId = new Set(rows.map((r) => r.id));
	const byDoc = new Map(rows.filter((r) => r.doc_hash).map((r) => [r.doc_hash!, r.id]));
	const outside = uow.scopeCode ? ` (or outside this credential's scope ${uow.scopeCode})` : '';
	return refs.map((ref) => {
		if ('id' in ref) return byId.has(ref.id) ? ref.id : new FieldError(field, `unknown resident ${ref.id}${outside}`);
		if ('document' in ref) return byDoc.get(documentHash(uow.keys, ref.document)) ?? new FieldError(field, `no resident has document ${ref.document.masked}${outside}`);
		const h = phoneHash(uow.keys, ref.phone);
		const hits = rows.filter((r) => r.phone_hash === h && (!ref.name || r.name === ref.name));
		if (hits.length === 1) return hits[0].id;
		return new FieldError(field, hits.length ? `that phone matches ${hits.length} residents (${hits.map((r) => r.id).join(', ')}); refer to one by ID or document` : `no resident has that phone${outside}`);
	});
}
