/**
 * Working-calendar SLA arithmetic. Every expected instant below is worked out by hand in the comments
 * (default calendar: Asia/Shanghai, UTC+8 all year, 08:30–12:00 and 13:30–17:30 = 450 working minutes
 * a day, Mon–Fri, PRC holidays with make-up days).
 */
import {
	DEFAULT_CALENDAR,
	PRC_HOLIDAYS,
	PRC_MAKE_UP_WORKING_DAYS,
	checkCalendar,
	dailyWorkingMinutes,
	isWorkingDate,
} from '../../nodes/shared/domain/incident/calendar';
import {
	DEFAULT_SLA_MATRIX,
	addClockTime,
	addWorkingTime,
	checkSlaMatrix,
	dueTime,
	isWorkingTime,
	localDate,
	slaFor,
	workingMinutesBetween,
} from '../../nodes/shared/domain/incident/sla';
import { FieldError } from '../../nodes/shared/validation/errors';

/** A Shanghai wall-clock time as a UTC instant. */
const sh = (local: string) => new Date(`${local}:00+08:00`);
const iso = (d: Date) => d.toISOString();

describe('default calendar', () => {
	it('is 450 working minutes a day, Mon–Fri, in Asia/Shanghai', () => {
		expect(DEFAULT_CALENDAR.timeZone).toBe('Asia/Shanghai');
		expect(dailyWorkingMinutes(DEFAULT_CALENDAR)).toBe(210 + 240);
		expect(DEFAULT_CALENDAR.workingWeekdays).toEqual([1, 2, 3, 4, 5]);
	});

	it('holds the 2026 arrangement of the State Council notice', () => {
		// 国庆节 10-01 … 10-07 off; 09-20 (Sun) and 10-10 (Sat) worked; 春节 02-15 … 02-23 off, 02-14 and 02-28 worked.
		for (let d = 1; d <= 7; d++) expect(PRC_HOLIDAYS[`2026-10-0${d}`]).toBeDefined();
		expect(PRC_HOLIDAYS['2026-10-08']).toBeUndefined();
		expect(Object.keys(PRC_MAKE_UP_WORKING_DAYS).filter((d) => d.startsWith('2026-'))).toEqual([
			'2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10',
		]);
		expect(Object.keys(PRC_HOLIDAYS).filter((d) => d.startsWith('2026-'))).toHaveLength(3 + 9 + 3 + 5 + 3 + 3 + 7);
		expect(isWorkingDate('2026-10-10')).toBe(true); // Saturday, make-up
		expect(isWorkingDate('2026-10-11')).toBe(false); // Sunday
		expect(isWorkingDate('2026-10-05')).toBe(false); // Monday, holiday
		expect(isWorkingDate('2026-10-08')).toBe(true); // Thursday
	});

	it('reads dates in the calendar zone', () => {
		// 2026-03-13T17:00Z is 01:00 on Saturday the 14th in Shanghai.
		expect(localDate(new Date('2026-03-13T17:00:00Z'))).toBe('2026-03-14');
		expect(localDate(new Date('2026-03-13T15:59:59Z'))).toBe('2026-03-13');
	});
});

describe('Friday-afternoon medium incidents land on Monday', () => {
	it('Fri 15:00 + 1 working day = Mon 15:00', () => {
		// Fri 15:00–17:30 = 150; Mon 08:30–12:00 = 210 (360); 90 more from 13:30 → 15:00.
		expect(iso(dueTime(sh('2026-03-13T15:00'), 'medium', null))).toBe(iso(sh('2026-03-16T15:00')));
	});

	it('Fri 17:00 + 1 working day = Mon 17:00', () => {
		// Fri 30; Mon morning 210 (240); 210 more from 13:30 → 17:00.
		expect(iso(dueTime(sh('2026-03-13T17:00'), 'medium', 'sanitation'))).toBe(iso(sh('2026-03-16T17:00')));
	});

	it('Fri 15:00 low (3 working days) = Wed 15:00', () => {
		// 1350 needed: Fri 150, Mon 450 (600), Tue 450 (1050); Wed 300: 210 to noon, 90 from 13:30 → 15:00.
		expect(iso(dueTime(sh('2026-03-13T15:00'), 'low', null))).toBe(iso(sh('2026-03-18T15:00')));
	});

	it('counts working minutes over the weekend', () => {
		expect(workingMinutesBetween(sh('2026-03-13T15:00'), sh('2026-03-16T15:00'))).toBe(150 + 210 + 90);
		expect(workingMinutesBetween(sh('2026-03-16T15:00'), sh('2026-03-13T15:00'))).toBe(-450);
		expect(workingMinutesBetween(sh('2026-03-14T09:00'), sh('2026-03-15T18:00'))).toBe(0);
	});
});

