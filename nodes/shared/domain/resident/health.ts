import { sql } from '../../db/sql';
import { FieldError } from '../../validation/errors';
import type { Outcome, UnitOfWork } from '../context';
import { loadUnit } from '../grid/unitLookup';
import { type UnitRef, subtreeBounds } from '../grid/unitRecord';
import type { ResidentRecord } from './residentRecord';
import { type ResidentRef, loadResidentRecords, resolveResident, resolveResidentsMany } from './residents';
import {
	FEVER_THRESHOLD_C, HEALTH_STATUSES, type HealthStatus, OBSERVATION_SOURCES, type ObservationSource,
	QUARANTINE_STATUSES, TRANSITIONS,
} from './vocabulary';

export interface StatusChange {
	resident: ResidentRef;
	status: HealthStatus;
	reason: string;
	startedAt?: Date;
	quarantineEndsAt?: Date;
}

export type StatusChangeResult = ResidentRecord & { previousStatus: HealthStatus };

/** Moves residents through the health status state machine, closing the previous period in the history. */
export async function setHealthStatus(uow: UnitOfWork, change: StatusChange): Promise<StatusChangeResult> {
	const id = await resolveResident(uow, change.resident);
	const { rows: [r] } = await sql<{ health_status: HealthStatus; unit_id: number; active: boolean }>(uow,
		`SELECT health_status, unit_id, active FROM resident WHERE id = ? FOR UPDATE`, [id]);
	const from = r.health_status;
	if (from === change.status) {
		throw new FieldError('New Status', `resident ${id} is already ${HEALTH_STATUSES[from]}`);
	}
	if (!TRANSITIONS[from].includes(change.status)) {
		const allowed = TRANSITIONS[from];
		throw new FieldError('New Status', `a resident who is ${HEALTH_STATUSES[from]} cannot become ${HEALTH_STATUSES[change.status]}${allowed.length ? `; allowed next: ${allowed.map((s) => HEALTH_STATUSES[s]).join(', ')}` : ': no change is allowed from there'}`);
	}
	const start = change.startedAt ?? new Date();
	if (QUARANTINE_STATUSES.includes(change.status)) {
		if (!change.quarantineEndsAt) throw new FieldError('Quarantine Ends At', `${HEALTH_STATUSES[change.status]} needs the date the quarantine ends`);
		if (change.quarantineEndsAt <= start) throw new FieldError('Quarantine Ends At', `the quarantine must end after it starts (${start.toISOString()})`);
	}
	const ends = QUARANTINE_STATUSES.includes(change.status) ? change.quarantineEndsAt!.toISOString() : null;
	await sql(uow, `UPDATE health_status_history SET ended_at = ? WHERE resident_id = ? AND ended_at IS NULL`, [start.toISOString(), id]);
	await sql(uow,
		`INSERT INTO health_status_history (resident_id, unit_id, status, previous_status, reason, started_at, quarantine_ends_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		[id, r.unit_id, change.status, from, change.reason, start.toISOString(), ends]);
	await sql(uow,
		`UPDATE resident SET health_status = ?, health_since = ?, quarantine_ends_at = ?,
			active = CASE WHEN ? = 'deceased' THEN false ELSE active END,
			inactive_reason = CASE WHEN ? = 'deceased' THEN 'deceased' ELSE inactive_reason END,
			updated_at = now()
		WHERE id = ?`,
		[change.status, start.toISOString(), ends, change.status, change.status, id]);
	const record = (await loadResidentRecords(uow, [id])).get(id)!;
	return { ...record, previousStatus: from };
}

export interface NewObservation {
	resident: ResidentRef;
	observedAt?: Date;
	temperatureC?: number;
	symptoms: string[];
	source: ObservationSource;
	recordedBy?: string;
	note?: string;
}

export interface ObservationRecord {
	id: number;
	residentId: number;
	residentName: string;
	buildingCode: string;
	observedAt: string;
	temperatureC: number | null;
	fever: boolean;
	symptoms: string[];
	source: ObservationSource;
	sourceLabel: string;
	recordedBy: string | null;
	note: string | null;
}

const OBS_COLUMNS = `o.id, o.resident_id, r.name AS resident_name, b.code AS building_code, o.observed_at, o.temperature_c,
	o.fever, o.symptoms, o.source, o.recorded_by, o.note`;

function toObservation(r: Record<string, unknown>): ObservationRecord {
	return {
		id: r.id as number,
		residentId: r.resident_id as number,
		residentName: r.resident_name as string,
		buildingCode: r.building_code as string,
		observedAt: r.observed_at as string,
		temperatureC: r.temperature_c === null ? null : Number(r.temperature_c),
		fever: r.fever as boolean,
		symptoms: r.symptoms as string[],
		source: r.source as ObservationSource,
		sourceLabel: OBSERVATION_SOURCES[r.source as ObservationSource],
		recordedBy: r.recorded_by as string | null,
		note: r.note as string | null,
	};
}

/** Records observations in one statement; a reading of 37.3 °C or more is flagged as fever. */
export async function recordObservations(uow: UnitOfWork, inputs: NewObservation[]): Promise<Array<Outcome<ObservationRecord>>> {
	const ids = await resolveResidentsMany(uow, inputs.map((o) => o.resident));
	const outcomes: Array<Outcome<ObservationRecord>> = ids.map((x) => (x instanceof FieldError ? { ok: false, error: x } : { ok: true, value: [] }));
	if (outcomes.some((o) => !o.ok) && !uow.partial) return outcomes;
	const good = inputs.map((o, i) => ({ o, i })).filter(({ i }) => typeof ids[i] === 'number');
	if (!good.length) return outcomes;
	const { rows } = await sql(uow,
		`WITH ins AS (
			INSERT INTO health_observation (resident_id, unit_id, observed_at, temperature_c, fever, symptoms, source, recorded_by, note)
			SELECT t.resident_id, r.unit_id, t.observed_at, t.temperature_c, coalesce(t.temperature_c >= ?, false), string_to_array(t.symptoms, ','), t.source, t.recorded_by, t.note
			FROM unnest(?::bigint[], ?::timestamptz[], ?::numeric[], ?::text[], ?::text[], ?::text[], ?::text[]) WITH ORDINALITY
				AS t(resident_id, observed_at, temperature_c, symptoms, source, recorded_by, note, ord)
			JOIN resident r ON r.id = t.resident_id
			ORDER BY t.ord
			RETURNING *
		)
		SELECT ${OBS_COLUMNS} FROM ins o JOIN resident r ON r.id = o.resident_id JOIN grid_unit b ON b.id = o.unit_id ORDER BY o.id`,
		[
			FEVER_THRESHOLD_C,
			good.map(({ i }) => ids[i]),
			good.map(({ o }) => (o.observedAt ?? new Date()).toISOString()),
			good.map(({ o }) => o.temperatureC ?? null),
			good.map(({ o }) => o.symptoms.join(',')),
			good.map(({ o }) => o.source),
			good.map(({ o }) => o.recordedBy ?? null),
			good.map(({ o }) => o.note ?? null),
		],
	);
	good.forEach(({ i }, k) => {
		outcomes[i] = { ok: true, value: toObservation(rows[k]) };
	});
	return outcomes;
}

export interface ListObservationsInput {
	resident?: ResidentRef;
	within?: UnitRef;
	from: Date;
	to: Date;
	feverOnly: boolean;
	limit?: number;
}

export async function listObservations(uow: UnitOfWork, input: ListObservationsInput): Promise<ObservationRecord[]> {
	if (input.to <= input.from) throw new FieldError('To', `the window must end after it starts (${input.from.toISOString()})`);
	const where: string[] = ['o.observed_at >= ?', 'o.observed_at < ?'];
	const args: unknown[] = [input.from.toISOString(), input.to.toISOString()];
	if (input.resident) {
		where.push('o.resident_id = ?');
		args.push(await resolveResident(uow, input.resident));
	}
	if (input.within) {
		const root = await loadUnit(uow, input.within, 'Grid Unit');
		const [lo, hi] = subtreeBounds(root.path);
		where.push('b.path >= ? AND b.path < ?');
		args.push(lo, hi);
	}
	if (input.feverOnly) where.push('o.fever');
	const out: ObservationRecord[] = [];
	let after = 0;
	for (;;) {
		const want = input.limit === undefined ? 2000 : Math.min(2000, input.limit - out.length);
		if (want <= 0) break;
		const { rows } = await sql(uow,
			`SELECT ${OBS_COLUMNS} FROM health_observation o JOIN resident r ON r.id = o.resident_id JOIN grid_unit b ON b.id = o.unit_id
			WHERE ${where.join(' AND ')} AND o.id > ? ORDER BY o.id LIMIT ?`,
			[...args, after, want]);
		out.push(...rows.map(toObservation));
		if (rows.length < want) break;
		after = rows[rows.length - 1].id;
	}
	return out;
}
