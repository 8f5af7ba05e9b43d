import type { INodeProperties } from 'n8n-workflow';
import { type ListStaffInput, listStaff } from '../../../shared/domain/grid/staff';
import { returnAllAndLimit, showFor } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param } from '../../../shared/n8n/params';
import { gridCode } from '../../../shared/validation/gridCode';
import { ROLE_OPTIONS, readRole } from './fields';

const show = showFor('staff', 'list');

export const description: INodeProperties[] = [
	...returnAllAndLimit('staff', 'list'),
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add filter',
		default: {},
		displayOptions: show,
		options: [
			{
				displayName: 'Within Unit Code',
				name: 'withinCode',
				type: 'string',
				default: '',
				placeholder: 'e.g. 370614-001',
				description: 'Only staff who belong to, or hold a current post in, this unit\'s subtree',
			},
			{
				displayName: 'Role',
				name: 'role',
				type: 'options',
				options: ROLE_OPTIONS,
				default: 'grid_member',
				description: 'Only staff currently holding this role somewhere',
			},
			{
				displayName: 'Posted Only',
				name: 'postedOnly',
				type: 'boolean',
				default: false,
				description: 'Whether to list only staff who hold a current post',
			},
			{
				displayName: 'Include Inactive',
				name: 'includeInactive',
				type: 'boolean',
				default: false,
				description: 'Whether to list inactive staff too',
			},
		],
	},
];

export const handler: OperationHandler<ListStaffInput, unknown> = {
	read(ctx, i, env) {
		const f = param<Record<string, unknown>>(ctx, 'filters', i, 'Filters', {});
		const returnAll = param<boolean>(ctx, 'returnAll', i, 'Return All', false);
		return {
			within: f.withinCode ? { code: gridCode(f.withinCode, 'Within Unit Code', env.widths).code } : undefined,
			role: f.role ? readRole(f.role) : undefined,
			postedOnly: Boolean(f.postedOnly),
			activeOnly: !f.includeInactive,
			limit: returnAll ? undefined : param<number>(ctx, 'limit', i, 'Limit', 50),
			reveal: Boolean(param(ctx, 'options.reveal', i, 'Reveal Personal Data', false)),
		};
	},
	runEach: listStaff,
};