describe('holidays and make-up days (调休)', () => {
	it('National Day week: Wed 30 Sep 16:00 medium is due Thu 8 Oct 16:00', () => {
		// Sep 30: 16:00–17:30 = 90; Oct 1–7 off; Oct 8: 210 morning (300), 150 from 13:30 → 16:00.
		expect(iso(dueTime(sh('2026-09-30T16:00'), 'medium', null))).toBe(iso(sh('2026-10-08T16:00')));
	});

	it('National Day week: Wed 30 Sep 16:00 low lands on make-up Saturday 10 Oct', () => {
		// 1350: Sep 30 90; Oct 8 450 (540); Oct 9 450 (990); Sat Oct 10 (worked) 360: 210 + 150 → 16:00.
		expect(iso(dueTime(sh('2026-09-30T16:00'), 'low', null))).toBe(iso(sh('2026-10-10T16:00')));
	});

	it('Fri 9 Oct 16:00 medium is due on make-up Saturday 10 Oct 16:00', () => {
		expect(iso(dueTime(sh('2026-10-09T16:00'), 'medium', null))).toBe(iso(sh('2026-10-10T16:00')));
	});

	it('make-up Sunday 20 Sep counts; Mid-Autumn Friday 25 Sep does not', () => {
		// Fri Sep 18 17:00: 30; Sat off; Sun Sep 20 worked: 210 + 210 → 17:00.
		expect(iso(dueTime(sh('2026-09-18T17:00'), 'medium', null))).toBe(iso(sh('2026-09-20T17:00')));
		// Thu Sep 24 17:00: 30; Fri 25–Sun 27 off; Mon Sep 28: 420 → 17:00.
		expect(iso(dueTime(sh('2026-09-24T17:00'), 'medium', null))).toBe(iso(sh('2026-09-28T17:00')));
	});

	it('Spring Festival: make-up Sat 14 Feb, then nine days off', () => {
		// Fri Feb 13 17:00: 30; Sat Feb 14 worked → 17:00 that Saturday.
		expect(iso(dueTime(sh('2026-02-13T17:00'), 'medium', null))).toBe(iso(sh('2026-02-14T17:00')));
		// Sat Feb 14 17:00: 30; Feb 15–23 off; Tue Feb 24 → 17:00.
		expect(iso(dueTime(sh('2026-02-14T17:00'), 'medium', null))).toBe(iso(sh('2026-02-24T17:00')));
	});

	it("New Year's: from 31 Dec 2025 over 1–3 Jan to make-up Sunday 4 Jan 2026", () => {
		expect(iso(dueTime(sh('2025-12-31T17:00'), 'medium', null))).toBe(iso(sh('2026-01-04T17:00')));
	});

	it('no working time inside the holiday', () => {
		expect(workingMinutesBetween(sh('2026-09-30T17:30'), sh('2026-10-08T08:30'))).toBe(0);
		expect(isWorkingTime(sh('2026-10-03T10:00'))).toBe(false);
		expect(isWorkingTime(sh('2026-10-10T10:00'))).toBe(true);
		expect(isWorkingTime(sh('2026-10-11T10:00'))).toBe(false);
	});
});

describe('lunch break', () => {
	it('crosses the lunch break', () => {
		// 11:30 + 60: 30 to noon, 30 from 13:30 → 14:00.
		expect(iso(addWorkingTime(sh('2026-03-17T11:30'), 60))).toBe(iso(sh('2026-03-17T14:00')));
		// Starting inside the break counts from 13:30.
		expect(iso(addWorkingTime(sh('2026-03-17T12:30'), 60))).toBe(iso(sh('2026-03-17T14:30')));
	});

	it('an end exactly at noon stays at noon', () => {
		expect(iso(addWorkingTime(sh('2026-03-17T11:00'), 60))).toBe(iso(sh('2026-03-17T12:00')));
	});

	it('counts and tests working time around lunch', () => {
		expect(workingMinutesBetween(sh('2026-03-17T11:00'), sh('2026-03-17T14:00'))).toBe(60 + 30);
		expect(isWorkingTime(sh('2026-03-17T11:59'))).toBe(true);
		expect(isWorkingTime(sh('2026-03-17T12:00'))).toBe(false);
		expect(isWorkingTime(sh('2026-03-17T12:15'))).toBe(false);
		expect(isWorkingTime(sh('2026-03-17T13:30'))).toBe(true);
	});
});

