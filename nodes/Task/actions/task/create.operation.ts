import type { INodeProperties } from 'n8n-workflow';
import { type NewTask, checkNewTask, createTasks } from '../../../shared/domain/task/tasks';
import { TASK_KINDS, type TaskKind } from '../../../shared/domain/task/vocabulary';
import { unitLocator } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param, unitParam } from '../../../shared/n8n/params';
import { FieldError, describeValue } from '../../../shared/validation/errors';
import { oneOf, text } from '../../../shared/validation/text';
import { KIND_OPTIONS, PRIORITY_OPTIONS, SKILL_OPTIONS, jsonObject, on, optionalDate, positiveId, skillList } from '../fields';

export const description: INodeProperties[] = [
	{
		displayName: 'Kind',
		name: 'kind',
		type: 'options',
		options: KIND_OPTIONS,
		default: 'door_survey',
		description: 'What sort of work the task is; the kind decides what its outcome records on completion',
		displayOptions: on('task', ['create']),
	},
	{
		displayName: 'Custom Kind',
		name: 'customKind',
		type: 'string',
		default: '',
		placeholder: 'e.g. 核酸采样引导',
		description: 'Name of the custom kind of work; required for kind Custom',
		displayOptions: on('task', ['create'], { kind: ['custom'] }),
	},
	{ ...unitLocator('unit', 'Grid Unit', 'The unit the task is about: a building, a grid, or a community for a checkpoint'), displayOptions: on('task', ['create']) },
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add field',
		default: {},
		displayOptions: on('task', ['create']),
		options: [
			{ displayName: 'Description', name: 'description', type: 'string', typeOptions: { rows: 3 }, default: '', description: 'What is to be done (up to 2,000 characters)' },
			{ displayName: 'Details (JSON)', name: 'details', type: 'json', default: '', description: 'Anything else the task should carry, as a JSON object' },
			{ displayName: 'Due At', name: 'dueAt', type: 'dateTime', default: '', description: 'When the task must be done; an offered, assigned or accepted task past it is taken back by Expire Overdue' },
			{ displayName: 'Incident', name: 'incident', type: 'string', default: '', placeholder: 'e.g. INC-20261126-000123 or 42', description: 'The incident the task comes from, by reference or ID' },
			{ displayName: 'Preferred Team ID', name: 'preferredTeamId', type: 'number', default: 0, description: 'ID of the team dispatch should prefer' },
			{ displayName: 'Priority', name: 'priority', type: 'options', options: PRIORITY_OPTIONS, default: 2, description: 'How urgent the task is; dispatch serves higher priorities first' },
			{ displayName: 'Required Skills', name: 'requiredSkills', type: 'multiOptions', options: SKILL_OPTIONS, default: [], description: 'Skills a volunteer needs to be given the task' },
			{ displayName: 'Resident ID', name: 'residentId', type: 'number', default: 0, description: 'ID of the resident the task is about; the task is linked to their household too' },
			{ displayName: 'Title', name: 'title', type: 'string', default: '', description: 'Short title; by default the kind and the unit\'s name' },
			{ displayName: 'Window End', name: 'windowEnd', type: 'dateTime', default: '', description: 'End of the time window the work is to be done in' },
			{ displayName: 'Window Start', name: 'windowStart', type: 'dateTime', default: '', description: 'Start of the time window the work is to be done in' },
		],
	},
];

const INCIDENT_REFERENCE = /^INC-\d{8}-\d{6,}$/;

function incidentRef(raw: unknown): NewTask['incident'] {
	const value = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim().toUpperCase() : '';
	if (!value || value === '0') return undefined;
	if (/^\d+$/.test(value) && Number.isSafeInteger(Number(value))) return { id: Number(value) };
	if (INCIDENT_REFERENCE.test(value)) return { reference: value };
	throw new FieldError('Incident', `Incident must be a reference like INC-20261126-000123 or a numeric ID, got ${describeValue(raw)}`);
}

export const handler: OperationHandler<NewTask, unknown> = {
	read(ctx, i, env) {
		const kind = oneOf(param(ctx, 'kind', i, 'Kind'), 'Kind', Object.keys(TASK_KINDS) as TaskKind[]);
		const f = param<Record<string, unknown>>(ctx, 'additionalFields', i, 'Additional Fields', {});
		const residentId = positiveId(f.residentId, 'Resident ID');
		const incident = incidentRef(f.incident);
		const windowStart = optionalDate(f.windowStart, 'Window Start');
		const windowEnd = optionalDate(f.windowEnd, 'Window End');
		const dueAt = optionalDate(f.dueAt, 'Due At');
		const preferredTeamId = positiveId(f.preferredTeamId, 'Preferred Team ID');
		const title = text(f.title, { field: 'Title', max: 200 });
		const desc = text(f.description, { field: 'Description', max: 2000, multiline: true });
		const details = jsonObject(f.details, 'Details (JSON)');
		const skills = skillList(f.requiredSkills);
		const input: NewTask = {
			kind,
			...(kind === 'custom' ? { customKind: text(param(ctx, 'customKind', i, 'Custom Kind'), { field: 'Custom Kind', max: 100, required: true }) } : {}),
			unit: unitParam(ctx, 'unit', i, 'Grid Unit', env.widths),
			...(title ? { title } : {}),
			...(desc ? { description: desc } : {}),
			...(residentId ? { resident: { id: residentId } } : {}),
			...(incident ? { incident } : {}),
			...(windowStart ? { windowStart } : {}),
			...(windowEnd ? { windowEnd } : {}),
			...(dueAt ? { dueAt } : {}),
			...(skills.length ? { requiredSkills: skills } : {}),
			...(f.priority !== undefined && f.priority !== '' ? { priority: Number(f.priority) } : {}),
			...(preferredTeamId ? { preferredTeamId } : {}),
			...(details ? { details } : {}),
		};
		checkNewTask(input);
		return input;
	},
	runBatch: createTasks,
};
