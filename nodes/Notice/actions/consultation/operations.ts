import type { INodeProperties } from 'n8n-workflow';
import { optionsCollection } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import * as create from './create.operation';
import { R } from './fields';
import * as invite from './invite.operation';
import * as respond from './respond.operation';
import * as tally from './tally.operation';

/** The Consultation resource (征求意见) of the Notice node: handlers by operation value. */
export const consultationHandlers: Record<string, OperationHandler<any, any>> = {
	close: tally.closeHandler,
	create: create.createHandler,
	get: create.getHandler,
	issueInvitations: invite.issueHandler,
	respond: respond.respondHandler,
	tally: tally.tallyHandler,
};

export const consultationOperations: Array<{ name: string; value: string; description: string; action: string }> = [
	{ name: 'Close', value: 'close', description: 'Freeze the consultation and write its result record for the statistics export', action: 'Close a consultation' },
	{ name: 'Create', value: 'create', description: 'Create a consultation: question, scope, choice, window and electorate', action: 'Create a consultation' },
	{ name: 'Get', value: 'get', description: 'Get a consultation by ID', action: 'Get a consultation' },
	{ name: 'Issue Invitations', value: 'issueInvitations', description: 'One signed token and response link per household or adult resident not yet invited', action: 'Issue consultation invitations' },
	{ name: 'Respond', value: 'respond', description: 'Take responses (one per input item), checking token, window, electorate and choice', action: 'Respond to a consultation' },
	{ name: 'Tally', value: 'tally', description: 'Counts per option and turnout per community or base grid', action: 'Tally a consultation' },
];

export const consultationDescription: INodeProperties[] = [
	...create.description,
	...invite.description,
	...respond.description,
	...tally.description,
	{ ...optionsCollection(R, consultationOperations.map((o) => o.value)), description: 'Who is recorded in the audit log as doing this' },
];
