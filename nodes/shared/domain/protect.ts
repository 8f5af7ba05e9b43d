import type { Document } from '../validation/idNumber';
import { type Phone, maskPhone } from '../validation/phone';
import { type PersonalDataKeys, encrypt, lookupHash, lookupHashes } from './personalData';

export interface ProtectedPhone {
	hash: string | null;
	enc: string | null;
	masked: string | null;
}

export function protectPhone(keys: PersonalDataKeys, phone: Phone | undefined | null): ProtectedPhone {
	if (!phone) return { hash: null, enc: null, masked: null };
	return { hash: phoneHash(keys, phone.normalized), enc: encrypt(keys, phone.normalized), masked: maskPhone(phone.normalized) };
}

export function phoneHash(keys: PersonalDataKeys, normalized: string): string {
	return lookupHash(keys, 'phone', normalized);
}

/** Every hash a phone lookup must match (two while a key rotation is in progress). */
export function phoneHashes(keys: PersonalDataKeys, normalized: string): string[] {
	return lookupHashes(keys, 'phone', normalized);
}

export interface ProtectedDocument {
	type: string | null;
	hash: string | null;
	masked: string | null;
	last4: string | null;
	/** Only when the user switched on storing the full number. */
	enc: string | null;
}

export function documentHash(keys: PersonalDataKeys, doc: Pick<Document, 'type' | 'normalized'>): string {
	return lookupHash(keys, `doc:${doc.type}`, doc.normalized);
}

/** Every hash a document lookup must match (two while a key rotation is in progress). */
export function documentHashes(keys: PersonalDataKeys, doc: Pick<Document, 'type' | 'normalized'>): string[] {
	return lookupHashes(keys, `doc:${doc.type}`, doc.normalized);
}

export function protectDocument(keys: PersonalDataKeys, doc: Document | undefined | null, storeFull: boolean): ProtectedDocument {
	if (!doc) return { type: null, hash: null, masked: null, last4: null, enc: null };
	return {
		type: doc.type,
		hash: documentHash(keys, doc),
		masked: doc.masked,
		last4: doc.last4,
		enc: storeFull ? encrypt(keys, doc.normalized) : null,
	};
}

/** A hash column's test against a lookup's hashes, with its binding: plain equality unless a rotation needs both keys' hashes. */
export function matchHash(column: string, hashes: string[]): { sql: string; binding: string | string[] } {
	return hashes.length === 1 ? { sql: `${column} = ?`, binding: hashes[0] } : { sql: `${column} = ANY(?::text[])`, binding: hashes };
}
