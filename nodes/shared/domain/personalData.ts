import { type KeyObject, createCipheriv, createDecipheriv, createHmac, createSecretKey, randomBytes, timingSafeEqual } from 'crypto';
import { GridError } from '../validation/errors';

/** A retired key's hash key, kept (sealed under the current key) so lookup hashes never need the plaintext again. */
export interface RetiredHashKey {
	fingerprint: string;
	hashKey: Buffer;
}

/**
 * Keys derived from the credential's personal-data key. The raw key never reaches the
 * database: hashing and encryption happen in the node process.
 */
export interface PersonalDataKeys {
	hashKey: Buffer;
	encKey: Buffer;
	/** Short public fingerprint stored in the schema, to detect a changed key. */
	fingerprint: string;
	/**
	 * The hash keys this key replaced, oldest first; empty for the key a database was set up with.
	 * A document's hash cannot be recomputed without the full number, which is usually not stored,
	 * so a rotation wraps each stored hash once more under the new key instead.
	 */
	lineage?: RetiredHashKey[];
	/** While a key rotation is in progress: the key being replaced. Reads and lookups accept it; writes never use it. */
	previous?: PersonalDataKeys;
}

export function deriveKeys(personalDataKey: string, lineage: RetiredHashKey[] = []): PersonalDataKeys {
	if (!personalDataKey || personalDataKey.length < 16) {
		throw new GridError(
			'key',
			'The personal-data key in the credential must be at least 16 characters long',
			'Set a long random Personal Data Key in the Grid Governance Postgres credential and keep it safe: it protects ID numbers and phones.',
		);
	}
	const derive = (label: string) => createHmac('sha256', personalDataKey).update(label).digest();
	return {
		hashKey: derive('grid-governance/hash/v1'),
		encKey: derive('grid-governance/encrypt/v1'),
		fingerprint: derive('grid-governance/fingerprint/v1').toString('hex').slice(0, 16),
		lineage,
	};
}

/** The key a database was set up with makes untagged values, as before rotations existed. */
function isFirstKey(keys: PersonalDataKeys): boolean {
	return !keys.lineage?.length;
}

/** The hash key that never changes across rotations (consultation tokens are signed with a key derived from it). */
export function rootHashKey(keys: PersonalDataKeys): Buffer {
	return keys.lineage?.[0]?.hashKey ?? keys.hashKey;
}

const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest('base64url');

/** A stored hash wrapped under a later key: "<fingerprint>:<HMAC>", so each value says which key made it. */
function wrap(key: { fingerprint: string; hashKey: Buffer }, stored: string): string {
	return `${key.fingerprint}:${hmac(key.hashKey, `rewrap:${stored}`)}`;
}

/** Keyed hash for exact lookups (ID numbers, phones); equal inputs give equal hashes. */
export function lookupHash(keys: PersonalDataKeys, kind: string, normalized: string): string {
	const lineage = keys.lineage ?? [];
	if (!lineage.length) return hmac(keys.hashKey, `${kind}:${normalized}`);
	let h = hmac(lineage[0].hashKey, `${kind}:${normalized}`);
	for (const retired of lineage.slice(1)) h = wrap(retired, h);
	return wrap(keys, h);
}

/** The hashes a lookup must match: under the key, and during a rotation under the previous key too. */
export function lookupHashes(keys: PersonalDataKeys, kind: string, normalized: string): string[] {
	const current = lookupHash(keys, kind, normalized);
	return keys.previous ? [current, lookupHash(keys.previous, kind, normalized)] : [current];
}

/** Whether a stored lookup hash was made (or last wrapped) by this key. */
export function hashMadeBy(keys: PersonalDataKeys, stored: string): boolean {
	return isFirstKey(keys) ? !stored.includes(':') : stored.startsWith(`${keys.fingerprint}:`);
}

/** A stored hash as the current key would make it: a hash of the previous key is wrapped, others are returned as they are. */
export function currentHash(keys: PersonalDataKeys, stored: string): string {
	return keys.previous && !hashMadeBy(keys, stored) && hashMadeBy(keys.previous, stored) ? wrap(keys, stored) : stored;
}

/** Re-keys a stored hash during a rotation, without the value it hashes; refuses a hash of neither key. */
export function rewrapHash(keys: PersonalDataKeys, stored: string): string {
	if (hashMadeBy(keys, stored)) return stored;
	if (keys.previous && hashMadeBy(keys.previous, stored)) return wrap(keys, stored);
	throw new GridError('key', `A lookup hash in the database was made by a key this credential does not hold (${keyTagOf(stored)})`);
}

