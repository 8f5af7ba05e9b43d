import type { INodeProperties } from 'n8n-workflow';
import { type ResidentSearch, searchResidents } from '../../../shared/domain/resident/search';
import { HEALTH_STATUS_KEYS, type HealthStatus } from '../../../shared/domain/resident/vocabulary';
import { returnAllAndLimit } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param } from '../../../shared/n8n/params';
import { type Level, gridCode } from '../../../shared/validation/gridCode';
import { DOCUMENT_TYPES, type DocumentType, document } from '../../../shared/validation/idNumber';
import { phone } from '../../../shared/validation/phone';
import { integer, oneOf } from '../../../shared/validation/text';
import { LEVEL_OPTIONS } from '../../../Grid/actions/unit/list.operation';
import { checkTags } from '../../../shared/domain/resident/residentInput';
import { DOCUMENT_TYPE_OPTIONS, STATUS_OPTIONS, TAG_OPTIONS } from '../fields';

const show = { show: { resource: ['resident'], operation: ['search'] } };

export const description: INodeProperties[] = [
	...returnAllAndLimit('resident', 'search'),
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add filter',
		default: {},
		displayOptions: show,
		options: [
			{ displayName: 'Document Number', name: 'documentNumber', type: 'string', typeOptions: { password: true }, default: '', description: 'Exact document number, matched through its hash' },
			{ displayName: 'Document Type', name: 'documentType', type: 'options', options: DOCUMENT_TYPE_OPTIONS, default: 'id_card', description: 'Kind of the document number above' },
			{ displayName: 'Health Status', name: 'statuses', type: 'multiOptions', options: STATUS_OPTIONS, default: [], description: 'Residents in any of these statuses' },
			{ displayName: 'Include Inactive', name: 'includeInactive', type: 'boolean', default: false, description: 'Whether to include residents who moved away or died' },
			{ displayName: 'Include Unregistered Persons', name: 'includeUnregistered', type: 'boolean', default: false, description: 'Whether to include persons recorded only through exposures' },
			{ displayName: 'Max Age', name: 'maxAge', type: 'number', default: 120, description: 'Oldest age, in years' },
			{ displayName: 'Min Age', name: 'minAge', type: 'number', default: 0, description: 'Youngest age, in years' },
			{ displayName: 'Name Prefix', name: 'namePrefix', type: 'string', default: '', description: 'Names starting with this text, e.g. a family name' },
			{ displayName: 'Phone', name: 'phone', type: 'string', default: '', description: 'Exact phone, matched through its hash' },
			{ displayName: 'Quarantine Ends Within (Days)', name: 'quarantineEndsWithinDays', type: 'number', default: 3, description: 'Residents in quarantine whose quarantine ends within this many days' },
			{ displayName: 'Tag Match', name: 'tagMatch', type: 'options', options: [{ name: 'All Tags', value: 'all' }, { name: 'Any Tag', value: 'any' }], default: 'all', description: 'Whether residents need all of the tags or any of them' },
			{ displayName: 'Tags', name: 'tags', type: 'multiOptions', options: TAG_OPTIONS, default: [], description: 'Residents with these tags' },
			{ displayName: 'Unit Level', name: 'level', type: 'options', options: LEVEL_OPTIONS, default: 5, description: 'Level of the unit a person is registered at (buildings for residents)' },
			{ displayName: 'Within Unit Code', name: 'withinCode', type: 'string', default: '', placeholder: 'e.g. 370614-001-002', description: 'Residents of this unit\'s subtree' },
		],
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		displayOptions: { show: { resource: ['resident'], operation: ['search', 'get'] } },
		options: [
			{ displayName: 'Acting Staff', name: 'actingStaff', type: 'string', default: '', description: 'Staff number or name recorded in the audit log as the person doing this' },
			{ displayName: 'Reveal Personal Data', name: 'reveal', type: 'boolean', default: false, description: 'Whether to output full phones (and document numbers stored in full). Every reveal is written to the audit log.' },
		],
	},
];

export const handler: OperationHandler<ResidentSearch, unknown> = {
	read(ctx, i, env) {
		const f = param<Record<string, unknown>>(ctx, 'filters', i, 'Filters', {});
		const returnAll = param<boolean>(ctx, 'returnAll', i, 'Return All', false);
		const docType = (f.documentType ? oneOf(f.documentType, 'Document Type', DOCUMENT_TYPES) : 'id_card') as DocumentType;
		return {
			within: f.withinCode ? { code: gridCode(f.withinCode, 'Within Unit Code', env.widths).code } : undefined,
			level: f.level ? (integer(f.level, 'Unit Level', { min: 1, max: 5 }) as Level) : undefined,
			tags: checkTags(f.tags, true),
			tagMatch: f.tagMatch === 'any' ? 'any' : 'all',
			statuses: ((f.statuses as string[]) ?? []).map((s) => oneOf(s, 'Health Status', HEALTH_STATUS_KEYS)) as HealthStatus[],
			minAge: integer(f.minAge, 'Min Age', { min: 0, max: 150 }),
			maxAge: integer(f.maxAge, 'Max Age', { min: 0, max: 150 }),
			namePrefix: typeof f.namePrefix === 'string' && f.namePrefix.trim() ? f.namePrefix.trim() : undefined,
			document: f.documentNumber ? document(docType, f.documentNumber, 'Document Number') : undefined,
			phone: phone(f.phone, 'Phone')?.normalized,
			quarantineEndsWithinDays: integer(f.quarantineEndsWithinDays, 'Quarantine Ends Within (Days)', { min: 0, max: 365 }),
			includeInactive: Boolean(f.includeInactive),
			includeUnregistered: Boolean(f.includeUnregistered),
			limit: returnAll ? undefined : param<number>(ctx, 'limit', i, 'Limit', 50),
			reveal: Boolean(param(ctx, 'options.reveal', i, 'Reveal Personal Data', false)),
		};
	},
	runEach: searchResidents,
};
