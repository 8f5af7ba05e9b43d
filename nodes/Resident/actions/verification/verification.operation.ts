import type { INodeProperties } from 'n8n-workflow';
import { type ListedPerson, verifyList } from '../../../shared/domain/resident/verification';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { FieldError } from '../../../shared/validation/errors';
import { DOCUMENT_TYPES, type DocumentType, document } from '../../../shared/validation/idNumber';
import { phone } from '../../../shared/validation/phone';
import { oneOf, requiredText, text } from '../../../shared/validation/text';

export const description: INodeProperties[] = [
	{
		displayName: 'All input items together are one pushed list (上级推送名单); each item is one person with the fields name, documentType (default id_card), documentNumber, phone, claimedAddress and arrival (any JSON). Each comes out as matched (with the responsible staff), ambiguous (with candidates and reasons) or not_found (with the community that should locate them). No resident is ever created.',
		name: 'verificationNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { resource: ['verification'], operation: ['check'] } },
	},
];

export const checkHandler: OperationHandler<ListedPerson, unknown> = {
	read(_ctx, i, env) {
		const j = env.items[i].json as Record<string, unknown>;
		if (j === null || typeof j !== 'object') throw new FieldError('Item', 'the item has no JSON object');
		const type = (j.documentType ? oneOf(j.documentType, 'documentType', DOCUMENT_TYPES) : 'id_card') as DocumentType;
		const arrival = j.arrival;
		if (arrival !== undefined && (typeof arrival !== 'object' || arrival === null || Array.isArray(arrival))) {
			throw new FieldError('arrival', 'arrival must be a JSON object, e.g. {"from": "…", "date": "…"}');
		}
		return {
			name: requiredText(j.name, { field: 'name', max: 100 }),
			document: j.documentNumber ? document(type, j.documentNumber, 'documentNumber') : undefined,
			phone: phone(j.phone, 'phone'),
			claimedAddress: text(j.claimedAddress, { field: 'claimedAddress', max: 300 }),
			arrival: arrival as Record<string, unknown> | undefined,
		};
	},
	async runBatch(uow, persons) {
		const results = await verifyList(uow, persons);
		return results.map((r) => ({ ok: true, value: r }));
	},
};
