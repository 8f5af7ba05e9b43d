import { sql } from '../../db/sql';
import { FieldError, describeValue } from '../../validation/errors';
import type { UnitOfWork } from '../context';
import { subtreeBounds } from '../grid/unitRecord';
import type { Period } from '../stats/period';
import type { FhirObservationRecord, FhirSourceRecord, FhirTaskRecord, FhirUnitRecord } from './fhir';

export interface FhirSourceInput {
	/** Materialized path of the subtree's root, like '/1/7/'. */
	unitPath: string;
	period: Period;
	/** Rows per query; default 1000. */
	pageSize?: number;
}

const DEFAULT_PAGE = 1000;

/**
 * The records a FHIR export of a subtree and period holds: the units (parents before children),
 * then the body temperatures taken in the period, then the tasks created or changed in it. Each is
 * read a page at a time with keyset paging, so a district of any size streams through in bounded
 * memory. Runs inside the caller's transaction: consume it before the unit of work ends.
 */
export async function* fhirRecords(uow: UnitOfWork, input: FhirSourceInput): AsyncIterable<FhirSourceRecord> {
	if (typeof input.unitPath !== 'string' || !/^\/(\d+\/)+$/.test(input.unitPath)) {
		throw new FieldError('Grid Unit', `the subtree path ${describeValue(input.unitPath)} is not a grid unit path like /1/7/`);
	}
	const pageSize = input.pageSize ?? DEFAULT_PAGE;
	if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100_000) {
		throw new FieldError('Page Size', `Page Size must be a whole number from 1 to 100000 (got ${describeValue(input.pageSize)})`);
	}
	const [low, high] = subtreeBounds(input.unitPath);
	const { start, end } = input.period;
	yield* unitRecords(uow, low, high, pageSize);
	yield* observationRecords(uow, low, high, start, end, pageSize);
	yield* taskRecords(uow, low, high, start, end, pageSize);
}

async function* unitRecords(uow: UnitOfWork, low: string, high: string, pageSize: number): AsyncIterable<FhirUnitRecord> {
	// by path: a parent's path is a prefix of its children's, so it sorts first
	let after = '';
	for (;;) {
		const { rows } = await sql<{ id: number; code: string; name: string; level: number; active: boolean; path: string; parent_code: string | null; parent_name: string | null }>(uow,
			`SELECT u.id, u.code, u.name, u.level, u.active, u.path, p.code AS parent_code, p.name AS parent_name
			FROM grid_unit u LEFT JOIN grid_unit p ON p.id = u.parent_id
			WHERE u.path >= ? AND u.path < ? AND u.path > ?
			ORDER BY u.path LIMIT ?`,
			[low, high, after, pageSize]);
		for (const r of rows) {
			yield {
				type: 'unit', id: Number(r.id), code: r.code, name: r.name, level: Number(r.level), active: r.active,
				parentCode: r.parent_code, parentName: r.parent_name,
			};
		}
		if (rows.length < pageSize) return;
		after = rows[rows.length - 1].path;
	}
}

async function* observationRecords(uow: UnitOfWork, low: string, high: string, start: string, end: string, pageSize: number): AsyncIterable<FhirObservationRecord> {
	let after = 0;
	for (;;) {
		const { rows } = await sql<{ id: number; resident_id: number; unit_code: string; observed_at: string; temperature_c: number; fever: boolean }>(uow,
			`SELECT o.id, o.resident_id, u.code AS unit_code, o.observed_at, o.temperature_c::float8 AS temperature_c, o.fever
			FROM health_observation o JOIN grid_unit u ON u.id = o.unit_id
			WHERE o.id > ? AND o.temperature_c IS NOT NULL
				AND o.observed_at >= ?::timestamptz AND o.observed_at < ?::timestamptz
				AND o.unit_id IN (SELECT id FROM grid_unit WHERE path >= ? AND path < ?)
			ORDER BY o.id LIMIT ?`,
			[after, start, end, low, high, pageSize]);
		for (const r of rows) {
			yield {
				type: 'observation', id: Number(r.id), residentId: Number(r.resident_id), unitCode: r.unit_code,
				observedAt: r.observed_at, temperatureC: Number(r.temperature_c), fever: r.fever,
			};
		}
		if (rows.length < pageSize) return;
		after = Number(rows[rows.length - 1].id);
	}
}

async function* taskRecords(uow: UnitOfWork, low: string, high: string, start: string, end: string, pageSize: number): AsyncIterable<FhirTaskRecord> {
	let after = 0;
	for (;;) {
		const { rows } = await sql<{
			id: number; kind: string; custom_kind: string | null; title: string; status: string; priority: number; unit_code: string; unit_name: string;
			resident_id: number | null; created_at: string; updated_at: string; window_start: string | null; window_end: string | null; due_at: string | null;
		}>(uow,
			`SELECT t.id, t.kind, t.custom_kind, t.title, t.status, t.priority, u.code AS unit_code, u.name AS unit_name, t.resident_id,
				t.created_at, t.updated_at, t.window_start, t.window_end, t.due_at
			FROM task t JOIN grid_unit u ON u.id = t.unit_id
			WHERE t.id > ?
				AND (t.created_at >= ?::timestamptz AND t.created_at < ?::timestamptz
					OR t.updated_at >= ?::timestamptz AND t.updated_at < ?::timestamptz)
				AND t.unit_id IN (SELECT id FROM grid_unit WHERE path >= ? AND path < ?)
			ORDER BY t.id LIMIT ?`,
			[after, start, end, start, end, low, high, pageSize]);
		for (const r of rows) {
			yield {
				type: 'task', id: Number(r.id), kind: r.kind, customKind: r.custom_kind, title: r.title, status: r.status,
				priority: Number(r.priority), unitCode: r.unit_code, unitName: r.unit_name,
				residentId: r.resident_id === null ? null : Number(r.resident_id),
				createdAt: r.created_at, updatedAt: r.updated_at, windowStart: r.window_start, windowEnd: r.window_end, dueAt: r.due_at,
			};
		}
		if (rows.length < pageSize) return;
		after = Number(rows[rows.length - 1].id);
	}
}
