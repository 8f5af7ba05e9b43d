import { localMidnight, localToday, parsePeriodId, periodOf, periodsWithin } from '../../nodes/shared/domain/stats/period';

const TZ = 'Asia/Shanghai';

describe('reporting periods in the credential\'s time zone', () => {
	it('writes DHIS2 period ids for a day, an ISO week, a month and a quarter', () => {
		expect(periodOf({ type: 'day', date: '2026-11-26' }, TZ).id).toBe('20261126');
		expect(periodOf({ type: 'week', date: '2026-11-26' }, TZ)).toMatchObject({ id: '2026W48', startDate: '2026-11-23', endDate: '2026-11-29' });
		expect(periodOf({ type: 'month', date: '2026-11-26' }, TZ)).toMatchObject({ id: '202611', startDate: '2026-11-01', endDate: '2026-11-30' });
		expect(periodOf({ type: 'quarter', date: '2026-11-26' }, TZ)).toMatchObject({ id: '2026Q4', startDate: '2026-10-01', endDate: '2026-12-31' });
	});

	it('bounds a period by local midnights: Shanghai is 8 hours ahead of UTC', () => {
		const p = periodOf({ type: 'month', date: '2026-02-10' }, TZ);
		expect(p.start).toBe('2026-01-31T16:00:00.000Z');
		expect(p.end).toBe('2026-02-28T16:00:00.000Z');
		expect(periodOf({ type: 'day', date: '2026-11-26' }, 'UTC').start).toBe('2026-11-26T00:00:00.000Z');
	});

	it('follows daylight saving where the zone has it', () => {
		// Berlin moves from +1 to +2 on 29 March 2026
		expect(localMidnight(Date.UTC(2026, 2, 29) / 86_400_000, 'Europe/Berlin').toISOString()).toBe('2026-03-28T23:00:00.000Z');
		expect(localMidnight(Date.UTC(2026, 2, 30) / 86_400_000, 'Europe/Berlin').toISOString()).toBe('2026-03-29T22:00:00.000Z');
	});

	it('handles ISO weeks across the year boundary', () => {
		// 1 January 2027 is a Friday, so it belongs to week 53 of 2026
		expect(periodOf({ type: 'week', date: '2027-01-01' }, TZ)).toMatchObject({ id: '2026W53', startDate: '2026-12-28', endDate: '2027-01-03' });
		expect(periodOf({ type: 'week', date: '2025-12-29' }, TZ).id).toBe('2026W1');
	});

	it('reads DHIS2 ids back into the same periods', () => {
		for (const id of ['20261126', '2026W48', '2026W1', '202611', '2026Q4', '20261101-20261115']) expect(parsePeriodId(id, TZ).id).toBe(id);
		expect(parsePeriodId('2026W53', TZ).startDate).toBe('2026-12-28');
	});

	it('refuses ids that name no period, saying which forms it takes', () => {
		expect(() => parsePeriodId('20260230', TZ)).toThrow(/is not a real day/);
		expect(() => parsePeriodId('2025W53', TZ)).toThrow(/has no week 53 in 2025/);
		expect(() => parsePeriodId('202613', TZ)).toThrow(/has no such month/);
		expect(() => parsePeriodId('last month', TZ)).toThrow(/use 20261126 \(day\), 2026W48 \(ISO week\)/);
	});

	it('refuses a custom period whose end is before its start, naming the field', () => {
		try {
			periodOf({ type: 'custom', startDate: '2026-11-26', endDate: '2026-11-01' }, TZ);
			throw new Error('accepted');
		} catch (e) {
			expect(e).toMatchObject({ field: 'Period End', message: expect.stringContaining('ends on 2026-11-01, before it starts on 2026-11-26') });
		}
		expect(() => periodOf({ type: 'custom', startDate: '2026-11-01' }, TZ)).toThrow(/needs its last day/);
		expect(() => periodOf({ type: 'day', date: '26/11/2026' }, TZ)).toThrow(/must be a date like 2026-11-26/);
	});

	it('lists the days of a month and the months of a quarter', () => {
		const q = periodOf({ type: 'quarter', date: '2026-11-26' }, TZ);
		expect(periodsWithin(q, 'month').map((p) => p.id)).toEqual(['202610', '202611', '202612']);
		expect(periodsWithin(periodOf({ type: 'month', date: '2026-02-01' }, TZ), 'day')).toHaveLength(28);
	});

	it('knows today in the zone', () => {
		// 20:00 UTC on 26 November is already the 27th in Shanghai
		expect(localToday(TZ, new Date('2026-11-26T20:00:00Z'))).toBe('2026-11-27');
		expect(localToday('UTC', new Date('2026-11-26T20:00:00Z'))).toBe('2026-11-26');
	});
});
