import { FieldError, describeValue } from '../../validation/errors';
import { phone as checkPhone } from '../../validation/phone';
import { text } from '../../validation/text';
import { type Category, DEFAULT_CATEGORIES, categoryLabel, findCategory } from './categories';

/**
 * Open311 GeoReport v2 mapping: service-request payloads in, request records and the service list
 * out. Field names on the wire are those of GeoReport v2 (snake_case). Pure module: no database,
 * no n8n.
 */

/** GeoReport limits the description of a request to 4,000 characters. */
export const OPEN311_DESCRIPTION_MAX = 4000;

export type Open311Status = 'open' | 'closed';

/** The incident states this mapping knows (the incident state machine of issue 4). */
export type Open311IncidentStatus =
	| 'new' | 'triaged' | 'assigned' | 'in_progress' | 'resolved' | 'closed' | 'rejected' | 'duplicate';

/**
 * GeoReport knows only open and closed. Resolved counts as closed (the work is done from the
 * requester's point of view; a reopen makes it open again), as do rejected and duplicate.
 */
export const OPEN311_STATUS: Record<Open311IncidentStatus, Open311Status> = {
	new: 'open',
	triaged: 'open',
	assigned: 'open',
	in_progress: 'open',
	resolved: 'closed',
	closed: 'closed',
	rejected: 'closed',
	duplicate: 'closed',
};

export const INCIDENT_STATUS_NOTES: Record<Open311IncidentStatus, string> = {
	new: 'Received (已受理)',
	triaged: 'Triaged (已研判)',
	assigned: 'Assigned (已派单)',
	in_progress: 'In progress (处理中)',
	resolved: 'Resolved (已办结)',
	closed: 'Closed (已关闭)',
	rejected: 'Rejected (不予受理)',
	duplicate: 'Duplicate (重复件)',
};

// ---------------------------------------------------------------------------------------------
// Accept: POST Service Request

/** A service request as received, normalized. */
export interface ServiceRequestInput {
	/** service_code as sent. */
	serviceCode: string;
	/** The code of the category the service code resolved to. */
	category: string;
	description?: string;
	lat?: number;
	long?: number;
	addressString?: string;
	addressId?: string;
	jurisdictionId?: string;
	email?: string;
	/** Normalized mainland number (11-digit mobile or 0AREA-NUMBER landline). */
	phone?: string;
	firstName?: string;
	lastName?: string;
	deviceId?: string;
	accountId?: string;
	mediaUrl?: string;
	/** attribute[CODE]=value as { CODE: value }; attribute[CODE][]=a&attribute[CODE][]=b as { CODE: [a, b] }. */
	attributes: Record<string, string | string[]>;
}

