import { translateDbError } from '../../nodes/shared/db/errors';
import { decrypt, deriveKeys, encrypt, lookupHash } from '../../nodes/shared/domain/personalData';
import { FieldError, GridError } from '../../nodes/shared/validation/errors';
import { DEFAULT_SEGMENT_WIDTHS, gridCode, levelOfCode, parseSegmentWidths } from '../../nodes/shared/validation/gridCode';
import { maskPhone, phone } from '../../nodes/shared/validation/phone';
import { integer, text, timestamp } from '../../nodes/shared/validation/text';

describe('grid codes', () => {
	it.each([
		['370614', 1],
		['370614-001', 2],
		['370614-001-002', 3],
		['370614-001-002-003', 4],
		['370614-001-002-003-0005', 5],
	])('%s is level %i', (code, level) => {
		expect(gridCode(code, 'Code', DEFAULT_SEGMENT_WIDTHS)).toEqual({ code, level });
	});

	it.each([
		['37061', /6-digit GB\/T 2260 county code/],
		['990614', /not a GB\/T 2260 code of any province/],
		['370600', /province or city code/],
		['370614-01', /street segment, which must be exactly 3 digits/],
		['370614-001-002-003-005', /building segment, which must be exactly 4 digits/],
		['370614-000', /all-zero street segment/],
		['370614-001-002-003-0005-1', /more than five segments/],
		['370614-0a1', /exactly 3 digits/],
	])('rejects %s', (code, message) => {
		expect(() => gridCode(code, 'Code', DEFAULT_SEGMENT_WIDTHS)).toThrow(message);
	});

	it('follows configured segment widths', () => {
		const widths = parseSegmentWidths('2,2,3,3');
		expect(levelOfCode('370614-01-02-003-004', widths)).toBe(5);
		expect(typeof levelOfCode('370614-001', widths)).toBe('string');
		expect(() => parseSegmentWidths('3,3,3')).toThrow(/four whole numbers/);
	});

	it('names the field in its error', () => {
		try {
			gridCode(42, 'Parent Code', DEFAULT_SEGMENT_WIDTHS);
			throw new Error('not rejected');
		} catch (e) {
			expect(e).toBeInstanceOf(FieldError);
			expect((e as FieldError).field).toBe('Parent Code');
		}
	});
});

describe('phones', () => {
	it.each([
		['13805351234', '13805351234', '138****1234'],
		['+86 138 0535 1234', '13805351234', '138****1234'],
		['0535-5661234', '0535-5661234', '0535-***1234'],
		['05355661234', '0535-5661234', '0535-***1234'],
		['010-62345678', '010-62345678', '010-****5678'],
	])('accepts %s', (input, normalized, masked) => {
		const p = phone(input, 'Phone')!;
		expect(p.normalized).toBe(normalized);
		expect(maskPhone(p.normalized)).toBe(masked);
	});

	it.each(['1380535123', '12805351234', '138053512345', 'abc', '0535-123'])('rejects %s', (input) => {
		expect(() => phone(input, 'Phone')).toThrow(/is not a mainland mobile number/);
	});
});

describe('text, numbers and times', () => {
	it('trims, bounds and refuses control characters', () => {
		expect(text('  名字 ', { field: 'Name', max: 5 })).toBe('名字');
		expect(() => text('a\u0000b', { field: 'Name', max: 5 })).toThrow(/control characters/);
		expect(() => text('abcdef', { field: 'Name', max: 5 })).toThrow(/6 characters long; at most 5/);
		expect(() => text({ a: 1 }, { field: 'Name', max: 5 })).toThrow(/must be text/);
	});

	it('reads whole numbers from numbers and digit strings only', () => {
		expect(integer('42', 'N')).toBe(42);
		expect(() => integer('4.2', 'N')).toThrow(/whole number/);
		expect(() => integer(NaN, 'N')).toThrow(/whole number/);
		expect(() => integer(-1, 'N', { min: 0 })).toThrow(/at least 0/);
	});

	it('reads ISO 8601 times and refuses others', () => {
		expect(timestamp('2026-11-26T08:00:00+08:00', 'T')!.toISOString()).toBe('2026-11-26T00:00:00.000Z');
		expect(() => timestamp('26/11/2026', 'T')).toThrow(/ISO 8601/);
		expect(() => timestamp('not-a-date', 'T')).toThrow(FieldError);
	});
});

describe('personal-data protection', () => {
	it('hashes deterministically per key and encrypts reversibly', () => {
		const a = deriveKeys('key-number-one-0123456789');
		const b = deriveKeys('key-number-two-0123456789');
		expect(lookupHash(a, 'phone', '13805351234')).toBe(lookupHash(a, 'phone', '13805351234'));
		expect(lookupHash(a, 'phone', '13805351234')).not.toBe(lookupHash(b, 'phone', '13805351234'));
		const sealed = encrypt(a, '13805351234');
		expect(sealed).not.toContain('13805351234');
		expect(decrypt(a, sealed)).toBe('13805351234');
		expect(() => decrypt(b, sealed)).toThrow(GridError);
		expect(a.fingerprint).not.toBe(b.fingerprint);
	});
});

describe('database error translation', () => {
	const config = { host: 'db.example', port: 6543, database: 'gov', user: 'alice' };
	it.each([
		[{ code: 'ECONNREFUSED' }, 'Cannot connect to PostgreSQL at db.example:6543: connection refused'],
		[{ code: 'ENOTFOUND', hostname: 'db.example' }, 'Cannot connect to PostgreSQL at db.example:6543: host db.example not found'],
		[{ code: '28P01' }, 'PostgreSQL at db.example:6543 rejected the login of user "alice": authentication failed'],
		[{ code: '23505', constraint: 'grid_unit_code_unique', detail: 'Key (code)=(370614-001) already exists.' }, 'Code "370614-001" already exists'],
		[{ code: '23503', constraint: 'grid_unit_parent_fk', detail: 'Key (parent_id)=(99) is not present' }, 'unknown grid unit 99'],
	])('%o', (error, message) => {
		expect(translateDbError(error, config).message).toBe(message);
	});
});
