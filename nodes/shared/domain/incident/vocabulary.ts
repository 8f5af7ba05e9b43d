/**
 * Incident sources, statuses and the moves between them, following the 12345-hotline cycle:
 * receive → dispatch → handle → reply → supervise → close → callback → evaluate.
 */
export const INCIDENT_SOURCES = {
	resident: 'Resident (居民上报)',
	staff: 'Staff (网格员上报)',
	hotline: 'Hotline 12345 (12345热线)',
	upstream: 'Upper level (上级交办)',
	open311: 'Open311 (GeoReport v2)',
} as const;
export type IncidentSource = keyof typeof INCIDENT_SOURCES;

export const INCIDENT_STATUSES = {
	new: 'New (新建)',
	triaged: 'Triaged (已研判)',
	assigned: 'Assigned (已派单)',
	in_progress: 'In progress (办理中)',
	resolved: 'Resolved (已办结)',
	closed: 'Closed (已关闭)',
	rejected: 'Rejected (不予受理)',
	duplicate: 'Duplicate (重复件)',
} as const;
export type IncidentStatus = keyof typeof INCIDENT_STATUSES;

/** Statuses in which the case is still being worked and its SLA clock runs. */
export const OPEN_STATUSES: readonly IncidentStatus[] = ['new', 'triaged', 'assigned', 'in_progress'];

/**
 * Allowed status moves for "update status". Reopen (closed/resolved → in progress) is its own
 * operation so that it is counted; closing goes through "close" so that the callback is recorded.
 */
export const STATUS_MOVES: Readonly<Record<IncidentStatus, readonly IncidentStatus[]>> = {
	new: ['triaged', 'assigned', 'in_progress', 'rejected'],
	triaged: ['assigned', 'in_progress', 'rejected'],
	assigned: ['in_progress', 'resolved', 'rejected'],
	in_progress: ['resolved', 'assigned'],
	resolved: ['closed', 'in_progress'],
	closed: [],
	rejected: [],
	duplicate: [],
};

/** Event kinds written to the timeline; the Grid Trigger filters on them. */
export const EVENT_KINDS = {
	created: 'Created (受理)',
	repeated_report: 'Repeated report (重复上报)',
	triaged: 'Triaged (研判)',
	assigned: 'Assigned (派单)',
	status_changed: 'Status changed (状态变更)',
	commented: 'Comment (备注)',
	escalated: 'Escalated (上报升级)',
	supervision: 'Put under supervision (提级督办)',
	reopened: 'Reopened (重新办理)',
	closed: 'Closed with callback (回访关闭)',
	sla_breached: 'SLA breached (超时)',
} as const;
export type EventKind = keyof typeof EVENT_KINDS;

/** Reopens or transfers at which a case is put under supervision (提级督办). */
export const SUPERVISION_THRESHOLD = 3;
