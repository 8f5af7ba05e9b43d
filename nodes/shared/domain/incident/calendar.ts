/**
 * Working calendars for SLA arithmetic: a time zone, daily working hours, working weekdays, a holiday
 * table and make-up working days (调休). Pure data and validation; the arithmetic lives in ./sla.
 */
import { FieldError, describeValue } from '../../validation/errors';

/** One daily working interval in the calendar's local wall-clock time, 'HH:MM' (end may be '24:00'). */
export interface WorkingInterval {
	readonly start: string;
	readonly end: string;
}

export interface WorkingCalendar {
	/** IANA time zone, e.g. 'Asia/Shanghai'. Working hours and dates are read in this zone. */
	readonly timeZone: string;
	/** Daily working intervals, sorted, not overlapping. */
	readonly workingHours: readonly WorkingInterval[];
	/** ISO weekdays that are working days: 1 = Monday … 7 = Sunday. */
	readonly workingWeekdays: readonly number[];
	/** Dates ('YYYY-MM-DD', local to the zone) that are days off even if their weekday is a working day. */
	readonly holidays: readonly string[];
	/** Dates ('YYYY-MM-DD') that are working days even if their weekday is not (调休 make-up days). */
	readonly makeUpWorkingDays: readonly string[];
}

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

/**
 * PRC public holidays (法定节假日 with the days off around them), as announced by the General Office of the
 * State Council: 国办发明电〔2024〕12号 for 2025 and the notice of 4 November 2025 for 2026.
 * This is data, not logic: a user replaces or extends it with the `holidays` entry of their own
 * Working Calendar JSON (e.g. when the 2027 arrangement is published, or for local holidays).
 */
export const PRC_HOLIDAYS: Readonly<Record<string, string>> = Object.freeze({
	// 2025
	'2025-01-01': "New Year's Day 元旦",
	'2025-01-28': 'Spring Festival 春节',
	'2025-01-29': 'Spring Festival 春节',
	'2025-01-30': 'Spring Festival 春节',
	'2025-01-31': 'Spring Festival 春节',
	'2025-02-01': 'Spring Festival 春节',
	'2025-02-02': 'Spring Festival 春节',
	'2025-02-03': 'Spring Festival 春节',
	'2025-02-04': 'Spring Festival 春节',
	'2025-04-04': 'Qingming 清明节',
	'2025-04-05': 'Qingming 清明节',
	'2025-04-06': 'Qingming 清明节',
	'2025-05-01': 'Labour Day 劳动节',
	'2025-05-02': 'Labour Day 劳动节',
	'2025-05-03': 'Labour Day 劳动节',
	'2025-05-04': 'Labour Day 劳动节',
	'2025-05-05': 'Labour Day 劳动节',
	'2025-05-31': 'Dragon Boat Festival 端午节',
	'2025-06-01': 'Dragon Boat Festival 端午节',
	'2025-06-02': 'Dragon Boat Festival 端午节',
	'2025-10-01': 'National Day and Mid-Autumn 国庆节、中秋节',
	'2025-10-02': 'National Day and Mid-Autumn 国庆节、中秋节',
	'2025-10-03': 'National Day and Mid-Autumn 国庆节、中秋节',
	'2025-10-04': 'National Day and Mid-Autumn 国庆节、中秋节',
	'2025-10-05': 'National Day and Mid-Autumn 国庆节、中秋节',
	'2025-10-06': 'National Day and Mid-Autumn 国庆节、中秋节',
	'2025-10-07': 'National Day and Mid-Autumn 国庆节、中秋节',
	'2025-10-08': 'National Day and Mid-Autumn 国庆节、中秋节',
	// 2026
	'2026-01-01': "New Year's Day 元旦",
	'2026-01-02': "New Year's Day 元旦",
	'2026-01-03': "New Year's Day 元旦",
	'2026-02-15': 'Spring Festival 春节',
	'2026-02-16': 'Spring Festival 春节',
	'2026-02-17': 'Spring Festival 春节',
	'2026-02-18': 'Spring Festival 春节',
	'2026-02-19': 'Spring Festival 春节',
	'2026-02-20': 'Spring Festival 春节',
	'2026-02-21': 'Spring Festival 春节',
	'2026-02-22': 'Spring Festival 春节',
	'2026-02-23': 'Spring Festival 春节',
	'2026-04-04': 'Qingming 清明节',
	'2026-04-05': 'Qingming 清明节',
	'2026-04-06': 'Qingming 清明节',
	'2026-05-01': 'Labour Day 劳动节',
	'2026-05-02': 'Labour Day 劳动节',
	'2026-05-03': 'Labour Day 劳动节',
	'2026-05-04': 'Labour Day 劳动节',
	'2026-05-05': 'Labour Day 劳动节',
	'2026-06-19': 'Dragon Boat Festival 端午节',
	'2026-06-20': 'Dragon Boat Festival 端午节',
	'2026-06-21': 'Dragon Boat Festival 端午节',
	'2026-09-25': 'Mid-Autumn Festival 中秋节',
	'2026-09-26': 'Mid-Autumn Festival 中秋节',
	'2026-09-27': 'Mid-Autumn Festival 中秋节',
	'2026-10-01': 'National Day 国庆节',
	'2026-10-02': 'National Day 国庆节',
	'2026-10-03': 'National Day 国庆节',
	'2026-10-04': 'National Day 国庆节',
	'2026-10-05': 'National Day 国庆节',
	'2026-10-06': 'National Day 国庆节',
	'2026-10-07': 'National Day 国庆节',
});

