import type { INodeProperties } from 'n8n-workflow';
import { type ListUnitsInput, listUnits } from '../../../shared/domain/grid/units';
import { returnAllAndLimit, showFor, unitLocator } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param, unitParam } from '../../../shared/n8n/params';
import { LEVELS, type Level } from '../../../shared/validation/gridCode';
import { FieldError } from '../../../shared/validation/errors';

const show = showFor('unit', 'list');

export const LEVEL_OPTIONS = [
	{ name: 'District (区)', value: 1 },
	{ name: 'Street (街道)', value: 2 },
	{ name: 'Community (社区)', value: 3 },
	{ name: 'Base Grid (基础网格)', value: 4 },
	{ name: 'Building / Courtyard (楼栋院落)', value: 5 },
];

export const description: INodeProperties[] = [
	{ ...unitLocator('unit', 'Subtree Of', 'The unit whose subtree to list, e.g. a street'), displayOptions: show },
	...returnAllAndLimit('unit', 'list'),
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add filter',
		default: {},
		displayOptions: show,
		options: [
			{
				displayName: 'Levels',
				name: 'levels',
				type: 'multiOptions',
				options: LEVEL_OPTIONS,
				default: [],
				description: 'Only units at these levels, e.g. every building under a street',
			},
			{
				displayName: 'Include Deactivated',
				name: 'includeInactive',
				type: 'boolean',
				default: false,
				description: 'Whether to list deactivated units too',
			},
			{
				displayName: 'Include the Unit Itself',
				name: 'includeRoot',
				type: 'boolean',
				default: true,
				description: 'Whether the chosen unit is listed along with its descendants',
			},
		],
	},
];

export const handler: OperationHandler<ListUnitsInput, unknown> = {
	read(ctx, i, env) {
		const filters = param<{ levels?: number[]; includeInactive?: boolean; includeRoot?: boolean }>(ctx, 'filters', i, 'Filters', {});
		const levels = (filters.levels ?? []).map(Number);
		const bad = levels.find((l) => !(LEVELS as readonly number[]).includes(l));
		if (bad !== undefined) throw new FieldError('Levels', `Levels must be 1 to 5, got ${bad}`);
		const returnAll = param<boolean>(ctx, 'returnAll', i, 'Return All', false);
		return {
			root: unitParam(ctx, 'unit', i, 'Subtree Of', env.widths),
			includeRoot: filters.includeRoot ?? true,
			levels: levels as Level[],
			activeOnly: !filters.includeInactive,
			limit: returnAll ? undefined : param<number>(ctx, 'limit', i, 'Limit', 50),
		};
	},
	runEach: listUnits,
};
