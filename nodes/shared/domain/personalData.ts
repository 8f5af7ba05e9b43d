import { type KeyObject, createCipheriv, createDecipheriv, createHmac, createSecretKey, randomBytes, timingSafeEqual } from 'crypto';
import { GridError } from '../validation/errors';

/**
 * Keys derived from the credential's personal-data key. The raw key never reaches the
 * database: hashing and encryption happen in the node process.
 */
export interface PersonalDataKeys {
	hashKey: Buffer;
	encKey: Buffer;
	/** Short public fingerprint stored in the schema, to detect a changed key. */
	fingerprint: string;
}

export function deriveKeys(personalDataKey: string): PersonalDataKeys {
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
	};
}

/** Keyed hash for exact lookups (ID numbers, phones); equal inputs give equal hashes. */
export function lookupHash(keys: PersonalDataKeys, kind: string, normalized: string): string {
	return createHmac('sha256', keys.hashKey).update(`${kind}:${normalized}`).digest('base64url');
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

/** AES-256-GCM with a fresh random IV; output is "v1.<iv>.<tag>.<ciphertext>" in base64url. */
export function encrypt(keys: PersonalDataKeys, plain: string): string {
	const iv = nextIv();
	const cipher = createCipheriv('aes-256-gcm', cipherKey(keys), iv);
	// GCM is a stream mode: update() returns the whole ciphertext and final() nothing more
	const body = cipher.update(plain, 'utf8');
	cipher.final();
	return `v1.${iv.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}.${body.toString('base64url')}`;
}

export function decrypt(keys: PersonalDataKeys, sealed: string): string {
	const [version, iv, tag, body] = sealed.split('.');
	if (version !== 'v1' || !iv || !tag || body === undefined) {
		throw new GridError('key', 'A protected value in the database is not in a known format');
	}
	try {
		const decipher = createDecipheriv('aes-256-gcm', cipherKey(keys), Buffer.from(iv, 'base64url'));
		decipher.setAuthTag(Buffer.from(tag, 'base64url'));
		return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
	} catch {
		throw new GridError('key', 'A protected value could not be decrypted with the personal-data key of this credential');
	}
}

export function sameFingerprint(a: string, b: string): boolean {
	return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
