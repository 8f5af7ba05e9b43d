import type { INodeProperties } from 'n8n-workflow';
import { CHOICE_KINDS, type ChoiceKind, DEFAULT_MAX_TEXT, ELECTORATES, type Electorate, type NewConsultation, checkConsultation } from '../../../shared/domain/consultation/consultationInput';
import { type ConsultationRecord, createConsultation, getConsultation } from '../../../shared/domain/consultation/consultations';
import { unitLocator } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param, unitParam } from '../../../shared/n8n/params';
import { FieldError } from '../../../shared/validation/errors';
import { integer, oneOf, timestamp } from '../../../shared/validation/text';
import { choices, consultationIdField, on, readConsultationId } from './fields';

export const description: INodeProperties[] = [
	{ displayName: 'Question', name: 'question', type: 'string', typeOptions: { rows: 2 }, required: true, default: '', placeholder: 'e.g. 是否同意在小区内增设电动车充电桩？', description: 'What residents are asked, up to 500 characters', displayOptions: on(['create']) },
	{ displayName: 'Background', name: 'background', type: 'string', typeOptions: { rows: 4 }, default: '', description: 'Why the question is asked and what the decision changes, up to 5,000 characters', displayOptions: on(['create']) },
	{ ...unitLocator('consultationScope', 'Scope', 'The grid unit whose subtree is consulted: its households or adult residents make up the electorate'), displayOptions: on(['create']) },
	{ displayName: 'Choice Kind', name: 'choiceKind', type: 'options', options: choices(CHOICE_KINDS), default: 'single', description: 'Whether a response picks one option, several, or is free text', displayOptions: on(['create']) },
	{
		displayName: 'Options',
		name: 'choiceOptions',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		placeholder: 'Add option',
		default: {},
		description: 'The options offered, at least two; responses name them by code',
		displayOptions: on(['create'], { choiceKind: ['single', 'multiple'] }),
		options: [
			{
				displayName: 'Option',
				name: 'option',
				values: [
					{ displayName: 'Code', name: 'code', type: 'string', default: '', placeholder: 'e.g. A', description: 'Short code a response gives: letters, digits, _ and -' },
					{ displayName: 'Label', name: 'label', type: 'string', default: '', placeholder: 'e.g. 同意', description: 'What residents read' },
				],
			},
		],
	},
	{ displayName: 'Opens At', name: 'opensAt', type: 'dateTime', required: true, default: '', description: 'From when responses are taken', displayOptions: on(['create']) },
	{ displayName: 'Closes At', name: 'closesAt', type: 'dateTime', required: true, default: '', description: 'Until when responses are taken; must be after Opens At', displayOptions: on(['create']) },
	{ displayName: 'Electorate', name: 'electorate', type: 'options', options: choices(ELECTORATES), default: 'household', description: 'Who gets an invitation: one per active household, or one per active registered resident aged 18 or over in the year the consultation opens', displayOptions: on(['create']) },
	{ displayName: 'Allow Changing a Response', name: 'allowChange', type: 'boolean', default: false, description: 'Whether a second response with the same token replaces the first; when off it is refused', displayOptions: on(['create']) },
	{ displayName: 'Max Answer Length', name: 'maxTextLength', type: 'number', typeOptions: { minValue: 1, maxValue: 5000 }, default: DEFAULT_MAX_TEXT, description: 'Free text: the longest answer taken, in characters', displayOptions: on(['create'], { choiceKind: ['free_text'] }) },
	consultationIdField(['get']),
];

export const createHandler: OperationHandler<NewConsultation, ConsultationRecord> = {
	read(ctx, i, env) {
		const choiceKind = oneOf(param(ctx, 'choiceKind', i, 'Choice Kind'), 'Choice Kind', Object.keys(CHOICE_KINDS) as ChoiceKind[]);
		const raw = param<{ option?: Array<{ code?: unknown; label?: unknown }> }>(ctx, 'choiceOptions', i, 'Options', {});
		const opensAt = timestamp(param(ctx, 'opensAt', i, 'Opens At'), 'Opens At');
		const closesAt = timestamp(param(ctx, 'closesAt', i, 'Closes At'), 'Closes At');
		if (!opensAt) throw new FieldError('Opens At', 'Opens At is required but empty');
		if (!closesAt) throw new FieldError('Closes At', 'Closes At is required but empty');
		return checkConsultation({
			// as given: checkConsultation refuses what is not text, which String() would turn into "[object Object]"
			question: param<string>(ctx, 'question', i, 'Question'),
			background: param<string>(ctx, 'background', i, 'Background', ''),
			scope: unitParam(ctx, 'consultationScope', i, 'Scope', env.widths),
			choiceKind,
			options: choiceKind === 'free_text' ? [] : (raw.option ?? []).map((o) => ({ code: String(o.code ?? ''), label: String(o.label ?? '') })),
			opensAt,
			closesAt,
			electorate: oneOf(param(ctx, 'electorate', i, 'Electorate'), 'Electorate', Object.keys(ELECTORATES) as Electorate[]),
			allowChange: Boolean(param(ctx, 'allowChange', i, 'Allow Changing a Response', false)),
			...(choiceKind === 'free_text' ? { maxTextLength: integer(param(ctx, 'maxTextLength', i, 'Max Answer Length', DEFAULT_MAX_TEXT), 'Max Answer Length', { min: 1, max: 5000 }) } : {}),
		});
	},
	runEach: createConsultation,
};

export const getHandler: OperationHandler<{ id: number }, ConsultationRecord> = {
	read: (ctx, i) => ({ id: readConsultationId(ctx, i) }),
	runEach: getConsultation,
};
