import type { INodeProperties } from 'n8n-workflow';
import { type ConsultationResponse, type ResponseReceipt, respond } from '../../../shared/domain/consultation/responses';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param } from '../../../shared/n8n/params';
import { on } from './fields';

export const description: INodeProperties[] = [
	{
		displayName: 'Token',
		name: 'token',
		type: 'string',
		typeOptions: { password: true },
		required: true,
		default: '={{ $json.query ? $json.query.token : $json.token }}',
		description: 'The invitation token from the response link (a Webhook node puts it in query.token)',
		displayOptions: on(['respond']),
	},
	{
		displayName: 'Choice',
		name: 'choice',
		type: 'string',
		default: '={{ $json.body ? $json.body.choice : $json.choice }}',
		placeholder: 'e.g. A or A,C',
		description: 'Option code, or several separated by commas for a multiple choice (a list works too)',
		displayOptions: on(['respond']),
	},
	{
		displayName: 'Answer Text',
		name: 'answerText',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '={{ $json.body ? $json.body.text : $json.text }}',
		description: 'The answer of a free-text consultation',
		displayOptions: on(['respond']),
	},
];

const codes = (v: unknown): string[] =>
	(Array.isArray(v) ? v.map(String) : v === undefined || v === null ? [] : String(v).split(/[,，\s]+/)).map((s) => s.trim()).filter(Boolean);

export const respondHandler: OperationHandler<ConsultationResponse, ResponseReceipt> = {
	read(ctx, i) {
		const text = param<unknown>(ctx, 'answerText', i, 'Answer Text', '');
		return {
			token: String(param(ctx, 'token', i, 'Token', '') ?? ''),
			choices: codes(param(ctx, 'choice', i, 'Choice', '')),
			...(text !== undefined && text !== null && text !== '' ? { text: String(text) } : {}),
		};
	},
	// the whole batch is checked first and written set-based: see respond()
	runBatch: (uow, inputs) => respond(uow, inputs),
};