export interface ParseServiceRequestOptions {
	/** The vocabulary service_code must belong to; the default categories when not given. */
	categories?: readonly Category[];
	/**
	 * GeoReport requires a location: lat and long, address_string or address_id. Default true;
	 * false lets a request without a location through (it then goes to the intake queue).
	 */
	requireLocation?: boolean;
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;
const ATTRIBUTE_KEY = /^attribute\[([^\[\]]*)\](\[\])?$/;

/**
 * Reads a GeoReport v2 POST Service Request body. Accepts a JSON object, a form-encoded body as
 * n8n's Webhook node gives it (flat keys such as `attribute[WHO]`, every value a string, repeated
 * keys as arrays), the text of either, or a whole Webhook item (`{ headers, body, ... }`, whose
 * body is read). Unknown keys (api_key among them) are ignored. Throws a FieldError naming the
 * GeoReport field at fault: service_code, lat, long, address_string, email, phone, media_url,
 * description, first_name, last_name, device_id, account_id, attribute[CODE].
 */
export function parseServiceRequest(payload: unknown, options: ParseServiceRequestOptions = {}): ServiceRequestInput {
	const body = readBody(payload);
	const categories = options.categories ?? DEFAULT_CATEGORIES;

	const scalars: Record<string, unknown> = {};
	const attributes: Record<string, string | string[]> = {};
	for (const [key, value] of Object.entries(body)) {
		const m = ATTRIBUTE_KEY.exec(key);
		if (m) {
			addAttribute(attributes, m[1], value, Boolean(m[2]));
		} else if (key === 'attribute' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
			// The nested form a qs-style parser or a JSON client produces.
			for (const [code, v] of Object.entries(value as Record<string, unknown>)) addAttribute(attributes, code, v, false);
		} else {
			scalars[key] = value;
		}
	}
	const str = (key: string, max: number, multiline = false): string | undefined =>
		text(single(scalars, key), { field: key, max, multiline });

	const serviceCode = str('service_code', 64);
	if (serviceCode === undefined) {
		throw new FieldError('service_code', `service_code is required; use one of ${categories.map((c) => c.serviceCode).join(', ')}`);
	}
	const category = categories.find((c) => c.serviceCode.toLowerCase() === serviceCode.toLowerCase())
		?? findCategory(categories, serviceCode);
	if (!category) {
		throw new FieldError('service_code', `service_code "${serviceCode}" is not a service of this jurisdiction; use one of ${categories.map((c) => c.serviceCode).join(', ')}`);
	}

	const lat = coordinate(single(scalars, 'lat'), 'lat', 90);
	const long = coordinate(single(scalars, 'long'), 'long', 180);
	if (lat !== undefined && long === undefined) throw new FieldError('long', 'long is required when lat is given; send both or neither');
	if (long !== undefined && lat === undefined) throw new FieldError('lat', 'lat is required when long is given; send both or neither');

	const out: ServiceRequestInput = { serviceCode, category: category.code, attributes };
	const description = str('description', OPEN311_DESCRIPTION_MAX, true);
	if (description !== undefined) out.description = description;
	if (lat !== undefined && long !== undefined) {
		out.lat = lat;
		out.long = long;
	}
	const addressString = str('address_string', 500, true);
	if (addressString !== undefined) out.addressString = addressString;
	const addressId = str('address_id', 100);
	if (addressId !== undefined) out.addressId = addressId;
	if ((options.requireLocation ?? true) && out.lat === undefined && addressString === undefined && addressId === undefined) {
		throw new FieldError('address_string', 'a location is required: lat and long, address_string or address_id');
	}
	const jurisdictionId = str('jurisdiction_id', 100);
	if (jurisdictionId !== undefined) out.jurisdictionId = jurisdictionId;

	const email = str('email', 254);
	if (email !== undefined) {
		if (!EMAIL.test(email)) throw new FieldError('email', `email ${describeValue(email)} is not an email address`);
		out.email = email;
	}
	const phone = checkPhone(single(scalars, 'phone'), 'phone');
	if (phone) out.phone = phone.normalized;
	const firstName = str('first_name', 100);
	if (firstName !== undefined) out.firstName = firstName;
	const lastName = str('last_name', 100);
	if (lastName !== undefined) out.lastName = lastName;
	const deviceId = str('device_id', 200);
	if (deviceId !== undefined) out.deviceId = deviceId;
	const accountId = str('account_id', 200);
	if (accountId !== undefined) out.accountId = accountId;
	const mediaUrl = str('media_url', 2000);
	if (mediaUrl !== undefined) {
		let url: URL | undefined;
		try {
			url = new URL(mediaUrl);
		} catch {
			url = undefined;
		}
		if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
			throw new FieldError('media_url', `media_url ${describeValue(mediaUrl)} must be an http or https URL`);
		}
		out.mediaUrl = mediaUrl;
	}
	return out;
}

function readBody(payload: unknown): Record<string, unknown> {
	let value = payload;
	if (typeof value === 'string') {
		const s = value.trim();
		if (s.startsWith('{')) {
			try {
				value = JSON.parse(s);
			} catch (e) {
				throw new FieldError('body', `the service request is not valid JSON: ${(e as Error).message}`);
			}
		} else {
			const params = new URLSearchParams(s);
			const o: Record<string, string | string[]> = {};
			for (const [k, v] of params) {
				const prev = o[k];
				o[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
			}
			value = o;
		}
	}
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw new FieldError('body', `a service request must be an object of GeoReport fields, got ${describeValue(value)}`);
	}
	const o = value as Record<string, unknown>;
	// A whole Webhook node item: read its body.
	if (typeof o.headers === 'object' && o.headers !== null && 'body' in o && !('service_code' in o)) {
		return readBody(o.body);
	}
	return o;
}

/** A scalar field; a key sent twice (an array from a form body) is an error, one-element arrays are unwrapped. */
function single(scalars: Record<string, unknown>, key: string): unknown {
	const v = scalars[key];
	if (Array.isArray(v)) {
		if (v.length === 1) return v[0];
		if (v.length === 0) return undefined;
		throw new FieldError(key, `${key} was given ${v.length} times; send it once`);
	}
	return v;
}

