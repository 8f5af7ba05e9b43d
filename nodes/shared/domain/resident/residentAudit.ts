import { sql } from '../../db/sql';
import type { UnitOfWork } from '../context';

export interface ResidentCreation {
	at: string;
	/** Who: workflow, execution, node, acting staff and database user (see current_actor()). */
	actor: Record<string, unknown>;
	/** The transaction that created the resident. */
	tx: number;
}

/**
 * Who created each resident, and when, from the audit log. Resident inserts are audited per statement
 * and building with the ids created (details.ids, migration 005); rows written before that name one
 * resident in entity_id. Residents without an insert row visible to this credential are left out.
 */
export async function residentCreation(uow: UnitOfWork, ids: number[]): Promise<Map<number, ResidentCreation>> {
	const { rows } = await sql<ResidentCreation & { id: number }>(uow,
		`SELECT t.id, a.at, a.actor, a.tx
		FROM unnest(?::bigint[]) AS t(id)
		CROSS JOIN LATERAL (
			SELECT a.at, a.actor, a.tx FROM audit_log a
			WHERE a.entity = 'resident' AND a.action = 'insert'
				AND (a.entity_id = t.id::text OR a.details -> 'ids' @> to_jsonb(t.id))
			ORDER BY a.id LIMIT 1
		) a`,
		[ids],
	);
	return new Map(rows.map((r) => [r.id, { at: r.at, actor: r.actor, tx: r.tx }]));
}
