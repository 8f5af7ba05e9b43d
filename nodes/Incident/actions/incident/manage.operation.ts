import type { INodeProperties } from 'n8n-workflow';
import { type EscalateInput, type EscalateOverdueInput, escalate, escalateOverdue } from '../../../shared/domain/incident/escalation';
import {
	type AssignInput, type CloseInput, type CommentInput, NOTE_MAX, type ReopenInput, type StatusUpdate, type TriageInput,
	assign, close, comment, reopen, triage, updateStatus,
} from '../../../shared/domain/incident/lifecycle';
import type { IntakePolicy } from '../../../shared/domain/incident/intakeInput';
import { RISK_LEVELS, type RiskLevel } from '../../../shared/domain/incident/risk';
import { INCIDENT_STATUSES, type IncidentStatus } from '../../../shared/domain/incident/vocabulary';
import { staffLocator, unitLocator } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param, staffParam, unitParam } from '../../../shared/n8n/params';
import { FieldError, describeValue } from '../../../shared/validation/errors';
import { oneOf, requiredText, text } from '../../../shared/validation/text';
import { RISK_OPTIONS, readIncidentRef } from '../fields';
import { readPolicy } from '../policy';

const on = (ops: string[], extra: Record<string, unknown[]> = {}) => ({ show: { resource: ['incident'], operation: ops, ...extra } });
const MOVABLE: IncidentStatus[] = ['triaged', 'assigned', 'in_progress', 'resolved', 'rejected'];

export const description: INodeProperties[] = [
	// triage
	{
		displayName: 'Category Name or ID',
		name: 'newCategory',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getCategories', loadOptionsDependsOn: ['options.categories'] },
		default: '',
		description: 'Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
		hint: 'Leave empty to keep the category',
		displayOptions: on(['triage']),
	},
	{
		displayName: 'Risk Level',
		name: 'newRisk',
		type: 'options',
		options: [{ name: 'Keep', value: '' }, ...RISK_OPTIONS],
		default: '',
		description: 'The risk level set by hand; a change recomputes the SLA due time from when the incident came in',
		displayOptions: on(['triage']),
	},
	// assign
	{
		displayName: 'Assign To',
		name: 'assignTo',
		type: 'options',
		options: [
			{ name: 'Responsible Staff (Default)', value: 'responsible', description: 'Whoever holds the responsible post for the handling unit, walking up past vacant posts' },
			{ name: 'Staff Member', value: 'staff' },
			{ name: 'Team', value: 'team' },
		],
		default: 'responsible',
		description: 'Who takes the case. Replacing an earlier assignee counts as a transfer (转派); the third transfer puts the case under supervision (提级督办).',
		displayOptions: on(['assign']),
	},
	{ ...staffLocator('staff', 'Staff Member', 'The staff member who takes the case'), displayOptions: on(['assign'], { assignTo: ['staff'] }) },
	{ displayName: 'Team', name: 'team', type: 'string', default: '', placeholder: 'e.g. 党员先锋队第3队', description: 'Name of the team that takes the case', displayOptions: on(['assign'], { assignTo: ['team'] }) },
	// update status
	{
		displayName: 'New Status',
		name: 'status',
		type: 'options',
		options: MOVABLE.map((s) => ({ name: INCIDENT_STATUSES[s], value: s })),
		default: 'in_progress',
		description: 'The next status. Allowed moves: New → Triaged/Assigned/In progress/Rejected; Assigned → In progress/Resolved/Rejected; In progress → Resolved/Assigned. Use Close and Reopen for those steps.',
		displayOptions: on(['updateStatus']),
	},
	// close
	{
		displayName: 'Satisfaction',
		name: 'satisfaction',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 5 },
		default: 5,
		description: 'The reporter\'s satisfaction at the callback (回访), from 1 (very dissatisfied) to 5 (very satisfied)',
		displayOptions: on(['close']),
	},
	{ displayName: 'Callback Result', name: 'callbackResult', type: 'string', typeOptions: { rows: 2 }, default: '', required: true, description: 'What the reporter said at the callback', displayOptions: on(['close']) },
	// reasons and notes
	{
		displayName: 'Reason',
		name: 'reason',
		type: 'string',
		typeOptions: { rows: 2 },
		default: '',
		required: true,
		description: 'Why; written to the incident\'s timeline',
		displayOptions: on(['triage', 'escalate', 'reopen']),
	},
	{ displayName: 'Note', name: 'note', type: 'string', typeOptions: { rows: 2 }, default: '', description: 'Remark written to the timeline; required when rejecting', displayOptions: on(['assign', 'updateStatus']) },
	{ displayName: 'Comment', name: 'comment', type: 'string', typeOptions: { rows: 3 }, default: '', required: true, description: 'The comment (up to 2,000 characters)', displayOptions: on(['comment']) },
	// escalate overdue
	{
		displayName: 'Limit to Subtree',
		name: 'limitToSubtree',
		type: 'boolean',
		default: false,
		description: 'Whether to escalate only incidents owned by units in one subtree (always within the credential\'s scope)',
		displayOptions: on(['escalateOverdue']),
	},
	{ ...unitLocator('within', 'Within Unit', 'Only overdue incidents owned by this unit or below'), displayOptions: on(['escalateOverdue'], { limitToSubtree: [true] }) },
	{
		displayName: 'Output',
		name: 'overdueOutput',
		type: 'options',
		options: [
			{ name: 'Summary', value: 'summary', description: 'One item with the counts and every escalated incident' },
			{ name: 'One Item per Incident', value: 'each', description: 'An item per escalated incident, to notify each new assignee' },
		],
		default: 'each',
		description: 'How to output the run',
		displayOptions: on(['escalateOverdue']),
	},
];

