import type { INodeProperties } from 'n8n-workflow';
import { optionsCollection } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import * as callbacks from './callbacks.operation';
import * as compose from './compose.operation';
import * as delivery from './delivery.operation';
import { R } from './fields';
import * as optOut from './optOut.operation';

export const noticeHandlers: Record<string, OperationHandler<any, any>> = {
	compose: compose.handler,
	preview: delivery.previewHandler,
	prepare: delivery.prepareHandler,
	recordCallbacks: callbacks.handler,
	status: delivery.statusHandler,
	optOut: optOut.handler,
};

export const noticeOperations: Array<{ name: string; value: string; description: string; action: string }> = [
	{ name: 'Compose', value: 'compose', description: 'Store a notice: title, body with placeholders, category, channel, target and validity', action: 'Compose a notice' },
	{ name: 'Get Status', value: 'status', description: 'Per community: sent, delivered, failed and not reachable (no phone)', action: 'Get the delivery status of a notice' },
	{ name: 'Prepare Delivery', value: 'prepare', description: 'One item per recipient not yet prepared, shaped for an SMS gateway, WeCom bot or email node; never twice to the same person', action: 'Prepare delivery of a notice' },
	{ name: 'Preview', value: 'preview', description: 'Count the recipients per community before sending', action: 'Preview the recipients of a notice' },
	{ name: 'Record Callbacks', value: 'recordCallbacks', description: "Take the gateway's delivery callbacks (delivered, failed with reason) by message ID", action: 'Record delivery callbacks' },
	{ name: 'Record Opt-Out', value: 'optOut', description: 'A resident stops (or resumes) receiving non-urgent categories of notices', action: 'Record an opt out' },
];

export const noticeDescription: INodeProperties[] = [
	...compose.description,
	...delivery.description,
	...callbacks.description,
	...optOut.description,
	optionsCollection(R, noticeOperations.map((o) => o.value)),
];
