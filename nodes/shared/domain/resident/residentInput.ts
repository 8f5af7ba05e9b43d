import { FieldError, describeValue } from '../../validation/errors';
import { type SegmentWidths, gridCode } from '../../validation/gridCode';
import { DOCUMENT_TYPES, type Document, type DocumentType, document } from '../../validation/idNumber';
import { type Phone, phone } from '../../validation/phone';
import { integer, oneOf, requiredText, text, timestamp } from '../../validation/text';
import { HEALTH_STATUS_KEYS, type HealthStatus, QUARANTINE_STATUSES, TAG_KEYS } from './vocabulary';

/** Where a resident lives: an existing household, or a building and room (the household is created if new). */
export type HouseholdRef = { id: number } | { buildingCode: string; unitNo?: string; roomNo: string };

export interface NewResident {
	name: string;
	household?: HouseholdRef;
	/** Building code when no household is given. */
	buildingCode?: string;
	document?: Document;
	phone?: Phone;
	birthYear?: number;
	sex?: 'M' | 'F';
	relation?: string;
	tags: string[];
	healthStatus: HealthStatus;
	quarantineEndsAt?: Date;
}

export interface RawResident {
	name?: unknown;
	documentType?: unknown;
	documentNumber?: unknown;
	phone?: unknown;
	householdId?: unknown;
	buildingCode?: unknown;
	unitNo?: unknown;
	roomNo?: unknown;
	relation?: unknown;
	tags?: unknown;
	healthStatus?: unknown;
	quarantineEndsAt?: unknown;
	birthYear?: unknown;
	sex?: unknown;
}

export interface ResidentRules {
	widths: SegmentWidths;
	allowCustomTags: boolean;
	today?: Date;
}

/** Tags from an array or a comma-separated string; fixed vocabulary unless custom tags are allowed. */
export function checkTags(value: unknown, allowCustom: boolean, field = 'Tags'): string[] {
	if (value === undefined || value === null || value === '') return [];
	const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[,，;；]/) : null;
	if (!list) throw new FieldError(field, `${field} must be a list or comma-separated text, got ${describeValue(value)}`);
	if (!list.length) return []; // most residents of an import have no tag
	const out = new Set<string>();
	for (const item of list) {
		const tag = typeof item === 'string' ? item.trim() : '';
		if (!tag) continue;
		if (!(TAG_KEYS as string[]).includes(tag)) {
			if (!allowCustom) {
				throw new FieldError(field, `${field} contains unknown tag "${tag}"; known tags are ${TAG_KEYS.join(', ')} (switch on Allow Custom Tags for others)`);
			}
			text(tag, { field, max: 50 });
		}
		out.add(tag);
	}
	return [...out];
}

// An import names the same few hundred buildings over and over: a code checked once under the
// credential's widths is not checked again. Only valid codes are kept, and only so many.
const checkedCodes = new WeakMap<SegmentWidths, Map<string, string>>();

function checkedBuildingCode(value: unknown, widths: SegmentWidths): string {
	let known = checkedCodes.get(widths);
	if (!known) checkedCodes.set(widths, (known = new Map()));
	const hit = typeof value === 'string' ? known.get(value) : undefined;
	if (hit !== undefined) return hit;
	const code = gridCode(value, 'Building Code', widths).code;
	if (typeof value === 'string') {
		if (known.size >= 10_000) known.clear();
		known.set(value, code);
	}
	return code;
}

export function checkHousehold(raw: RawResident, widths: SegmentWidths): HouseholdRef | undefined {
	const id = integer(raw.householdId, 'Household ID', { min: 1 });
	if (id !== undefined) return { id };
	const room = text(raw.roomNo, { field: 'Room Number', max: 50 });
	if (!room) return undefined;
	if (raw.buildingCode === undefined || raw.buildingCode === null || raw.buildingCode === '') {
		throw new FieldError('Building Code', 'Building Code is required with a Room Number');
	}
	return {
		buildingCode: checkedBuildingCode(raw.buildingCode, widths),
		unitNo: text(raw.unitNo, { field: 'Unit Number', max: 50 }),
		roomNo: room,
	};
}

export function checkResident(raw: RawResident, rules: ResidentRules): NewResident {
	const name = requiredText(raw.name, { field: 'Name', max: 100 });
	let doc: Document | undefined;
	if (raw.documentNumber !== undefined && raw.documentNumber !== null && raw.documentNumber !== '') {
		const type = (raw.documentType === undefined || raw.documentType === '' ? 'id_card' : oneOf(raw.documentType, 'Document Type', DOCUMENT_TYPES)) as DocumentType;
		doc = document(type, raw.documentNumber, 'Document Number', rules.today);
	}
	const household = checkHousehold(raw, rules.widths);
	const buildingCode = household
		? undefined
		: raw.buildingCode === undefined || raw.buildingCode === null || raw.buildingCode === ''
			? undefined
			: checkedBuildingCode(raw.buildingCode, rules.widths);
	if (!household && !buildingCode) {
		throw new FieldError('Building Code', 'a resident needs a Household ID, or a Building Code (with a Room Number to place them in a household)');
	}
	const healthStatus = raw.healthStatus === undefined || raw.healthStatus === '' ? 'normal' : oneOf(raw.healthStatus, 'Health Status', HEALTH_STATUS_KEYS);
	const quarantineEndsAt = timestamp(raw.quarantineEndsAt, 'Quarantine Ends At');
	if (QUARANTINE_STATUSES.includes(healthStatus) && !quarantineEndsAt) {
		throw new FieldError('Quarantine Ends At', `a resident in ${healthStatus.replace('_', ' ')} needs the date the quarantine ends`);
	}
	const givenYear = integer(raw.birthYear, 'Birth Year', { min: 1900, max: (rules.today ?? new Date()).getUTCFullYear() });
	const givenSex = raw.sex === undefined || raw.sex === null || raw.sex === '' ? undefined : oneOf(String(raw.sex).toUpperCase(), 'Sex', ['M', 'F'] as const);
	if (doc?.birthYear && givenYear !== undefined && givenYear !== doc.birthYear) {
		throw new FieldError('Birth Year', `Birth Year ${givenYear} contradicts the ID number, which gives ${doc.birthYear}`);
	}
	return {
		name,
		household,
		buildingCode,
		document: doc,
		phone: phone(raw.phone, 'Phone'),
		birthYear: doc?.birthYear ?? givenYear,
		sex: doc?.sex ?? givenSex,
		relation: text(raw.relation, { field: 'Relation', max: 50 }),
		tags: checkTags(raw.tags, rules.allowCustomTags),
		healthStatus,
		quarantineEndsAt: QUARANTINE_STATUSES.includes(healthStatus) ? quarantineEndsAt : undefined,
	};
}
