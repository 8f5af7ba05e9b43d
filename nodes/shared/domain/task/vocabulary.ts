/** Task kinds, statuses and priorities shared by the Task and Volunteer nodes and the Grid Trigger. */
export const TASK_KINDS = {
	door_survey: 'Door-to-door survey (入户摸排)',
	checkpoint_shift: 'Checkpoint shift (卡口值守)',
	temperature_check: 'Temperature check (体温检测)',
	registration: 'Information registration (信息登记)',
	errand: 'Errand (生活代办)',
	supply_delivery: 'Supply delivery (物资配送)',
	disinfection: 'Disinfection (消杀)',
	quarantine_followup: 'Quarantine follow-up (隔离随访)',
	verification: 'Verification (核查)',
	locate_person: 'Locate person (人员查找)',
	custom: 'Custom (自定义)',
} as const;
export type TaskKind = keyof typeof TASK_KINDS;

export const TASK_STATUSES = {
	open: 'Open (待派)',
	offered: 'Offered (已推送)',
	assigned: 'Assigned (已派)',
	accepted: 'Accepted (已接单)',
	in_progress: 'In progress (执行中)',
	done: 'Done (已完成)',
	cancelled: 'Cancelled (已取消)',
} as const;
export type TaskStatus = keyof typeof TASK_STATUSES;

/** Statuses in which a task still holds a place in its assignee's load. */
export const LOADED_STATUSES: readonly TaskStatus[] = ['assigned', 'accepted', 'in_progress'];
export const OPEN_TASK_STATUSES: readonly TaskStatus[] = ['open', 'offered', 'assigned', 'accepted', 'in_progress'];

export const PRIORITIES = { 1: 'Low (低)', 2: 'Normal (普通)', 3: 'High (高)', 4: 'Urgent (紧急)' } as const;

export const TASK_EVENT_KINDS = {
	created: 'Created (创建)',
	offered: 'Offered (推送)',
	assigned: 'Assigned (派单)',
	accepted: 'Accepted (接单)',
	declined: 'Declined (拒单)',
	started: 'Started (开始)',
	completed: 'Completed (完成)',
	cancelled: 'Cancelled (取消)',
	expired: 'Overdue, back to open (超时退回)',
	escalated: 'Escalated as an incident (转事件)',
} as const;
export type TaskEventKind = keyof typeof TASK_EVENT_KINDS;

/** What a verification or locate-person task found. */
export const FIND_RESULTS = {
	found: 'Found (已找到)',
	not_found: 'Not found (未找到)',
	moved_away: 'Moved away (已迁出)',
} as const;
export type FindResult = keyof typeof FIND_RESULTS;

/** Kinds whose completion records a find result. */
export const FIND_KINDS: readonly TaskKind[] = ['verification', 'locate_person'];

/**
 * The incident category a task escalates under when it has expired too often: a missed delivery is
 * a supply need, a missed temperature check or follow-up an epidemic matter, the rest "other".
 */
export const ESCALATION_CATEGORY: Readonly<Record<TaskKind, string>> = {
	door_survey: 'public_opinion_other',
	checkpoint_shift: 'safety_hazard',
	temperature_check: 'fever_symptoms',
	registration: 'public_opinion_other',
	errand: 'supply_need',
	supply_delivery: 'supply_need',
	disinfection: 'sanitation',
	quarantine_followup: 'quarantine_breach',
	verification: 'arrival_from_risk_area',
	locate_person: 'arrival_from_risk_area',
	custom: 'public_opinion_other',
};

/** Expired tasks escalate as an incident on this attempt unless told otherwise. */
export const DEFAULT_MAX_ATTEMPTS = 3;
