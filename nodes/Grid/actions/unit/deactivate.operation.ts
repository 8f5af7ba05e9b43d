import type { INodeProperties } from 'n8n-workflow';
import type { UnitRef } from '../../../shared/domain/grid/unitRecord';
import { deactivateUnit } from '../../../shared/domain/grid/units';
import { showFor, unitLocator } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param, unitParam } from '../../../shared/n8n/params';

const show = showFor('unit', 'deactivate');

export const description: INodeProperties[] = [
	{ ...unitLocator('unit', 'Grid Unit', 'The unit to deactivate; its records stay for history'), displayOptions: show },
	{
		displayName: 'Cascade',
		name: 'cascade',
		type: 'boolean',
		default: false,
		description: 'Whether to deactivate the whole active subtree as well and end the posts held there. Without it, a unit with active children is refused.',
		displayOptions: show,
	},
];

export const handler: OperationHandler<{ unit: UnitRef; cascade: boolean }, unknown> = {
	read: (ctx, i, env) => ({
		unit: unitParam(ctx, 'unit', i, 'Grid Unit', env.widths),
		cascade: param<boolean>(ctx, 'cascade', i, 'Cascade', false),
	}),
	runEach: (uow, input) => deactivateUnit(uow, input.unit, input.cascade),
};
