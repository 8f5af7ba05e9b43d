import { FieldError, describeValue } from './errors';

// C0/C1 control characters other than tab and newline never belong in names; nor do the bidirectional
// embeddings, overrides and isolates, which make a stored name display as something else ("Trojan
// Source"), nor a lone UTF-16 surrogate, which would reach the database as U+FFFD instead of what was sent.
const CONTROL_CHARS =
	/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether a text holds characters no field may store; line breaks and tabs count only where one line is expected. */
export function hasControlCharacters(value: string, multiline: boolean): boolean {
	const checked = multiline ? value.replace(/[\t\n\r]/g, ' ') : value;
	return CONTROL_CHARS.test(checked) || (!multiline && /[\n\r]/.test(checked));
}

export interface TextRule {
	field: string;
	max: number;
	required?: boolean;
	multiline?: boolean;
}

/** Trims and checks a text field; returns undefined for an empty optional value. */
export function text(value: unknown, rule: TextRule, required = rule.required): string | undefined {
	if (value === undefined || value === null || value === '') {
		if (required) throw new FieldError(rule.field, `${rule.field} is required but empty`);
		return undefined;
	}
	if (typeof value === 'number' && Number.isFinite(value)) value = String(value);
	if (typeof value !== 'string') {
		throw new FieldError(rule.field, `${rule.field} must be text, got ${describeValue(value)}`);
	}
	const trimmed = value.trim();
	if (trimmed === '') {
		if (required) throw new FieldError(rule.field, `${rule.field} is required but empty`);
		return undefined;
	}
	// UTF-16 length bounds the code point count, so most values skip counting
	if (trimmed.length > rule.max && [...trimmed].length > rule.max) {
		throw new FieldError(
			rule.field,
			`${rule.field} is ${[...trimmed].length} characters long; at most ${rule.max} are allowed`,
		);
	}
	if (hasControlCharacters(trimmed, !!rule.multiline)) {
		throw new FieldError(rule.field, `${rule.field} contains control characters`);
	}
	return trimmed;
}

export function requiredText(value: unknown, rule: Omit<TextRule, 'required'>): string {
	return text(value, rule, true) as string;
}

/** Accepts integers given as numbers or digit strings, within bounds. */
export function integer(
	value: unknown,
	field: string,
	bounds: { min?: number; max?: number } = {},
): number | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	let n: number;
	if (typeof value === 'number') n = value;
	else if (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)) n = Number(value);
	else throw new FieldError(field, `${field} must be a whole number, got ${describeValue(value)}`);
	if (!Number.isSafeInteger(n)) {
		throw new FieldError(field, `${field} must be a whole number, got ${describeValue(value)}`);
	}
	if (bounds.min !== undefined && n < bounds.min) {
		throw new FieldError(field, `${field} must be at least ${bounds.min}, got ${n}`);
	}
	if (bounds.max !== undefined && n > bounds.max) {
		throw new FieldError(field, `${field} must be at most ${bounds.max}, got ${n}`);
	}
	return n;
}

/** A number as given, or plain decimal text; NaN otherwise, since Number() would also read "0x24", "3.6e1" and " ". */
export function decimalValue(value: unknown): number {
	if (typeof value === 'number') return value;
	return typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
}

/** Parses an ISO 8601 date-time (with zone or Z); date-only values are taken as midnight UTC. */
export function timestamp(value: unknown, field: string): Date | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	if (value instanceof Date) {
		if (Number.isNaN(value.getTime())) throw new FieldError(field, `${field} is not a valid date`);
		return value;
	}
	if (typeof value === 'object' && value !== null && 'toISO' in value) {
		// Luxon DateTime from an n8n dateTime parameter or expression
		return timestamp((value as { toISO: () => string }).toISO(), field);
	}
	if (typeof value !== 'string') {
		throw new FieldError(field, `${field} must be an ISO 8601 date-time, got ${describeValue(value)}`);
	}
	const s = value.trim();
	const iso = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
	if (!iso.test(s)) {
		throw new FieldError(field, `${field} must be an ISO 8601 date-time such as 2026-11-26T08:00:00+08:00, got ${describeValue(value)}`);
	}
	const d = new Date(s.length === 10 ? `${s}T00:00:00Z` : s.replace(' ', 'T'));
	// Date rolls 2026-02-30 over to 2 March and takes 24:00; a reading of neither is a real date
	const [y, mo, day, h, mi, sec] = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(s)!.slice(1).map((x) => (x === undefined ? 0 : Number(x)));
	const rolled = new Date(Date.UTC(y, mo - 1, day));
	if (rolled.getUTCMonth() !== mo - 1 || rolled.getUTCDate() !== day || h > 23 || mi > 59 || sec > 59) {
		throw new FieldError(field, `${field} is not a real date: ${describeValue(value)}`);
	}
	if (Number.isNaN(d.getTime())) throw new FieldError(field, `${field} is not a real date: ${describeValue(value)}`);
	return d;
}

export function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
	if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
	throw new FieldError(field, `${field} must be one of ${allowed.join(', ')}; got ${describeValue(value)}`);
}

/** Addresses are compared without spaces and punctuation, so "钟楼北路 12号" and "钟楼北路12号" agree. */
export function normalizeAddress(a: string): string {
	return a.replace(/[\s，,。.、\-—()（）]/g, '');
}
