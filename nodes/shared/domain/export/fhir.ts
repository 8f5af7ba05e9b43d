import { createHash } from 'crypto';
import { FieldError, describeValue } from '../../validation/errors';
import type { Period } from '../stats/period';
import { TASK_KINDS, TASK_STATUSES, type TaskStatus } from '../task/vocabulary';
import { type ExportDocument, exportDocument } from './document';

/**
 * FHIR R4 transaction Bundle of the grid (Location), body temperatures (Observation) and tasks (Task).
 * Every entry is a conditional PUT by our identifier, so sending the same bundle again updates in
 * place instead of creating copies. References are logical (by identifier): the receiving server
 * need not hold the target, and no server id of ours leaks. Residents appear only as a pseudonymous
 * identifier, never by name or ID number.
 */

export interface FhirUnitRecord {
	type: 'unit';
	id: number;
	code: string;
	name: string;
	level: number;
	active: boolean;
	parentCode: string | null;
	parentName: string | null;
}

export interface FhirObservationRecord {
	type: 'observation';
	id: number;
	residentId: number;
	unitCode: string;
	observedAt: string;
	temperatureC: number;
	fever: boolean;
}

export interface FhirTaskRecord {
	type: 'task';
	id: number;
	kind: string;
	customKind: string | null;
	title: string;
	status: string;
	priority: number;
	unitCode: string;
	unitName: string;
	residentId: number | null;
	createdAt: string;
	updatedAt: string;
	windowStart: string | null;
	windowEnd: string | null;
	dueAt: string | null;
}

export type FhirSourceRecord = FhirUnitRecord | FhirObservationRecord | FhirTaskRecord;

export interface FhirOptions {
	/** Base of our identifier systems, `urn:grid-governance` unless set (a URN or an http(s) URL). */
	systemBase?: string;
	/** Bundle.timestamp; left out when not given, so that regenerating gives the same bytes. */
	timestamp?: string;
	/** For the file name. */
	unitCode?: string;
	period?: Period;
}

export const DEFAULT_SYSTEM_BASE = 'urn:grid-governance';
const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const PHYSICAL_TYPE = 'http://terminology.hl7.org/CodeSystem/location-physical-type';
const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';

export interface FhirSystems {
	unit: string;
	level: string;
	resident: string;
	observation: string;
	task: string;
	taskKind: string;
	taskStatus: string;
}

