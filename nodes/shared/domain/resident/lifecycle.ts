import { sql } from '../../db/sql';
import { FieldError } from '../../validation/errors';
import type { Phone } from '../../validation/phone';
import type { UnitOfWork } from '../context';
import { loadUnit } from '../grid/unitLookup';
import { protectPhone } from '../protect';
import { ensureHouseholds, notABuilding } from './households';
import type { HouseholdRef } from './residentInput';
import type { ResidentRecord } from './residentRecord';
import { type ResidentRef, loadResidentRecords, resolveResident } from './residents';
import { INACTIVE_REASONS, type InactiveReason } from './vocabulary';

export interface ResidentChanges {
	name?: string;
	phone?: Phone | null;
	relation?: string | null;
	tags?: string[];
	addTags?: string[];
	removeTags?: string[];
}

export async function updateResident(uow: UnitOfWork, ref: ResidentRef, changes: ResidentChanges): Promise<ResidentRecord> {
	const id = await resolveResident(uow, ref);
	const phone = changes.phone === undefined ? undefined : protectPhone(uow.keys, changes.phone);
	await sql(uow,
		`UPDATE resident SET
			name = coalesce(?::text, name),
			phone_hash = CASE WHEN ? THEN ?::text ELSE phone_hash END,
			phone_enc = CASE WHEN ? THEN ?::text ELSE phone_enc END,
			phone_masked = CASE WHEN ? THEN ?::text ELSE phone_masked END,
			relation = CASE WHEN ? THEN ?::text ELSE relation END,
			tags = ARRAY(SELECT DISTINCT t FROM unnest(coalesce(?::text[], tags) || ?::text[]) t WHERE t <> ALL(?::text[]) ORDER BY t),
			updated_at = now()
		WHERE id = ?`,
		[
			changes.name ?? null,
			phone !== undefined, phone?.hash ?? null,
			phone !== undefined, phone?.enc ?? null,
			phone !== undefined, phone?.masked ?? null,
			changes.relation !== undefined, changes.relation ?? null,
			changes.tags ?? null, changes.addTags ?? [], changes.removeTags ?? [],
			id,
		],
	);
	return (await loadResidentRecords(uow, [id])).get(id)!;
}

export interface MoveResult extends ResidentRecord {
	moveId: number;
	fromBuildingCode: string;
	fromHouseholdId: number | null;
}

/** Moves a resident to another household or building; the move is kept as history. */
export async function moveResident(uow: UnitOfWork, ref: ResidentRef, to: HouseholdRef | { buildingCode: string }, reason?: string): Promise<MoveResult> {
	const id = await resolveResident(uow, ref);
	const { rows: [current] } = await sql<{ household_id: number | null; unit_id: number; code: string; active: boolean }>(uow,
		`SELECT r.household_id, r.unit_id, b.code, r.active FROM resident r JOIN grid_unit b ON b.id = r.unit_id WHERE r.id = ? FOR UPDATE OF r`, [id]);
	if (!current.active) throw new FieldError('Resident', `resident ${id} is inactive; reactivate them with Upsert before moving them`);
	let householdId: number | null;
	let unitId: number;
	if ('id' in to) {
		const { rows } = await sql<{ id: number; unit_id: number; active: boolean }>(uow, `SELECT id, unit_id, active FROM household WHERE id = ?`, [to.id]);
		if (!rows.length) throw new FieldError('Household ID', `unknown household ${to.id}`);
		if (!rows[0].active) throw new FieldError('Household ID', `household ${to.id} is inactive`);
		householdId = rows[0].id;
		unitId = rows[0].unit_id;
	} else {
		const unit = await loadUnit(uow, { code: to.buildingCode }, 'Building Code');
		if (unit.level !== 5) throw notABuilding(unit.code, unit.level);
		if (!unit.active) throw new FieldError('Building Code', `building ${unit.code} is deactivated`);
		unitId = unit.id;
		if ('roomNo' in to) {
			[householdId] = await ensureHouseholds(uow, [{ buildingId: unit.id, unitNo: to.unitNo, roomNo: to.roomNo }]);
		} else householdId = null;
	}
	if (householdId === current.household_id && unitId === current.unit_id) {
		throw new FieldError('Household ID', `resident ${id} already lives there`);
	}
	const { rows: [move] } = await sql<{ id: number }>(uow,
		`INSERT INTO resident_move (resident_id, from_household_id, to_household_id, from_unit_id, unit_id, reason)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		[id, current.household_id, householdId, current.unit_id, unitId, reason ?? null]);
	await sql(uow, `UPDATE resident SET household_id = ?, unit_id = ?, updated_at = now() WHERE id = ?`, [householdId, unitId, id]);
	const record = (await loadResidentRecords(uow, [id])).get(id)!;
	return { ...record, moveId: move.id, fromBuildingCode: current.code, fromHouseholdId: current.household_id };
}

/** Marks a resident as moved away or deceased; the record stays for history and tracing. */
export async function deactivateResident(uow: UnitOfWork, ref: ResidentRef, reason: InactiveReason, note?: string): Promise<ResidentRecord> {
	const id = await resolveResident(uow, ref);
	const { rows: [r] } = await sql<{ active: boolean; health_status: string; unit_id: number }>(uow, `SELECT active, health_status, unit_id FROM resident WHERE id = ? FOR UPDATE`, [id]);
	if (!r.active) throw new FieldError('Resident', `resident ${id} is already inactive`);
	await sql(uow, `UPDATE resident SET active = false, inactive_reason = ?, updated_at = now() WHERE id = ?`, [reason, id]);
	if (reason === 'deceased' && r.health_status !== 'deceased') {
		await sql(uow, `UPDATE health_status_history SET ended_at = now() WHERE resident_id = ? AND ended_at IS NULL`, [id]);
		await sql(uow,
			`INSERT INTO health_status_history (resident_id, unit_id, status, previous_status, reason, started_at) VALUES (?, ?, 'deceased', ?, ?, now())`,
			[id, r.unit_id, r.health_status, note ?? INACTIVE_REASONS.deceased]);
		await sql(uow, `UPDATE resident SET health_status = 'deceased', health_since = now(), quarantine_ends_at = NULL WHERE id = ?`, [id]);
	}
	return (await loadResidentRecords(uow, [id])).get(id)!;
}
