import { FieldError, describeValue } from './errors';

export interface Phone {
	/** Canonical form used for hashing: 11 digits for a mobile, 0AREA-NUMBER for a landline. */
	normalized: string;
	kind: 'mobile' | 'landline';
}

/** Accepts a mainland mobile (optionally +86) or a landline with its area code. */
export function phone(value: unknown, field: string): Phone | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	// a negative or fractional number is no phone, though its digits might look like one
	if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) value = String(value);
	if (typeof value !== 'string') throw new FieldError(field, `${field} must be a phone number, got ${describeValue(value)}`);
	const compact = value.trim().replace(/[\s()]/g, '');
	const mobile = compact.replace(/-/g, '').replace(/^(\+86|0086|86(?=1\d{10}$))/, '');
	if (/^1[3-9]\d{9}$/.test(mobile)) return { normalized: mobile, kind: 'mobile' };
	// 010 and 02x are the only three-digit area codes, so a number written without a dash splits one way
	const landline = /^(0(?:10|2\d|[3-9]\d\d))-?([2-9]\d{6,7})$/.exec(compact.replace(/^(\+86|0086)-?/, '0'));
	if (landline) return { normalized: `${landline[1]}-${landline[2]}`, kind: 'landline' };
	const digits = compact.replace(/\D/g, '');
	throw new FieldError(
		field,
		`${field} ${describeValue(value)} is not a mainland mobile number (11 digits starting 13–19) or a landline with area code (e.g. 0535-5661234); it has ${digits.length} digits`,
	);
}

export function maskPhone(normalized: string): string {
	if (/^1\d{10}$/.test(normalized)) return `${normalized.slice(0, 3)}****${normalized.slice(7)}`;
	const [area, number] = normalized.split('-');
	if (number) return `${area}-${'*'.repeat(Math.max(0, number.length - 4))}${number.slice(-4)}`;
	return `${'*'.repeat(Math.max(0, normalized.length - 4))}${normalized.slice(-4)}`;
}
