import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { type PerformanceInput, staffPerformance } from '../../shared/domain/stats/performance';
import { type RollupInput, rollup } from '../../shared/domain/stats/rollup';
import { unitLocator } from '../../shared/n8n/descriptions';
import type { OperationHandler } from '../../shared/n8n/executeLoop';
import { param, unitParam } from '../../shared/n8n/params';
import { integer, oneOf } from '../../shared/validation/text';
import { levelField, periodFields, readLevel, readPeriod } from './period';

const on = (operation: string, extra: Record<string, string[]> = {}) => ({ show: { resource: ['figures'], operation: [operation], ...extra } });

export const description: INodeProperties[] = [
	{ ...unitLocator('unit', 'Unit', 'The unit whose subtree is counted (a street, a community, or the whole district)'), displayOptions: { show: { resource: ['figures'] } } },
	...periodFields({ show: { resource: ['figures'] } }),
	levelField(on('rollup'), 3, 'One row per unit at this level under the chosen unit; facts recorded above that level (e.g. a community\'s intake queue) get a row of their own marked direct, so the rows always add up to the unit\'s total'),
	{
		displayName: 'Output',
		name: 'output',
		type: 'options',
		options: [
			{ name: 'One Item per Unit', value: 'rows', description: 'An item for each row of the breakdown' },
			{ name: 'One Item per Unit, Then the Total', value: 'rowsAndTotal', description: 'The rows, then the chosen unit\'s total as the last item' },
			{ name: 'Total Only', value: 'total', description: 'One item: the chosen unit\'s figures' },
			{ name: 'Whole Rollup', value: 'whole', description: 'One item holding the period, the rows and the total' },
		],
		default: 'rows',
		description: 'How the figures come out',
		displayOptions: on('rollup'),
	},
	{
		displayName: 'Per',
		name: 'groupBy',
		type: 'options',
		options: [
			{ name: 'Staff Member (工作人员)', value: 'staff' },
			{ name: 'Unit (单位)', value: 'unit' },
		],
		default: 'staff',
		description: 'Whether to assess each staff member or each unit at a level',
		displayOptions: on('staffPerformance'),
	},
	levelField(on('staffPerformance', { groupBy: ['unit'] }), 3, 'One row per unit at this level, summing the cases of its subtree'),
	{
		displayName: 'Sign-For Limit (Minutes)',
		name: 'signForMinutes',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 60,
		description: 'Minutes an assignee has to sign for (签收) a case, i.e. move it to in progress after it was assigned.',
		displayOptions: on('staffPerformance'),
	},
];

export const rollupHandler: OperationHandler<RollupInput & { output: string }, unknown> = {
	read(ctx, i, env) {
		return {
			unit: unitParam(ctx, 'unit', i, 'Unit', env.widths),
			period: readPeriod(ctx, i, env.timezone),
			byLevel: readLevel(ctx, i, 3),
			output: oneOf(param(ctx, 'output', i, 'Output', 'rows'), 'Output', ['rows', 'rowsAndTotal', 'total', 'whole']),
		};
	},
	async runEach(uow, input) {
		const r = await rollup(uow, input);
		const tag = (row: object, isTotal: boolean) => ({ period: r.period.id, periodStart: r.period.startDate, periodEnd: r.period.endDate, total: isTotal, ...row }) as IDataObject;
		if (input.output === 'whole') return r as unknown as IDataObject;
		if (input.output === 'total') return tag(r.total, true);
		const rows = r.rows.map((row) => tag(row, false));
		return input.output === 'rowsAndTotal' ? [...rows, tag(r.total, true)] : rows;
	},
};

export const performanceHandler: OperationHandler<PerformanceInput, unknown> = {
	read(ctx, i, env) {
		const groupBy = oneOf(param(ctx, 'groupBy', i, 'Per', 'staff'), 'Per', ['staff', 'unit']);
		return {
			unit: unitParam(ctx, 'unit', i, 'Unit', env.widths),
			period: readPeriod(ctx, i, env.timezone),
			groupBy,
			byLevel: groupBy === 'unit' ? readLevel(ctx, i, 3) : undefined,
			signForMinutes: integer(param(ctx, 'signForMinutes', i, 'Sign-For Limit (Minutes)', 60), 'Sign-For Limit (Minutes)', { min: 0, max: 100_000 }) ?? 60,
		};
	},
	async runEach(uow, input) {
		const rows = await staffPerformance(uow, input);
		return rows.map((r) => ({ period: input.period.id, ...r }) as IDataObject);
	},
};
