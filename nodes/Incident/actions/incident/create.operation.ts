import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { resolveCategory } from '../../../shared/domain/incident/categories';
import { type IntakeResult, createIncidents } from '../../../shared/domain/incident/intake';
import type { IncidentLocation, IntakePolicy, NewIncident } from '../../../shared/domain/incident/intakeInput';
import type { IncidentSource } from '../../../shared/domain/incident/vocabulary';
import { INCIDENT_SOURCES } from '../../../shared/domain/incident/vocabulary';
import { showFor, unitLocator } from '../../../shared/n8n/descriptions';
import type { OperationHandler, ReadEnv } from '../../../shared/n8n/executeLoop';
import { param, unitParam } from '../../../shared/n8n/params';
import { FieldError, describeValue } from '../../../shared/validation/errors';
import { phone } from '../../../shared/validation/phone';
import { hasControlCharacters, oneOf, text } from '../../../shared/validation/text';
import { SOURCE_OPTIONS, concernedResidentFields, readConcernedResident } from '../fields';
import { readPolicy } from '../policy';

const show = showFor('incident', 'create');
const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;
export const DESCRIPTION_MAX = 5000;

export const description: INodeProperties[] = [
	{
		displayName: 'Idempotency Key',
		name: 'idempotencyKey',
		type: 'string',
		default: '',
		placeholder: 'e.g. ={{ $json.callId }}',
		description: 'A key the sender keeps for this report (a hotline call ID, a form submission ID). Sending the same key again returns the first incident, marked as a repeated request, and writes nothing; the same key with different content is an error.',
		displayOptions: show,
	},
	{ displayName: 'Source', name: 'source', type: 'options', options: SOURCE_OPTIONS, default: 'resident', description: 'Where the report came from', displayOptions: show },
	{
		displayName: 'Category Name or ID',
		hint: 'An expression may give a code (sanitation) or an English or Chinese label (环境卫生)',
		name: 'category',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getCategories', loadOptionsDependsOn: ['options.categories'] },
		default: 'public_opinion_other',
		description: 'Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
		displayOptions: show,
	},
	{
		displayName: 'Description',
		name: 'description',
		type: 'string',
		typeOptions: { rows: 4 },
		required: true,
		default: '',
		description: 'What happened, in the reporter\'s words (1–5,000 characters). Keywords in it (Chinese or English) raise the risk.',
		displayOptions: show,
	},
	{
		displayName: 'Location',
		name: 'locationBy',
		type: 'options',
		options: [
			{ name: 'Grid Unit', value: 'unit', description: 'A building, base grid or community picked by code' },
			{ name: 'Address', value: 'address', description: 'An address resolved to the unit whose registered address it starts with' },
			{ name: 'Building of the Resident Concerned', value: 'resident' },
			{ name: 'Unknown', value: 'none', description: 'The report goes to a community intake queue' },
		],
		default: 'unit',
		description: 'Where the report is about. A report that cannot be placed at a community or below goes to the intake queue of the nearest community, with the reason.',
		displayOptions: show,
	},
	{ ...unitLocator('unit', 'Grid Unit', 'The unit the report is about'), displayOptions: { show: { resource: ['incident'], operation: ['create'], locationBy: ['unit'] } } },
	{
		displayName: 'Address',
		name: 'address',
		type: 'string',
		default: '',
		placeholder: 'e.g. 蓬莱区钟楼北路12号3单元',
		description: 'The address given by the reporter',
		displayOptions: { show: { resource: ['incident'], operation: ['create'], locationBy: ['address'] } },
	},
	...concernedResidentFields('incident', ['create']),
	{
		displayName: 'Reporter',
		name: 'reporter',
		type: 'collection',
		placeholder: 'Add reporter detail',
		default: {},
		description: 'Who reported it. Phone and email are stored encrypted and shown masked.',
		displayOptions: show,
		options: [
			{ displayName: 'Email', name: 'email', type: 'string', placeholder: 'name@email.com', default: '', description: 'Email for the callback' },
			{ displayName: 'Name', name: 'name', type: 'string', default: '', description: 'Name of the reporter' },
			{ displayName: 'Phone', name: 'phone', type: 'string', default: '', description: 'Mainland mobile or landline with area code, for the callback' },
		],
	},
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add field',
		default: {},
		displayOptions: show,
		options: [
			{ displayName: 'Attributes (JSON)', name: 'attributes', type: 'json', default: '{}', description: 'Extra facts kept with the incident, e.g. Open311 attributes' },
			{ displayName: 'Latitude', name: 'lat', type: 'number', typeOptions: { numberPrecision: 6 }, default: 0, description: 'WGS 84 latitude; with a longitude it locates a report that has no unit or address' },
			{ displayName: 'Longitude', name: 'long', type: 'number', typeOptions: { numberPrecision: 6 }, default: 0, description: 'WGS 84 longitude' },
		],
	},
];

