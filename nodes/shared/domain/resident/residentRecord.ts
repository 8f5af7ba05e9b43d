import { sql } from '../../db/sql';
import { writeAudit } from '../audit';
import type { UnitOfWork } from '../context';
import { decrypt } from '../personalData';
import type { ProtectedDocument, ProtectedPhone } from '../protect';
import type { NewResident } from './residentInput';
import { HEALTH_STATUSES, type HealthStatus } from './vocabulary';

export interface ResidentRecord {
	id: number;
	name: string;
	registered: boolean;
	householdId: number | null;
	buildingCode: string;
	unitNo: string | null;
	roomNo: string | null;
	documentType: string | null;
	/** Masked unless revealed (and then only if the full number was stored). */
	documentNumber: string | null;
	phone: string | null;
	revealed: boolean;
	birthYear: number | null;
	age: number | null;
	sex: 'M' | 'F' | null;
	relation: string | null;
	tags: string[];
	healthStatus: HealthStatus;
	healthStatusLabel: string;
	healthSince: string;
	quarantineEndsAt: string | null;
	active: boolean;
	inactiveReason: string | null;
	createdAt: string;
	updatedAt: string;
}

/** SELECT list for FROM resident r JOIN grid_unit b ON b.id = r.unit_id LEFT JOIN household h ON h.id = r.household_id */
export const RESIDENT_COLUMNS = `r.id, r.name, r.registered, r.household_id, b.code AS building_code, h.unit_no, h.room_no,
	r.doc_type, r.doc_masked, r.doc_enc, r.phone_masked, r.phone_enc, r.birth_year, r.sex, r.relation, r.tags,
	r.health_status, r.health_since, r.quarantine_ends_at, r.active, r.inactive_reason, r.created_at, r.updated_at, r.unit_id`;
export const RESIDENT_FROM = `resident r JOIN grid_unit b ON b.id = r.unit_id LEFT JOIN household h ON h.id = r.household_id`;

export type ResidentRow = Record<string, unknown> & { id: number; unit_id: number };

/** Shapes rows for output; revealing decrypts and writes one audit row per person revealed. */
export async function toResidentRecords(uow: UnitOfWork, rows: ResidentRow[], reveal: boolean): Promise<ResidentRecord[]> {
	if (reveal && rows.length) {
		await writeAudit(uow, rows.map((r) => ({
			action: 'reveal',
			entity: 'resident',
			entityId: String(r.id),
			unitId: r.unit_id,
			details: { fields: [r.phone_enc ? 'phone' : null, r.doc_enc ? 'document' : null].filter(Boolean) },
		})));
	}
	const year = new Date().getUTCFullYear();
	return rows.map((r) => {
		const status = r.health_status as HealthStatus;
		return {
			id: r.id,
			name: r.name as string,
			registered: r.registered as boolean,
			householdId: (r.household_id as number | null) ?? null,
			buildingCode: r.building_code as string,
			unitNo: (r.unit_no as string | null) ?? null,
			roomNo: (r.room_no as string | null) ?? null,
			documentType: (r.doc_type as string | null) ?? null,
			documentNumber: reveal && r.doc_enc ? decrypt(uow.keys, r.doc_enc as string) : ((r.doc_masked as string | null) ?? null),
			phone: reveal && r.phone_enc ? decrypt(uow.keys, r.phone_enc as string) : ((r.phone_masked as string | null) ?? null),
			revealed: reveal,
			birthYear: (r.birth_year as number | null) ?? null,
			age: r.birth_year ? year - (r.birth_year as number) : null,
			sex: (r.sex as 'M' | 'F' | null) ?? null,
			relation: (r.relation as string | null) ?? null,
			tags: (r.tags as string[]) ?? [],
			healthStatus: status,
			healthStatusLabel: HEALTH_STATUSES[status],
			healthSince: r.health_since as string,
			quarantineEndsAt: (r.quarantine_ends_at as string | null) ?? null,
			active: r.active as boolean,
			inactiveReason: (r.inactive_reason as string | null) ?? null,
			createdAt: r.created_at as string,
			updatedAt: r.updated_at as string,
		};
	});
}

export async function loadResidentRecords(uow: UnitOfWork, ids: number[], reveal = false): Promise<Map<number, ResidentRecord>> {
	const out = new Map<number, ResidentRecord>();
	for (let start = 0; start < ids.length; start += 10_000) {
		const part = ids.slice(start, start + 10_000);
		const { rows } = await sql<ResidentRow>(uow, `SELECT ${RESIDENT_COLUMNS} FROM ${RESIDENT_FROM} WHERE r.id = ANY(?::bigint[])`, [part]);
		for (const rec of await toResidentRecords(uow, rows, reveal)) out.set(rec.id, rec);
	}
	return out;
}

/** A resident just inserted, described from what was written: what loadResidentRecords would read back. */
export function describeInserted(x: {
	id: number;
	r: NewResident;
	doc: ProtectedDocument;
	phone: ProtectedPhone;
	householdId: number | null;
	buildingCode: string;
	/** The transaction's now(): created, updated and health-since times of the row. */
	now: string;
	year: number;
}): ResidentRecord & { operation: 'created' } {
	const { r } = x;
	const addressed = r.household && 'roomNo' in r.household ? r.household : undefined;
	return {
		id: x.id,
		name: r.name,
		registered: true,
		householdId: x.householdId,
		buildingCode: x.buildingCode,
		unitNo: addressed?.unitNo ?? null,
		roomNo: addressed?.roomNo ?? null,
		documentType: x.doc.type,
		documentNumber: x.doc.masked,
		phone: x.phone.masked,
		revealed: false,
		birthYear: r.birthYear ?? null,
		age: r.birthYear ? x.year - r.birthYear : null,
		sex: r.sex ?? null,
		relation: r.relation ?? null,
		tags: r.tags,
		healthStatus: r.healthStatus,
		healthStatusLabel: HEALTH_STATUSES[r.healthStatus],
		healthSince: x.now,
		quarantineEndsAt: r.quarantineEndsAt?.toISOString() ?? null,
		active: true,
		inactiveReason: null,
		createdAt: x.now,
		updatedAt: x.now,
		operation: 'created',
	};
}