describe('start outside working hours', () => {
	it('a night start counts from 08:30 the next working morning', () => {
		// Tue 22:00 → Wed 08:30 + 450 = Wed 17:30.
		expect(iso(dueTime(sh('2026-03-17T22:00'), 'medium', null))).toBe(iso(sh('2026-03-18T17:30')));
		expect(iso(dueTime(sh('2026-03-18T03:00'), 'medium', null))).toBe(iso(sh('2026-03-18T17:30')));
		// Saturday morning → Monday 08:30 + 450.
		expect(iso(dueTime(sh('2026-03-14T10:00'), 'medium', null))).toBe(iso(sh('2026-03-16T17:30')));
	});

	it('zero working minutes moves to the next working period', () => {
		expect(iso(addWorkingTime(sh('2026-03-17T22:00'), 0))).toBe(iso(sh('2026-03-18T08:30')));
		expect(iso(addWorkingTime(sh('2026-03-17T10:00'), 0))).toBe(iso(sh('2026-03-17T10:00')));
	});
});

describe('critical and high run on clock time', () => {
	it('critical: 30 minutes, across midnight on a weekend', () => {
		expect(iso(dueTime(sh('2026-03-14T23:50'), 'critical', null))).toBe(iso(sh('2026-03-15T00:20')));
	});

	it('high: 2 hours, on a holiday and at night', () => {
		expect(iso(dueTime(sh('2026-10-01T16:30'), 'high', null))).toBe(iso(sh('2026-10-01T18:30')));
		expect(iso(dueTime(sh('2026-03-13T23:00'), 'high', null))).toBe(iso(sh('2026-03-14T01:00')));
	});

	it('addClockTime is plain elapsed time', () => {
		expect(iso(addClockTime(new Date('2026-03-29T00:30:00Z'), 90))).toBe('2026-03-29T02:00:00.000Z');
	});
});

describe('category overrides', () => {
	const matrix = checkSlaMatrix({
		categories: {
			fever_or_symptoms: { medium: '4 working_hours' },
			sanitation: { amount: 5, unit: 'working_days' },
		},
	});

	it('overrides one level of one category', () => {
		// Tue 10:00 + 240 working: 120 to noon, 120 from 13:30 → 15:30.
		expect(iso(dueTime(sh('2026-03-17T10:00'), 'medium', 'fever_or_symptoms', matrix, DEFAULT_CALENDAR))).toBe(
			iso(sh('2026-03-17T15:30')),
		);
	});

	it('other levels of that category keep the level defaults', () => {
		// low: 1350 from Tue 10:00: Tue 360, Wed 450 (810), Thu 450 (1260), Fri 90 → 10:00.
		expect(iso(dueTime(sh('2026-03-17T10:00'), 'low', 'fever_or_symptoms', matrix))).toBe(iso(sh('2026-03-20T10:00')));
		expect(iso(dueTime(sh('2026-03-17T10:00'), 'critical', 'fever_or_symptoms', matrix))).toBe(iso(sh('2026-03-17T10:30')));
	});

	it('one duration for a category applies to every level', () => {
		// Mon 08:30 + 5 × 450 = five full days → Fri 17:30.
		expect(iso(dueTime(sh('2026-03-16T08:30'), 'critical', 'sanitation', matrix))).toBe(iso(sh('2026-03-20T17:30')));
		expect(slaFor('low', 'sanitation', matrix)).toEqual({ amount: 5, unit: 'working_days' });
	});

	it('unknown or missing categories use the levels', () => {
		expect(slaFor('medium', 'neighbour_dispute', matrix)).toEqual({ amount: 1, unit: 'working_days' });
		expect(slaFor('medium', null, matrix)).toEqual({ amount: 1, unit: 'working_days' });
		expect(slaFor('high', 'constructor', matrix)).toEqual({ amount: 2, unit: 'hours' });
	});

	it('levels can be replaced, with clock or working hours', () => {
		const m = checkSlaMatrix('{"medium": "1 working_hours", "high": {"amount": 90, "unit": "minutes"}}');
		expect(iso(dueTime(sh('2026-03-17T11:30'), 'medium', null, m))).toBe(iso(sh('2026-03-17T14:00')));
		expect(iso(dueTime(sh('2026-03-17T11:30'), 'high', null, m))).toBe(iso(sh('2026-03-17T13:00')));
		expect(m.low).toEqual(DEFAULT_SLA_MATRIX.low);
	});

	it('rejects an unknown risk level at lookup', () => {
		expect(() => slaFor('urgent' as never, null)).toThrow(FieldError);
	});
});

