import type { INodeProperties } from 'n8n-workflow';
import type { UnitRef } from '../../../shared/domain/grid/unitRecord';
import { ancestors } from '../../../shared/domain/grid/units';
import { showFor, unitLocator } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param, unitParam } from '../../../shared/n8n/params';

const show = showFor('unit', 'ancestors');

export const description: INodeProperties[] = [
	{ ...unitLocator('unit', 'Grid Unit', 'The unit whose chain of parents to return, from the district down'), displayOptions: show },
	{
		displayName: 'Include the Unit Itself',
		name: 'includeSelf',
		type: 'boolean',
		default: false,
		description: 'Whether the chosen unit is returned last, after its ancestors',
		displayOptions: show,
	},
];

export const handler: OperationHandler<{ unit: UnitRef; includeSelf: boolean }, unknown> = {
	read: (ctx, i, env) => ({
		unit: unitParam(ctx, 'unit', i, 'Grid Unit', env.widths),
		includeSelf: param<boolean>(ctx, 'includeSelf', i, 'Include the Unit Itself', false),
	}),
	runEach: (uow, input) => ancestors(uow, input.unit, input.includeSelf),
};
