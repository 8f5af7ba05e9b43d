import type { INodeProperties } from 'n8n-workflow';
import { type DeliveryCallback, recordCallbacks } from '../../../shared/domain/notice/deliveryLog';
import type { CallbackStatus } from '../../../shared/domain/notice/vocabulary';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param } from '../../../shared/n8n/params';
import { FieldError, describeValue } from '../../../shared/validation/errors';
import { text, timestamp } from '../../../shared/validation/text';
import { on } from './fields';

export const description: INodeProperties[] = [
	{ displayName: 'Message ID', name: 'callbackMessageId', type: 'string', required: true, default: '={{ $json.messageId }}', description: 'The messageId that Prepare Delivery gave the recipient, as the gateway echoes it back', displayOptions: on(['recordCallbacks']) },
	{ displayName: 'Status', name: 'callbackStatus', type: 'string', required: true, default: '={{ $json.status }}', description: 'Delivered or failed (gateway words such as DELIVRD, success, UNDELIV, error are understood)', displayOptions: on(['recordCallbacks']) },
	{ displayName: 'Reason', name: 'callbackReason', type: 'string', default: '={{ $json.reason }}', description: 'Why delivery failed, as the gateway says it', displayOptions: on(['recordCallbacks']) },
	{ displayName: 'At', name: 'callbackAt', type: 'string', default: '={{ $json.at }}', description: 'When the gateway saw the outcome (ISO 8601); now when empty. An older callback never overwrites a newer one.', displayOptions: on(['recordCallbacks']) },
];

const DELIVERED = ['delivered', 'delivrd', 'success', 'succeeded', 'ok'];
const FAILED = ['failed', 'failure', 'fail', 'undeliv', 'undelivered', 'rejected', 'error', 'expired'];

export function callbackStatus(value: unknown): CallbackStatus {
	const s = String(value ?? '').trim().toLowerCase();
	if (DELIVERED.includes(s)) return 'delivered';
	if (FAILED.includes(s)) return 'failed';
	throw new FieldError('Status', `Status must be delivered or failed, got ${describeValue(value)}`);
}

export const handler: OperationHandler<DeliveryCallback, unknown> = {
	read(ctx, i) {
		const messageId = text(param(ctx, 'callbackMessageId', i, 'Message ID'), { field: 'Message ID', max: 100, required: true })!;
		const reason = text(param(ctx, 'callbackReason', i, 'Reason', ''), { field: 'Reason', max: 500, multiline: true });
		const at = timestamp(param(ctx, 'callbackAt', i, 'At', ''), 'At');
		return { messageId, status: callbackStatus(param(ctx, 'callbackStatus', i, 'Status')), ...(reason ? { reason } : {}), ...(at ? { at } : {}) };
	},
	runBatch: recordCallbacks,
};
