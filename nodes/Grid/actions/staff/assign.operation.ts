import type { INodeProperties } from 'n8n-workflow';
import { type NewAssignment, assignStaff } from '../../../shared/domain/grid/assignments';
import { showFor, staffLocator, unitLocator } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param, staffParam, unitParam } from '../../../shared/n8n/params';
import { text, timestamp } from '../../../shared/validation/text';
import { readRole, roleProperty } from './fields';

const show = showFor('staff', 'assign');

export const description: INodeProperties[] = [
	{ ...staffLocator('staff', 'Staff', 'The staff member to post'), displayOptions: show },
	{ ...unitLocator('unit', 'Grid Unit', 'The unit they answer for'), displayOptions: show },
	roleProperty(show, 'The post: a grid head or grid member serves a base grid, a grid assistant a building, a community worker a community or grid, a grid instructor a district, street or community, a sent-down cadre a community, grid or building'),
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add field',
		default: {},
		displayOptions: show,
		options: [
			{ displayName: 'Valid From', name: 'validFrom', type: 'dateTime', default: '', description: 'When the post starts; now if empty' },
			{ displayName: 'Valid To', name: 'validTo', type: 'dateTime', default: '', description: 'When the post ends; open-ended if empty' },
			{ displayName: 'Home Agency', name: 'homeAgency', type: 'string', default: '', description: 'For a sent-down cadre: the agency they come from, if not set on the staff member' },
		],
	},
];

export const handler: OperationHandler<NewAssignment, unknown> = {
	read(ctx, i, env) {
		const extra = param<Record<string, unknown>>(ctx, 'additionalFields', i, 'Additional Fields', {});
		return {
			staff: staffParam(ctx, 'staff', i, 'Staff'),
			unit: unitParam(ctx, 'unit', i, 'Grid Unit', env.widths),
			role: readRole(param(ctx, 'role', i, 'Role')),
			validFrom: timestamp(extra.validFrom, 'Valid From'),
			validTo: timestamp(extra.validTo, 'Valid To'),
			homeAgency: text(extra.homeAgency, { field: 'Home Agency', max: 200 }),
		};
	},
	runBatch: assignStaff,
};
