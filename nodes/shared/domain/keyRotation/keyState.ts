import { GridError } from '../../validation/errors';
import { type PersonalDataKeys, type RetiredHashKey, decrypt, deriveKeys, encrypt, sameFingerprint } from '../personalData';

/** Settings keys of the key's state in the schema. */
export const FINGERPRINT_SETTING = 'personal_data_key_fingerprint';
export const ROTATION_SETTING = 'personal_data_key_rotation';
export const LINEAGE_SETTING = 'personal_data_key_lineage';

/** A rotation in progress, as kept in settings; no key material in it. */
export interface RotationState {
	from: string;
	to: string;
	startedAt: string;
	/** 1 for the first pass over the tables; later passes sweep up values written under the old key meanwhile. */
	pass: number;
	/** Index into the protected tables and the last id done in it during this pass. */
	table: number;
	cursor: number;
	batches: number;
	rotated: Record<string, number>;
	lastBatchAt?: string;
}

/** What the schema holds about its key, read in one snapshot. */
export interface StoredKeyState {
	fingerprint: string;
	/** The retired hash keys, sealed under the stored key; absent until the first rotation finishes. */
	sealedLineage?: string;
	rotation?: RotationState;
}

export interface ResolvedKeys {
	keys: PersonalDataKeys;
	/** Set when this credential starts a rotation: the state to record. */
	start?: RotationState;
}

// The lineage is sealed with a bare copy of the key, so it opens with nothing but that key.
const bare = (keys: PersonalDataKeys): PersonalDataKeys => ({ hashKey: keys.hashKey, encKey: keys.encKey, fingerprint: keys.fingerprint, lineage: [] });

export function sealLineage(keys: PersonalDataKeys, lineage: RetiredHashKey[]): string {
	return encrypt(bare(keys), JSON.stringify(lineage.map((k) => ({ fingerprint: k.fingerprint, hashKey: k.hashKey.toString('base64') }))));
}

function unsealLineage(keys: PersonalDataKeys, sealed: string | undefined): RetiredHashKey[] {
	if (!sealed) return [];
	const list = JSON.parse(decrypt(bare(keys), sealed)) as Array<{ fingerprint: string; hashKey: string }>;
	return list.map((k) => ({ fingerprint: k.fingerprint, hashKey: Buffer.from(k.hashKey, 'base64') }));
}

const ROTATE_HINT = 'To change the key: put the new key in Personal Data Key and the current one in Previous Personal Data Key, then run Grid → Maintenance → Rotate Personal Data Key until it reports done.';

/**
 * Decides which keys a credential may use on this schema. Accepted: the stored key alone (the
 * previous key field is then ignored), or a new key with the stored key as previous (this starts a
 * rotation, or joins the one in progress). Anything else is refused with what to do about it.
 */
export function resolveKeys(stored: StoredKeyState, personalDataKey: string, previousKey: string | undefined, where: string): ResolvedKeys {
	const current = deriveKeys(personalDataKey);
	const previous = previousKey ? deriveKeys(previousKey) : undefined;
	const rotation = stored.rotation;
	const fp = current.fingerprint;

	if (rotation) {
		if (sameFingerprint(fp, rotation.to) && previous && sameFingerprint(previous.fingerprint, rotation.from)) {
			return { keys: joined(current, previous, stored) };
		}
		if (sameFingerprint(fp, rotation.to)) {
			throw new GridError('key_rotation',
				previous
					? `The Previous Personal Data Key (fingerprint ${previous.fingerprint}) is not the key being rotated out of ${where} (fingerprint ${rotation.from})`
					: `A rotation to this personal-data key is in progress on ${where}, and this credential has no Previous Personal Data Key`,
				`Put the old key (fingerprint ${rotation.from}) in Previous Personal Data Key until Rotate Personal Data Key reports done.`);
		}
		if (sameFingerprint(fp, rotation.from)) {
			throw new GridError('key_rotation',
				`${where} is being moved to a new personal-data key (fingerprint ${rotation.to}); this credential still has the old key as its Personal Data Key`,
				'Put the new key in Personal Data Key and this old key in Previous Personal Data Key, as on the credential that started the rotation.');
		}
		throw new GridError('key_mismatch',
			`The personal-data key in this credential (fingerprint ${fp}) is neither the old nor the new key of the rotation in progress on ${where} (${rotation.from} → ${rotation.to})`,
			'Use the new key as Personal Data Key and the old key as Previous Personal Data Key.');
	}

	if (sameFingerprint(fp, stored.fingerprint)) {
		return { keys: deriveKeys(personalDataKey, unsealLineage(current, stored.sealedLineage)) };
	}
	if (previous && sameFingerprint(previous.fingerprint, stored.fingerprint)) {
		const keys = joined(current, previous, stored);
		const start: RotationState = { from: previous.fingerprint, to: fp, startedAt: new Date().toISOString(), pass: 1, table: 0, cursor: 0, batches: 0, rotated: {} };
		return { keys, start };
	}
	if (previous) {
		throw new GridError('key_mismatch',
			`Neither the Personal Data Key (fingerprint ${fp}) nor the Previous Personal Data Key (fingerprint ${previous.fingerprint}) of this credential is the key ${where} was set up with (fingerprint ${stored.fingerprint})`,
			'The Previous Personal Data Key must be the key the data is protected with now.');
	}
	throw new GridError(
		'key_mismatch',
		`The personal-data key in this credential does not match the key ${where} was set up with`,
		`Key fingerprint in the credential: ${fp}; in the database: ${stored.fingerprint}. Use the key the data is protected with: a different key would make every stored ID number and phone unreadable and unmatchable. If the key was rotated, use the new key. ${ROTATE_HINT}`,
	);
}

/** The new key during a rotation: its lineage is the previous key's plus the previous key itself. */
function joined(current: PersonalDataKeys, previous: PersonalDataKeys, stored: StoredKeyState): PersonalDataKeys {
	const prev: PersonalDataKeys = { ...previous, lineage: unsealLineage(previous, stored.sealedLineage) };
	return {
		...current,
		lineage: [...prev.lineage!, { fingerprint: prev.fingerprint, hashKey: prev.hashKey }],
		previous: prev,
	};
}
