import type { INodeProperties } from 'n8n-workflow';
import { type OptOutInput, recordOptOuts } from '../../../shared/domain/notice/deliveryLog';
import { NOTICE_CATEGORIES, type NoticeCategory, URGENT_CATEGORIES } from '../../../shared/domain/notice/vocabulary';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param } from '../../../shared/n8n/params';
import { FieldError } from '../../../shared/validation/errors';
import { text } from '../../../shared/validation/text';
import { list, on, readId } from './fields';

const OPTIONAL = Object.entries(NOTICE_CATEGORIES).filter(([k]) => !URGENT_CATEGORIES.includes(k as NoticeCategory)).map(([value, name]) => ({ name, value }));

export const description: INodeProperties[] = [
	{ displayName: 'Resident ID', name: 'optOutResidentId', type: 'number', required: true, default: 0, description: 'The resident who asks not to receive (or to receive again) some notices', displayOptions: on(['optOut']) },
	{ displayName: 'Categories', name: 'optOutCategories', type: 'multiOptions', options: OPTIONAL, required: true, default: [], description: 'Categories concerned. Health alerts are urgent and cannot be opted out of.', displayOptions: on(['optOut']) },
	{
		displayName: 'Action',
		name: 'optOutAction',
		type: 'options',
		options: [{ name: 'Opt Out (退订)', value: 'out' }, { name: 'Opt In Again (恢复接收)', value: 'in' }],
		default: 'out',
		description: 'Whether the resident stops or resumes receiving these categories',
		displayOptions: on(['optOut']),
	},
	{ displayName: 'Reason', name: 'optOutReason', type: 'string', default: '', description: 'Why, as the resident said it', displayOptions: on(['optOut']) },
];

export const handler: OperationHandler<OptOutInput, unknown> = {
	read(ctx, i) {
		const categories = list(param(ctx, 'optOutCategories', i, 'Categories', []));
		if (!categories.length) throw new FieldError('Categories', 'Categories is empty: name at least one category');
		for (const c of categories) {
			if (URGENT_CATEGORIES.includes(c as NoticeCategory)) throw new FieldError('Categories', `${NOTICE_CATEGORIES[c as NoticeCategory]} notices are urgent and reach everyone; they cannot be opted out of`);
			if (!(c in NOTICE_CATEGORIES)) throw new FieldError('Categories', `unknown category "${c}"; use ${OPTIONAL.map((o) => o.value).join(', ')}`);
		}
		const reason = text(param(ctx, 'optOutReason', i, 'Reason', ''), { field: 'Reason', max: 500 });
		return {
			residentId: readId(param(ctx, 'optOutResidentId', i, 'Resident ID'), 'Resident ID'),
			categories: categories as NoticeCategory[],
			optOut: param<string>(ctx, 'optOutAction', i, 'Action', 'out') !== 'in',
			...(reason ? { reason } : {}),
		};
	},
	runBatch: recordOptOuts,
};
