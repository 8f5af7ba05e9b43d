import type { INodeProperties } from 'n8n-workflow';
import { type TaskQuery, getTasks, listTasks, taskTimeline } from '../../../shared/domain/task/tasks';
import { TASK_KINDS, TASK_STATUSES, type TaskKind, type TaskStatus } from '../../../shared/domain/task/vocabulary';
import { returnAllAndLimit } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param } from '../../../shared/n8n/params';
import { gridCode } from '../../../shared/validation/gridCode';
import { oneOf } from '../../../shared/validation/text';
import { KIND_OPTIONS, STATUS_OPTIONS, on, optionalDate, positiveId, readTaskId, volunteerRef } from '../fields';

export const description: INodeProperties[] = [
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add filter',
		default: {},
		displayOptions: on('task', ['list']),
		options: [
			{ displayName: 'Assignee Staff Number', name: 'assigneeStaffNo', type: 'string', default: '', description: 'Only tasks assigned to this staff member' },
			{ displayName: 'Assignee Team ID', name: 'assigneeTeamId', type: 'number', default: 0, description: 'Only tasks assigned to this team' },
			{ displayName: 'Assignee Volunteer', name: 'assigneeVolunteer', type: 'string', default: '', placeholder: 'e.g. 17 or V-0017', description: 'Only tasks assigned to (or accepted by) this volunteer, by ID or volunteer number' },
			{ displayName: 'Kinds', name: 'kinds', type: 'multiOptions', options: KIND_OPTIONS, default: [], description: 'Only tasks of these kinds' },
			{ displayName: 'Overdue Only', name: 'overdueOnly', type: 'boolean', default: false, description: 'Whether to return only unfinished tasks past their due time' },
			{ displayName: 'Shift ID', name: 'shiftId', type: 'number', default: 0, description: 'Only the slot tasks of this checkpoint shift' },
			{ displayName: 'Statuses', name: 'statuses', type: 'multiOptions', options: STATUS_OPTIONS, default: [], description: 'Only tasks in these statuses' },
			{ displayName: 'Window From', name: 'windowFrom', type: 'dateTime', default: '', description: 'Only tasks whose window (or due time) reaches past this time' },
			{ displayName: 'Window To', name: 'windowTo', type: 'dateTime', default: '', description: 'Only tasks whose window (or due time) starts before this time' },
			{ displayName: 'Within Unit Code', name: 'within', type: 'string', default: '', placeholder: 'e.g. 370614-001-002', description: 'Only tasks of this unit or below' },
		],
	},
	{ displayName: 'Offset', name: 'offset', type: 'number', typeOptions: { minValue: 0 }, default: 0, description: 'Skip this many matches (newest first), to page through results', displayOptions: on('task', ['list']) },
	...returnAllAndLimit('task', 'list'),
];

export const getHandler: OperationHandler<number, unknown> = {
	read: (ctx, i) => readTaskId(ctx, i).id,
	runBatch: getTasks,
};

export const timelineHandler: OperationHandler<{ id: number }, unknown> = {
	read: (ctx, i) => readTaskId(ctx, i),
	runEach: taskTimeline,
};

export const listHandler: OperationHandler<TaskQuery, unknown> = {
	read(ctx, i, env) {
		const f = param<Record<string, unknown>>(ctx, 'filters', i, 'Filters', {});
		const returnAll = param<boolean>(ctx, 'returnAll', i, 'Return All', false);
		const statuses = (f.statuses as string[] | undefined) ?? [];
		const kinds = (f.kinds as string[] | undefined) ?? [];
		const windowFrom = optionalDate(f.windowFrom, 'Window From');
		const windowTo = optionalDate(f.windowTo, 'Window To');
		const teamId = positiveId(f.assigneeTeamId, 'Assignee Team ID');
		const shiftId = positiveId(f.shiftId, 'Shift ID');
		return {
			...(f.within ? { within: { code: gridCode(f.within, 'Within Unit Code', env.widths).code } } : {}),
			...(statuses.length ? { statuses: statuses.map((s) => oneOf(s, 'Statuses', Object.keys(TASK_STATUSES) as TaskStatus[])) } : {}),
			...(kinds.length ? { kinds: kinds.map((k) => oneOf(k, 'Kinds', Object.keys(TASK_KINDS) as TaskKind[])) } : {}),
			...(f.assigneeVolunteer ? { assigneeVolunteer: volunteerRef(f.assigneeVolunteer, 'Assignee Volunteer') } : {}),
			...(f.assigneeStaffNo ? { assigneeStaff: { staffNo: String(f.assigneeStaffNo).trim() } } : {}),
			...(teamId ? { assigneeTeamId: teamId } : {}),
			...(shiftId ? { shiftId } : {}),
			...(windowFrom ? { windowFrom } : {}),
			...(windowTo ? { windowTo } : {}),
			...(f.overdueOnly ? { overdueOnly: true } : {}),
			offset: Number(param(ctx, 'offset', i, 'Offset', 0)) || 0,
			returnAll,
			...(returnAll ? {} : { limit: param<number>(ctx, 'limit', i, 'Limit', 50) }),
		};
	},
	runEach: listTasks,
};
