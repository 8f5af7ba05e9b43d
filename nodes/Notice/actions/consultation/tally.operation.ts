import type { INodeProperties } from 'n8n-workflow';
import { type CloseInput, type CloseResult, type Tally, type TallyInput, closeConsultation, tallyConsultation } from '../../../shared/domain/consultation/tally';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param } from '../../../shared/n8n/params';
import { breakdownField, consultationIdField, on, readBreakdown, readConsultationId } from './fields';

export const description: INodeProperties[] = [
	consultationIdField(['tally', 'close']),
	breakdownField(['tally', 'close'], 4),
	{
		displayName: 'Close Early',
		name: 'closeEarly',
		type: 'boolean',
		default: false,
		description: 'Whether to close before Closes At; otherwise closing an open consultation early is refused',
		displayOptions: on(['close']),
	},
	{
		displayName: 'One Item per Unit',
		name: 'splitRows',
		type: 'boolean',
		default: false,
		description: 'Whether to output one item per unit and a last one for the total, instead of one item with all rows',
		displayOptions: on(['tally']),
	},
];

type TallyRead = TallyInput & { splitRows: boolean };

export const tallyHandler: OperationHandler<TallyRead, unknown> = {
	read: (ctx, i) => ({
		consultationId: readConsultationId(ctx, i),
		byLevel: readBreakdown(ctx, i, 4),
		splitRows: Boolean(param(ctx, 'splitRows', i, 'One Item per Unit', false)),
	}),
	async runEach(uow, input) {
		const t: Tally = await tallyConsultation(uow, input);
		if (!input.splitRows) return t;
		const head = { consultationId: t.consultationId, question: t.question, status: t.status, byLevel: t.byLevel, computedAt: t.computedAt };
		return [...t.rows.map((r) => ({ ...head, isTotal: false, ...r })), { ...head, isTotal: true, ...t.total }];
	},
};

export const closeHandler: OperationHandler<CloseInput, CloseResult> = {
	read: (ctx, i) => ({
		consultationId: readConsultationId(ctx, i),
		byLevel: readBreakdown(ctx, i, 4),
		closeEarly: Boolean(param(ctx, 'closeEarly', i, 'Close Early', false)),
	}),
	runEach: closeConsultation,
};