function keyTagOf(stored: string): string {
	const i = stored.indexOf(':');
	return i < 0 ? 'the first key' : `fingerprint ${stored.slice(0, i)}`;
}

// IVs are drawn from the CSPRNG in blocks: one call per 4,096 encryptions instead of one each,
// which matters when a bulk import encrypts 100,000 phones.
const IV_BLOCK = 12 * 4096;
let ivPool = Buffer.alloc(0);
let ivOffset = 0;

function nextIv(): Buffer {
	if (ivOffset + 12 > ivPool.length) {
		ivPool = randomBytes(IV_BLOCK);
		ivOffset = 0;
	}
	const iv = ivPool.subarray(ivOffset, ivOffset + 12);
	ivOffset += 12;
	return iv;
}

// A KeyObject per encryption key: handing createCipheriv a raw Buffer makes it wrap the key anew on
// every call, a fifth of the cost of encrypting a phone.
const cipherKeys = new WeakMap<Buffer, KeyObject>();

function cipherKey(keys: PersonalDataKeys): KeyObject {
	let key = cipherKeys.get(keys.encKey);
	if (!key) {
		key = createSecretKey(keys.encKey);
		cipherKeys.set(keys.encKey, key);
	}
	return key;
}

/**
 * AES-256-GCM with a fresh random IV, in base64url: "v1.<iv>.<tag>.<ciphertext>" from the key a
 * database was set up with, "v2.<fingerprint>.<iv>.<tag>.<ciphertext>" from a key rotated in later.
 */
export function encrypt(keys: PersonalDataKeys, plain: string): string {
	const iv = nextIv();
	const cipher = createCipheriv('aes-256-gcm', cipherKey(keys), iv);
	// GCM is a stream mode: update() returns the whole ciphertext and final() nothing more
	const body = cipher.update(plain, 'utf8');
	cipher.final();
	const sealed = `${iv.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}.${body.toString('base64url')}`;
	return isFirstKey(keys) ? `v1.${sealed}` : `v2.${keys.fingerprint}.${sealed}`;
}

function open(keys: PersonalDataKeys, iv: string, tag: string, body: string): string | undefined {
	try {
		const decipher = createDecipheriv('aes-256-gcm', cipherKey(keys), Buffer.from(iv, 'base64url'));
		decipher.setAuthTag(Buffer.from(tag, 'base64url'));
		return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
	} catch {
		return undefined;
	}
}

/** Whether a stored ciphertext was made by this key (the rotation re-encrypts the others). */
export function encryptedBy(keys: PersonalDataKeys, sealed: string): boolean {
	return isFirstKey(keys) ? sealed.startsWith('v1.') : sealed.startsWith(`v2.${keys.fingerprint}.`);
}

/** Opens a value sealed by the key or, during a rotation, by the previous key. */
export function decrypt(keys: PersonalDataKeys, sealed: string): string {
	const parts = sealed.split('.');
	const held = keys.previous ? [keys, keys.previous] : [keys];
	let candidates: PersonalDataKeys[];
	let rest: string[];
	if (parts[0] === 'v1' && parts.length === 4) {
		// the first key made it; try that one first
		candidates = [...held.filter(isFirstKey), ...held.filter((k) => !isFirstKey(k))];
		rest = parts.slice(1);
	} else if (parts[0] === 'v2' && parts.length === 5) {
		candidates = held.filter((k) => k.fingerprint === parts[1]);
		rest = parts.slice(2);
		if (!candidates.length) {
			throw new GridError('key', `A protected value in the database was encrypted with a key (fingerprint ${parts[1]}) that this credential does not hold`);
		}
	} else {
		throw new GridError('key', 'A protected value in the database is not in a known format');
	}
	const [iv, tag, body] = rest;
	if (!iv || !tag || body === undefined) throw new GridError('key', 'A protected value in the database is not in a known format');
	for (const k of candidates) {
		const plain = open(k, iv, tag, body);
		if (plain !== undefined) return plain;
	}
	throw new GridError('key', 'A protected value could not be decrypted with the personal-data key of this credential');
}

export function sameFingerprint(a: string, b: string): boolean {
	return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
