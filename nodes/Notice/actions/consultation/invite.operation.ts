import type { INodeProperties } from 'n8n-workflow';
import { type Invitation, type IssueInvitations, issueInvitations } from '../../../shared/domain/consultation/invitations';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param } from '../../../shared/n8n/params';
import { FieldError, describeValue } from '../../../shared/validation/errors';
import { integer } from '../../../shared/validation/text';
import { consultationIdField, on, readConsultationId } from './fields';

export const description: INodeProperties[] = [
	consultationIdField(['issueInvitations']),
	{
		displayName: 'Response Link Base',
		name: 'responseLinkBase',
		type: 'string',
		default: '',
		placeholder: 'e.g. https://n8n.example.org/webhook/consultation',
		description: 'URL of the n8n Webhook that takes responses; each item gets a link with its token as the "token" query parameter. Empty: tokens only.',
		displayOptions: on(['issueInvitations']),
	},
	{
		displayName: 'Max Invitations',
		name: 'maxInvitations',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		description: 'Issue at most this many in one run (0: all); the next run issues the rest, never one twice',
		displayOptions: on(['issueInvitations']),
	},
];

export function checkLinkBase(value: unknown): string | undefined {
	const s = String(value ?? '').trim();
	if (!s) return undefined;
	let u: URL;
	try {
		u = new URL(s);
	} catch {
		throw new FieldError('Response Link Base', `Response Link Base must be a URL such as https://n8n.example.org/webhook/consultation, got ${describeValue(s)}`);
	}
	if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new FieldError('Response Link Base', `Response Link Base must be an http or https URL, got ${describeValue(s)}`);
	return u.toString();
}

export const issueHandler: OperationHandler<IssueInvitations, Invitation[]> = {
	read(ctx, i) {
		const linkBase = checkLinkBase(param(ctx, 'responseLinkBase', i, 'Response Link Base', ''));
		return {
			consultationId: readConsultationId(ctx, i),
			...(linkBase ? { linkBase } : {}),
			maxInvitations: integer(param(ctx, 'maxInvitations', i, 'Max Invitations', 0), 'Max Invitations', { min: 0 }) ?? 0,
		};
	},
	runEach: issueInvitations,
};
