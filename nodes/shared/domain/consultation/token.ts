import { createHash, createHmac, randomBytes, timingSafeEqual } from 'crypto';
import { type PersonalDataKeys, rootHashKey } from '../personalData';

/**
 * Invitation tokens: base64url("<consultation id>.<invitation id>.<nonce>") + "." + HMAC of that.
 * The signature lets a forged token be refused before the database is asked; the nonce, whose hash
 * alone is stored, makes a token unguessable even to someone who can read the database.
 */
export interface TokenParts {
	consultationId: number;
	invitationId: number;
	nonce: string;
}

// a key of its own, so a token's signature never doubles as a lookup hash of personal data; derived
// from the first key's hash key, so invitations already sent stay valid across key rotations
const tokenKeys = new WeakMap<Buffer, Buffer>();
function tokenKey(keys: PersonalDataKeys): Buffer {
	const root = rootHashKey(keys);
	let key = tokenKeys.get(root);
	if (!key) {
		key = createHmac('sha256', root).update('grid-governance/consultation-token/v1').digest();
		tokenKeys.set(root, key);
	}
	return key;
}

const sign = (keys: PersonalDataKeys, payload: string) => createHmac('sha256', tokenKey(keys)).update(payload).digest();

export function newNonce(): string {
	return randomBytes(16).toString('base64url');
}

/** n nonces from one draw of the CSPRNG: a page of invitations costs one call, not one each. */
export function newNonces(n: number): string[] {
	const pool = randomBytes(16 * n);
	return Array.from({ length: n }, (_, k) => pool.subarray(16 * k, 16 * k + 16).toString('base64url'));
}

export function nonceHash(nonce: string): string {
	return createHash('sha256').update(nonce).digest('hex');
}

export function mintToken(keys: PersonalDataKeys, parts: TokenParts): string {
	const payload = `${parts.consultationId}.${parts.invitationId}.${parts.nonce}`;
	return `${Buffer.from(payload).toString('base64url')}.${sign(keys, payload).toString('base64url')}`;
}

/** The parts of a well-formed token with a valid signature, or why not. */
export function readToken(keys: PersonalDataKeys, token: unknown): TokenParts | { problem: string } {
	if (typeof token !== 'string' || token.trim() === '') return { problem: 'Token is required but empty' };
	const [body, mac, ...rest] = token.trim().split('.');
	if (!body || !mac || rest.length || !/^[A-Za-z0-9_-]+$/.test(body) || !/^[A-Za-z0-9_-]{43}$/.test(mac)) {
		return { problem: 'Token is not an invitation token (malformed)' };
	}
	const payload = Buffer.from(body, 'base64url').toString('utf8');
	const m = /^([1-9]\d{0,15})\.([1-9]\d{0,15})\.([A-Za-z0-9_-]{22})$/.exec(payload);
	const expected = sign(keys, payload);
	if (!m || !timingSafeEqual(expected, Buffer.from(mac, 'base64url'))) {
		return { problem: 'Token has an invalid signature: it is forged or was altered' };
	}
	return { consultationId: Number(m[1]), invitationId: Number(m[2]), nonce: m[3] };
}
