import { sql } from '../../db/sql';
import type { UnitOfWork } from '../context';
import type { ProtectedDocument, ProtectedPhone } from '../protect';
import type { NewResident } from './residentInput';

/** A registered resident given again in an upsert, placed and protected like a new one. */
export interface ResidentUpdateRow {
	id: number;
	r: NewResident;
	householdId: number | null;
	unitId: number;
	doc: ProtectedDocument;
	phone: ProtectedPhone;
}

/**
 * Upserts refresh identity, contact and placement in one statement, recording a move where the
 * placement changes; health status changes go through Set Health Status. A resident given a building
 * without a room keeps their household if it is in that building, and leaves it otherwise.
 */
export async function updateResidents(uow: UnitOfWork, rows: ResidentUpdateRow[]): Promise<void> {
	await sql(uow,
		`WITH t AS (
			SELECT t.*, r.household_id AS old_household_id, r.unit_id AS old_unit_id,
				-- no household given: the resident stays in theirs only while they stay in its building
				CASE WHEN t.household_id IS NOT NULL THEN t.household_id WHEN t.unit_id = r.unit_id THEN r.household_id END AS new_household_id
			FROM unnest(?::bigint[], ?::text[], ?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::boolean[])
				AS t(id, name, household_id, unit_id, phone_hash, phone_enc, phone_masked, relation, tags, doc_enc, has_phone)
			JOIN resident r ON r.id = t.id
		), moved AS (
			INSERT INTO resident_move (resident_id, from_household_id, to_household_id, from_unit_id, unit_id, reason)
			SELECT t.id, t.old_household_id, t.new_household_id, t.old_unit_id, t.unit_id, 'upsert'
			FROM t WHERE t.old_unit_id <> t.unit_id OR t.old_household_id IS DISTINCT FROM t.new_household_id
		)
		UPDATE resident r SET name = t.name,
			household_id = t.new_household_id,
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
			rows.map((x) => x.id),
			rows.map((x) => x.r.name),
			rows.map((x) => x.householdId),
			rows.map((x) => x.unitId),
			rows.map((x) => x.phone.hash),
			rows.map((x) => x.phone.enc),
			rows.map((x) => x.phone.masked),
			rows.map((x) => x.r.relation ?? null),
			rows.map((x) => x.r.tags.join(',')),
			rows.map((x) => x.doc.enc),
			rows.map((x) => x.phone.hash !== null),
		],
	);
}