function coordinate(value: unknown, field: 'lat' | 'long', limit: number): number | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	let n: number;
	if (typeof value === 'number') {
		n = value;
	} else if (typeof value === 'string' && DECIMAL.test(value.trim())) {
		n = Number(value.trim());
	} else if (typeof value === 'string' && value.trim() === '') {
		return undefined;
	} else {
		throw new FieldError(field, `${field} must be a decimal number of degrees (WGS84), got ${describeValue(value)}`);
	}
	if (!Number.isFinite(n)) throw new FieldError(field, `${field} must be a finite number, got ${describeValue(value)}`);
	if (n < -limit || n > limit) {
		throw new FieldError(field, `${field} must be between -${limit} and ${limit} degrees, got ${n}`);
	}
	return n;
}

function addAttribute(attributes: Record<string, string | string[]>, rawCode: string, value: unknown, multi: boolean): void {
	const code = rawCode.trim();
	const field = `attribute[${code}]`;
	if (code === '' || code.length > 100) throw new FieldError(field, `${field}: an attribute code is 1–100 characters`);
	const one = (v: unknown): string => {
		if (typeof v === 'number' && Number.isFinite(v)) return String(v);
		if (typeof v === 'boolean') return String(v);
		if (typeof v !== 'string') throw new FieldError(field, `${field} must be text, got ${describeValue(v)}`);
		if (v.length > 1000) throw new FieldError(field, `${field} is longer than 1000 characters`);
		return v.trim();
	};
	if (value === undefined || value === null) return;
	if (multi || Array.isArray(value)) {
		const list = (Array.isArray(value) ? value : [value]).map(one).filter((s) => s !== '');
		const prev = attributes[code];
		const merged = [...(prev === undefined ? [] : Array.isArray(prev) ? prev : [prev]), ...list];
		if (merged.length) attributes[code] = merged;
		return;
	}
	const s = one(value);
	if (s === '') return;
	if (attributes[code] !== undefined) throw new FieldError(field, `${field} was given more than once`);
	attributes[code] = s;
}

// ---------------------------------------------------------------------------------------------
// Produce: request records and the service list

/** The incident fields a request record is made from. Dates may be Date objects or ISO strings. */
export interface Open311Incident {
	id: number | string;
	/** Public reference (INC-20261126-000123); used as service_request_id when present. */
	reference?: string | null;
	/** Category code. */
	category: string;
	status: Open311IncidentStatus;
	description?: string | null;
	/** The latest status note or resolution, shown after the status. */
	statusNotes?: string | null;
	/** Reference or id of the original, for a duplicate. */
	duplicateOf?: string | number | null;
	createdAt: Date | string;
	updatedAt?: Date | string | null;
	/** The SLA due time. */
	dueAt?: Date | string | null;
	/** Name of the unit responsible (the routed unit or the unit of the assignee). */
	responsibleUnitName?: string | null;
	address?: string | null;
	/** Numbers; numeric strings (as pg returns numeric columns) are accepted. */
	lat?: number | string | null;
	long?: number | string | null;
	mediaUrl?: string | null;
}

/** A GeoReport v2 service request record. */
export interface ServiceRequestRecord {
	service_request_id: string;
	status: Open311Status;
	status_notes: string;
	service_name: string;
	service_code: string;
	description: string | null;
	agency_responsible: string | null;
	requested_datetime: string;
	updated_datetime: string;
	expected_datetime: string | null;
	address: string | null;
	lat: number | null;
	long: number | null;
	media_url: string | null;
}

export type Open311Language = 'en' | 'zh' | 'bilingual';

export interface ToServiceRequestOptions {
	/** Vocabulary for service names and codes; the default categories when not given. */
	categories?: readonly Category[];
	/** IANA time zone for the datetimes; Asia/Shanghai by default. */
	timeZone?: string;
	/** Language of service_name; bilingual ("Sanitation (环境卫生)") by default. */
	language?: Open311Language;
	/** agency_responsible when the incident names no responsible unit. */
	agency?: string;
}

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

