import { FieldError, describeValue } from '../../validation/errors';
import type { Level } from '../../validation/gridCode';
import { requiredText, text } from '../../validation/text';
import type { UnitRef } from '../grid/unitRecord';
import { HEALTH_STATUSES, type HealthStatus, TAGS, type Tag } from '../resident/vocabulary';
import { SKILLS } from '../volunteer/vocabulary';
import { TASK_KINDS, type TaskKind } from './vocabulary';

/** Whom a campaign makes tasks for: one task per matching resident, or per matching grid unit. */
export type CampaignTarget = 'resident' | 'unit';

/** Which residents of the campaign's subtree match. Every condition is optional; none = everybody. */
export interface ResidentCampaignFilter {
	statuses?: HealthStatus[];
	tags?: Tag[];
	/** With several tags: all of them (default) or any. */
	tagMatch?: 'all' | 'any';
	/** Only residents in quarantine whose quarantine ends within this many days. */
	quarantineEndsWithinDays?: number;
	/** Whether persons met but not registered in the registry count too (default true: they are there). */
	includeUnregistered?: boolean;
}

/**
 * When the tasks are due. "once": one task per target, due by dueAt. "timesOfDay": one task per
 * target at each listed local time (the credential's time zone) of every day from startAt until
 * endAt, or for residents until their quarantine ends.
 */
export type CampaignSchedule =
	| { mode: 'once'; dueAt: Date; startAt?: Date }
	| {
		mode: 'timesOfDay';
		/** Local times "HH:MM". */
		times: string[];
		startAt?: Date;
		endAt?: Date;
		/** Residents only: no occurrence at or after the resident's quarantine end. */
		untilQuarantineEnds?: boolean;
		/** Length of each occurrence's window; the task is due at its end. Default 120. */
		windowMinutes?: number;
	};

export interface CampaignTemplate {
	/** Placeholders: {name} (resident), {unit}, {code}, {date}, {time} (local). */
	title?: string;
	description?: string;
	requiredSkills?: string[];
	/** 1 low … 4 urgent; default 2. */
	priority?: number;
	/** Required for kind custom. */
	customKind?: string;
}

/** One run of a campaign: its definition (created or updated under its key) and how far to plan. */
export interface CampaignRun {
	key: string;
	/** Defaults to the key. */
	name?: string;
	kind: TaskKind;
	/** The subtree the campaign covers. */
	within: UnitRef;
	target: CampaignTarget;
	residentFilter?: ResidentCampaignFilter;
	/** Unit target: the level of the units that get a task (default 5, buildings). */
	unitLevel?: Level;
	schedule: CampaignSchedule;
	template?: CampaignTemplate;
	/** Times-of-day schedules: occurrences starting within this many hours from now (default 24). */
	horizonHours?: number;
	/** Times-of-day schedules: every occurrence up to the end instead of the horizon (bounded to 366 days). */
	upToEnd?: boolean;
	/** A run that would create more tasks than this is refused and writes nothing (default 50,000). */
	maxTasks?: number;
	/** The run's "now"; the database clock when not given. */
	asOf?: Date;
}

export const CAMPAIGN_KEY_MAX = 100;
export const DEFAULT_HORIZON_HOURS = 24;
export const MAX_HORIZON_HOURS = 24 * 31;
export const DEFAULT_MAX_TASKS = 50_000;
export const DEFAULT_WINDOW_MINUTES = 120;
/** An "up to the end" run plans at most this far ahead. */
export const MAX_PLAN_DAYS = 366;

const isDate = (d: unknown): d is Date => d instanceof Date && !Number.isNaN(d.getTime());

/** "8:00", "08:00", "16:30" → "HH:MM"; anything else is a FieldError. */
export function timeOfDay(value: unknown, field = 'Times of Day'): string {
	const m = typeof value === 'string' ? /^\s*([01]?\d|2[0-3]):([0-5]\d)\s*$/.exec(value) : null;
	if (!m) throw new FieldError(field, `${field} must be local times like 08:00 or 16:30, got ${describeValue(value)}`);
	return `${m[1].padStart(2, '0')}:${m[2]}`;
}

