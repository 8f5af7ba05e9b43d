import type { Knex } from 'knex';
import { FINGERPRINT_SETTING, LINEAGE_SETTING, ROTATION_SETTING, type RotationState, type StoredKeyState } from '../domain/keyRotation/keyState';

/** Reads the schema's key fingerprint, sealed lineage and rotation in progress in one statement (one snapshot). */
export async function storedKeyState(q: Knex | Knex.Transaction, schema: string): Promise<StoredKeyState> {
	const { rows } = await q.raw(`SELECT key, value FROM "${schema}".settings WHERE key IN (?, ?, ?)`, [FINGERPRINT_SETTING, LINEAGE_SETTING, ROTATION_SETTING]);
	const by = new Map<string, unknown>((rows as Array<{ key: string; value: unknown }>).map((r) => [r.key, r.value]));
	return {
		fingerprint: String(by.get(FINGERPRINT_SETTING) ?? ''),
		sealedLineage: (by.get(LINEAGE_SETTING) as string | undefined) ?? undefined,
		rotation: (by.get(ROTATION_SETTING) as RotationState | undefined) ?? undefined,
	};
}
