import type { INodeProperties } from 'n8n-workflow';
import { responsible } from '../../../shared/domain/grid/assignments';
import type { UnitRef } from '../../../shared/domain/grid/unitRecord';
import { showFor, unitLocator } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param, unitParam } from '../../../shared/n8n/params';
import type { Level } from '../../../shared/validation/gridCode';
import { integer, timestamp } from '../../../shared/validation/text';
import { LEVEL_OPTIONS } from '../unit/list.operation';

const show = showFor('staff', 'responsible');

export const description: INodeProperties[] = [
	{ ...unitLocator('unit', 'Grid Unit', 'The unit to answer for, e.g. the building an incident happened in'), displayOptions: show },
	{
		displayName: 'At Level',
		name: 'level',
		type: 'options',
		options: [{ name: 'The Unit\'s Own Level', value: 0 }, ...LEVEL_OPTIONS],
		default: 0,
		description: 'Answer for the unit\'s ancestor at this level instead, e.g. the community of a building',
		displayOptions: show,
	},
	{
		displayName: 'At Time',
		name: 'at',
		type: 'dateTime',
		default: '',
		description: 'Moment to answer for; now if empty',
		displayOptions: show,
	},
];

export const handler: OperationHandler<{ unit: UnitRef; level?: Level; at?: Date }, unknown> = {
	read: (ctx, i, env) => {
		const level = integer(param(ctx, 'level', i, 'At Level', 0), 'At Level', { min: 0, max: 5 });
		return {
			unit: unitParam(ctx, 'unit', i, 'Grid Unit', env.widths),
			level: level ? (level as Level) : undefined,
			at: timestamp(param(ctx, 'at', i, 'At Time', ''), 'At Time'),
		};
	},
	runEach: (uow, input) => responsible(uow, input.unit, input.level, input.at),
};