/** Our identifier systems under a base: `urn:grid-governance:grid-unit`, or `https://…/grid-unit`. */
export function fhirSystems(base: string = DEFAULT_SYSTEM_BASE, field = 'Identifier System'): FhirSystems {
	const text = String(base ?? '').trim() || DEFAULT_SYSTEM_BASE;
	const isUrn = /^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}(:[A-Za-z0-9._~%!$&'()*+,;=:@\-]+)*:?$/.test(text);
	const isUrl = /^https?:\/\/[^\s/?#|]+(\/[^\s?#|]*)?$/.test(text);
	if (!isUrn && !isUrl) {
		throw new FieldError(field, `${field} ${describeValue(base)} must be a URN like urn:grid-governance or an http(s) URL like https://example.org/fhir/sid, without spaces, "|", "?" or "#"`);
	}
	const sep = isUrn ? ':' : '/';
	const root = text.replace(/[:/]+$/, '');
	const sys = (name: string) => `${root}${sep}${name}`;
	return {
		unit: sys('grid-unit'),
		level: sys('grid-level'),
		resident: sys('resident'),
		observation: sys('observation'),
		task: sys('task'),
		taskKind: sys('task-kind'),
		taskStatus: sys('task-status'),
	};
}

const LEVELS: Record<number, { en: string; zh: string }> = {
	1: { en: 'District', zh: '区' },
	2: { en: 'Street', zh: '街道' },
	3: { en: 'Community', zh: '社区' },
	4: { en: 'Base grid', zh: '基础网格' },
	5: { en: 'Building / courtyard', zh: '楼栋院落' },
};

/** FHIR Task.status for each of ours: offers are still requests, assignments are accepted. */
export const TASK_STATUS_MAP: Readonly<Record<TaskStatus, string>> = {
	open: 'requested',
	offered: 'requested',
	assigned: 'accepted',
	accepted: 'accepted',
	in_progress: 'in-progress',
	done: 'completed',
	cancelled: 'cancelled',
};

const TASK_PRIORITY: Record<number, string> = { 1: 'routine', 2: 'routine', 3: 'urgent', 4: 'asap' };

/** A query value in a conditional URL: readable system and `|`, everything else percent-encoded. */
const queryValue = (s: string) => encodeURIComponent(s).replace(/%3A/gi, ':').replace(/%2F/gi, '/').replace(/%7C/gi, '|');

/** A stable urn:uuid for an identifier, so regenerating the bundle gives the same fullUrls. */
function fullUrlOf(resourceType: string, system: string, value: string): string {
	const h = createHash('sha1').update(`${resourceType}|${system}|${value}`).digest('hex');
	// name-based UUID layout (version 5, RFC 4122 variant)
	const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
	return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface FhirEntry {
	fullUrl: string;
	resource: Record<string, unknown>;
	request: { method: 'PUT'; url: string };
}

function entry(resourceType: string, system: string, value: string, resource: Record<string, unknown>): FhirEntry {
	return {
		fullUrl: fullUrlOf(resourceType, system, value),
		resource: { resourceType, identifier: [{ system, value }], ...resource },
		request: { method: 'PUT', url: `${resourceType}?identifier=${queryValue(system)}|${queryValue(value)}` },
	};
}

function locationEntry(r: FhirUnitRecord, sys: FhirSystems): FhirEntry {
	const level = LEVELS[r.level] ?? { en: `Level ${r.level}`, zh: `${r.level}级` };
	const building = r.level === 5;
	const resource: Record<string, unknown> = {
		status: r.active ? 'active' : 'inactive',
		name: r.name,
		mode: 'instance',
		type: [{ coding: [{ system: sys.level, code: String(r.level), display: level.en }], text: `${level.en} (${level.zh})` }],
		physicalType: { coding: [building ? { system: PHYSICAL_TYPE, code: 'bu', display: 'Building' } : { system: PHYSICAL_TYPE, code: 'area', display: 'Area' }] },
	};
	if (r.parentCode) {
		resource.partOf = { type: 'Location', identifier: { system: sys.unit, value: r.parentCode }, ...(r.parentName ? { display: r.parentName } : {}) };
	}
	return entry('Location', sys.unit, r.code, resource);
}

function observationEntry(r: FhirObservationRecord, sys: FhirSystems): FhirEntry {
	const resource: Record<string, unknown> = {
		status: 'final',
		category: [{ coding: [{ system: OBSERVATION_CATEGORY, code: 'vital-signs', display: 'Vital Signs' }] }],
		code: { coding: [{ system: LOINC, code: '8310-5', display: 'Body temperature' }], text: 'Body temperature (体温)' },
		subject: { type: 'Patient', identifier: { system: sys.resident, value: String(r.residentId) } },
		effectiveDateTime: r.observedAt,
		valueQuantity: { value: r.temperatureC, unit: 'Cel', system: UCUM, code: 'Cel' },
	};
	if (r.fever) resource.interpretation = [{ coding: [{ system: INTERPRETATION, code: 'H', display: 'High' }], text: 'Fever (发热)' }];
	return entry('Observation', sys.observation, String(r.id), resource);
}

function taskEntry(r: FhirTaskRecord, sys: FhirSystems): FhirEntry {
	const kindLabel = (TASK_KINDS as Record<string, string>)[r.kind] ?? r.kind;
	const statusLabel = (TASK_STATUSES as Record<string, string>)[r.status];
	const resource: Record<string, unknown> = {
		status: (TASK_STATUS_MAP as Record<string, string>)[r.status] ?? 'requested',
		businessStatus: { coding: [{ system: sys.taskStatus, code: r.status, ...(statusLabel ? { display: statusLabel } : {}) }], text: r.status },
		intent: 'order',
		priority: TASK_PRIORITY[r.priority] ?? 'routine',
		code: {
			coding: [{ system: sys.taskKind, code: r.kind, display: kindLabel }],
			text: r.kind === 'custom' && r.customKind ? `${kindLabel}: ${r.customKind}` : kindLabel,
		},
		description: r.title,
	};
	if (r.residentId !== null) resource.for = { type: 'Patient', identifier: { system: sys.resident, value: String(r.residentId) } };
	resource.authoredOn = r.createdAt;
	resource.lastModified = r.updatedAt;
	if (r.windowStart || r.windowEnd) {
		resource.executionPeriod = { ...(r.windowStart ? { start: r.windowStart } : {}), ...(r.windowEnd ? { end: r.windowEnd } : {}) };
	}
	if (r.dueAt) resource.restriction = { period: { end: r.dueAt } };
	resource.location = { type: 'Location', identifier: { system: sys.unit, value: r.unitCode }, display: r.unitName };
	return entry('Task', sys.task, String(r.id), resource);
}

/** The bundle entry for one record. */
export function fhirEntry(record: FhirSourceRecord, systems: FhirSystems = fhirSystems()): FhirEntry {
	switch (record.type) {
		case 'unit':
			return locationEntry(record, systems);
		case 'observation':
			return observationEntry(record, systems);
		case 'task':
			return taskEntry(record, systems);
	}
}

/**
 * The transaction Bundle, entry by entry as the records arrive. `records` is called again on every
 * pass over the document (retries), and should list units parents first.
 */
export function fhirExport(records: () => AsyncIterable<FhirSourceRecord> | Iterable<FhirSourceRecord>, options: FhirOptions = {}): ExportDocument {
	const systems = fhirSystems(options.systemBase ?? DEFAULT_SYSTEM_BASE);
	const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, '_');
	const fileName = `FHIR_${[options.unitCode, options.period?.id].filter((s): s is string => !!s).map(safe).join('_') || 'bundle'}.json`;
	const timestamp = options.timestamp ? `,"timestamp":${JSON.stringify(options.timestamp)}` : '';
	return exportDocument('fhir', fileName, 'application/fhir+json', async function* () {
		yield `{"resourceType":"Bundle","type":"transaction"${timestamp},"entry":[`;
		let first = true;
		for await (const record of records()) {
			yield `${first ? '\n' : ',\n'}${JSON.stringify(fhirEntry(record, systems))}`;
			first = false;
		}
		yield '\n]}\n';
	});
}
