import type { INodeProperties } from 'n8n-workflow';
import { type DispatchInput, dispatchTasks } from '../../../shared/domain/volunteer/dispatch';
import { TASK_KINDS, type TaskKind } from '../../../shared/domain/task/vocabulary';
import { unitLocator } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param, unitParam } from '../../../shared/n8n/params';
import { FieldError, describeValue } from '../../../shared/validation/errors';
import { integer, oneOf } from '../../../shared/validation/text';

const on = (extra: Record<string, string[]> = {}) => ({ show: { resource: ['dispatch'], operation: ['run'], ...extra } });
const TASK_KIND_OPTIONS = Object.entries(TASK_KINDS).map(([value, name]) => ({ name, value }));

export const description: INodeProperties[] = [
	{
		displayName: 'Tasks',
		name: 'select',
		type: 'options',
		options: [
			{ name: 'Open Tasks of a Subtree', value: 'subtree', description: 'Every open task in a unit\'s subtree, highest priority and earliest due first' },
			{ name: 'Given Task IDs', value: 'ids', description: 'Only these tasks (those not open are reported and left alone)' },
		],
		default: 'subtree',
		description: 'Which tasks to dispatch',
		displayOptions: on(),
	},
	{ ...unitLocator('within', 'Within Unit', 'Dispatch the open tasks of this unit\'s subtree to volunteers of the same subtree'), displayOptions: on({ select: ['subtree'] }) },
	{ displayName: 'Task Kinds', name: 'kinds', type: 'multiOptions', options: TASK_KIND_OPTIONS, default: [], description: 'Only tasks of these kinds; none chosen means all kinds', displayOptions: on({ select: ['subtree'] }) },
	{ displayName: 'Task IDs', name: 'taskIds', type: 'string', default: '', placeholder: 'e.g. 12, 13, 57', description: 'Comma-separated task IDs, or an expression giving a list', displayOptions: on({ select: ['ids'] }) },
	{ displayName: 'Max Tasks per Run', name: 'maxTasks', type: 'number', typeOptions: { minValue: 1 }, default: 1000, description: 'Most tasks this run takes; the rest wait for the next run', displayOptions: on() },
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		displayOptions: on(),
		options: [
			{ displayName: 'Acting Staff', name: 'actingStaff', type: 'string', default: '', description: 'Staff number or name recorded in the audit log as the person doing this' },
			{ displayName: 'Look for Volunteers Anywhere', name: 'volunteersAnywhere', type: 'boolean', default: false, description: 'Whether volunteers from outside the subtree (anywhere in the credential\'s scope) may take its tasks; nearer ones still score higher' },
		],
	},
];

function taskIds(value: unknown): number[] {
	const list = Array.isArray(value) ? value : typeof value === 'number' ? [value] : String(value ?? '').split(/[,，\s]+/).filter(Boolean);
	if (!list.length) throw new FieldError('Task IDs', 'give at least one task ID');
	return list.map((x) => {
		const id = integer(typeof x === 'string' ? x.trim() : x, 'Task IDs', { min: 1 });
		if (id === undefined) throw new FieldError('Task IDs', `Task IDs contains ${describeValue(x)}, which is not a task ID`);
		return id;
	});
}

export const runHandler: OperationHandler<DispatchInput, unknown> = {
	read(ctx, i, env) {
		const select = param<string>(ctx, 'select', i, 'Tasks', 'subtree');
		const opts = param<Record<string, unknown>>(ctx, 'options', i, 'Options', {});
		const limit = integer(param(ctx, 'maxTasks', i, 'Max Tasks per Run', 1000), 'Max Tasks per Run', { min: 1, max: 100_000 }) ?? 1000;
		if (select === 'ids') return { taskIds: taskIds(param(ctx, 'taskIds', i, 'Task IDs')), limit };
		const kinds = (param<string[]>(ctx, 'kinds', i, 'Task Kinds', []) ?? []).map((k) => oneOf(k, 'Task Kinds', Object.keys(TASK_KINDS))) as TaskKind[];
		return { within: unitParam(ctx, 'within', i, 'Within Unit', env.widths), kinds, limit, volunteersAnywhere: Boolean(opts.volunteersAnywhere) };
	},
	runEach: dispatchTasks,
};