/** Checks what can be checked without the database; throws FieldError naming the field. */
export function checkCampaignRun(c: CampaignRun): void {
	requiredText(c.key, { field: 'Campaign Key', max: CAMPAIGN_KEY_MAX });
	text(c.name, { field: 'Name', max: 200 });
	if (!Object.prototype.hasOwnProperty.call(TASK_KINDS, c.kind)) {
		throw new FieldError('Task Kind', `Task Kind ${describeValue(c.kind)} is not a task kind; use one of ${Object.keys(TASK_KINDS).join(', ')}`);
	}
	const t = c.template ?? {};
	if (c.kind === 'custom') requiredText(t.customKind, { field: 'Custom Kind', max: 100 });
	else if (t.customKind) throw new FieldError('Custom Kind', `Custom Kind is only for task kind custom; this campaign is ${c.kind}`);
	text(t.title, { field: 'Title Pattern', max: 200 });
	text(t.description, { field: 'Description', max: 2000, multiline: true });
	for (const skill of t.requiredSkills ?? []) {
		if (!Object.prototype.hasOwnProperty.call(SKILLS, skill)) throw new FieldError('Required Skills', `Required Skills ${describeValue(skill)} is not a known skill`);
	}
	const p = t.priority ?? 2;
	if (!Number.isInteger(p) || p < 1 || p > 4) throw new FieldError('Priority', `Priority must be 1 (low) to 4 (urgent), got ${describeValue(t.priority)}`);
	if (c.target !== 'resident' && c.target !== 'unit') throw new FieldError('Target', `Target must be resident or unit, got ${describeValue(c.target)}`);
	if (c.target === 'unit') {
		if (c.residentFilter && Object.keys(c.residentFilter).length) throw new FieldError('Resident Filter', 'A resident filter applies to target resident only; this campaign targets units');
		const level = c.unitLevel ?? 5;
		if (![2, 3, 4, 5].includes(level)) throw new FieldError('Unit Level', `Unit Level must be 2 (street) to 5 (building), got ${describeValue(c.unitLevel)}`);
	} else {
		const f = c.residentFilter ?? {};
		for (const s of f.statuses ?? []) {
			if (!Object.prototype.hasOwnProperty.call(HEALTH_STATUSES, s)) throw new FieldError('Health Statuses', `Health Statuses ${describeValue(s)} is not a health status`);
		}
		for (const tag of f.tags ?? []) {
			if (!Object.prototype.hasOwnProperty.call(TAGS, tag)) throw new FieldError('Tags', `Tags ${describeValue(tag)} is not a known tag`);
		}
		if (f.tagMatch !== undefined && f.tagMatch !== 'all' && f.tagMatch !== 'any') throw new FieldError('Tag Match', `Tag Match must be all or any, got ${describeValue(f.tagMatch)}`);
		const q = f.quarantineEndsWithinDays;
		if (q !== undefined && (!Number.isInteger(q) || q < 0 || q > 366)) {
			throw new FieldError('Quarantine Ends Within (Days)', `Quarantine Ends Within (Days) must be a whole number from 0 to 366, got ${describeValue(q)}`);
		}
	}
	const s = c.schedule;
	if (!s || (s.mode !== 'once' && s.mode !== 'timesOfDay')) throw new FieldError('Schedule', `Schedule must be once or timesOfDay, got ${describeValue((s as { mode?: unknown } | undefined)?.mode)}`);
	if (s.startAt !== undefined && !isDate(s.startAt)) throw new FieldError('Start At', 'Start At is not a valid date');
	if (s.mode === 'once') {
		if (!isDate(s.dueAt)) throw new FieldError('Due At', 'Due At is required for a one-time campaign');
		if (s.startAt && s.startAt >= s.dueAt) throw new FieldError('Due At', `Due At ${s.dueAt.toISOString()} must be after Start At ${s.startAt.toISOString()}`);
	} else {
		if (!Array.isArray(s.times) || !s.times.length) throw new FieldError('Times of Day', 'Times of Day needs at least one local time such as 08:00');
		if (s.times.length > 24) throw new FieldError('Times of Day', `Times of Day lists ${s.times.length} times; at most 24 are allowed`);
		const seen = new Set<string>();
		for (const raw of s.times) {
			const hm = timeOfDay(raw);
			if (seen.has(hm)) throw new FieldError('Times of Day', `Times of Day lists ${hm} twice`);
			seen.add(hm);
		}
		if (s.endAt !== undefined && !isDate(s.endAt)) throw new FieldError('End At', 'End At is not a valid date');
		if (s.startAt && s.endAt && s.endAt <= s.startAt) throw new FieldError('End At', `End At ${s.endAt.toISOString()} must be after Start At ${s.startAt.toISOString()}`);
		if (s.untilQuarantineEnds && c.target !== 'resident') throw new FieldError('Until Quarantine Ends', 'Until Quarantine Ends applies to resident campaigns only');
		const w = s.windowMinutes ?? DEFAULT_WINDOW_MINUTES;
		if (!Number.isInteger(w) || w < 1 || w > 1440) throw new FieldError('Window (Minutes)', `Window (Minutes) must be a whole number from 1 to 1440, got ${describeValue(s.windowMinutes)}`);
		if (c.upToEnd && !s.endAt && !s.untilQuarantineEnds) {
			throw new FieldError('Create Up to the End', 'Create Up to the End needs an End At, or Until Quarantine Ends for residents; otherwise the schedule has no end');
		}
	}
	const h = c.horizonHours ?? DEFAULT_HORIZON_HOURS;
	if (!Number.isInteger(h) || h < 1 || h > MAX_HORIZON_HOURS) throw new FieldError('Horizon (Hours)', `Horizon (Hours) must be a whole number from 1 to ${MAX_HORIZON_HOURS}, got ${describeValue(c.horizonHours)}`);
	const cap = c.maxTasks ?? DEFAULT_MAX_TASKS;
	if (!Number.isInteger(cap) || cap < 1 || cap > 1_000_000) throw new FieldError('Max Tasks per Run', `Max Tasks per Run must be a whole number from 1 to 1,000,000, got ${describeValue(c.maxTasks)}`);
	if (c.asOf !== undefined && !isDate(c.asOf)) throw new FieldError('As Of', 'As Of is not a valid date');
}
