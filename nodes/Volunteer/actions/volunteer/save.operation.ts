import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { type NewVolunteer, type RawVolunteer, checkVolunteer } from '../../../shared/domain/volunteer/volunteerInput';
import { saveVolunteers } from '../../../shared/domain/volunteer/volunteers';
import type { OperationHandler, ReadEnv } from '../../../shared/n8n/executeLoop';
import { param } from '../../../shared/n8n/params';
import { FieldError } from '../../../shared/validation/errors';
import { KIND_OPTIONS, SKILL_OPTIONS, skillsFrom } from '../fields';

const show = { show: { resource: ['volunteer'], operation: ['create'] } };
const showImport = { show: { resource: ['volunteer'], operation: ['bulkImport'] } };

const FIELDS = ['name', 'volunteerNo', 'kind', 'homeAgency', 'profession', 'skills', 'availability', 'unitCode', 'maxTasks', 'phone'] as const;

export const AVAILABILITY_HINT = 'Weekly windows in the credential\'s time zone, e.g. "mon 08:00-12:00, sat 09:00-17:00" or "mon-fri 18:00-21:00", or JSON [{"day":"mon","start":"08:00","end":"12:00"}]. Empty: any time';

export const description: INodeProperties[] = [
	{ displayName: 'Name', name: 'name', type: 'string', required: true, default: '', placeholder: 'e.g. 刘建国', description: 'Full name, up to 100 characters', displayOptions: show },
	{ displayName: 'Kind', name: 'kind', type: 'options', options: KIND_OPTIONS, default: 'resident_volunteer', description: 'What kind of volunteer this is', displayOptions: show },
	{ displayName: 'Home Unit Code', name: 'unitCode', type: 'string', required: true, default: '', placeholder: 'e.g. 370614-001-002-003', description: 'Grid code of the unit the volunteer serves from; dispatch prefers tasks near it', displayOptions: show },
	{ displayName: 'Skills', name: 'skills', type: 'multiOptions', options: SKILL_OPTIONS, default: [], description: 'What the volunteer can do; dispatch requires every skill a task asks for', displayOptions: show },
	{ displayName: 'Availability', name: 'availability', type: 'string', default: '', placeholder: 'mon 08:00-12:00, sat 09:00-17:00', description: AVAILABILITY_HINT, displayOptions: show },
	{ displayName: 'Max Tasks', name: 'maxTasks', type: 'number', typeOptions: { minValue: 1 }, default: 3, description: 'Most tasks the volunteer holds at once (assigned, accepted or in progress)', displayOptions: show },
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add field',
		default: {},
		displayOptions: show,
		options: [
			{ displayName: 'Custom Skills', name: 'customSkills', type: 'string', default: '', description: 'Comma-separated skills outside the fixed list; needs Allow Custom Skills' },
			{ displayName: 'Home Agency', name: 'homeAgency', type: 'string', default: '', placeholder: 'e.g. 区财政局', description: 'Agency a sent-down cadre comes from (required for cadres)' },
			{ displayName: 'Phone', name: 'phone', type: 'string', default: '', description: 'Mainland mobile or landline with area code; stored encrypted and hashed, shown masked' },
			{ displayName: 'Profession', name: 'profession', type: 'string', default: '', placeholder: 'e.g. 医生', description: 'Profession of a professional volunteer (required for professionals)' },
			{ displayName: 'Volunteer Number', name: 'volunteerNo', type: 'string', default: '', placeholder: 'e.g. V-0001', description: 'The volunteer\'s own number, unique; Import Many updates by it' },
		],
	},
	{
		displayName: `Each input item is one volunteer, read from its fields: ${FIELDS.join(', ')} (unitCode is the home unit's grid code; skills a list or comma-separated text). The whole batch is checked first; then all volunteers are written in bulk.`,
		name: 'bulkNotice',
		type: 'notice',
		default: '',
		displayOptions: showImport,
	},
	{
		displayName: 'Mode',
		name: 'importMode',
		type: 'options',
		options: [
			{ name: 'Create', value: 'create', description: 'Refuse volunteers whose number is already registered' },
			{ name: 'Create or Update', value: 'upsert', description: 'Create a new record, or update the current one if it already exists (upsert)' },
		],
		default: 'upsert',
		description: 'What to do with volunteers whose Volunteer Number is already registered',
		displayOptions: showImport,
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		displayOptions: { show: { resource: ['volunteer'], operation: ['create', 'bulkImport', 'update'] } },
		options: [
			{ displayName: 'Acting Staff', name: 'actingStaff', type: 'string', default: '', description: 'Staff number or name recorded in the audit log as the person doing this' },
			{ displayName: 'Allow Custom Skills', name: 'allowCustomSkills', type: 'boolean', default: false, description: 'Whether skills outside the fixed list are accepted' },
		],
	},
];

interface SaveInput {
	v: NewVolunteer;
	mode: 'create' | 'upsert';
}

function allowCustom(ctx: IExecuteFunctions, env: ReadEnv): boolean {
	const cache = env as ReadEnv & { allowCustomSkills?: boolean };
	cache.allowCustomSkills ??= Boolean(param(ctx, 'options.allowCustomSkills', 0, 'Allow Custom Skills', false));
	return cache.allowCustomSkills;
}

export const createHandler: OperationHandler<SaveInput, unknown> = {
	read(ctx, i, env) {
		const extra = param<Record<string, unknown>>(ctx, 'additionalFields', i, 'Additional Fields', {});
		const raw: RawVolunteer = {
			name: param(ctx, 'name', i, 'Name'),
			kind: param(ctx, 'kind', i, 'Kind', 'resident_volunteer'),
			unitCode: param(ctx, 'unitCode', i, 'Home Unit Code', ''),
			skills: skillsFrom(param(ctx, 'skills', i, 'Skills', []), extra.customSkills),
			availability: param(ctx, 'availability', i, 'Availability', ''),
			maxTasks: param(ctx, 'maxTasks', i, 'Max Tasks', 3),
			homeAgency: extra.homeAgency,
			profession: extra.profession,
			phone: extra.phone,
			volunteerNo: extra.volunteerNo,
		};
		return { v: checkVolunteer(raw, { widths: env.widths, allowCustomSkills: allowCustom(ctx, env) }), mode: 'create' };
	},
	runBatch: (uow, inputs) => saveVolunteers(uow, inputs.map((x) => x.v), { mode: 'create' }),
};

const ITEM_KEYS: Record<string, (typeof FIELDS)[number]> = {
	Name: 'name',
	'Volunteer Number': 'volunteerNo',
	Kind: 'kind',
	'Home Agency': 'homeAgency',
	Profession: 'profession',
	Skills: 'skills',
	Availability: 'availability',
	'Home Unit': 'unitCode',
	'Max Tasks': 'maxTasks',
	Phone: 'phone',
};

export const bulkImportHandler: OperationHandler<SaveInput, unknown> = {
	itemField: (label) => ITEM_KEYS[label],
	read(ctx, i, env) {
		const json = env.items[i].json;
		if (json === null || typeof json !== 'object') throw new FieldError('Item', 'the item has no JSON object to import');
		const cache = env as ReadEnv & { importMode?: 'create' | 'upsert' };
		cache.importMode ??= param<'create' | 'upsert'>(ctx, 'importMode', 0, 'Mode', 'upsert');
		return { v: checkVolunteer(json as RawVolunteer, { widths: env.widths, allowCustomSkills: allowCustom(ctx, env) }), mode: cache.importMode };
	},
	runBatch: (uow, inputs) => saveVolunteers(uow, inputs.map((x) => x.v), { mode: inputs[0].mode }),
};
