import type { INodeProperties } from 'n8n-workflow';
import { type RawResident, type ResidentRules, checkResident } from '../../../shared/domain/resident/residentInput';
import { importResidents } from '../../../shared/domain/resident/residentSave';
import type { OperationHandler, ReadEnv } from '../../../shared/n8n/executeLoop';
import { param } from '../../../shared/n8n/params';
import { FieldError } from '../../../shared/validation/errors';
import { type ResidentOptions, options } from './save.operation';

const show = { show: { resource: ['resident'], operation: ['bulkImport'] } };

const FIELDS = [
	'name', 'documentType', 'documentNumber', 'phone', 'buildingCode', 'unitNo', 'roomNo', 'householdId',
	'relation', 'tags', 'healthStatus', 'quarantineEndsAt', 'birthYear', 'sex',
] as const;

export const description: INodeProperties[] = [
	{
		displayName: `Each input item is one resident, read from its fields: ${FIELDS.join(', ')}. Every item is checked (a document given twice names both items), and without Continue On Fail one failing item means nothing is written; households are found or created and residents written in bulk.`,
		name: 'bulkNotice',
		type: 'notice',
		default: '',
		displayOptions: show,
	},
	{
		displayName: 'Mode',
		name: 'importMode',
		type: 'options',
		options: [
			{ name: 'Create', value: 'create', description: 'Refuse residents whose document is already registered' },
			{ name: 'Create or Update', value: 'upsert', description: 'Create a new record, or update the current one if it already exists (upsert)' },
		],
		default: 'upsert',
		description: 'What to do with residents already in the registry',
		displayOptions: show,
	},
];

/** An item as given, checked when the import reaches it (see importResidents). */
interface ImportInput {
	raw: RawResident;
	rules: ResidentRules;
	o: ResidentOptions;
	mode: 'create' | 'upsert';
}

const ITEM_KEYS: Record<string, (typeof FIELDS)[number]> = {
	Name: 'name',
	'Document Type': 'documentType',
	'Document Number': 'documentNumber',
	Phone: 'phone',
	'Building Code': 'buildingCode',
	'Unit Number': 'unitNo',
	'Room Number': 'roomNo',
	'Household ID': 'householdId',
	Relation: 'relation',
	Tags: 'tags',
	'Health Status': 'healthStatus',
	'Quarantine Ends At': 'quarantineEndsAt',
	'Birth Year': 'birthYear',
	Sex: 'sex',
};

export const handler: OperationHandler<ImportInput, unknown> = {
	itemField: (label) => ITEM_KEYS[label],
	read(ctx, i, env: ReadEnv) {
		const json = env.items[i].json;
		if (json === null || typeof json !== 'object') throw new FieldError('Item', 'the item has no JSON object to import');
		const o = options(ctx, env);
		const cache = env as ReadEnv & { importMode?: 'create' | 'upsert'; importRules?: ResidentRules };
		cache.importMode ??= param<'create' | 'upsert'>(ctx, 'importMode', 0, 'Mode', 'upsert');
		cache.importRules ??= { widths: env.widths, allowCustomTags: !!o.allowCustomTags };
		// The fields are checked by the import itself, chunk by chunk while the database writes the
		// chunk before (a failing item still fails the whole batch, or only itself with Continue On
		// Fail). The item's JSON is used in place: checkResident reads only the FIELDS, never writes.
		return { raw: json as RawResident, rules: cache.importRules, o, mode: cache.importMode };
	},
	runBatch(uow, inputs) {
		// mode and options are read once per execution, so every input carries the same ones
		const { o, mode } = inputs[0];
		const source = { length: inputs.length, resident: (i: number) => checkResident(inputs[i].raw, inputs[i].rules) };
		return importResidents(uow, source, { mode, matchPhoneAndName: !!o.matchPhoneAndName, storeFullDocument: !!o.storeFullDocument });
	},
};
