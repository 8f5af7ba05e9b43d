/**
 * SLA arithmetic on a working calendar. Every Date is a UTC instant; working hours and dates are read in
 * the calendar's time zone through Intl, so DST transitions are honoured where the zone has them.
 *
 * Working time is real elapsed time inside the calendar's working periods. A local wall-clock time that
 * does not exist (the hour skipped when DST starts) is taken as the first instant after the gap; one that
 * occurs twice (when DST ends) is taken at its first occurrence.
 *
 * Speed: each local day's working periods are computed once per calendar and cached, and the arithmetic
 * steps period by period and skips whole days, so a due time costs a few map look-ups.
 */
import { FieldError, describeValue } from '../../validation/errors';
import {
	DEFAULT_CALENDAR,
	type WorkingCalendar,
	checkCalendar,
	dailyWorkingMinutes,
	dayNumber,
	isCheckedCalendar,
	isoWeekday,
	minuteOfDay,
} from './calendar';
import { RISK_LEVELS, type RiskLevel } from './risk';

export { RISK_LEVELS, type RiskLevel };

export const SLA_UNITS = ['minutes', 'hours', 'working_days', 'working_hours'] as const;
export type SlaUnit = (typeof SLA_UNITS)[number];

export interface SlaDuration {
	readonly amount: number;
	readonly unit: SlaUnit;
}

/** Time limits by risk level, optionally overridden per incident category (by category key). */
export interface SlaMatrix {
	readonly critical: SlaDuration;
	readonly high: SlaDuration;
	readonly medium: SlaDuration;
	readonly low: SlaDuration;
	readonly categories?: Readonly<Record<string, Readonly<Partial<Record<RiskLevel, SlaDuration>>>>>;
}

/** Critical 30 min and high 2 h on clock time; medium 1 and low 3 working days. */
export const DEFAULT_SLA_MATRIX: SlaMatrix = Object.freeze({
	critical: Object.freeze({ amount: 30, unit: 'minutes' as const }),
	high: Object.freeze({ amount: 2, unit: 'hours' as const }),
	medium: Object.freeze({ amount: 1, unit: 'working_days' as const }),
	low: Object.freeze({ amount: 3, unit: 'working_days' as const }),
});

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------------
// Time zone conversion

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
	let f = formatters.get(zone);
	if (!f) {
		f = new Intl.DateTimeFormat('en-US', {
			timeZone: zone,
			hourCycle: 'h23',
			year: 'numeric',
			month: 'numeric',
			day: 'numeric',
			hour: 'numeric',
			minute: 'numeric',
			second: 'numeric',
		});
		formatters.set(zone, f);
	}
	return f;
}

/** The zone's offset from UTC (local minus UTC, in ms) at a UTC instant. */
function offsetAt(zone: string, utcMs: number): number {
	const whole = Math.floor(utcMs / 1000) * 1000;
	let y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
	for (const p of formatterFor(zone).formatToParts(new Date(whole))) {
		switch (p.type) {
			case 'year': y = Number(p.value); break;
			case 'month': mo = Number(p.value); break;
			case 'day': d = Number(p.value); break;
			case 'hour': h = Number(p.value); break;
			case 'minute': mi = Number(p.value); break;
			case 'second': s = Number(p.value); break;
		}
	}
	return Date.UTC(y, mo - 1, d, h, mi, s) - whole;
}

/**
 * The UTC instant of a local wall-clock time (given as ms since 1970-01-01T00:00 local). Skipped times
 * resolve to the end of the gap (the transition instant); repeated times to their first occurrence.
 */
function localToUtc(zone: string, localMs: number): number {
	const before = offsetAt(zone, localMs - DAY_MS);
	const after = offsetAt(zone, localMs + DAY_MS);
	if (before === after) return localMs - before;
	const early = localMs - before;
	const late = localMs - after;
	const earlyOk = offsetAt(zone, early) === before;
	const lateOk = offsetAt(zone, late) === after;
	if (earlyOk && lateOk) return Math.min(early, late);
	if (earlyOk) return early;
	if (lateOk) return late;
	// In a gap: the transition lies between the two candidates; find it to the second.
	let lo = Math.min(early, late);
	let hi = Math.max(early, late);
	while (hi - lo > 1000) {
		const mid = Math.floor((lo + hi) / 2000) * 1000;
		if (offsetAt(zone, mid) === before) lo = mid;
		else hi = mid;
	}
	return hi;
}

