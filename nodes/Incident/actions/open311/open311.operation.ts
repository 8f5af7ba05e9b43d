import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { categoryLabel } from '../../../shared/domain/incident/categories';
import { type IntakeResult, createIncidents } from '../../../shared/domain/incident/intake';
import type { IntakePolicy, NewIncident } from '../../../shared/domain/incident/intakeInput';
import type { IncidentRecord } from '../../../shared/domain/incident/incidentRecord';
import { type Open311Language, parseServiceRequest, serviceList, toServiceRequest } from '../../../shared/domain/incident/open311';
import { type RequestListQuery, listRequests } from '../../../shared/domain/incident/requestList';
import { showFor } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param } from '../../../shared/n8n/params';
import { phone as checkPhone } from '../../../shared/validation/phone';
import { FieldError } from '../../../shared/validation/errors';
import { text, timestamp } from '../../../shared/validation/text';
import { readPolicy } from '../policy';

const LANGUAGE_OPTIONS = [
	{ name: 'Bilingual (English + 中文)', value: 'bilingual' },
	{ name: 'English', value: 'en' },
	{ name: '中文', value: 'zh' },
];

export const description: INodeProperties[] = [
	{
		displayName: 'Service Request',
		name: 'payload',
		type: 'json',
		default: '={{ $json }}',
		description: 'The GeoReport v2 POST body: service_code, description, lat/long or address_string, email, phone, first_name, last_name, attribute[...]. A whole Webhook item (with headers and body) works too; JSON and form-encoded bodies are both read.',
		displayOptions: showFor('open311', 'accept'),
	},
	{
		displayName: 'Idempotency Key',
		name: 'idempotencyKey',
		type: 'string',
		default: '',
		placeholder: 'e.g. ={{ $json.headers["idempotency-key"] }}',
		description: 'Optional key from the client so a resent request returns the first incident instead of a new one',
		displayOptions: showFor('open311', 'accept'),
	},
	{
		displayName: 'Output',
		name: 'output',
		type: 'options',
		options: [
			{ name: 'GeoReport Response', value: 'georeport', description: 'The GeoReport fields service_request_id, service_notice and account_id, ready for a Respond to Webhook node' },
			{ name: 'Incident', value: 'incident', description: 'The whole incident as the Create operation returns it' },
		],
		default: 'georeport',
		description: 'What to output for each accepted request',
		displayOptions: showFor('open311', 'accept'),
	},
	{
		displayName: 'Service Request IDs',
		name: 'requestIds',
		type: 'string',
		default: '',
		placeholder: 'e.g. INC-20261126-000123, INC-20261126-000124',
		description: 'Comma-separated service_request_id values (references or IDs). Empty: the newest requests matching the filters below.',
		displayOptions: showFor('open311', 'getRequests'),
	},
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add filter',
		default: {},
		displayOptions: showFor('open311', 'getRequests'),
		options: [
			{ displayName: 'End Date', name: 'endDate', type: 'dateTime', default: '', description: 'Requests created before this time; now if empty' },
			{ displayName: 'Limit', name: 'limit', type: 'number', typeOptions: { minValue: 1 }, default: 50, description: 'Max number of results to return', hint: 'At most 1,000' },
			{ displayName: 'Service Codes', name: 'serviceCodes', type: 'string', default: '', description: 'Comma-separated service_code values' },
			{ displayName: 'Start Date', name: 'startDate', type: 'dateTime', default: '', description: 'Requests created at or after this time; 90 days before End Date if empty' },
			{
				displayName: 'Status',
				name: 'status',
				type: 'options',
				options: [{ name: 'Any', value: '' }, { name: 'Open', value: 'open' }, { name: 'Closed', value: 'closed' }],
				default: '',
				description: 'GeoReport status: open covers new, triaged, assigned and in progress',
			},
		],
	},
	{
		displayName: 'Language',
		name: 'language',
		type: 'options',
		options: LANGUAGE_OPTIONS,
		default: 'bilingual',
		description: 'Language of service names',
		displayOptions: showFor('open311', ['getRequests', 'services']),
	},
];

const list = (v: unknown) => String(v ?? '').split(/[,，\s]+/).map((s) => s.trim()).filter(Boolean);

type AcceptInput = { input: NewIncident; policy: IntakePolicy; output: string };

