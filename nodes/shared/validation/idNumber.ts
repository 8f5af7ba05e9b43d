import { FieldError, describeValue } from './errors';
import { isKnownProvince } from './gridCode';

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

export interface IdNumber {
	/** The 18-character number (legacy 15-digit numbers are converted). */
	normalized: string;
	birthYear: number;
	birthDate: string;
	sex: 'M' | 'F';
	/** e.g. 370614********123X */
	masked: string;
	last4: string;
}

/** GB 11643 check character for the first 17 digits. */
export function checkCharacter(first17: string): string {
	let sum = 0;
	for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i];
	return CHECK[sum % 11];
}

function validDate(y: number, m: number, d: number): boolean {
	const date = new Date(Date.UTC(y, m - 1, d));
	return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/**
 * A document number that arrived as a JSON number. Past 2^53 JSON has already rounded away its last
 * digits, and Infinity or NaN would read as letters, so only exact whole numbers are taken.
 */
function wholeNumberText(value: number, field: string, what: string): string {
	if (!Number.isSafeInteger(value)) {
		throw new FieldError(field, `${field} must be ${what} given as text; the number ${describeValue(value)} cannot hold it exactly`);
	}
	return String(value);
}

/**
 * A mainland resident identity card number (GB 11643): region, birth date, sequence, check character.
 * `today` is injectable so tests can pin "the future".
 */
export function idNumber(value: unknown, field: string, today: Date = new Date()): IdNumber {
	if (typeof value === 'number') value = wholeNumberText(value, field, 'an 18-character ID number');
	if (typeof value !== 'string') throw new FieldError(field, `${field} must be an 18-character ID number, got ${describeValue(value)}`);
	let id = value.trim().replace(/\s/g, '').toUpperCase();
	if (/^\d{15}$/.test(id)) {
		// legacy numbers have a two-digit year of the 1900s and no check character
		const first17 = `${id.slice(0, 6)}19${id.slice(6)}`;
		id = first17 + checkCharacter(first17);
	} else if (!/^\d{17}[\dX]$/.test(id)) {
		const len = [...id].length;
		throw new FieldError(field, `${field} must be 18 characters (17 digits and a digit or X), or a legacy 15-digit number; got ${len} characters`);
	}
	if (!isKnownProvince(id.slice(0, 2)) || id.slice(2, 6) === '0000') {
		throw new FieldError(field, `${field} has region code ${id.slice(0, 6)}, which is not a GB/T 2260 region`);
	}
	const y = Number(id.slice(6, 10));
	const m = Number(id.slice(10, 12));
	const d = Number(id.slice(12, 14));
	if (y < 1900 || !validDate(y, m, d)) {
		throw new FieldError(field, `${field} has birth date ${id.slice(6, 14)}, which is not a real date`);
	}
	const birth = Date.UTC(y, m - 1, d);
	if (birth > today.getTime()) {
		throw new FieldError(field, `${field} has birth date ${id.slice(6, 14)}, which is in the future`);
	}
	const expected = checkCharacter(id.slice(0, 17));
	if (id[17] !== expected) {
		throw new FieldError(field, `${field} fails the GB 11643 check: its last character is ${id[17]}, the digits before it require ${expected}`);
	}
	return {
		normalized: id,
		birthYear: y,
		birthDate: `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`,
		sex: Number(id[16]) % 2 === 1 ? 'M' : 'F',
		masked: `${id.slice(0, 6)}********${id.slice(14)}`,
		last4: id.slice(14),
	};
}

export const DOCUMENT_TYPES = ['id_card', 'passport', 'hk_macao_permit', 'taiwan_permit', 'foreign_permanent_resident', 'other'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

export interface Document {
	type: DocumentType;
	normalized: string;
	masked: string;
	last4: string;
	birthYear?: number;
	sex?: 'M' | 'F';
}

/** Any identity document: mainland ID cards are checked in full, others by shape only. */
export function document(type: DocumentType, value: unknown, field: string, today?: Date): Document {
	if (type === 'id_card') {
		const id = idNumber(value, field, today);
		return { type, normalized: id.normalized, masked: id.masked, last4: id.last4, birthYear: id.birthYear, sex: id.sex };
	}
	if (typeof value === 'number') value = wholeNumberText(value, field, 'a document number');
	if (typeof value !== 'string' || !/^[A-Za-z0-9-]{5,30}$/.test(value.trim().replace(/\s/g, ''))) {
		throw new FieldError(field, `${field} must be a document number of 5 to 30 letters, digits or dashes, got ${describeValue(value)}`);
	}
	const n = value.trim().replace(/\s/g, '').toUpperCase();
	return { type, normalized: n, masked: `${n.slice(0, 1)}${'*'.repeat(Math.max(0, n.length - 5))}${n.slice(-4)}`, last4: n.slice(-4) };
}
