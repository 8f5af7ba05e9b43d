import { sql } from '../../db/sql';
import { FieldError } from '../../validation/errors';
import type { UnitOfWork } from '../context';
import { currentHash } from '../personalData';
import { documentHash, documentHashes, matchHash, phoneHash, phoneHashes } from '../protect';
import { type ResidentRecord, loadResidentRecords } from './residentRecord';
import type { Document } from '../../validation/idNumber';

// Saving lives in residentSave.ts, reading records back in residentRecord.ts; both are used from here.
export { type SaveOptions, type SavedResident, saveResidents } from './residentSave';
export { loadResidentRecords } from './residentRecord';

export type ResidentRef = { id: number } | { document: Document } | { phone: string; name?: string };

/** Finds residents by id, by document (through its hash) or by phone (through its hash). */
export async function findResidentIds(uow: UnitOfWork, ref: ResidentRef): Promise<number[]> {
	if ('id' in ref) {
		const { rows } = await sql<{ id: number }>(uow, `SELECT id FROM resident WHERE id = ?`, [ref.id]);
		return rows.map((r) => r.id);
	}
	if ('document' in ref) {
		const m = matchHash('doc_hash', documentHashes(uow.keys, ref.document));
		const { rows } = await sql<{ id: number }>(uow, `SELECT id FROM resident WHERE ${m.sql}`, [m.binding]);
		return rows.map((r) => r.id);
	}
	const m = matchHash('phone_hash', phoneHashes(uow.keys, ref.phone));
	const { rows } = await sql<{ id: number }>(uow,
		`SELECT id FROM resident WHERE ${m.sql} ${ref.name ? 'AND name = ?' : ''} ORDER BY id`,
		[m.binding, ...(ref.name ? [ref.name] : [])]);
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
	const docHashes = refs.flatMap((r) => ('document' in r ? documentHashes(uow.keys, r.document) : []));
	const phoneHashList = refs.flatMap((r) => ('phone' in r ? phoneHashes(uow.keys, r.phone) : []));
	const { rows } = await sql<{ id: number; doc_hash: string | null; phone_hash: string | null; name: string }>(uow,
		`SELECT id, doc_hash, phone_hash, name FROM resident
		WHERE id = ANY(?::bigint[]) OR doc_hash = ANY(?::text[]) OR phone_hash = ANY(?::text[]) ORDER BY id`,
		[ids, docHashes, phoneHashList]);
	// during a key rotation a row may still hold the previous key's hash: compare in the current key's form
	for (const r of rows) {
		if (r.doc_hash) r.doc_hash = currentHash(uow.keys, r.doc_hash);
		if (r.phone_hash) r.phone_hash = currentHash(uow.keys, r.phone_hash);
	}
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