/** Weekend days worked in exchange for the holidays above (调休上班), from the same notices. Data, too. */
export const PRC_MAKE_UP_WORKING_DAYS: Readonly<Record<string, string>> = Object.freeze({
	'2025-01-26': 'for Spring Festival 春节调休',
	'2025-02-08': 'for Spring Festival 春节调休',
	'2025-04-27': 'for Labour Day 劳动节调休',
	'2025-09-28': 'for National Day 国庆节调休',
	'2025-10-11': 'for National Day 国庆节调休',
	'2026-01-04': "for New Year's Day 元旦调休",
	'2026-02-14': 'for Spring Festival 春节调休',
	'2026-02-28': 'for Spring Festival 春节调休',
	'2026-05-09': 'for Labour Day 劳动节调休',
	'2026-09-20': 'for National Day 国庆节调休',
	'2026-10-10': 'for National Day 国庆节调休',
});

const checkedCalendars = new WeakSet<WorkingCalendar>();

/** Whether a calendar object came out of checkCalendar (or is the default), so needs no re-checking. */
export function isCheckedCalendar(cal: WorkingCalendar): boolean {
	return checkedCalendars.has(cal);
}

function freezeCalendar(cal: WorkingCalendar): WorkingCalendar {
	const frozen: WorkingCalendar = Object.freeze({
		timeZone: cal.timeZone,
		workingHours: Object.freeze(cal.workingHours.map((i) => Object.freeze({ start: i.start, end: i.end }))),
		workingWeekdays: Object.freeze([...cal.workingWeekdays]),
		holidays: Object.freeze([...cal.holidays]),
		makeUpWorkingDays: Object.freeze([...cal.makeUpWorkingDays]),
	});
	checkedCalendars.add(frozen);
	return frozen;
}

/** Typical Chinese government office hours in Asia/Shanghai with the PRC holiday table above. */
export const DEFAULT_CALENDAR: WorkingCalendar = freezeCalendar({
	timeZone: DEFAULT_TIME_ZONE,
	workingHours: [
		{ start: '08:30', end: '12:00' },
		{ start: '13:30', end: '17:30' },
	],
	workingWeekdays: [1, 2, 3, 4, 5],
	holidays: Object.keys(PRC_HOLIDAYS).sort(),
	makeUpWorkingDays: Object.keys(PRC_MAKE_UP_WORKING_DAYS).sort(),
});

const DAY_MS = 86_400_000;
const CALENDAR_KEYS = ['timeZone', 'workingHours', 'workingWeekdays', 'holidays', 'makeUpWorkingDays'] as const;
const WEEKDAY_NAMES: Record<string, number> = {
	mon: 1, monday: 1, tue: 2, tuesday: 2, wed: 3, wednesday: 3, thu: 4, thursday: 4,
	fri: 5, friday: 5, sat: 6, saturday: 6, sun: 7, sunday: 7,
};

/** Minutes after local midnight of an 'HH:MM' time (00:00–24:00), or undefined when malformed. */
export function minuteOfDay(hhmm: string): number | undefined {
	const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm.trim());
	if (!m) return undefined;
	const h = Number(m[1]);
	const min = Number(m[2]);
	if (h > 24 || min > 59 || (h === 24 && min !== 0)) return undefined;
	return h * 60 + min;
}

