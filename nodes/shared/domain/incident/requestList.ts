import { sql } from '../../db/sql';
import type { UnitOfWork } from '../context';
import { INCIDENT_COLUMNS, INCIDENT_FROM, type IncidentRecord, type IncidentRow, toIncidentRecords } from './incidentRecord';
import { OPEN_STATUSES } from './vocabulary';

/** The filters of GeoReport v2 GET requests. */
export interface RequestListQuery {
	/** service_request_id values: public references or numeric ids. When given, the other filters are ignored. */
	ids?: string[];
	categories?: string[];
	status?: 'open' | 'closed';
	from: Date;
	to: Date;
	limit: number;
}

/** Incidents for an Open311 front end: by id, or the newest first within a window. */
export async function listRequests(uow: UnitOfWork, q: RequestListQuery): Promise<IncidentRecord[]> {
	if (q.ids?.length) {
		const refs = q.ids.filter((x) => !/^\d+$/.test(x));
		const ids = q.ids.filter((x) => /^\d+$/.test(x)).map(Number);
		const { rows } = await sql<IncidentRow>(uow,
			`SELECT ${INCIDENT_COLUMNS} FROM ${INCIDENT_FROM} WHERE i.reference = ANY(?::text[]) OR i.id = ANY(?::bigint[]) ORDER BY i.created_at DESC, i.id DESC`,
			[refs, ids]);
		return toIncidentRecords(uow, rows);
	}
	const open = q.status === 'open' ? `AND i.status = ANY(?::text[])` : q.status === 'closed' ? `AND NOT (i.status = ANY(?::text[]))` : '';
	const { rows } = await sql<IncidentRow>(uow,
		`SELECT ${INCIDENT_COLUMNS} FROM ${INCIDENT_FROM}
		WHERE i.created_at >= ? AND i.created_at < ? ${q.categories?.length ? 'AND i.category = ANY(?::text[])' : ''} ${open}
		ORDER BY i.created_at DESC, i.id DESC LIMIT ?`,
		[q.from.toISOString(), q.to.toISOString(), ...(q.categories?.length ? [q.categories] : []), ...(q.status ? [OPEN_STATUSES] : []), q.limit]);
	return toIncidentRecords(uow, rows);
}