export function checkDescription(value: unknown, field = 'Description'): string {
	if (typeof value !== 'string') throw new FieldError(field, `${field} must be text, got ${describeValue(value)}`);
	const d = value.trim();
	if (!d) throw new FieldError(field, `${field} is empty; say what happened`);
	if (d.length > DESCRIPTION_MAX) throw new FieldError(field, `${field} has ${d.length} characters; at most ${DESCRIPTION_MAX} are allowed`);
	// PostgreSQL stores no NUL, and a lone surrogate breaks the payload's JSON: refused here, not by the server mid-batch
	if (hasControlCharacters(d, true)) throw new FieldError(field, `${field} contains control characters`);
	return d;
}

export function checkCoordinates(lat: unknown, long: unknown): { lat?: number; long?: number } {
	const num = (v: unknown, f: string, limit: number) => {
		if (v === undefined || v === null || v === '' || v === 0) return undefined;
		// a boolean or a one-element list would otherwise pass as the number it converts to
		const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
		if (!Number.isFinite(n) || Math.abs(n) > limit) throw new FieldError(f, `${f} must be a number between -${limit} and ${limit}, got ${describeValue(v)}`);
		return n;
	};
	const a = num(lat, 'Latitude', 90);
	const b = num(long, 'Longitude', 180);
	if ((a === undefined) !== (b === undefined)) throw new FieldError(a === undefined ? 'Latitude' : 'Longitude', 'give both latitude and longitude, or neither');
	return a === undefined ? {} : { lat: a, long: b };
}

export function checkEmail(value: unknown, field: string): string | undefined {
	const e = text(value, { field, max: 200 });
	if (e === undefined) return undefined;
	if (!EMAIL.test(e)) throw new FieldError(field, `${field} ${describeValue(value)} is not an email address`);
	return e;
}

function readCreate(ctx: IExecuteFunctions, i: number, env: ReadEnv, policy: IntakePolicy): NewIncident {
	const reporter = param<Record<string, unknown>>(ctx, 'reporter', i, 'Reporter', {});
	const extra = param<Record<string, unknown>>(ctx, 'additionalFields', i, 'Additional Fields', {});
	const by = param<string>(ctx, 'locationBy', i, 'Location', 'unit');
	const resident = readConcernedResident(ctx, i);
	let location: IncidentLocation | undefined;
	if (by === 'unit') location = { unit: unitParam(ctx, 'unit', i, 'Grid Unit', env.widths) };
	else if (by === 'address') {
		const a = text(param(ctx, 'address', i, 'Address'), { field: 'Address', max: 300 });
		if (!a) throw new FieldError('Address', 'Address is empty; give the reporter\'s address or choose another Location');
		location = { address: a };
	} else if (by === 'resident') {
		if (!resident) throw new FieldError('Resident Concerned', 'Location "Building of the Resident Concerned" needs a Resident Concerned');
		location = { residentsBuilding: true };
	}
	let attributes: Record<string, unknown> | undefined;
	if (extra.attributes !== undefined && extra.attributes !== '') {
		let a: unknown = extra.attributes;
		if (typeof a === 'string') {
			try {
				a = JSON.parse(a);
			} catch (e) {
				throw new FieldError('Attributes (JSON)', `Attributes (JSON) is not valid JSON (${(e as Error).message})`);
			}
		}
		if (!a || typeof a !== 'object' || Array.isArray(a)) throw new FieldError('Attributes (JSON)', 'Attributes (JSON) must be a JSON object');
		if (Object.keys(a).length) attributes = a as Record<string, unknown>;
	}
	const p = phone(reporter.phone, 'Reporter Phone');
	const name = text(reporter.name, { field: 'Reporter Name', max: 100 });
	const email = checkEmail(reporter.email, 'Reporter Email');
	const key = text(param(ctx, 'idempotencyKey', i, 'Idempotency Key', ''), { field: 'Idempotency Key', max: 200 });
	return {
		...(key ? { idempotencyKey: key } : {}),
		source: oneOf(param(ctx, 'source', i, 'Source'), 'Source', Object.keys(INCIDENT_SOURCES) as IncidentSource[]),
		category: resolveCategory(policy.categories, param(ctx, 'category', i, 'Category')).code,
		description: checkDescription(param(ctx, 'description', i, 'Description')),
		...(p || name || email ? { reporter: { ...(name ? { name } : {}), ...(p ? { phone: p } : {}), ...(email ? { email } : {}) } } : {}),
		...(resident ? { resident } : {}),
		...(location ? { location } : {}),
		...checkCoordinates(extra.lat, extra.long),
		...(attributes ? { attributes } : {}),
	};
}

export const handler: OperationHandler<{ input: NewIncident; policy: IntakePolicy }, IntakeResult> = {
	read(ctx, i, env) {
		const policy = readPolicy(ctx, env);
		return { input: readCreate(ctx, i, env, policy), policy };
	},
	runBatch: (uow, inputs) => createIncidents(uow, inputs.map((x) => x.input), inputs[0].policy),
};