/** Days since 1970-01-01 of a 'YYYY-MM-DD' date, or undefined when it is not a real date. */
export function dayNumber(date: string): number | undefined {
	const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
	if (!m) return undefined;
	const y = Number(m[1]);
	const mo = Number(m[2]);
	const d = Number(m[3]);
	if (mo < 1 || mo > 12 || d < 1 || d > 31) return undefined;
	const ms = Date.UTC(y, mo - 1, d);
	const back = new Date(ms);
	if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
	return ms / DAY_MS;
}

/** ISO weekday (1 = Monday … 7 = Sunday) of a day number. */
export function isoWeekday(day: number): number {
	return ((((day + 3) % 7) + 7) % 7) + 1;
}

/** The calendar's nominal working minutes per working day (the length of a "working day" in SLAs). */
export function dailyWorkingMinutes(cal: WorkingCalendar): number {
	let total = 0;
	for (const i of cal.workingHours) total += (minuteOfDay(i.end) ?? 0) - (minuteOfDay(i.start) ?? 0);
	return total;
}

/** Whether a local date ('YYYY-MM-DD') is a working day: holidays win, then make-up days, then weekdays. */
export function isWorkingDate(date: string, cal: WorkingCalendar = DEFAULT_CALENDAR): boolean {
	const day = dayNumber(date);
	if (day === undefined) throw new RangeError(`"${date}" is not a date of the form YYYY-MM-DD`);
	if (cal.holidays.includes(date)) return false;
	if (cal.makeUpWorkingDays.includes(date)) return true;
	return cal.workingWeekdays.includes(isoWeekday(day));
}

const zoneNames = new Map<string, string | null>();

/** The canonical name of an IANA time zone Intl knows, or undefined. */
export function canonicalTimeZone(zone: string): string | undefined {
	if (!zone.trim()) return undefined;
	if (zoneNames.has(zone)) return zoneNames.get(zone) ?? undefined;
	let canonical: string | null;
	try {
		canonical = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
	} catch {
		canonical = null;
	}
	if (zoneNames.size >= 1000) zoneNames.clear();
	zoneNames.set(zone, canonical);
	return canonical ?? undefined;
}

/**
 * Validates a user-supplied working calendar (an object or its JSON text) and returns a frozen
 * WorkingCalendar. Omitted entries take the default calendar's value; null, undefined or '' give the
 * default calendar. Errors are FieldErrors on `field` naming the entry that is wrong.
 *
 * Accepted forms: `workingHours` as [{ "start": "08:30", "end": "12:00" }] or ["08:30-12:00"];
 * `workingWeekdays` as ISO numbers 1–7 or names ("mon", "Monday"); `holidays` and
 * `makeUpWorkingDays` as ["2026-10-01"] or [{ "date": "2026-10-01", "name": "National Day" }].
 */