// ---------------------------------------------------------------------------------------------------
// Compiled calendars: one cached entry per local day

interface Day {
	readonly day: number;
	/** UTC instant of the local midnight that starts this day. */
	readonly start: number;
	/** Working periods as UTC instants, flattened [start0, end0, start1, end1, …], sorted. */
	readonly periods: readonly number[];
	/** Working ms in the day. */
	readonly total: number;
}

interface Compiled {
	readonly cal: WorkingCalendar;
	readonly zone: string;
	readonly intervals: readonly number[]; // flattened local minute pairs
	/** Nominal working minutes of a working day: the length of one "working day" in an SLA. */
	readonly dailyMinutes: number;
	readonly weekdays: ReadonlySet<number>;
	readonly holidays: ReadonlySet<number>;
	readonly makeUp: ReadonlySet<number>;
	/** Beyond this day number nothing irregular is listed; used to bound searches. */
	readonly lastListedDay: number;
	readonly days: Map<number, Day>;
}

const MAX_CACHED_DAYS = 50_000;
const MAX_CACHED_CALENDARS = 64;
const compiledCalendars = new WeakMap<WorkingCalendar, Compiled>();
/** Equal calendars passed as different objects (e.g. parsed per execution) share one compiled entry. */
const compiledByContent = new Map<string, Compiled>();

function compile(cal: WorkingCalendar): Compiled {
	let c = compiledCalendars.get(cal);
	if (c) return c;
	const checked = isCheckedCalendar(cal) ? cal : checkCalendar(cal);
	const key = JSON.stringify(checked);
	c = compiledByContent.get(key);
	if (c) {
		compiledCalendars.set(cal, c);
		return c;
	}
	const intervals: number[] = [];
	for (const i of checked.workingHours) intervals.push(minuteOfDay(i.start) as number, minuteOfDay(i.end) as number);
	const holidays = new Set(checked.holidays.map((d) => dayNumber(d) as number));
	const makeUp = new Set(checked.makeUpWorkingDays.map((d) => dayNumber(d) as number));
	let lastListedDay = -Infinity;
	for (const d of holidays) lastListedDay = Math.max(lastListedDay, d);
	for (const d of makeUp) lastListedDay = Math.max(lastListedDay, d);
	c = {
		cal: checked,
		zone: checked.timeZone,
		intervals,
		dailyMinutes: dailyWorkingMinutes(checked),
		weekdays: new Set(checked.workingWeekdays),
		holidays,
		makeUp,
		lastListedDay,
		days: new Map(),
	};
	compiledCalendars.set(cal, c);
	if (compiledByContent.size >= MAX_CACHED_CALENDARS) compiledByContent.clear();
	compiledByContent.set(key, c);
	return c;
}

function isWorkingDay(c: Compiled, day: number): boolean {
	if (c.holidays.has(day)) return false;
	if (c.makeUp.has(day)) return true;
	return c.weekdays.has(isoWeekday(day));
}

function getDay(c: Compiled, day: number): Day {
	let entry = c.days.get(day);
	if (entry) return entry;
	const localMidnight = day * DAY_MS;
	// Local midnight of `day` and of the next day both lie in this UTC window for any real offset
	// (−12 h … +14 h); a constant offset across it means no transition on this day.
	const o1 = offsetAt(c.zone, localMidnight - 14 * HOUR_MS);
	const o2 = offsetAt(c.zone, localMidnight + DAY_MS + 12 * HOUR_MS);
	const toUtc = o1 === o2 ? (local: number) => local - o1 : (local: number) => localToUtc(c.zone, local);
	const periods: number[] = [];
	let total = 0;
	if (isWorkingDay(c, day)) {
		for (let i = 0; i < c.intervals.length; i += 2) {
			const s = toUtc(localMidnight + c.intervals[i] * MINUTE_MS);
			const e = toUtc(localMidnight + c.intervals[i + 1] * MINUTE_MS);
			if (e > s) {
				periods.push(s, e);
				total += e - s;
			}
		}
	}
	entry = { day, start: toUtc(localMidnight), periods, total };
	if (c.days.size >= MAX_CACHED_DAYS) c.days.clear();
	c.days.set(day, entry);
	return entry;
}

