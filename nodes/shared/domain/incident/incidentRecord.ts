import { sql } from '../../db/sql';
import { writeAudit } from '../audit';
import type { UnitOfWork } from '../context';
import { decrypt } from '../personalData';
import { RISK_LEVEL_LABELS, type RiskLevel } from './risk';
import { INCIDENT_SOURCES, INCIDENT_STATUSES, type IncidentSource, type IncidentStatus, OPEN_STATUSES } from './vocabulary';

/** An incident as every operation returns it. Reporter contact details are masked unless revealed. */
export interface IncidentRecord {
	id: number;
	reference: string;
	source: IncidentSource;
	sourceLabel: string;
	category: string;
	description: string;
	status: IncidentStatus;
	statusLabel: string;
	riskLevel: RiskLevel;
	riskLabel: string;
	riskReasons: string[];
	unitCode: string;
	unitName: string;
	locationCode: string | null;
	routingNote: string | null;
	/** Null when the case is handled above the credential's scope. */
	handlingUnitCode: string | null;
	handlingLevel: number | null;
	residentId: number | null;
	reporter: { name: string | null; phone: string | null; email: string | null; revealed: boolean };
	address: string | null;
	lat: number | null;
	long: number | null;
	attributes: Record<string, unknown>;
	duplicateOf: string | null;
	reportCount: number;
	assigneeStaffId: number | null;
	assigneeName: string | null;
	assigneeTeam: string | null;
	escalationCount: number;
	transferCount: number;
	reopenCount: number;
	supervised: boolean;
	dueAt: string | null;
	overdue: boolean;
	satisfaction: number | null;
	callbackResult: string | null;
	idempotencyKey: string | null;
	createdAt: string;
	updatedAt: string;
	resolvedAt: string | null;
	closedAt: string | null;
}

/** SELECT list for INCIDENT_FROM. */
export const INCIDENT_COLUMNS = `i.id, i.reference, i.source, i.category, i.description, i.status, i.risk_level, i.risk_reasons,
	u.code AS unit_code, u.name AS unit_name, l.code AS location_code, i.routing_note, hu.code AS handling_code, hu.level AS handling_level,
	i.resident_id, i.reporter_name, i.reporter_phone_masked, i.reporter_phone_enc, i.reporter_email_masked, i.reporter_email_enc,
	i.address, i.lat, i.long, i.attributes, d.reference AS duplicate_of_ref, i.report_count, i.assignee_staff_id, st.name AS assignee_name,
	i.assignee_team, i.escalation_count, i.transfer_count, i.reopen_count, i.supervised, i.due_at, i.satisfaction, i.callback_result,
	i.idempotency_key, i.created_at, i.updated_at, i.resolved_at, i.closed_at, i.unit_id`;
export const INCIDENT_FROM = `incident i
	JOIN grid_unit u ON u.id = i.unit_id
	LEFT JOIN grid_unit hu ON hu.id = i.handling_unit_id
	LEFT JOIN grid_unit l ON l.id = i.location_unit_id
	LEFT JOIN incident d ON d.id = i.duplicate_of
	LEFT JOIN staff st ON st.id = i.assignee_staff_id`;

export type IncidentRow = Record<string, unknown> & { id: number; unit_id: number };

/** Shapes rows for output; revealing the reporter's contact decrypts it and writes one audit row per incident. */
export async function toIncidentRecords(uow: UnitOfWork, rows: IncidentRow[], reveal = false, now = new Date()): Promise<IncidentRecord[]> {
	if (reveal && rows.length) {
		await writeAudit(uow, rows.filter((r) => r.reporter_phone_enc || r.reporter_email_enc).map((r) => ({
			action: 'reveal',
			entity: 'incident',
			entityId: String(r.id),
			unitId: r.unit_id,
			details: { fields: [r.reporter_phone_enc ? 'reporterPhone' : null, r.reporter_email_enc ? 'reporterEmail' : null].filter(Boolean) },
		})));
	}
	return rows.map((r) => {
		const status = r.status as IncidentStatus;
		const risk = r.risk_level as RiskLevel;
		const due = (r.due_at as string | null) ?? null;
		return {
			id: r.id,
			reference: r.reference as string,
			source: r.source as IncidentSource,
			sourceLabel: INCIDENT_SOURCES[r.source as IncidentSource],
			category: r.category as string,
			description: r.description as string,
			status,
			statusLabel: INCIDENT_STATUSES[status],
			riskLevel: risk,
			riskLabel: RISK_LEVEL_LABELS[risk],
			riskReasons: (r.risk_reasons as string[]) ?? [],
			unitCode: r.unit_code as string,
			unitName: r.unit_name as string,
			locationCode: (r.location_code as string | null) ?? null,
			routingNote: (r.routing_note as string | null) ?? null,
			handlingUnitCode: (r.handling_code as string | null) ?? null,
			handlingLevel: (r.handling_level as number | null) ?? null,
			residentId: (r.resident_id as number | null) ?? null,
			reporter: {
				name: (r.reporter_name as string | null) ?? null,
				phone: reveal && r.reporter_phone_enc ? decrypt(uow.keys, r.reporter_phone_enc as string) : ((r.reporter_phone_masked as string | null) ?? null),
				email: reveal && r.reporter_email_enc ? decrypt(uow.keys, r.reporter_email_enc as string) : ((r.reporter_email_masked as string | null) ?? null),
				revealed: reveal,
			},
			address: (r.address as string | null) ?? null,
			lat: (r.lat as number | null) ?? null,
			long: (r.long as number | null) ?? null,
			attributes: (r.attributes as Record<string, unknown>) ?? {},
			duplicateOf: (r.duplicate_of_ref as string | null) ?? null,
			reportCount: r.report_count as number,
			assigneeStaffId: (r.assignee_staff_id as number | null) ?? null,
			assigneeName: (r.assignee_name as string | null) ?? null,
			assigneeTeam: (r.assignee_team as string | null) ?? null,
			escalationCount: r.escalation_count as number,
			transferCount: r.transfer_count as number,
			reopenCount: r.reopen_count as number,
			supervised: r.supervised as boolean,
			dueAt: due,
			overdue: due !== null && OPEN_STATUSES.includes(status) && new Date(due) < now,
			satisfaction: (r.satisfaction as number | null) ?? null,
			callbackResult: (r.callback_result as string | null) ?? null,
			idempotencyKey: (r.idempotency_key as string | null) ?? null,
			createdAt: r.created_at as string,
			updatedAt: r.updated_at as string,
			resolvedAt: (r.resolved_at as string | null) ?? null,
			closedAt: (r.closed_at as string | null) ?? null,
		};
	});
}

/** Loads incidents by id, in chunks, keyed by id. */
export async function loadIncidentRecords(uow: UnitOfWork, ids: number[], reveal = false): Promise<Map<number, IncidentRecord>> {
	const out = new Map<number, IncidentRecord>();
	const unique = [...new Set(ids)];
	for (let start = 0; start < unique.length; start += 10_000) {
		const part = unique.slice(start, start + 10_000);
		const { rows } = await sql<IncidentRow>(uow, `SELECT ${INCIDENT_COLUMNS} FROM ${INCIDENT_FROM} WHERE i.id = ANY(?::bigint[])`, [part]);
		for (const rec of await toIncidentRecords(uow, rows, reveal)) out.set(rec.id, rec);
	}
	return out;
}
