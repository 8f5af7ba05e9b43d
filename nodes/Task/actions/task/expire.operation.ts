import type { INodeProperties } from 'n8n-workflow';
import type { IntakePolicy } from '../../../shared/domain/incident/intakeInput';
import { checkCalendar } from '../../../shared/domain/incident/calendar';
import { type ExpireOverdueInput, expireOverdue } from '../../../shared/domain/task/expiry';
import { TASK_INTAKE_POLICY } from '../../../shared/domain/task/lifecycle';
import { DEFAULT_MAX_ATTEMPTS } from '../../../shared/domain/task/vocabulary';
import { unitLocator } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param, unitParam } from '../../../shared/n8n/params';
import { integer } from '../../../shared/validation/text';
import { on } from '../fields';

export const description: INodeProperties[] = [
	{
		displayName: 'Max Attempts',
		name: 'maxAttempts',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 100 },
		default: DEFAULT_MAX_ATTEMPTS,
		description: 'On this expired attempt a task is escalated as an incident and cancelled instead of going back to open',
		displayOptions: on('task', ['expireOverdue']),
	},
	{
		displayName: 'Limit to Subtree',
		name: 'limitToSubtree',
		type: 'boolean',
		default: false,
		description: 'Whether to expire only tasks of units in one subtree (always within the credential\'s scope)',
		displayOptions: on('task', ['expireOverdue']),
	},
	{ ...unitLocator('within', 'Within Unit', 'Only overdue tasks of this unit or below'), displayOptions: on('task', ['expireOverdue'], { limitToSubtree: [true] }) },
	{
		displayName: 'Output',
		name: 'expireOutput',
		type: 'options',
		options: [
			{ name: 'Summary', value: 'summary', description: 'One item with the counts and every expired task' },
			{ name: 'One Item per Task', value: 'each', description: 'An item per expired or escalated task' },
		],
		default: 'summary',
		description: 'How to output the run',
		displayOptions: on('task', ['expireOverdue']),
	},
];

export const expireOverdueHandler: OperationHandler<{ input: ExpireOverdueInput; output: string; policy: IntakePolicy }, unknown> = {
	read: (ctx, i, env) => ({
		input: {
			maxAttempts: integer(param(ctx, 'maxAttempts', i, 'Max Attempts', DEFAULT_MAX_ATTEMPTS), 'Max Attempts', { min: 1, max: 100 }) ?? DEFAULT_MAX_ATTEMPTS,
			...(param<boolean>(ctx, 'limitToSubtree', i, 'Limit to Subtree', false) ? { within: unitParam(ctx, 'within', i, 'Within Unit', env.widths) } : {}),
		},
		output: param<string>(ctx, 'expireOutput', i, 'Output', 'summary'),
		policy: { ...TASK_INTAKE_POLICY, calendar: checkCalendar({ timeZone: env.timezone }, 'Time Zone') },
	}),
	async runEach(uow, x) {
		const result = await expireOverdue(uow, x.input, x.policy);
		return x.output === 'each' ? result.tasks : result;
	},
};
