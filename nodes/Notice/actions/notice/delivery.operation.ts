import type { INodeProperties } from 'n8n-workflow';
import { previewNotice } from '../../../shared/domain/notice/audience';
import { noticeStatus } from '../../../shared/domain/notice/deliveryLog';
import { loadNotice } from '../../../shared/domain/notice/notices';
import { type PrepareInput, type RecipientItem, prepareNotice } from '../../../shared/domain/notice/prepare';
import { DEFAULT_MAX_RECIPIENTS } from '../../../shared/domain/notice/vocabulary';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param } from '../../../shared/n8n/params';
import { integer } from '../../../shared/validation/text';
import { noticeIdField, on, readId } from './fields';

export const description: INodeProperties[] = [
	noticeIdField(['preview', 'prepare', 'status']),
	{
		displayName: 'Include Phone',
		name: 'noticeIncludePhone',
		type: 'boolean',
		default: false,
		description: "Whether each item carries the recipient's full phone in \"to\", for an SMS gateway. Phones are revealed only here, and every reveal is written to the audit log.",
		displayOptions: on(['prepare']),
	},
	{
		displayName: 'Max Recipients per Run',
		name: 'noticeMaxRecipients',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: DEFAULT_MAX_RECIPIENTS,
		description: 'Rate limit for the channel: at most this many recipients are prepared per execution; run again (e.g. on a schedule) for the rest. Nobody is ever prepared twice.',
		displayOptions: on(['prepare']),
	},
];

const noticeId = (ctx: Parameters<OperationHandler<unknown, unknown>['read']>[0], i: number) => readId(param(ctx, 'noticeId', i, 'Notice ID'), 'Notice ID');

export const previewHandler: OperationHandler<{ noticeId: number }, unknown> = {
	read: (ctx, i) => ({ noticeId: noticeId(ctx, i) }),
	runEach: async (uow, input) => previewNotice(uow, await loadNotice(uow, input.noticeId)),
};

export const prepareHandler: OperationHandler<PrepareInput, RecipientItem[]> = {
	read(ctx, i) {
		return {
			noticeId: noticeId(ctx, i),
			includePhone: Boolean(param(ctx, 'noticeIncludePhone', i, 'Include Phone', false)),
			maxRecipients: integer(param(ctx, 'noticeMaxRecipients', i, 'Max Recipients per Run', DEFAULT_MAX_RECIPIENTS), 'Max Recipients per Run', { min: 1 }) ?? DEFAULT_MAX_RECIPIENTS,
		};
	},
	async runEach(uow, input) {
		// the items leave as one list: n8n holds an execution's output in memory anyway; the reads are paged
		const out: RecipientItem[] = [];
		await prepareNotice(uow, input, (page) => {
			for (const item of page) out.push(item);
		});
		return out;
	},
};

export const statusHandler: OperationHandler<{ noticeId: number }, unknown> = {
	read: (ctx, i) => ({ noticeId: noticeId(ctx, i) }),
	runEach: (uow, input) => noticeStatus(uow, input.noticeId),
};
