import type { INodeProperties } from 'n8n-workflow';
import type { UnitRef } from '../../../shared/domain/grid/unitRecord';
import { moveUnit } from '../../../shared/domain/grid/units';
import { showFor, unitLocator } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { unitParam } from '../../../shared/n8n/params';

const show = showFor('unit', 'move');

export const description: INodeProperties[] = [
	{ ...unitLocator('unit', 'Grid Unit', 'The unit to move; its whole subtree moves with it and keeps its codes'), displayOptions: show },
	{ ...unitLocator('newParent', 'New Parent', 'The unit one level up that will hold the moved unit'), displayOptions: show },
];

export const handler: OperationHandler<{ unit: UnitRef; newParent: UnitRef }, unknown> = {
	read: (ctx, i, env) => ({
		unit: unitParam(ctx, 'unit', i, 'Grid Unit', env.widths),
		newParent: unitParam(ctx, 'newParent', i, 'New Parent', env.widths),
	}),
	runEach: (uow, input) => moveUnit(uow, input.unit, input.newParent),
};
