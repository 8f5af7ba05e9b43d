import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { ResidentRef } from '../../shared/domain/resident/residents';
import { EXPOSURE_KINDS, HEALTH_STATUSES, OBSERVATION_SOURCES, TAGS } from '../../shared/domain/resident/vocabulary';
import { param } from '../../shared/n8n/params';
import { FieldError } from '../../shared/validation/errors';
import { DOCUMENT_TYPES, type DocumentType, document } from '../../shared/validation/idNumber';
import { phone } from '../../shared/validation/phone';
import { integer, oneOf, text } from '../../shared/validation/text';

export const TAG_OPTIONS = Object.entries(TAGS).map(([value, name]) => ({ name, value }));
export const STATUS_OPTIONS = Object.entries(HEALTH_STATUSES).map(([value, name]) => ({ name, value }));
export const SOURCE_OPTIONS = Object.entries(OBSERVATION_SOURCES).map(([value, name]) => ({ name, value }));
export const EXPOSURE_OPTIONS = Object.entries(EXPOSURE_KINDS).map(([value, name]) => ({ name, value }));
export const DOCUMENT_TYPE_OPTIONS = [
	{ name: 'Mainland ID Card (居民身份证)', value: 'id_card' },
	{ name: 'Passport (护照)', value: 'passport' },
	{ name: 'Hong Kong/Macao Permit (港澳通行证)', value: 'hk_macao_permit' },
	{ name: 'Taiwan Permit (台湾通行证)', value: 'taiwan_permit' },
	{ name: 'Foreign Permanent Resident Card (外国人永久居留证)', value: 'foreign_permanent_resident' },
	{ name: 'Other (其他)', value: 'other' },
];

/** "Find Resident By": ID, document number or phone; shared by every operation that names one resident. */
export function residentFinder(resource: string, operations: string[], prefix = ''): INodeProperties[] {
	const show = (extra: Record<string, string[]> = {}) => ({ show: { resource: [resource], operation: operations, ...extra } });
	const by = `${prefix}findBy`;
	return [
		{
			displayName: `${prefix ? 'Person: ' : ''}Find Resident By`,
			name: by,
			type: 'options',
			options: [
				{ name: 'Resident ID', value: 'id' },
				{ name: 'Document Number', value: 'document', description: 'Matched through its keyed hash; the number itself is never stored in clear' },
				{ name: 'Phone', value: 'phone', description: 'Matched through its keyed hash' },
			],
			default: 'id',
			description: 'How to identify the resident',
			displayOptions: show(),
		},
		{
			displayName: 'Resident ID',
			name: `${prefix}residentId`,
			type: 'number',
			default: 0,
			description: 'ID of the resident, as returned by Create or Search',
			displayOptions: show({ [by]: ['id'] }),
		},
		{
			displayName: 'Document Type',
			name: `${prefix}documentType`,
			type: 'options',
			options: DOCUMENT_TYPE_OPTIONS,
			default: 'id_card',
			description: 'Kind of identity document',
			displayOptions: show({ [by]: ['document'] }),
		},
		{
			displayName: 'Document Number',
			name: `${prefix}documentNumber`,
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'The full document number; it is hashed before it reaches the database',
			displayOptions: show({ [by]: ['document'] }),
		},
		{
			displayName: 'Phone',
			name: `${prefix}phone`,
			type: 'string',
			default: '',
			description: 'Mainland mobile or landline with area code',
			displayOptions: show({ [by]: ['phone'] }),
		},
	];
}

export function readResidentRef(ctx: IExecuteFunctions, i: number, prefix = ''): ResidentRef {
	const by = param<string>(ctx, `${prefix}findBy`, i, 'Find Resident By', 'id');
	if (by === 'document') {
		const type = oneOf(param(ctx, `${prefix}documentType`, i, 'Document Type', 'id_card'), 'Document Type', DOCUMENT_TYPES) as DocumentType;
		return { document: document(type, param(ctx, `${prefix}documentNumber`, i, 'Document Number'), 'Document Number') };
	}
	if (by === 'phone') {
		const p = phone(param(ctx, `${prefix}phone`, i, 'Phone'), 'Phone');
		if (!p) throw new FieldError('Phone', 'Phone is required');
		return { phone: p.normalized };
	}
	const id = integer(param(ctx, `${prefix}residentId`, i, 'Resident ID'), 'Resident ID', { min: 1 });
	if (id === undefined) throw new FieldError('Resident ID', 'Resident ID is required');
	return { id };
}

export function optionalText(value: unknown, field: string, max: number): string | undefined {
	return text(value, { field, max });
}