describe('DST in Europe/Berlin', () => {
	// 2026: CEST from Sun 29 Mar 02:00 CET (01:00Z) to Sun 25 Oct 03:00 CEST (01:00Z).
	const berlin = checkCalendar({
		timeZone: 'Europe/Berlin',
		workingHours: ['09:00-17:00'],
		holidays: [],
		makeUpWorkingDays: [],
	});
	const always = checkCalendar({
		timeZone: 'Europe/Berlin',
		workingHours: [{ start: '00:00', end: '24:00' }],
		workingWeekdays: [1, 2, 3, 4, 5, 6, 7],
		holidays: [],
		makeUpWorkingDays: [],
	});

	it('a working day spans the spring change', () => {
		expect(dailyWorkingMinutes(berlin)).toBe(480);
		// Fri 27 Mar 16:00 CET: 60; Mon 30 Mar from 09:00 CEST: 420 → 16:00 CEST = 14:00Z.
		expect(iso(dueTime(new Date('2026-03-27T16:00:00+01:00'), 'medium', null, DEFAULT_SLA_MATRIX, berlin))).toBe(
			'2026-03-30T14:00:00.000Z',
		);
		expect(workingMinutesBetween(new Date('2026-03-27T09:00:00+01:00'), new Date('2026-03-30T17:00:00+02:00'), berlin)).toBe(960);
		// 07:30Z is 09:30 CEST on Monday 30 March: working. 15:30Z is 17:30 CEST: not.
		expect(isWorkingTime(new Date('2026-03-30T07:30:00Z'), berlin)).toBe(true);
		expect(isWorkingTime(new Date('2026-03-30T15:30:00Z'), berlin)).toBe(false);
		// On Friday 27 March (CET) 08:30Z is 09:30 local; 07:30Z is 08:30 local.
		expect(isWorkingTime(new Date('2026-03-27T08:30:00Z'), berlin)).toBe(true);
		expect(isWorkingTime(new Date('2026-03-27T07:30:00Z'), berlin)).toBe(false);
	});

	it('a working day spans the autumn change', () => {
		// Fri 23 Oct 16:00 CEST: 60; Mon 26 Oct from 09:00 CET: 420 → 16:00 CET = 15:00Z.
		expect(iso(dueTime(new Date('2026-10-23T16:00:00+02:00'), 'medium', null, DEFAULT_SLA_MATRIX, berlin))).toBe(
			'2026-10-26T15:00:00.000Z',
		);
	});

	it('the change days are 23 and 25 hours long', () => {
		expect(workingMinutesBetween(new Date('2026-03-29T00:00:00+01:00'), new Date('2026-03-30T00:00:00+02:00'), always)).toBe(23 * 60);
		expect(workingMinutesBetween(new Date('2026-10-25T00:00:00+02:00'), new Date('2026-10-26T00:00:00+01:00'), always)).toBe(25 * 60);
		// Round the clock, working time is elapsed time: 24 h after 28 Mar 23:00Z is 29 Mar 23:00Z.
		expect(iso(addWorkingTime(new Date('2026-03-28T23:00:00Z'), 24 * 60, always))).toBe('2026-03-29T23:00:00.000Z');
		expect(localDate(new Date('2026-03-29T22:30:00Z'), always)).toBe('2026-03-30'); // 00:30 CEST
	});

	it('hours that are skipped or repeated', () => {
		const night = checkCalendar({
			timeZone: 'Europe/Berlin',
			workingHours: ['02:30-04:00'],
			workingWeekdays: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
			holidays: [],
			makeUpWorkingDays: [],
		});
		// 29 Mar: 02:30 does not exist; work starts when the clock jumps to 03:00 CEST (01:00Z): 60 minutes.
		expect(workingMinutesBetween(new Date('2026-03-29T00:00:00+01:00'), new Date('2026-03-30T00:00:00+02:00'), night)).toBe(60);
		expect(iso(addWorkingTime(new Date('2026-03-29T00:00:00+01:00'), 0, night))).toBe('2026-03-29T01:00:00.000Z');
		// 25 Oct: 02:30 is taken at its first occurrence (CEST, 00:30Z) up to 04:00 CET (03:00Z): 150 minutes.
		expect(workingMinutesBetween(new Date('2026-10-25T00:00:00+02:00'), new Date('2026-10-26T00:00:00+01:00'), night)).toBe(150);
		// An ordinary day has 90.
		expect(workingMinutesBetween(new Date('2026-03-30T00:00:00+02:00'), new Date('2026-03-31T00:00:00+02:00'), night)).toBe(90);
	});
});