/** The cached local day that contains a UTC instant. */
function dayAt(c: Compiled, t: number): Day {
	let day = Math.floor(t / DAY_MS);
	let entry = getDay(c, day);
	while (entry.start > t) entry = getDay(c, --day);
	for (;;) {
		const next = getDay(c, day + 1);
		if (next.start > t) return entry;
		entry = next;
		day++;
	}
}

/** True once a week without working time has passed beyond the last listed date: there is none left. */
function noWorkingTimeLeft(c: Compiled, idleDays: number, day: number): boolean {
	return idleDays > 8 && day > c.lastListedDay;
}

function instant(value: Date, name: string): number {
	const t = value instanceof Date ? value.getTime() : NaN;
	if (!Number.isFinite(t)) throw new RangeError(`${name} must be a valid Date, got ${describeValue(value)}`);
	return t;
}

function checkMinutes(minutes: number): number {
	if (typeof minutes !== 'number' || !Number.isFinite(minutes) || minutes < 0) {
		throw new RangeError(`minutes must be a finite number of at least 0, got ${describeValue(minutes)}`);
	}
	return Math.round(minutes * MINUTE_MS);
}

// ---------------------------------------------------------------------------------------------------
// Public arithmetic

/** `start` plus clock (elapsed) minutes. */
export function addClockTime(start: Date, minutes: number): Date {
	const t = instant(start, 'start');
	if (typeof minutes !== 'number' || !Number.isFinite(minutes)) {
		throw new RangeError(`minutes must be a finite number, got ${describeValue(minutes)}`);
	}
	return new Date(t + Math.round(minutes * MINUTE_MS));
}

/**
 * The instant after `minutes` working minutes from `start`. A start outside working time counts from
 * the next working period; an end exactly at the close of a period stays there (12:00, not 13:30).
 * With 0 minutes the result is `start` when it is working time, else the start of the next period.
 */
export function addWorkingTime(start: Date, minutes: number, cal: WorkingCalendar = DEFAULT_CALENDAR): Date {
	let t = instant(start, 'start');
	let remaining = checkMinutes(minutes);
	const c = compile(cal);
	let day = dayAt(c, t);
	let idle = 0;
	for (;;) {
		const p = day.periods;
		if (p.length) {
			idle = 0;
			if (t <= p[0] && remaining > day.total) {
				remaining -= day.total;
			} else {
				for (let i = 0; i < p.length; i += 2) {
					const end = p[i + 1];
					if (end <= t) continue;
					const from = t > p[i] ? t : p[i];
					if (from + remaining <= end) return new Date(from + remaining);
					remaining -= end - from;
				}
			}
		} else if (noWorkingTimeLeft(c, ++idle, day.day)) {
			throw new FieldError('Working Calendar', 'Working Calendar has no working time after ' + new Date(t).toISOString());
		}
		day = getDay(c, day.day + 1);
		t = day.start;
	}
}

/** Working minutes between two instants; negative when `b` is before `a`. */
export function workingMinutesBetween(a: Date, b: Date, cal: WorkingCalendar = DEFAULT_CALENDAR): number {
	const from = instant(a, 'a');
	const to = instant(b, 'b');
	if (to < from) return -workingMinutesBetween(b, a, cal);
	const c = compile(cal);
	let ms = 0;
	let day = dayAt(c, from);
	while (day.start < to) {
		const p = day.periods;
		if (p.length && p[0] >= from && p[p.length - 1] <= to) ms += day.total;
		else {
			for (let i = 0; i < p.length; i += 2) {
				const s = p[i] > from ? p[i] : from;
				const e = p[i + 1] < to ? p[i + 1] : to;
				if (e > s) ms += e - s;
			}
		}
		day = getDay(c, day.day + 1);
	}
	return ms / MINUTE_MS;
}

/** Whether an instant falls inside a working period of the calendar. */
export function isWorkingTime(t: Date, cal: WorkingCalendar = DEFAULT_CALENDAR): boolean {
	const ms = instant(t, 't');
	const p = dayAt(compile(cal), ms).periods;
	for (let i = 0; i < p.length; i += 2) if (p[i] <= ms && ms < p[i + 1]) return true;
	return false;
}