/** Turns an incident into a GeoReport v2 request record. No reporter data is ever included. */
export function toServiceRequest(incident: Open311Incident, options: ToServiceRequestOptions = {}): ServiceRequestRecord {
	const categories = options.categories ?? DEFAULT_CATEGORIES;
	const timeZone = options.timeZone ?? DEFAULT_TIME_ZONE;
	const status = OPEN311_STATUS[incident.status];
	if (!status) {
		throw new FieldError('status', `incident status ${describeValue(incident.status)} is not one of ${Object.keys(OPEN311_STATUS).join(', ')}`);
	}
	const category = categories.find((c) => c.code === incident.category);
	const requested = toDate(incident.createdAt, 'createdAt');
	if (!requested) throw new FieldError('createdAt', 'an incident needs its creation time');
	const updated = toDate(incident.updatedAt, 'updatedAt') ?? requested;
	const due = toDate(incident.dueAt, 'dueAt');

	const details: string[] = [];
	if (incident.status === 'duplicate' && incident.duplicateOf !== undefined && incident.duplicateOf !== null) {
		details.push(`duplicate of ${incident.duplicateOf} (原件 ${incident.duplicateOf})`);
	}
	const extra = incident.statusNotes?.trim();
	if (extra) details.push(extra);
	const notes = `${INCIDENT_STATUS_NOTES[incident.status]}${details.length ? `: ${details.join('; ')}` : ''}`;

	const lat = toNumber(incident.lat, 'lat');
	const long = toNumber(incident.long, 'long');
	const hasPoint = lat !== null && long !== null;
	return {
		service_request_id: incident.reference?.trim() || String(incident.id),
		status,
		status_notes: notes,
		service_name: category ? serviceName(category, options.language) : incident.category,
		service_code: category ? category.serviceCode : incident.category,
		description: incident.description ?? null,
		agency_responsible: incident.responsibleUnitName?.trim() || options.agency?.trim() || null,
		requested_datetime: isoInZone(requested, timeZone),
		updated_datetime: isoInZone(updated, timeZone),
		expected_datetime: due ? isoInZone(due, timeZone) : null,
		address: incident.address?.trim() || null,
		lat: hasPoint ? lat : null,
		long: hasPoint ? long : null,
		media_url: incident.mediaUrl?.trim() || null,
	};
}

/** A GeoReport v2 service definition for the service list. */
export interface ServiceDefinition {
	service_code: string;
	service_name: string;
	description: string;
	metadata: false;
	type: 'realtime';
	/** Comma-separated, as GeoReport specifies. */
	keywords: string;
	group: string;
}

/** The GeoReport v2 service list (GET services) for a vocabulary. */
export function serviceList(vocab: readonly Category[] = DEFAULT_CATEGORIES, options: { language?: Open311Language } = {}): ServiceDefinition[] {
	return vocab.map((c) => ({
		service_code: c.serviceCode,
		service_name: serviceName(c, options.language),
		description: c.description ?? categoryLabel(c),
		metadata: false,
		type: 'realtime',
		keywords: c.keywords.join(', '),
		group: c.group,
	}));
}

function serviceName(c: Category, language: Open311Language = 'bilingual'): string {
	if (language === 'en') return c.en;
	if (language === 'zh') return c.zh;
	return categoryLabel(c);
}

function toDate(value: Date | string | null | undefined, field: string): Date | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	const d = value instanceof Date ? value : new Date(value);
	if (Number.isNaN(d.getTime())) throw new FieldError(field, `${field} is not a valid date: ${describeValue(value)}`);
	return d;
}

function toNumber(value: number | string | null | undefined, field: string): number | null {
	if (value === undefined || value === null || value === '') return null;
	const n = typeof value === 'number' ? value : Number(value);
	if (!Number.isFinite(n)) throw new FieldError(field, `${field} is not a number: ${describeValue(value)}`);
	return n;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * ISO 8601 with the offset of `timeZone` at that instant, to the second:
 * 2026-11-26T09:30:00+08:00. Throws a FieldError ('Time Zone') for an unknown zone.
 */
export function isoInZone(date: Date, timeZone: string = DEFAULT_TIME_ZONE): string {
	let fmt = formatters.get(timeZone);
	if (!fmt) {
		try {
			fmt = new Intl.DateTimeFormat('en-US', {
				timeZone,
				hourCycle: 'h23',
				year: 'numeric',
				month: '2-digit',
				day: '2-digit',
				hour: '2-digit',
				minute: '2-digit',
				second: '2-digit',
			});
		} catch {
			throw new FieldError('Time Zone', `"${timeZone}" is not a known IANA time zone such as Asia/Shanghai`);
		}
		formatters.set(timeZone, fmt);
	}
	const parts: Record<string, number> = {};
	for (const p of fmt.formatToParts(date)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
	const seconds = Math.floor(date.getTime() / 1000) * 1000;
	const local = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
	const offset = Math.round((local - seconds) / 60000);
	const sign = offset < 0 ? '-' : '+';
	const abs = Math.abs(offset);
	const two = (n: number) => String(n).padStart(2, '0');
	return `${String(parts.year).padStart(4, '0')}-${two(parts.month)}-${two(parts.day)}T${two(parts.hour)}:${two(parts.minute)}:${two(parts.second)}${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
}
