import { FieldError, describeValue } from '../../validation/errors';

export const PERIOD_TYPES = ['day', 'week', 'month', 'quarter', 'custom'] as const;
export type PeriodType = (typeof PERIOD_TYPES)[number];

/**
 * A reporting period in a time zone. `start` and `end` are the UTC instants of local midnight at its
 * first day and after its last day (half-open), so a month in Asia/Shanghai starts at 16:00 UTC.
 */
export interface Period {
	type: PeriodType;
	/** DHIS2 period id: 20261126, 2026W48, 202611, 2026Q4; a custom range is 20261101-20261115. */
	id: string;
	/** First and last local day, inclusive: 2026-11-01 and 2026-11-30. */
	startDate: string;
	endDate: string;
	/** Half-open instants, ISO 8601 UTC. */
	start: string;
	end: string;
	timezone: string;
}

export interface PeriodInput {
	type: PeriodType;
	/** Any local day inside the period (day, week, month, quarter), as YYYY-MM-DD; default today. */
	date?: string;
	/** For custom ranges: first and last local day, inclusive. */
	startDate?: string;
	endDate?: string;
}

const DAY_MS = 86_400_000;
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Day number since 1970-01-01 of a valid YYYY-MM-DD, or undefined. */
function dayOf(text: string): number | undefined {
	const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
	if (!m) return undefined;
	const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
	// no figures predate 1900 (the floor ID numbers have too), and Date.UTC would read years 0–99 as 1900–1999
	if (y < 1900) return undefined;
	const t = Date.UTC(y, mo - 1, d);
	const back = new Date(t);
	if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
	return t / DAY_MS;
}

const dateOf = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** Minutes the zone is ahead of UTC at an instant. */
function offsetMinutes(instant: number, timezone: string): number {
	const parts = new Intl.DateTimeFormat('en-US', {
		timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
	}).formatToParts(new Date(instant));
	const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
	const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
	return Math.round((asUtc - Math.floor(instant / 1000) * 1000) / 60_000);
}

/** The UTC instant of local midnight at the start of a day in a zone. */
export function localMidnight(day: number, timezone: string): Date {
	const guess = day * DAY_MS;
	// two rounds settle a guess that straddles an offset change
	let t = guess - offsetMinutes(guess, timezone) * 60_000;
	t = guess - offsetMinutes(t, timezone) * 60_000;
	return new Date(t);
}

/** A YYYY-MM-DD date moved by a number of days. */
export function shiftDate(date: string, days: number): string {
	return dateOf(dayOf(date)! + days);
}

/** Today's local date in a zone, YYYY-MM-DD. */
export function localToday(timezone: string, now: Date = new Date()): string {
	return dateOf(Math.floor((now.getTime() + offsetMinutes(now.getTime(), timezone) * 60_000) / DAY_MS));
}

/** ISO week-year and week of a day number. */
function isoWeek(day: number): { year: number; week: number; monday: number } {
	const weekday = ((new Date(day * DAY_MS).getUTCDay() + 6) % 7) + 1;
	const thursday = day + 4 - weekday;
	const year = new Date(thursday * DAY_MS).getUTCFullYear();
	const jan1 = Date.UTC(year, 0, 1) / DAY_MS;
	return { year, week: Math.floor((thursday - jan1) / 7) + 1, monday: day - weekday + 1 };
}

function build(type: PeriodType, id: string, first: number, last: number, timezone: string): Period {
	return {
		type, id, startDate: dateOf(first), endDate: dateOf(last),
		start: localMidnight(first, timezone).toISOString(), end: localMidnight(last + 1, timezone).toISOString(), timezone,
	};
}