export function checkCalendar(raw: unknown, field = 'Working Calendar'): WorkingCalendar {
	const fail = (message: string): never => {
		throw new FieldError(field, `${field}: ${message}`);
	};
	let value = raw;
	if (typeof value === 'string') {
		if (!value.trim()) return DEFAULT_CALENDAR;
		try {
			value = JSON.parse(value);
		} catch (e) {
			fail(`is not valid JSON (${(e as Error).message})`);
		}
	}
	if (value === undefined || value === null) return DEFAULT_CALENDAR;
	if (typeof value !== 'object' || Array.isArray(value)) {
		return fail(`must be a JSON object with ${CALENDAR_KEYS.join(', ')}; got ${describeValue(value)}`);
	}
	const obj = value as Record<string, unknown>;
	for (const key of Object.keys(obj)) {
		if (!(CALENDAR_KEYS as readonly string[]).includes(key)) {
			fail(`unknown entry "${key}"; the entries are ${CALENDAR_KEYS.join(', ')}`);
		}
	}

	// time zone
	let timeZone = DEFAULT_CALENDAR.timeZone;
	if (obj.timeZone !== undefined) {
		const zone = typeof obj.timeZone === 'string' ? canonicalTimeZone(obj.timeZone) : undefined;
		if (!zone) fail(`timeZone ${describeValue(obj.timeZone)} is not an IANA time zone such as "Asia/Shanghai"`);
		timeZone = zone as string;
	}

	// working hours
	let workingHours: WorkingInterval[] = [...DEFAULT_CALENDAR.workingHours];
	if (obj.workingHours !== undefined) {
		if (!Array.isArray(obj.workingHours) || obj.workingHours.length === 0) {
			fail(`workingHours must be a non-empty list of intervals such as [{"start": "08:30", "end": "12:00"}]; got ${describeValue(obj.workingHours)}`);
		}
		const parsed = (obj.workingHours as unknown[]).map((entry, i) => {
			const at = `workingHours[${i}]`;
			let start: unknown;
			let end: unknown;
			if (typeof entry === 'string') {
				const parts = entry.split(/\s*[-–~]\s*/);
				if (parts.length !== 2) fail(`${at} ${describeValue(entry)} must look like "08:30-12:00"`);
				[start, end] = parts;
			} else if (entry && typeof entry === 'object' && !Array.isArray(entry)) {
				const e = entry as Record<string, unknown>;
				const extra = Object.keys(e).filter((k) => k !== 'start' && k !== 'end');
				if (extra.length) fail(`${at} has unknown key "${extra[0]}"; an interval has only start and end`);
				start = e.start;
				end = e.end;
			} else {
				fail(`${at} must be {"start": "HH:MM", "end": "HH:MM"} or "HH:MM-HH:MM"; got ${describeValue(entry)}`);
			}
			const s = typeof start === 'string' ? minuteOfDay(start) : undefined;
			const t = typeof end === 'string' ? minuteOfDay(end) : undefined;
			if (s === undefined || s >= 24 * 60) fail(`${at} start ${describeValue(start)} is not a time of day from 00:00 to 23:59`);
			if (t === undefined) fail(`${at} end ${describeValue(end)} is not a time of day from 00:00 to 24:00`);
			if ((t as number) <= (s as number)) {
				fail(`${at} ends at ${end as string}, not after it starts at ${start as string}; an interval cannot be empty or cross midnight`);
			}
			return { index: i, s: s as number, t: t as number };
		});
		parsed.sort((a, b) => a.s - b.s);
		for (let k = 1; k < parsed.length; k++) {
			const prev = parsed[k - 1];
			const cur = parsed[k];
			if (cur.s < prev.t) fail(`workingHours[${cur.index}] overlaps workingHours[${prev.index}]`);
		}
		workingHours = parsed.map((p) => ({ start: formatMinute(p.s), end: formatMinute(p.t) }));
	}

	// weekdays
	let workingWeekdays: number[] = [...DEFAULT_CALENDAR.workingWeekdays];
	if (obj.workingWeekdays !== undefined) {
		if (!Array.isArray(obj.workingWeekdays) || obj.workingWeekdays.length === 0) {
			fail(`workingWeekdays must be a non-empty list of ISO weekdays (1 = Monday … 7 = Sunday); got ${describeValue(obj.workingWeekdays)}`);
		}
		const days = new Set<number>();
		(obj.workingWeekdays as unknown[]).forEach((entry, i) => {
			let n: number | undefined;
			if (typeof entry === 'number' && Number.isInteger(entry) && entry >= 1 && entry <= 7) n = entry;
			else if (typeof entry === 'string') n = WEEKDAY_NAMES[entry.trim().toLowerCase()] ?? (/^[1-7]$/.test(entry.trim()) ? Number(entry) : undefined);
			if (n === undefined) {
				fail(`workingWeekdays[${i}] ${describeValue(entry)} is not a weekday; use 1 (Monday) … 7 (Sunday) or a name such as "mon"`);
			}
			days.add(n as number);
		});
		workingWeekdays = [...days].sort((a, b) => a - b);
	}

	const dates = (key: 'holidays' | 'makeUpWorkingDays'): string[] => {
		const list = obj[key];
		if (list === undefined) return [...DEFAULT_CALENDAR[key]];
		if (!Array.isArray(list)) fail(`${key} must be a list of dates such as ["2026-10-01"]; got ${describeValue(list)}`);
		const out = new Set<string>();
		(list as unknown[]).forEach((entry, i) => {
			let date: unknown = entry;
			if (entry && typeof entry === 'object' && !Array.isArray(entry)) date = (entry as Record<string, unknown>).date;
			if (typeof date !== 'string' || dayNumber(date.trim()) === undefined) {
				fail(`${key}[${i}] ${describeValue(entry)} is not a real date of the form YYYY-MM-DD`);
			}
			out.add((date as string).trim());
		});
		return [...out].sort();
	};
	const holidays = dates('holidays');
	const makeUpWorkingDays = dates('makeUpWorkingDays');
	const holidaySet = new Set(holidays);
	const clash = makeUpWorkingDays.find((d) => holidaySet.has(d));
	if (clash) fail(`${clash} is listed both in holidays and in makeUpWorkingDays`);

	return freezeCalendar({ timeZone, workingHours, workingWeekdays, holidays, makeUpWorkingDays });
}

function formatMinute(m: number): string {
	return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}
