import type { INodeProperties } from 'n8n-workflow';
import { checkCalendar } from '../../../shared/domain/incident/calendar';
import type { IntakePolicy } from '../../../shared/domain/incident/intakeInput';
import {
	type AcceptTaskInput, type AssignTaskInput, type CancelTaskInput, type CompleteTaskInput, type DeclineTaskInput, NOTE_MAX,
	type OfferTaskInput, type StartTaskInput, TASK_INTAKE_POLICY, type TaskOutcomeInput,
	acceptTask, assignTask, cancelTask, completeTask, declineTask, offerTask, startTask,
} from '../../../shared/domain/task/lifecycle';
import { FIND_RESULTS, type FindResult } from '../../../shared/domain/task/vocabulary';
import { staffLocator } from '../../../shared/n8n/descriptions';
import type { OperationHandler, ReadEnv } from '../../../shared/n8n/executeLoop';
import { param, staffParam } from '../../../shared/n8n/params';
import { FieldError, describeValue } from '../../../shared/validation/errors';
import { decimalValue, oneOf, requiredText, text } from '../../../shared/validation/text';
import { jsonObject, on, positiveId, readTaskId, readVolunteer, volunteerField } from '../fields';

export const description: INodeProperties[] = [
	{
		displayName: 'Assign To',
		name: 'assignTo',
		type: 'options',
		options: [
			{ name: 'Volunteer', value: 'volunteer', description: 'Counts against the volunteer\'s maximum number of tasks' },
			{ name: 'Staff Member', value: 'staff' },
			{ name: 'Team', value: 'team', description: 'A member of the team accepts it' },
		],
		default: 'volunteer',
		description: 'Who takes the task (派单)',
		displayOptions: on('task', ['assign']),
	},
	volunteerField(['assign'], 'The volunteer who takes the task, by ID or volunteer number', { assignTo: ['volunteer'] }),
	volunteerField(['offer'], 'The volunteer the task is offered to, by ID or volunteer number'),
	volunteerField(['accept'], 'The volunteer accepting; the task must have been offered or assigned to them (or to their team)'),
	volunteerField(['decline'], 'The volunteer declining; they are never offered this task again'),
	{ ...staffLocator('staff', 'Staff Member', 'The staff member who takes the task'), displayOptions: on('task', ['assign'], { assignTo: ['staff'] }) },
	{ displayName: 'Team ID', name: 'teamId', type: 'number', required: true, default: 0, description: 'ID of the team that takes the task', displayOptions: on('task', ['assign'], { assignTo: ['team'] }) },
	{
		displayName: 'Outcome',
		name: 'outcome',
		type: 'collection',
		placeholder: 'Add outcome field',
		default: {},
		description: 'What the task found. A temperature check needs the temperature; verification and locate-person tasks need a result.',
		displayOptions: on('task', ['complete']),
		options: [
			{ displayName: 'Household Facts (JSON)', name: 'householdFacts', type: 'json', default: '', description: 'Door surveys: facts merged into the household\'s facts, as a JSON object' },
			{
				displayName: 'Result',
				name: 'result',
				type: 'options',
				options: Object.entries(FIND_RESULTS).map(([value, name]) => ({ name, value })),
				default: 'found',
				description: 'Verification and locate-person tasks: what was found',
			},
			{ displayName: 'Symptoms', name: 'symptoms', type: 'string', default: '', placeholder: 'e.g. cough, sore throat', description: 'Temperature checks: comma-separated symptoms seen' },
			{ displayName: 'Temperature (°C)', name: 'temperature', type: 'string', default: '', placeholder: 'e.g. 36.8', description: 'Temperature checks: the reading in °C (34–43). 37.3 °C or more opens a fever incident.' },
		],
	},
	{
		displayName: 'Note',
		name: 'note',
		type: 'string',
		typeOptions: { rows: 2 },
		default: '',
		description: 'Remark written to the task\'s timeline (and to the outcome on completion)',
		displayOptions: on('task', ['assign', 'offer', 'accept', 'start', 'complete']),
	},
	{
		displayName: 'Reason',
		name: 'reason',
		type: 'string',
		typeOptions: { rows: 2 },
		required: true,
		default: '',
		description: 'Why; written to the task\'s timeline',
		displayOptions: on('task', ['decline', 'cancel']),
	},
];

const noteOf = (ctx: Parameters<OperationHandler<unknown, unknown>['read']>[0], i: number) =>
	text(param(ctx, 'note', i, 'Note', ''), { field: 'Note', max: NOTE_MAX, multiline: true });
