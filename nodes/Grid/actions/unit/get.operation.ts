import type { INodeProperties } from 'n8n-workflow';
import type { UnitRef } from '../../../shared/domain/grid/unitRecord';
import { getUnits } from '../../../shared/domain/grid/units';
import { showFor, unitLocator } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { unitParam } from '../../../shared/n8n/params';

export const description: INodeProperties[] = [
	{ ...unitLocator('unit', 'Grid Unit', 'The unit to get, by code or ID'), displayOptions: showFor('unit', 'get') },
];

export const handler: OperationHandler<UnitRef, unknown> = {
	read: (ctx, i, env) => unitParam(ctx, 'unit', i, 'Grid Unit', env.widths),
	runBatch: getUnits,
};
