import { FieldError, describeValue } from '../../validation/errors';

/** One weekly window in the credential's local time: ISO weekday 1 (Monday) to 7, minutes from midnight. */
export interface WeeklyWindow {
	day: number;
	start: string;
	end: string;
}

/** A stretch of one local day that a task occupies, in minutes from midnight. */
export interface DaySegment {
	day: number;
	from: number;
	to: number;
}

const DAYS: Record<string, number> = {
	mon: 1, monday: 1, tue: 2, tues: 2, tuesday: 2, wed: 3, wednesday: 3, thu: 4, thur: 4, thurs: 4, thursday: 4,
	fri: 5, friday: 5, sat: 6, saturday: 6, sun: 7, sunday: 7,
	周一: 1, 周二: 2, 周三: 3, 周四: 4, 周五: 5, 周六: 6, 周日: 7, 周天: 7,
};
export const DAY_NAMES = ['', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** "08:00" → 480; "24:00" is the end of the day. Anything else is an error naming the field. */
export function minutesOf(value: string, field: string): number {
	const m = /^(\d{1,2}):(\d{2})$/.exec(value.trim());
	const h = m ? Number(m[1]) : NaN;
	const min = m ? Number(m[2]) : NaN;
	if (!m || h > 24 || min > 59 || (h === 24 && min !== 0)) {
		throw new FieldError(field, `${field} has the time ${describeValue(value)}, which is not a time of day between 00:00 and 24:00`);
	}
	return h * 60 + min;
}

function dayOf(value: unknown, field: string): number {
	if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 7) return value;
	const key = String(value ?? '').trim().toLowerCase();
	if (/^[1-7]$/.test(key)) return Number(key);
	const day = DAYS[key];
	if (!day) throw new FieldError(field, `${field} has the day ${describeValue(value)}; use mon–sun or 1–7 (Monday = 1)`);
	return day;
}

function checked(day: number, start: string, end: string, field: string): WeeklyWindow {
	const s = minutesOf(start, field);
	const e = minutesOf(end, field);
	if (e <= s) throw new FieldError(field, `${field} has a window ${DAY_NAMES[day]} ${start}-${end} that ends before it starts`);
	const fmt = (x: number) => `${String(Math.floor(x / 60)).padStart(2, '0')}:${String(x % 60).padStart(2, '0')}`;
	return { day, start: fmt(s), end: fmt(e) };
}

/**
 * Weekly availability from text ("mon 08:00-12:00, sat 09:00-17:00"; "mon-fri 18:00-21:00" for a
 * range of days) or JSON ([{ "day": "mon", "start": "08:00", "end": "12:00" }]). Empty means no
 * restriction: the volunteer can take a task at any time.
 */