const reasonOf = (ctx: Parameters<OperationHandler<unknown, unknown>['read']>[0], i: number) =>
	requiredText(param(ctx, 'reason', i, 'Reason'), { field: 'Reason', max: NOTE_MAX, multiline: true });

export const assignHandler: OperationHandler<AssignTaskInput, unknown> = {
	read(ctx, i) {
		const to = oneOf(param(ctx, 'assignTo', i, 'Assign To', 'volunteer'), 'Assign To', ['volunteer', 'staff', 'team']);
		const n = noteOf(ctx, i);
		const teamId = to === 'team' ? positiveId(param(ctx, 'teamId', i, 'Team ID'), 'Team ID') : undefined;
		if (to === 'team' && !teamId) throw new FieldError('Team ID', 'Team ID is required');
		return {
			task: readTaskId(ctx, i),
			to: to === 'volunteer' ? { volunteer: readVolunteer(ctx, i) } : to === 'staff' ? { staff: staffParam(ctx, 'staff', i, 'Staff Member') } : { teamId: teamId! },
			...(n ? { note: n } : {}),
		};
	},
	runEach: assignTask,
};

export const offerHandler: OperationHandler<OfferTaskInput, unknown> = {
	read(ctx, i) {
		const n = noteOf(ctx, i);
		return { task: readTaskId(ctx, i), volunteer: readVolunteer(ctx, i), ...(n ? { note: n } : {}) };
	},
	runEach: offerTask,
};

export const acceptHandler: OperationHandler<AcceptTaskInput, unknown> = {
	read(ctx, i) {
		const n = noteOf(ctx, i);
		return { task: readTaskId(ctx, i), volunteer: readVolunteer(ctx, i), ...(n ? { note: n } : {}) };
	},
	runEach: acceptTask,
};

export const declineHandler: OperationHandler<DeclineTaskInput, unknown> = {
	read: (ctx, i) => ({ task: readTaskId(ctx, i), volunteer: readVolunteer(ctx, i), reason: reasonOf(ctx, i) }),
	runEach: declineTask,
};

export const startHandler: OperationHandler<StartTaskInput, unknown> = {
	read(ctx, i) {
		const n = noteOf(ctx, i);
		return { task: readTaskId(ctx, i), ...(n ? { note: n } : {}) };
	},
	runEach: startTask,
};

export const cancelHandler: OperationHandler<CancelTaskInput, unknown> = {
	read: (ctx, i) => ({ task: readTaskId(ctx, i), reason: reasonOf(ctx, i) }),
	runEach: cancelTask,
};

/** A Task Complete reading: a number, or decimal text with the unit a form may have kept. */
export function temperatureReading(value: unknown): number | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	// the unit may come along if a form kept it
	const n = decimalValue(typeof value === 'string' ? value.replace(/\s*(?:°C|℃|C)\s*$/i, '') : value);
	if (!Number.isFinite(n)) throw new FieldError('Temperature', `Temperature must be a number of °C, got ${describeValue(value)}`);
	return n;
}

const policies = new WeakMap<object, IntakePolicy>();

/** Incidents a completion opens use the default intake policy on the credential's time zone. */
function policyFor(env: ReadEnv): IntakePolicy {
	let p = policies.get(env);
	if (!p) {
		p = { ...TASK_INTAKE_POLICY, calendar: checkCalendar({ timeZone: env.timezone }, 'Time Zone') };
		policies.set(env, p);
	}
	return p;
}

export const completeHandler: OperationHandler<{ input: CompleteTaskInput; policy: IntakePolicy }, unknown> = {
	read(ctx, i, env) {
		const o = param<Record<string, unknown>>(ctx, 'outcome', i, 'Outcome', {});
		const n = noteOf(ctx, i);
		const t = temperatureReading(o.temperature);
		const symptoms = String(o.symptoms ?? '').split(/[,，、]+/).map((s) => s.trim()).filter(Boolean);
		const facts = jsonObject(o.householdFacts, 'Household Facts');
		const outcome: TaskOutcomeInput = {
			...(t !== undefined ? { temperatureC: t } : {}),
			...(symptoms.length ? { symptoms } : {}),
			...(o.result ? { result: oneOf(o.result, 'Result', Object.keys(FIND_RESULTS) as FindResult[]) } : {}),
			...(facts ? { householdFacts: facts } : {}),
			...(n ? { note: n } : {}),
		};
		return { input: { task: readTaskId(ctx, i), outcome }, policy: policyFor(env) };
	},
	runEach: (uow, x) => completeTask(uow, x.input, x.policy),
};