export const acceptHandler: OperationHandler<AcceptInput, unknown> = {
	read(ctx, i, env) {
		const policy = readPolicy(ctx, env);
		const o = param<Record<string, unknown>>(ctx, 'options', i, 'Options', {});
		const req = parseServiceRequest(param(ctx, 'payload', i, 'Service Request'), { categories: policy.categories, requireLocation: o.requireLocation !== false });
		const name = [req.firstName, req.lastName].filter(Boolean).join(' ');
		const key = text(param(ctx, 'idempotencyKey', i, 'Idempotency Key', ''), { field: 'Idempotency Key', max: 200 });
		const category = policy.categories.find((c) => c.code === req.category)!;
		const attributes: Record<string, unknown> = { ...req.attributes };
		for (const [k, v] of [['device_id', req.deviceId], ['account_id', req.accountId], ['media_url', req.mediaUrl], ['address_id', req.addressId]] as const) {
			if (v) attributes[k] = v;
		}
		const input: NewIncident = {
			...(key ? { idempotencyKey: key } : {}),
			source: 'open311',
			category: req.category,
			description: req.description?.trim() || categoryLabel(category),
			...(name || req.phone || req.email ? {
				reporter: {
					...(name ? { name } : {}),
					...(req.phone ? { phone: checkPhone(req.phone, 'phone')! } : {}),
					...(req.email ? { email: req.email } : {}),
				},
			} : {}),
			...(req.addressString ? { location: { address: req.addressString }, address: req.addressString } : {}),
			...(req.lat !== undefined ? { lat: req.lat, long: req.long } : {}),
			...(Object.keys(attributes).length ? { attributes } : {}),
		};
		return { input, policy, output: param<string>(ctx, 'output', i, 'Output', 'georeport') };
	},
	async runBatch(uow, inputs) {
		const outcomes = await createIncidents(uow, inputs.map((x) => x.input), inputs[0].policy);
		return outcomes.map((o, k) => {
			if (!o.ok || inputs[k].output === 'incident') return o;
			const r = o.value as IntakeResult;
			const notice = r.repeatedRequest
				? 'This request was received before; the original request is returned (重复提交，返回原件)'
				: r.isDuplicate
					? `Recorded as a repeat of ${r.original?.reference} (已并入原件)`
					: `Received; due ${r.dueAt ?? 'as scheduled'} (已受理)`;
			return { ok: true, value: { service_request_id: r.reference, service_notice: notice, account_id: null } };
		});
	},
};

type GetInput = { query: RequestListQuery; language: Open311Language; policy: IntakePolicy };

export const getRequestsHandler: OperationHandler<GetInput, unknown> = {
	read(ctx, i, env) {
		const policy = readPolicy(ctx, env);
		const f = param<Record<string, unknown>>(ctx, 'filters', i, 'Filters', {});
		const to = timestamp(f.endDate, 'End Date') ?? new Date();
		const from = timestamp(f.startDate, 'Start Date') ?? new Date(to.getTime() - 90 * 86_400_000);
		if (from >= to) throw new FieldError('Start Date', `Start Date ${from.toISOString()} must be before End Date ${to.toISOString()}`);
		const codes = list(f.serviceCodes);
		const categories = codes.map((c) => {
			const found = policy.categories.find((x) => x.serviceCode.toLowerCase() === c.toLowerCase());
			if (!found) throw new FieldError('Service Codes', `service_code "${c}" is not a service of this jurisdiction; use one of ${policy.categories.map((x) => x.serviceCode).join(', ')}`);
			return found.code;
		});
		const limit = Number(f.limit ?? 50);
		if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new FieldError('Limit', `Limit must be a whole number from 1 to 1000, got ${f.limit}`);
		const status = f.status === 'open' || f.status === 'closed' ? f.status : undefined;
		return {
			query: { ids: list(param(ctx, 'requestIds', i, 'Service Request IDs', '')).map((x) => x.toUpperCase()), categories, status, from, to, limit },
			language: param<Open311Language>(ctx, 'language', i, 'Language', 'bilingual'),
			policy,
		};
	},
	async runEach(uow, x) {
		const records = await listRequests(uow, x.query);
		return records.map((r) => toRecord(r, x)) as unknown as IDataObject[];
	},
};

function toRecord(r: IncidentRecord, x: GetInput) {
	return toServiceRequest({
		id: r.id,
		reference: r.reference,
		category: r.category,
		status: r.status,
		description: r.description,
		statusNotes: r.routingNote,
		duplicateOf: r.duplicateOf,
		createdAt: r.createdAt,
		updatedAt: r.updatedAt,
		dueAt: r.status === 'closed' || r.status === 'resolved' ? null : r.dueAt,
		responsibleUnitName: r.unitName,
		address: r.address,
		lat: r.lat,
		long: r.long,
		mediaUrl: typeof r.attributes.media_url === 'string' ? r.attributes.media_url : null,
	}, { categories: x.policy.categories, timeZone: x.policy.calendar.timeZone, language: x.language });
}

export const servicesHandler: OperationHandler<{ language: Open311Language; policy: IntakePolicy }, unknown> = {
	read(ctx, i, env) {
		return { language: param<Open311Language>(ctx, 'language', i, 'Language', 'bilingual'), policy: readPolicy(ctx, env) };
	},
	async runEach(_uow, x) {
		return serviceList(x.policy.categories, { language: x.language }) as unknown as IDataObject[];
	},
};
