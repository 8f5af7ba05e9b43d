import { sql } from '../db/sql';
import type { UnitOfWork } from './context';

export interface AuditEntry {
	action: string;
	entity: string;
	entityId: string;
	unitId?: number | null;
	details?: Record<string, unknown>;
}

/**
 * Writes explicit audit rows (reveals of personal data, other events that change no row).
 * Row changes are audited by the database triggers.
 */
export async function writeAudit(uow: UnitOfWork, entries: AuditEntry[]): Promise<void> {
	if (!entries.length) return;
	await sql(uow,
		`INSERT INTO audit_log (action, entity, entity_id, unit_id, actor, details)
		SELECT t.action, t.entity, t.entity_id, t.unit_id, current_actor(), t.details::jsonb
		FROM unnest(?::text[], ?::text[], ?::text[], ?::bigint[], ?::text[]) AS t(action, entity, entity_id, unit_id, details)`,
		[
			entries.map((e) => e.action),
			entries.map((e) => e.entity),
			entries.map((e) => e.entityId),
			entries.map((e) => e.unitId ?? null),
			entries.map((e) => JSON.stringify(e.details ?? {})),
		],
	);
}