export const triageHandler: OperationHandler<{ input: TriageInput; policy: IntakePolicy }, unknown> = {
	read(ctx, i, env) {
		const policy = readPolicy(ctx, env);
		const category = text(param(ctx, 'newCategory', i, 'Category', ''), { field: 'Category', max: 100 });
		const risk = param<string>(ctx, 'newRisk', i, 'Risk Level', '');
		return {
			input: {
				incident: readIncidentRef(ctx, i),
				...(category ? { category } : {}),
				...(risk ? { riskLevel: oneOf(risk, 'Risk Level', RISK_LEVELS) as RiskLevel } : {}),
				reason: requiredText(param(ctx, 'reason', i, 'Reason'), { field: 'Reason', max: NOTE_MAX, multiline: true }),
			},
			policy,
		};
	},
	runEach: (uow, x) => triage(uow, x.input, x.policy),
};

export const assignHandler: OperationHandler<AssignInput, unknown> = {
	read(ctx, i) {
		const to = param<string>(ctx, 'assignTo', i, 'Assign To', 'responsible');
		const note = text(param(ctx, 'note', i, 'Note', ''), { field: 'Note', max: NOTE_MAX, multiline: true });
		return {
			incident: readIncidentRef(ctx, i),
			...(to === 'staff' ? { to: { staff: staffParam(ctx, 'staff', i, 'Staff Member') } } : {}),
			...(to === 'team' ? { to: { team: requiredText(param(ctx, 'team', i, 'Team'), { field: 'Team', max: 100 }) } } : {}),
			...(note ? { note } : {}),
		};
	},
	runEach: assign,
};

export const updateStatusHandler: OperationHandler<StatusUpdate, unknown> = {
	read(ctx, i) {
		const note = text(param(ctx, 'note', i, 'Note', ''), { field: 'Note', max: NOTE_MAX, multiline: true });
		return {
			incident: readIncidentRef(ctx, i),
			status: oneOf(param(ctx, 'status', i, 'New Status'), 'New Status', Object.keys(INCIDENT_STATUSES) as IncidentStatus[]),
			...(note ? { note } : {}),
		};
	},
	runEach: updateStatus,
};

export const commentHandler: OperationHandler<CommentInput, unknown> = {
	read: (ctx, i) => ({
		incident: readIncidentRef(ctx, i),
		text: requiredText(param(ctx, 'comment', i, 'Comment'), { field: 'Comment', max: NOTE_MAX, multiline: true }),
	}),
	runEach: comment,
};

export const escalateHandler: OperationHandler<{ input: EscalateInput; policy: IntakePolicy }, unknown> = {
	read: (ctx, i, env) => ({
		input: { incident: readIncidentRef(ctx, i), reason: requiredText(param(ctx, 'reason', i, 'Reason'), { field: 'Reason', max: NOTE_MAX, multiline: true }) },
		policy: readPolicy(ctx, env),
	}),
	runEach: (uow, x) => escalate(uow, x.input, x.policy),
};

export const reopenHandler: OperationHandler<{ input: ReopenInput; policy: IntakePolicy }, unknown> = {
	read: (ctx, i, env) => ({
		input: { incident: readIncidentRef(ctx, i), reason: requiredText(param(ctx, 'reason', i, 'Reason'), { field: 'Reason', max: NOTE_MAX, multiline: true }) },
		policy: readPolicy(ctx, env),
	}),
	runEach: (uow, x) => reopen(uow, x.input, x.policy),
};

export function checkSatisfaction(value: unknown): number {
	const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
	if (!Number.isInteger(n) || n < 1 || n > 5) throw new FieldError('Satisfaction', `Satisfaction must be a whole number from 1 to 5, got ${describeValue(value)}`);
	return n;
}

export const closeHandler: OperationHandler<CloseInput, unknown> = {
	read: (ctx, i) => ({
		incident: readIncidentRef(ctx, i),
		satisfaction: checkSatisfaction(param(ctx, 'satisfaction', i, 'Satisfaction')),
		callbackResult: requiredText(param(ctx, 'callbackResult', i, 'Callback Result'), { field: 'Callback Result', max: NOTE_MAX, multiline: true }),
	}),
	runEach: close,
};

export const escalateOverdueHandler: OperationHandler<{ input: EscalateOverdueInput; policy: IntakePolicy; output: string }, unknown> = {
	read: (ctx, i, env) => ({
		input: param<boolean>(ctx, 'limitToSubtree', i, 'Limit to Subtree', false) ? { within: unitParam(ctx, 'within', i, 'Within Unit', env.widths) } : {},
		policy: readPolicy(ctx, env),
		output: param<string>(ctx, 'overdueOutput', i, 'Output', 'each'),
	}),
	async runEach(uow, x) {
		const result = await escalateOverdue(uow, x.input, x.policy);
		return x.output === 'summary' ? result : result.incidents;
	},
};