/** The local date ('YYYY-MM-DD') of an instant in the calendar's zone. */
export function localDate(t: Date, cal: WorkingCalendar = DEFAULT_CALENDAR): string {
	const day = dayAt(compile(cal), instant(t, 't')).day;
	return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The duration that applies to a risk level and category: the category's override, else the level's. */
export function slaFor(risk: RiskLevel, category: string | null | undefined, matrix: SlaMatrix = DEFAULT_SLA_MATRIX): SlaDuration {
	if (!(RISK_LEVELS as readonly string[]).includes(risk)) {
		throw new FieldError('Risk Level', `Risk Level must be one of ${RISK_LEVELS.join(', ')}; got ${describeValue(risk)}`);
	}
	const cats = matrix.categories;
	const perCategory = category && cats && Object.prototype.hasOwnProperty.call(cats, category) ? cats[category] : undefined;
	const override = perCategory && Object.prototype.hasOwnProperty.call(perCategory, risk) ? perCategory[risk] : undefined;
	return override ?? matrix[risk];
}

/** Adds an SLA duration to an instant: clock units on clock time, working units on the calendar. */
export function addDuration(start: Date, duration: SlaDuration, cal: WorkingCalendar = DEFAULT_CALENDAR): Date {
	switch (duration.unit) {
		case 'minutes':
			return addClockTime(start, duration.amount);
		case 'hours':
			return addClockTime(start, duration.amount * 60);
		case 'working_hours':
			return addWorkingTime(start, duration.amount * 60, cal);
		case 'working_days':
			return addWorkingTime(start, duration.amount * compile(cal).dailyMinutes, cal);
		default:
			throw new RangeError(`unknown SLA unit ${describeValue((duration as SlaDuration).unit)}`);
	}
}

/** The SLA due time of an incident created at `createdAt` with a risk level and (optional) category. */
export function dueTime(
	createdAt: Date,
	risk: RiskLevel,
	category: string | null | undefined,
	matrix: SlaMatrix = DEFAULT_SLA_MATRIX,
	cal: WorkingCalendar = DEFAULT_CALENDAR,
): Date {
	return addDuration(createdAt, slaFor(risk, category, matrix), cal);
}

// ---------------------------------------------------------------------------------------------------
// SLA matrix validation

const UNIT_ALIASES: Record<string, SlaUnit> = {
	minute: 'minutes', minutes: 'minutes', min: 'minutes', mins: 'minutes',
	hour: 'hours', hours: 'hours', h: 'hours',
	working_day: 'working_days', working_days: 'working_days', 'working day': 'working_days', 'working days': 'working_days',
	working_hour: 'working_hours', working_hours: 'working_hours', 'working hour': 'working_hours', 'working hours': 'working_hours',
};

/** The largest amount accepted per unit: one year's worth. */
const MAX_AMOUNT: Record<SlaUnit, number> = {
	minutes: 366 * 24 * 60,
	hours: 366 * 24,
	working_days: 366,
	working_hours: 366 * 24,
};

export interface CheckSlaMatrixOptions {
	/** Field name used in errors; default 'SLA Matrix'. */
	field?: string;
	/** Known category keys; when given, an override for any other category is an error. */
	categories?: readonly string[];
}

/**
 * Validates a user-supplied SLA matrix (an object or its JSON text). Shape:
 * `{ "critical": D, "high": D, "medium": D, "low": D, "categories": { "<category>": D | { "<level>": D } } }`
 * where D is `{ "amount": 4, "unit": "working_hours" }` or the text "4 working_hours". Omitted levels keep
 * the defaults; a category given one D uses it for every level. null, undefined or '' give the defaults.
 */
export function checkSlaMatrix(raw: unknown, options: CheckSlaMatrixOptions = {}): SlaMatrix {
	const field = options.field ?? 'SLA Matrix';
	const fail = (message: string): never => {
		throw new FieldError(field, `${field}: ${message}`);
	};
	let value = raw;
	if (typeof value === 'string') {
		if (!value.trim()) return DEFAULT_SLA_MATRIX;
		try {
			value = JSON.parse(value);
		} catch (e) {
			fail(`is not valid JSON (${(e as Error).message})`);
		}
	}
	if (value === undefined || value === null) return DEFAULT_SLA_MATRIX;
	if (typeof value !== 'object' || Array.isArray(value)) {
		return fail(`must be a JSON object with critical, high, medium, low and optionally categories; got ${describeValue(value)}`);
	}
	const obj = value as Record<string, unknown>;
	for (const key of Object.keys(obj)) {
		if (key !== 'categories' && !(RISK_LEVELS as readonly string[]).includes(key)) {
			fail(`unknown entry "${key}"; the entries are ${RISK_LEVELS.join(', ')} and categories`);
		}
	}

	const duration = (entry: unknown, at: string): SlaDuration => {
		let amount: unknown;
		let unit: unknown;
		if (typeof entry === 'string') {
			const m = /^\s*(\d+(?:\.\d+)?)\s*(.+?)\s*$/.exec(entry);
			if (!m) fail(`${at} ${describeValue(entry)} must look like "30 minutes" or "1 working_days"`);
			amount = Number((m as RegExpExecArray)[1]);
			unit = (m as RegExpExecArray)[2];
		} else if (entry && typeof entry === 'object' && !Array.isArray(entry)) {
			const e = entry as Record<string, unknown>;
			const extra = Object.keys(e).filter((k) => k !== 'amount' && k !== 'unit');
			if (extra.length) fail(`${at} has unknown key "${extra[0]}"; a duration has only amount and unit`);
			amount = e.amount;
			unit = e.unit;
		} else {
			fail(`${at} must be {"amount": 2, "unit": "hours"} or "2 hours"; got ${describeValue(entry)}`);
		}
		const u = typeof unit === 'string' ? UNIT_ALIASES[unit.trim().toLowerCase()] : undefined;
		if (!u) fail(`${at} unit ${describeValue(unit)} must be one of ${SLA_UNITS.join(', ')}`);
		if (typeof amount !== 'number' || !Number.isFinite(amount) || amount <= 0) {
			fail(`${at} amount ${describeValue(amount)} must be a number greater than 0`);
		}
		if ((amount as number) > MAX_AMOUNT[u as SlaUnit]) {
			fail(`${at} amount ${amount as number} ${u as string} is more than a year (at most ${MAX_AMOUNT[u as SlaUnit]})`);
		}
		return Object.freeze({ amount: amount as number, unit: u as SlaUnit });
	};

	const levels = {} as Record<RiskLevel, SlaDuration>;
	for (const level of RISK_LEVELS) {
		levels[level] = obj[level] === undefined ? DEFAULT_SLA_MATRIX[level] : duration(obj[level], level);
	}

	let categories: Record<string, Readonly<Partial<Record<RiskLevel, SlaDuration>>>> | undefined;
	if (obj.categories !== undefined) {
		const cats = obj.categories;
		if (!cats || typeof cats !== 'object' || Array.isArray(cats)) {
			fail(`categories must be an object keyed by category; got ${describeValue(cats)}`);
		}
		categories = Object.create(null) as Record<string, Readonly<Partial<Record<RiskLevel, SlaDuration>>>>;
		for (const [category, entry] of Object.entries(cats as Record<string, unknown>)) {
			const at = `categories.${category}`;
			if (!category.trim()) fail('categories has an empty category key');
			if (options.categories && !options.categories.includes(category)) {
				fail(`${at}: unknown category "${category}"; known categories are ${options.categories.join(', ')}`);
			}
			// An object without amount/unit is a per-level map; anything else is one duration for all levels.
			const isPerLevel =
				entry !== null && typeof entry === 'object' && !Array.isArray(entry) &&
				!Object.keys(entry).some((k) => k === 'amount' || k === 'unit');
			if (isPerLevel) {
				const perLevel: Partial<Record<RiskLevel, SlaDuration>> = Object.create(null);
				for (const [level, d] of Object.entries(entry as Record<string, unknown>)) {
					if (!(RISK_LEVELS as readonly string[]).includes(level)) {
						fail(`${at} has unknown risk level "${level}"; use ${RISK_LEVELS.join(', ')}`);
					}
					perLevel[level as RiskLevel] = duration(d, `${at}.${level}`);
				}
				categories[category] = Object.freeze(perLevel);
			} else {
				const d = duration(entry, at);
				categories[category] = Object.freeze({ critical: d, high: d, medium: d, low: d });
			}
		}
		Object.freeze(categories);
	}
	return Object.freeze({ ...levels, ...(categories ? { categories } : {}) });
}