describe('consistency', () => {
	it('workingMinutesBetween inverts addWorkingTime', () => {
		// A fixed pseudo-random walk over 2025–2026 starts and amounts.
		let seed = 12345;
		const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
		const base = Date.parse('2025-01-01T00:00:00Z');
		for (let i = 0; i < 500; i++) {
			const start = new Date(base + Math.floor(next() * 730 * 1440) * 60_000);
			const minutes = Math.floor(next() * 3000);
			const end = addWorkingTime(start, minutes);
			expect(workingMinutesBetween(start, end)).toBe(minutes);
			expect(end.getTime()).toBeGreaterThanOrEqual(start.getTime());
		}
	});
});

function fieldErrorOf(fn: () => unknown): FieldError {
	try {
		fn();
	} catch (e) {
		if (e instanceof FieldError) return e;
		throw e;
	}
	throw new Error('expected a FieldError');
}

describe('checkCalendar', () => {
	it('accepts JSON text, fills omitted entries and sorts intervals', () => {
		const cal = checkCalendar('{"workingHours": ["14:00-18:00", {"start": "9:00", "end": "12:00"}], "holidays": ["2027-01-01", "2027-01-01"]}');
		expect(cal.timeZone).toBe('Asia/Shanghai');
		expect(cal.workingHours).toEqual([
			{ start: '09:00', end: '12:00' },
			{ start: '14:00', end: '18:00' },
		]);
		expect(cal.holidays).toEqual(['2027-01-01']);
		expect(cal.makeUpWorkingDays).toEqual(DEFAULT_CALENDAR.makeUpWorkingDays);
		expect(checkCalendar(undefined)).toBe(DEFAULT_CALENDAR);
		expect(checkCalendar('')).toBe(DEFAULT_CALENDAR);
	});

	it.each<[string, unknown, RegExp]>([
		['a bad zone', { timeZone: 'Mars/Olympus' }, /timeZone "Mars\/Olympus" is not an IANA time zone/],
		['an empty zone', { timeZone: '' }, /timeZone "" is not an IANA time zone/],
		['25:00', { workingHours: ['08:30-25:00'] }, /workingHours\[0\] end "25:00" is not a time of day/],
		['a 25:00 start', { workingHours: ['08:30-12:00', { start: '25:00', end: '26:00' }] }, /workingHours\[1\] start "25:00"/],
		['minutes over 59', { workingHours: ['08:60-12:00'] }, /workingHours\[0\] start "08:60"/],
		['overlapping intervals', { workingHours: ['08:30-12:00', '11:00-14:00'] }, /workingHours\[1\] overlaps workingHours\[0\]/],
		['a reversed interval', { workingHours: ['08:30-12:00', '17:30-13:30'] }, /workingHours\[1\] ends at 13:30, not after it starts at 17:30/],
		['an empty interval', { workingHours: ['08:30-08:30'] }, /workingHours\[0\] ends at 08:30/],
		['no intervals', { workingHours: [] }, /workingHours must be a non-empty list/],
		['a malformed interval', { workingHours: ['half past eight'] }, /workingHours\[0\] "half past eight" must look like "08:30-12:00"/],
		['weekday 0', { workingWeekdays: [1, 0] }, /workingWeekdays\[1\] 0 is not a weekday/],
		['no weekdays', { workingWeekdays: [] }, /workingWeekdays must be a non-empty list/],
		['February 30', { holidays: ['2026-02-30'] }, /holidays\[0\] "2026-02-30" is not a real date/],
		['a two-digit year', { holidays: ['2026-10-01', '26-10-02'] }, /holidays\[1\] "26-10-02" is not a real date/],
		['slashes', { makeUpWorkingDays: ['2026/10/10'] }, /makeUpWorkingDays\[0\] "2026\/10\/10"/],
		['holidays not a list', { holidays: '2026-10-01' }, /holidays must be a list of dates/],
		['a date both off and worked', { holidays: ['2026-10-10'], makeUpWorkingDays: ['2026-10-10'] }, /2026-10-10 is listed both in holidays and in makeUpWorkingDays/],
		['an unknown entry', { holiday: ['2026-10-01'] }, /unknown entry "holiday"/],
		['not an object', 42, /must be a JSON object/],
		['bad JSON', '{"timeZone": ', /is not valid JSON/],
	])('rejects %s, naming the field', (_name, raw, message) => {
		const e = fieldErrorOf(() => checkCalendar(raw));
		expect(e.field).toBe('Working Calendar');
		expect(e.message).toMatch(/^Working Calendar: /);
		expect(e.message).toMatch(message);
	});

	it('uses the field name it is given', () => {
		expect(fieldErrorOf(() => checkCalendar({ timeZone: 'Nowhere' }, 'Calendar JSON')).field).toBe('Calendar JSON');
	});
});

