import type { INodeProperties } from 'n8n-workflow';
import { type NewShift, type ShiftQuery, checkNewShift, createShifts, listShifts } from '../../../shared/domain/task/shifts';
import { unitLocator } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param, unitParam } from '../../../shared/n8n/params';
import { FieldError } from '../../../shared/validation/errors';
import { gridCode } from '../../../shared/validation/gridCode';
import { integer, text } from '../../../shared/validation/text';
import { PRIORITY_OPTIONS, SKILL_OPTIONS, on, optionalDate, skillList } from '../fields';

export const description: INodeProperties[] = [
	{ ...unitLocator('unit', 'Checkpoint Unit', 'The unit whose checkpoint (卡口) the shift mans'), displayOptions: on('shift', ['create']) },
	{ displayName: 'Starts At', name: 'startsAt', type: 'dateTime', required: true, default: '', description: 'When the shift starts; a slot not taken up by then expires', displayOptions: on('shift', ['create']) },
	{ displayName: 'Ends At', name: 'endsAt', type: 'dateTime', required: true, default: '', description: 'When the shift ends', displayOptions: on('shift', ['create']) },
	{
		displayName: 'Slots',
		name: 'slots',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 100 },
		default: 2,
		description: 'How many people the shift needs; one open task is created per slot',
		displayOptions: on('shift', ['create']),
	},
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add field',
		default: {},
		displayOptions: on('shift', ['create']),
		options: [
			{ displayName: 'Note', name: 'note', type: 'string', typeOptions: { rows: 2 }, default: '', description: 'Instructions for whoever takes the shift' },
			{ displayName: 'Priority', name: 'priority', type: 'options', options: PRIORITY_OPTIONS, default: 3, description: 'Priority of the slot tasks' },
			{ displayName: 'Required Skills', name: 'requiredSkills', type: 'multiOptions', options: SKILL_OPTIONS, default: [], description: 'Skills a volunteer needs to take a slot' },
		],
	},
	{
		displayName: 'Filters',
		name: 'shiftFilters',
		type: 'collection',
		placeholder: 'Add filter',
		default: {},
		displayOptions: on('shift', ['list']),
		options: [
			{ displayName: 'From', name: 'from', type: 'dateTime', default: '', description: 'Only shifts that end after this time' },
			{ displayName: 'Open Slots Only', name: 'openOnly', type: 'boolean', default: false, description: 'Whether to return only shifts with slots still open' },
			{ displayName: 'To', name: 'to', type: 'dateTime', default: '', description: 'Only shifts that start before this time' },
			{ displayName: 'Within Unit Code', name: 'within', type: 'string', default: '', placeholder: 'e.g. 370614-001-002', description: 'Only shifts of this unit or below' },
		],
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 50,
		description: 'Max number of results to return',
		displayOptions: on('shift', ['list']),
	},
];

export const createHandler: OperationHandler<NewShift, unknown> = {
	read(ctx, i, env) {
		const f = param<Record<string, unknown>>(ctx, 'additionalFields', i, 'Additional Fields', {});
		const startsAt = optionalDate(param(ctx, 'startsAt', i, 'Starts At'), 'Starts At');
		const endsAt = optionalDate(param(ctx, 'endsAt', i, 'Ends At'), 'Ends At');
		if (!startsAt) throw new FieldError('Starts At', 'Starts At is required');
		if (!endsAt) throw new FieldError('Ends At', 'Ends At is required');
		const skills = skillList(f.requiredSkills);
		const note = text(f.note, { field: 'Note', max: 2000, multiline: true });
		const shift: NewShift = {
			unit: unitParam(ctx, 'unit', i, 'Checkpoint Unit', env.widths),
			startsAt,
			endsAt,
			slots: integer(param(ctx, 'slots', i, 'Slots'), 'Slots', { min: 1, max: 100 }) ?? 0,
			...(skills.length ? { requiredSkills: skills } : {}),
			...(note ? { note } : {}),
			...(f.priority !== undefined && f.priority !== '' ? { priority: Number(f.priority) } : {}),
		};
		checkNewShift(shift);
		return shift;
	},
	runBatch: createShifts,
};

export const listHandler: OperationHandler<ShiftQuery, unknown> = {
	read(ctx, i, env) {
		const f = param<Record<string, unknown>>(ctx, 'shiftFilters', i, 'Filters', {});
		const from = optionalDate(f.from, 'From');
		const to = optionalDate(f.to, 'To');
		return {
			...(f.within ? { within: { code: gridCode(f.within, 'Within Unit Code', env.widths).code } } : {}),
			...(from ? { from } : {}),
			...(to ? { to } : {}),
			...(f.openOnly ? { openOnly: true } : {}),
			limit: integer(param(ctx, 'limit', i, 'Limit', 50), 'Limit', { min: 1 }) ?? 50,
		};
	},
	runEach: listShifts,
};
