import { bigintArray, bigintValue, timestampToIso } from '../../nodes/shared/db/typeParsers';

describe('our own type parsers', () => {
	it('read timestamptz text in any offset as UTC ISO 8601', () => {
		expect(timestampToIso('2026-11-26 19:44:28.123456+08', true)).toBe('2026-11-26T11:44:28.123Z');
		expect(timestampToIso('2026-11-26 00:00:00+05:30', true)).toBe('2026-11-25T18:30:00.000Z');
		expect(timestampToIso('1999-01-08 04:05:06-08', true)).toBe('1999-01-08T12:05:06.000Z');
		expect(timestampToIso('2026-02-28 23:59:59.5+00', true)).toBe('2026-02-28T23:59:59.500Z');
		expect(timestampToIso('1900-01-01 00:00:00+08:05:43', true)).toBe('1899-12-31T15:54:17.000Z');
	});

	it('leave infinity and BC dates as text', () => {
		expect(timestampToIso('infinity', true)).toBe('infinity');
		expect(timestampToIso('-infinity', true)).toBe('-infinity');
		expect(timestampToIso('0044-03-15 12:00:00+00 BC', true)).toBe('0044-03-15 12:00:00+00 BC');
	});

	it('read a timestamp without zone in the process zone', () => {
		expect(timestampToIso('2026-11-26 08:30:00', false)).toBe(new Date(2026, 10, 26, 8, 30, 0).toISOString());
	});

	it('give int8 as numbers when exact, as text otherwise, in arrays too', () => {
		expect(bigintValue('42')).toBe(42);
		expect(bigintValue('9223372036854775807')).toBe('9223372036854775807');
		expect(bigintArray('{1,2,NULL,9007199254740993}')).toEqual([1, 2, null, '9007199254740993']);
		expect(bigintArray('{}')).toEqual([]);
	});
});