describe('checkSlaMatrix', () => {
	it('gives the defaults for nothing', () => {
		expect(checkSlaMatrix(undefined)).toBe(DEFAULT_SLA_MATRIX);
		expect(DEFAULT_SLA_MATRIX).toEqual({
			critical: { amount: 30, unit: 'minutes' },
			high: { amount: 2, unit: 'hours' },
			medium: { amount: 1, unit: 'working_days' },
			low: { amount: 3, unit: 'working_days' },
		});
	});

	it.each<[string, unknown, RegExp]>([
		['a negative amount', { critical: { amount: -5, unit: 'minutes' } }, /critical amount -5 must be a number greater than 0/],
		['a zero amount', { high: '0 hours' }, /high amount 0 must be a number greater than 0/],
		['a text amount', { low: { amount: '3', unit: 'working_days' } }, /low amount "3" must be a number/],
		['an unknown unit', { high: '2 fortnights' }, /high unit "fortnights" must be one of minutes, hours, working_days, working_hours/],
		['a missing unit', { medium: { amount: 1 } }, /medium unit nothing must be one of/],
		['more than a year', { medium: { amount: 400, unit: 'working_days' } }, /medium amount 400 working_days is more than a year/],
		['an unknown level', { urgent: '1 hours' }, /unknown entry "urgent"/],
		['an unknown level in a category', { categories: { fever_or_symptoms: { severe: '1 hours' } } }, /categories\.fever_or_symptoms has unknown risk level "severe"/],
		['a bad duration in a category', { categories: { sanitation: { low: 'soon' } } }, /categories\.sanitation\.low "soon" must look like "30 minutes"/],
		['categories as a list', { categories: [] }, /categories must be an object keyed by category/],
		['an extra key in a duration', { low: { amount: 3, unit: 'working_days', note: 'x' } }, /low has unknown key "note"/],
		['not an object', [1, 2], /must be a JSON object/],
		['bad JSON', '{"low": }', /is not valid JSON/],
	])('rejects %s, naming the field', (_name, raw, message) => {
		const e = fieldErrorOf(() => checkSlaMatrix(raw));
		expect(e.field).toBe('SLA Matrix');
		expect(e.message).toMatch(/^SLA Matrix: /);
		expect(e.message).toMatch(message);
	});

	it('rejects a category outside a given vocabulary', () => {
		const e = fieldErrorOf(() => checkSlaMatrix({ categories: { noise: '1 hours' } }, { categories: ['sanitation', 'safety_hazard'] }));
		expect(e.field).toBe('SLA Matrix');
		expect(e.message).toMatch(/unknown category "noise"; known categories are sanitation, safety_hazard/);
	});
});