function checkedDay(value: string | undefined, field: string, timezone: string): number {
	const text = (value ?? '').trim() || localToday(timezone);
	// a dateTime parameter brings a time of day, which is ignored; anything else after the date is not
	const rest = /^[T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;
	const day = text.length === 10 || rest.test(text.slice(10)) ? dayOf(text.slice(0, 10)) : undefined;
	if (day === undefined) throw new FieldError(field, `${field} must be a date like 2026-11-26 (got ${describeValue(value)})`);
	return day;
}

/** The period of a type that holds a day. */
function periodHolding(type: Exclude<PeriodType, 'custom'>, day: number, timezone: string): Period {
	const d = new Date(day * DAY_MS);
	const y = d.getUTCFullYear();
	const m = d.getUTCMonth();
	if (type === 'day') return build('day', dateOf(day).replace(/-/g, ''), day, day, timezone);
	if (type === 'week') {
		const w = isoWeek(day);
		return build('week', `${w.year}W${w.week}`, w.monday, w.monday + 6, timezone);
	}
	if (type === 'month') return build('month', `${y}${pad(m + 1)}`, Date.UTC(y, m, 1) / DAY_MS, Date.UTC(y, m + 1, 0) / DAY_MS, timezone);
	const q = Math.floor(m / 3);
	return build('quarter', `${y}Q${q + 1}`, Date.UTC(y, q * 3, 1) / DAY_MS, Date.UTC(y, q * 3 + 3, 0) / DAY_MS, timezone);
}

/** Checks a period from node parameters. Throws FieldError naming the field. */
export function periodOf(input: PeriodInput, timezone: string): Period {
	if (!PERIOD_TYPES.includes(input.type)) {
		throw new FieldError('Period', `Period must be one of ${PERIOD_TYPES.join(', ')} (got ${describeValue(input.type)})`);
	}
	if (input.type !== 'custom') return periodHolding(input.type, checkedDay(input.date, 'Date in Period', timezone), timezone);
	if (!input.startDate?.trim()) throw new FieldError('Period Start', 'a custom period needs its first day, like 2026-11-01');
	if (!input.endDate?.trim()) throw new FieldError('Period End', 'a custom period needs its last day, like 2026-11-30');
	const first = checkedDay(input.startDate, 'Period Start', timezone);
	const last = checkedDay(input.endDate, 'Period End', timezone);
	if (last < first) {
		throw new FieldError('Period End', `the period ends on ${dateOf(last)}, before it starts on ${dateOf(first)}: give an end on or after the start`);
	}
	if (last - first > 366 * 5) throw new FieldError('Period End', `a custom period may span at most five years (got ${last - first + 1} days)`);
	return build('custom', `${dateOf(first).replace(/-/g, '')}-${dateOf(last).replace(/-/g, '')}`, first, last, timezone);
}

/**
 * Reads a DHIS2 period id (20261126, 2026W48, 202611, 2026Q4) or a custom 20261101-20261115.
 * Throws FieldError naming the field when the id is not one of these or names no real period.
 */
export function parsePeriodId(id: string, timezone: string, field = 'Period'): Period {
	// only text or a number can be a period id; String() of an arbitrary object may itself throw
	const raw: unknown = id;
	const text = typeof raw === 'string' ? raw.trim() : typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : '';
	const bad = (why: string): never => {
		throw new FieldError(field, `${field} ${describeValue(id)} ${why}; use 20261126 (day), 2026W48 (ISO week), 202611 (month), 2026Q4 (quarter) or 20261101-20261115 (range)`);
	};
	const ymd = (s: string) => `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`;
	let m: RegExpExecArray | null;
	if ((m = /^(\d{8})-(\d{8})$/.exec(text))) {
		try {
			return periodOf({ type: 'custom', startDate: ymd(m[1]), endDate: ymd(m[2]) }, timezone);
		} catch (e) {
			// the range came in one field, so the error must name it rather than Period Start or End
			if (e instanceof FieldError) return bad(`is not a valid range (${e.message})`);
			throw e;
		}
	}
	if (/^\d{8}$/.test(text)) {
		const day = dayOf(ymd(text));
		if (day === undefined) return bad('is not a real day');
		return periodHolding('day', day!, timezone);
	}
	if ((m = /^(\d{4})W(\d{1,2})$/.exec(text))) {
		const [year, week] = [Number(m[1]), Number(m[2])];
		// ISO week 1 holds 4 January
		const jan4 = Date.UTC(year, 0, 4) / DAY_MS;
		const day = isoWeek(jan4).monday + (week - 1) * 7;
		if (week < 1 || isoWeek(day).year !== year) return bad(`has no week ${week} in ${year}`);
		return periodHolding('week', day, timezone);
	}
	if ((m = /^(\d{4})(\d{2})$/.exec(text))) {
		const month = Number(m[2]);
		if (month < 1 || month > 12) return bad('has no such month');
		return periodHolding('month', Date.UTC(Number(m[1]), month - 1, 1) / DAY_MS, timezone);
	}
	if ((m = /^(\d{4})Q([1-4])$/.exec(text))) return periodHolding('quarter', Date.UTC(Number(m[1]), (Number(m[2]) - 1) * 3, 1) / DAY_MS, timezone);
	return bad('is not a period');
}

/** The periods of a type that cover a range, in order (a month's days, a quarter's months…). */
export function periodsWithin(outer: Period, type: Exclude<PeriodType, 'custom'>): Period[] {
	const out: Period[] = [];
	let day = dayOf(outer.startDate)!;
	const last = dayOf(outer.endDate)!;
	while (day <= last) {
		const p = periodHolding(type, day, outer.timezone);
		out.push(p);
		day = dayOf(p.endDate)! + 1;
	}
	return out;
}
