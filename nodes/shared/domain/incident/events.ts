import { sql } from '../../db/sql';
import type { UnitOfWork } from '../context';
import type { EventKind, IncidentStatus } from './vocabulary';

/** One timeline entry to append. unitId is the incident's owning unit (scope of the event). */
export interface NewIncidentEvent {
	incidentId: number;
	unitId: number;
	kind: EventKind;
	fromStatus?: IncidentStatus | null;
	toStatus?: IncidentStatus | null;
	note?: string | null;
	details?: Record<string, unknown>;
}

/**
 * Appends timeline entries in one statement, in the caller's transaction, so an incident never
 * changes without its timeline saying so.
 */
export async function appendEvents(uow: UnitOfWork, events: NewIncidentEvent[]): Promise<void> {
	for (let start = 0; start < events.length; start += 10_000) {
		const part = events.slice(start, start + 10_000);
		await sql(uow,
			// the actor is read once per statement rather than by the column default on every row
			`WITH a AS MATERIALIZED (SELECT current_actor() AS actor)
			INSERT INTO incident_event (incident_id, unit_id, kind, from_status, to_status, note, details, actor)
			SELECT t.incident_id, t.unit_id, t.kind, t.from_status, t.to_status, t.note, t.details::jsonb, a.actor
			FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
				AS t(incident_id, unit_id, kind, from_status, to_status, note, details)
			CROSS JOIN a`,
			[
				part.map((e) => e.incidentId),
				part.map((e) => e.unitId),
				part.map((e) => e.kind),
				part.map((e) => e.fromStatus ?? null),
				part.map((e) => e.toStatus ?? null),
				part.map((e) => e.note ?? null),
				part.map((e) => JSON.stringify(e.details ?? {})),
			]);
	}
}
