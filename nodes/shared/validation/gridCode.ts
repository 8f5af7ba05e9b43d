import { FieldError, describeValue } from './errors';

export const LEVELS = [1, 2, 3, 4, 5] as const;
export type Level = (typeof LEVELS)[number];

export const LEVEL_NAMES: Record<Level, string> = {
	1: 'district',
	2: 'street',
	3: 'community',
	4: 'base grid',
	5: 'building',
};

/** Widths of the street, community, grid and building segments after the 6-digit county code. */
export type SegmentWidths = [number, number, number, number];
export const DEFAULT_SEGMENT_WIDTHS: SegmentWidths = [3, 3, 3, 4];

// GB/T 2260 province-level prefixes; a county code must start with one of them.
const PROVINCES = new Set([
	'11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37',
	'41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65',
	'71', '81', '82',
]);

export function isKnownProvince(twoDigits: string): boolean {
	return PROVINCES.has(twoDigits);
}

export function parseSegmentWidths(value: unknown): SegmentWidths {
	if (value === undefined || value === null || value === '') return DEFAULT_SEGMENT_WIDTHS;
	// text from the credential form, or a list from a workflow that builds the credential; nothing else
	// is stringified, since an object's own toString may be missing or throw
	const tokens: unknown[] = typeof value === 'string' ? value.split(/[,\s]+/).filter(Boolean) : Array.isArray(value) ? value : [];
	// plain decimal digits only: Number() would also read "0x3", "3e0" and " " as widths
	const parts = tokens.map((w) => (typeof w === 'number' ? w : typeof w === 'string' && /^\s*\d{1,2}\s*$/.test(w) ? Number(w) : NaN));
	if (parts.length !== 4 || parts.some((w) => !Number.isInteger(w) || w < 1 || w > 6)) {
		throw new FieldError(
			'Code Segment Widths',
			`Code Segment Widths must be four whole numbers from 1 to 6 (street, community, grid, building), got ${describeValue(value)}`,
		);
	}
	return parts as SegmentWidths;
}

const fastPatterns = new Map<string, RegExp>();

/** One regex per widths for the common case: a well-formed code; the explanations run only on failure. */
function fastPattern(widths: SegmentWidths): RegExp {
	const key = widths.join(',');
	let re = fastPatterns.get(key);
	if (!re) {
		const tail = widths.map((w) => `(?:-(?!0{${w}})\\d{${w}}`).join('') + ')?'.repeat(widths.length);
		re = new RegExp(`^\\d{6}${tail}$`);
		fastPatterns.set(key, re);
	}
	return re;
}

/** The level a code's shape implies, or an explanation of why it has none. */
export function levelOfCode(code: string, widths: SegmentWidths): Level | string {
	if (fastPattern(widths).test(code) && PROVINCES.has(code.slice(0, 2)) && code.slice(4, 6) !== '00') {
		return code.split('-').length as Level;
	}
	const segments = code.split('-');
	if (segments.length > 5) return 'has more than five segments';
	const [county, ...rest] = segments;
	if (!/^\d{6}$/.test(county)) return 'must start with a 6-digit GB/T 2260 county code';
	if (!PROVINCES.has(county.slice(0, 2))) return `starts with ${county}, which is not a GB/T 2260 code of any province`;
	if (county.endsWith('00')) return `starts with ${county}, a province or city code rather than a county code`;
	for (let i = 0; i < rest.length; i++) {
		const w = widths[i];
		const label = LEVEL_NAMES[(i + 2) as Level];
		if (rest[i].length !== w || !/^\d+$/.test(rest[i])) {
			return `has ${describeValue(rest[i])} as its ${label} segment, which must be exactly ${w} digits`;
		}
		if (/^0+$/.test(rest[i])) return `has an all-zero ${label} segment`;
	}
	return segments.length as Level;
}

/** Validates a grid code's shape; returns the level it implies. */
export function gridCode(value: unknown, field: string, widths: SegmentWidths): { code: string; level: Level } {
	if (typeof value !== 'string' || value.trim() === '') {
		throw new FieldError(field, `${field} must be a grid code such as 370614-001-002, got ${describeValue(value)}`);
	}
	const code = value.trim();
	const level = levelOfCode(code, widths);
	if (typeof level === 'string') {
		throw new FieldError(field, `${field} ${describeValue(code)} is malformed: it ${level}`);
	}
	return { code, level };
}

export function exampleCode(level: Level, widths: SegmentWidths): string {
	const segs = ['370614'];
	for (let i = 0; i < level - 1; i++) segs.push('1'.padStart(widths[i], '0'));
	return segs.join('-');
}
