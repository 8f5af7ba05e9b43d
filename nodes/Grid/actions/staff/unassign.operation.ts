import type { INodeProperties } from 'n8n-workflow';
import { type UnassignTarget, unassign } from '../../../shared/domain/grid/assignments';
import { showFor, staffLocator, unitLocator } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param, staffParam, unitParam } from '../../../shared/n8n/params';
import { integer, timestamp } from '../../../shared/validation/text';
import { FieldError } from '../../../shared/validation/errors';
import { readRole, roleProperty } from './fields';

const show = showFor('staff', 'unassign');
const byPost = { show: { resource: ['staff'], operation: ['unassign'], unassignBy: ['post'] } };

export const description: INodeProperties[] = [
	{
		displayName: 'Find Post By',
		name: 'unassignBy',
		type: 'options',
		options: [
			{ name: 'Staff, Unit and Role', value: 'post', description: 'End the current post of this staff member in this role at this unit' },
			{ name: 'Assignment ID', value: 'id', description: 'End one assignment by its ID' },
		],
		default: 'post',
		description: 'How to find the post to end',
		displayOptions: show,
	},
	{
		displayName: 'Assignment ID',
		name: 'assignmentId',
		type: 'number',
		default: 0,
		description: 'ID of the assignment to end, as returned by Assign',
		displayOptions: { show: { resource: ['staff'], operation: ['unassign'], unassignBy: ['id'] } },
	},
	{ ...staffLocator('staff', 'Staff', 'The staff member whose post ends'), displayOptions: byPost },
	{ ...unitLocator('unit', 'Grid Unit', 'The unit of the post'), displayOptions: byPost },
	roleProperty(byPost, 'The role of the post'),
	{
		displayName: 'End At',
		name: 'endAt',
		type: 'dateTime',
		default: '',
		description: 'When the post ends; now if empty. The record is kept as history.',
		displayOptions: show,
	},
];

export const handler: OperationHandler<{ target: UnassignTarget; endAt?: Date }, unknown> = {
	read(ctx, i, env) {
		const by = param<string>(ctx, 'unassignBy', i, 'Find Post By', 'post');
		const endAt = timestamp(param(ctx, 'endAt', i, 'End At', ''), 'End At');
		if (by === 'id') {
			const id = integer(param(ctx, 'assignmentId', i, 'Assignment ID'), 'Assignment ID', { min: 1 });
			if (id === undefined) throw new FieldError('Assignment ID', 'Assignment ID is required');
			return { target: { assignmentId: id }, endAt };
		}
		return {
			target: {
				staff: staffParam(ctx, 'staff', i, 'Staff'),
				unit: unitParam(ctx, 'unit', i, 'Grid Unit', env.widths),
				role: readRole(param(ctx, 'role', i, 'Role')),
			},
			endAt,
		};
	},
	runEach: (uow, input) => unassign(uow, input.target, input.endAt),
};
