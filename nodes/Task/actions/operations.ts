import type { INodeProperties } from 'n8n-workflow';
import { operationSelector, optionsCollection, resourceSelector } from '../../shared/n8n/descriptions';
import type { HandlerTable } from '../../shared/n8n/router';
import * as campaign from './campaign/campaign.operation';
import * as shift from './shift/shift.operation';
import * as supply from './supply/supply.operation';
import * as create from './task/create.operation';
import * as expire from './task/expire.operation';
import * as lifecycle from './task/lifecycle.operation';
import * as query from './task/query.operation';
import { taskIdField } from './fields';

/**
 * The Task node's handlers by resource and operation. Further resources (campaigns, supply needs)
 * add an entry here, one to `resources`, and their operation selector and descriptions to `properties`.
 */
export const handlers: HandlerTable = {
	task: {
		create: create.handler,
		get: query.getHandler,
		list: query.listHandler,
		timeline: query.timelineHandler,
		assign: lifecycle.assignHandler,
		offer: lifecycle.offerHandler,
		accept: lifecycle.acceptHandler,
		decline: lifecycle.declineHandler,
		start: lifecycle.startHandler,
		complete: lifecycle.completeHandler,
		cancel: lifecycle.cancelHandler,
		expireOverdue: expire.expireOverdueHandler,
	},
	shift: {
		create: shift.createHandler,
		list: shift.listHandler,
	},
	[campaign.resource.value]: campaign.resource.handlers,
	[supply.resource.value]: supply.resource.handlers,
};

export const resources: Array<{ name: string; value: string; description?: string }> = [
	{ name: 'Task (任务)', value: 'task' },
	{ name: 'Checkpoint Shift (卡口班次)', value: 'shift', description: 'Shifts at a checkpoint, one task per slot' },
	{ name: campaign.resource.name, value: campaign.resource.value, description: campaign.resource.description },
	{ name: supply.resource.name, value: supply.resource.value, description: supply.resource.description },
];

const TASK_OPS = ['get', 'timeline', 'assign', 'offer', 'accept', 'decline', 'start', 'complete', 'cancel'];

export const properties: INodeProperties[] = [
	resourceSelector(resources, 'task'),
	operationSelector('task', [
		{ name: 'Accept', value: 'accept', description: 'A volunteer accepts a task offered or assigned to them (接单)', action: 'Accept a task' },
		{ name: 'Assign', value: 'assign', description: 'Give a task to a volunteer, a staff member or a team (派单)', action: 'Assign a task' },
		{ name: 'Cancel', value: 'cancel', description: 'Cancel a task that is not done, with a reason', action: 'Cancel a task' },
		{ name: 'Complete', value: 'complete', description: 'Finish a started task with its outcome', action: 'Complete a task' },
		{ name: 'Create', value: 'create', description: 'Create a task for a unit, resident or incident', action: 'Create a task' },
		{ name: 'Decline', value: 'decline', description: 'A volunteer declines a task; it goes back to open and is never offered to them again', action: 'Decline a task' },
		{ name: 'Expire Overdue', value: 'expireOverdue', description: 'Take back overdue tasks not started; escalate those that keep expiring', action: 'Expire overdue tasks' },
		{ name: 'Get', value: 'get', description: 'Get a task by ID', action: 'Get a task' },
		{ name: 'Get Many', value: 'list', description: 'List tasks by assignee, status, kind, subtree and window', action: 'Get many tasks' },
		{ name: 'Get Timeline', value: 'timeline', description: 'Every change to a task, in order', action: 'Get the timeline of a task' },
		{ name: 'Offer', value: 'offer', description: 'Offer a task to a volunteer, who may accept or decline (推送)', action: 'Offer a task' },
		{ name: 'Start', value: 'start', description: 'Mark an assigned or accepted task as being done', action: 'Start a task' },
	], 'create'),
	operationSelector('shift', [
		{ name: 'Create', value: 'create', description: 'Create a checkpoint shift and one open task per slot', action: 'Create a checkpoint shift' },
		{ name: 'Get Many', value: 'list', description: 'List shifts with their filled and open slots', action: 'Get many checkpoint shifts' },
	], 'create'),
	taskIdField(TASK_OPS),
	...create.description,
	...query.description,
	...lifecycle.description,
	...expire.description,
	...shift.description,
	optionsCollection('task', ['create', 'list', 'expireOverdue', ...TASK_OPS]),
	optionsCollection('shift', ['create', 'list']),
	...[campaign.resource, supply.resource].flatMap((r) => [operationSelector(r.value, r.operations, r.defaultOperation), ...r.properties]),
];