export function parseAvailability(value: unknown, field = 'Availability'): WeeklyWindow[] {
	if (value === undefined || value === null || value === '') return [];
	let list: unknown = value;
	if (typeof value === 'string' && /^\s*\[/.test(value)) {
		try {
			list = JSON.parse(value);
		} catch {
			throw new FieldError(field, `${field} starts like JSON but is not valid JSON`);
		}
	}
	const out: WeeklyWindow[] = [];
	if (Array.isArray(list)) {
		for (const w of list) {
			if (typeof w === 'string') {
				out.push(...parseAvailability(w, field));
				continue;
			}
			if (!w || typeof w !== 'object') throw new FieldError(field, `${field} entries must be objects with day, start and end, got ${describeValue(w)}`);
			const { day, start, end } = w as Record<string, unknown>;
			if (typeof start !== 'string' || typeof end !== 'string') throw new FieldError(field, `${field} entries need start and end times such as "08:00", got ${describeValue(w)}`);
			out.push(checked(dayOf(day, field), start, end, field));
		}
	} else if (typeof list === 'string') {
		for (const part of list.split(/[,，;；\n]/).map((p) => p.trim()).filter(Boolean)) {
			const m = /^(\S+?)(?:\s*-\s*([a-zA-Z]+|[1-7]|周.))?\s+(\d{1,2}:\d{2})\s*[-–~至]\s*(\d{1,2}:\d{2})$/.exec(part);
			if (!m) throw new FieldError(field, `${field} has ${describeValue(part)}; write windows like "mon 08:00-12:00, sat 09:00-17:00"`);
			const first = dayOf(m[1], field);
			const last = m[2] ? dayOf(m[2], field) : first;
			if (last < first) throw new FieldError(field, `${field} has the day range ${m[1]}-${m[2]}, which runs backwards`);
			for (let d = first; d <= last; d++) out.push(checked(d, m[3], m[4], field));
		}
	} else {
		throw new FieldError(field, `${field} must be text like "mon 08:00-12:00" or a JSON list, got ${describeValue(value)}`);
	}
	return out.sort((a, b) => a.day - b.day || a.start.localeCompare(b.start));
}

export function formatAvailability(windows: WeeklyWindow[]): string {
	return windows.map((w) => `${DAY_NAMES[w.day]} ${w.start}-${w.end}`).join(', ');
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAY: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/** Local weekday, date and minute of an instant in a time zone. */
function local(at: Date, timezone: string): { day: number; date: string; minute: number } {
	let f = formatters.get(timezone);
	if (!f) {
		f = new Intl.DateTimeFormat('en-US', { timeZone: timezone, weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
		formatters.set(timezone, f);
	}
	const p: Record<string, string> = {};
	for (const { type, value } of f.formatToParts(at)) p[type] = value;
	return { day: WEEKDAY[p.weekday], date: `${p.year}-${p.month}-${p.day}`, minute: Number(p.hour) * 60 + Number(p.minute) };
}

/**
 * The local-day stretches a task window occupies (at most 8; a window over a week needs every day).
 * A window ending exactly at midnight ends at 24:00 of the day before.
 */
export function taskSegments(start: Date, end: Date, timezone: string): DaySegment[] {
	const out: DaySegment[] = [];
	let at = start;
	const stop = end.getTime();
	for (let k = 0; k < 8 && at.getTime() < stop; k++) {
		const s = local(at, timezone);
		// the next local midnight, found by stepping the remaining minutes of the day
		const nextMidnight = new Date(at.getTime() + (1440 - s.minute) * 60_000 - (at.getTime() % 60_000));
		if (nextMidnight.getTime() >= stop) {
			const e = local(end, timezone);
			out.push({ day: s.day, from: s.minute, to: e.date === s.date ? e.minute : 1440 });
			break;
		}
		out.push({ day: s.day, from: s.minute, to: 1440 });
		at = nextMidnight;
	}
	return out;
}

/** Windows as minute ranges per day, for quick checks. */
export type CompiledWindows = Array<Array<[number, number]>> | null;

export function compileWindows(windows: WeeklyWindow[]): CompiledWindows {
	if (!windows.length) return null;
	const byDay: Array<Array<[number, number]>> = [[], [], [], [], [], [], [], []];
	for (const w of windows) byDay[w.day].push([minutesOf(w.start, 'Availability'), minutesOf(w.end, 'Availability')]);
	// touching windows merge: "08:00-12:00, 12:00-14:00" covers 09:00-13:00
	return byDay.map((ranges) => {
		const sorted = ranges.sort((a, b) => a[0] - b[0]);
		const merged: Array<[number, number]> = [];
		for (const r of sorted) {
			const last = merged[merged.length - 1];
			if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
			else merged.push([r[0], r[1]]);
		}
		return merged;
	});
}

/** Whether weekly windows cover every segment of a task; no windows = always available. */
export function covers(windows: CompiledWindows, segments: DaySegment[]): boolean {
	if (!windows) return true;
	return segments.every((s) => windows[s.day].some(([a, b]) => a <= s.from && b >= s.to));
}

export function describeSegments(segments: DaySegment[]): string {
	const fmt = (x: number) => `${String(Math.floor(x / 60)).padStart(2, '0')}:${String(x % 60).padStart(2, '0')}`;
	return segments.map((s) => `${DAY_NAMES[s.day]} ${fmt(s.from)}-${fmt(s.to)}`).join(', ');
}
