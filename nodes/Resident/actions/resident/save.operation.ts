import type { INodeProperties } from 'n8n-workflow';
import { type NewResident, type RawResident, checkResident } from '../../../shared/domain/resident/residentInput';
import { saveResidents } from '../../../shared/domain/resident/residents';
import type { OperationHandler, ReadEnv } from '../../../shared/n8n/executeLoop';
import { param } from '../../../shared/n8n/params';
import { DOCUMENT_TYPE_OPTIONS, STATUS_OPTIONS, TAG_OPTIONS } from '../fields';

const show = { show: { resource: ['resident'], operation: ['create', 'upsert'] } };

export const description: INodeProperties[] = [
	{ displayName: 'Name', name: 'name', type: 'string', required: true, default: '', placeholder: 'e.g. 王秀英', description: 'Full name, up to 100 characters', displayOptions: show },
	{ displayName: 'Document Type', name: 'documentType', type: 'options', options: DOCUMENT_TYPE_OPTIONS, default: 'id_card', description: 'Kind of identity document', displayOptions: show },
	{
		displayName: 'Document Number',
		name: 'documentNumber',
		type: 'string',
		default: '',
		description: 'A mainland ID number is checked against GB 11643 (region, birth date, check digit; 15-digit legacy numbers are converted). Stored as a keyed hash and a masked form only, unless Store Full Document Number is on. Upsert matches on it.',
		displayOptions: show,
	},
	{ displayName: 'Building Code', name: 'buildingCode', type: 'string', default: '', placeholder: 'e.g. 370614-001-002-003-0005', description: 'Building (level 5) the resident lives in; with a room number the household is found or created', displayOptions: show },
	{ displayName: 'Room Number', name: 'roomNo', type: 'string', default: '', placeholder: 'e.g. 301', description: 'Room (户号) in the building; leave empty to register the resident in the building without a household', displayOptions: show },
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add field',
		default: {},
		displayOptions: show,
		options: [
			{ displayName: 'Birth Year', name: 'birthYear', type: 'number', default: 1970, description: 'Only for documents other than an ID card; an ID card gives it' },
			{ displayName: 'Custom Tags', name: 'customTags', type: 'string', default: '', description: 'Comma-separated tags outside the fixed list; needs Allow Custom Tags' },
			{ displayName: 'Health Status', name: 'healthStatus', type: 'options', options: STATUS_OPTIONS, default: 'normal', description: 'Status at registration (new residents only; use Set Health Status afterwards)' },
			{ displayName: 'Household ID', name: 'householdId', type: 'number', default: 0, description: 'An existing household, instead of building and room' },
			{ displayName: 'Phone', name: 'phone', type: 'string', default: '', description: 'Mainland mobile or landline with area code; stored encrypted and hashed, shown masked' },
			{ displayName: 'Quarantine Ends At', name: 'quarantineEndsAt', type: 'dateTime', default: '', description: 'Required with a quarantine status' },
			{ displayName: 'Relation', name: 'relation', type: 'string', default: '', placeholder: 'e.g. 户主, 配偶, 子女', description: 'Relation to the head of household' },
			{ displayName: 'Sex', name: 'sex', type: 'options', options: [{ name: 'Female (女)', value: 'F' }, { name: 'Male (男)', value: 'M' }], default: 'F', description: 'Only for documents other than an ID card; an ID card gives it' },
			{ displayName: 'Tags', name: 'tags', type: 'multiOptions', options: TAG_OPTIONS, default: [], description: 'Attention categories' },
			{ displayName: 'Unit Number', name: 'unitNo', type: 'string', default: '', placeholder: 'e.g. 2', description: 'Entrance or stairwell (单元) of the building' },
		],
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		displayOptions: { show: { resource: ['resident'], operation: ['create', 'upsert', 'bulkImport'] } },
		options: [
			{ displayName: 'Acting Staff', name: 'actingStaff', type: 'string', default: '', description: 'Staff number or name recorded in the audit log as the person doing this' },
			{ displayName: 'Allow Custom Tags', name: 'allowCustomTags', type: 'boolean', default: false, description: 'Whether tags outside the fixed list are accepted' },
			{ displayName: 'Match by Phone and Name', name: 'matchPhoneAndName', type: 'boolean', default: false, description: 'Whether Upsert may match a resident without a document by the same phone and name' },
			{ displayName: 'Store Full Document Number', name: 'storeFullDocument', type: 'boolean', default: false, description: 'Whether to keep the full number, encrypted, so it can be revealed later; otherwise only its hash and masked form are kept' },
		],
	},
];

export interface ResidentOptions {
	allowCustomTags?: boolean;
	matchPhoneAndName?: boolean;
	storeFullDocument?: boolean;
}

export function options(ctx: Parameters<OperationHandler<unknown, unknown>['read']>[0], env: ReadEnv): ResidentOptions {
	const cache = env as ReadEnv & { residentOptions?: ResidentOptions };
	cache.residentOptions ??= param<ResidentOptions>(ctx, 'options', 0, 'Options', {});
	return cache.residentOptions;
}

export function saveHandler(mode: 'create' | 'upsert', readRaw: (ctx: Parameters<OperationHandler<unknown, unknown>['read']>[0], i: number, env: ReadEnv) => RawResident): OperationHandler<{ r: NewResident; o: ResidentOptions }, unknown> {
	return {
		read(ctx, i, env) {
			const o = options(ctx, env);
			return { r: checkResident(readRaw(ctx, i, env), { widths: env.widths, allowCustomTags: !!o.allowCustomTags }), o };
		},
		runBatch: (uow, inputs) => {
			const o = inputs[0]?.o ?? {};
			return saveResidents(uow, inputs.map((x) => x.r), { mode, matchPhoneAndName: !!o.matchPhoneAndName, storeFullDocument: !!o.storeFullDocument });
		},
	};
}

function readParams(ctx: Parameters<OperationHandler<unknown, unknown>['read']>[0], i: number): RawResident {
	const extra = param<Record<string, unknown>>(ctx, 'additionalFields', i, 'Additional Fields', {});
	const tags = [...((extra.tags as string[]) ?? []), ...String(extra.customTags ?? '').split(',').filter((t) => t.trim())];
	return {
		name: param(ctx, 'name', i, 'Name'),
		documentType: param(ctx, 'documentType', i, 'Document Type', 'id_card'),
		documentNumber: param(ctx, 'documentNumber', i, 'Document Number', ''),
		buildingCode: param(ctx, 'buildingCode', i, 'Building Code', ''),
		roomNo: param(ctx, 'roomNo', i, 'Room Number', ''),
		unitNo: extra.unitNo,
		householdId: extra.householdId || undefined,
		phone: extra.phone,
		relation: extra.relation,
		tags,
		healthStatus: extra.healthStatus,
		quarantineEndsAt: extra.quarantineEndsAt,
		birthYear: extra.birthYear,
		sex: extra.sex,
	};
}

export const createHandler = saveHandler('create', readParams);
export const upsertHandler = saveHandler('upsert', readParams);
