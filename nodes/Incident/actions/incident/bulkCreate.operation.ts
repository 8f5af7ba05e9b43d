import type { INodeProperties } from 'n8n-workflow';
import { resolveCategory } from '../../../shared/domain/incident/categories';
import { createIncidents } from '../../../shared/domain/incident/intake';
import type { IncidentLocation, IntakePolicy, NewIncident } from '../../../shared/domain/incident/intakeInput';
import { INCIDENT_SOURCES, type IncidentSource } from '../../../shared/domain/incident/vocabulary';
import { showFor } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param } from '../../../shared/n8n/params';
import { FieldError, describeValue } from '../../../shared/validation/errors';
import { gridCode } from '../../../shared/validation/gridCode';
import { phone } from '../../../shared/validation/phone';
import { integer, oneOf, text } from '../../../shared/validation/text';
import { SOURCE_OPTIONS } from '../fields';
import { readPolicy } from '../policy';
import { checkCoordinates, checkDescription, checkEmail } from './create.operation';

const show = showFor('incident', 'bulkCreate');

const FIELDS = ['idempotencyKey', 'source', 'category', 'description', 'unitCode', 'address', 'residentId', 'reporterName', 'reporterPhone', 'reporterEmail', 'lat', 'long', 'attributes'] as const;

/** Labels used in errors, mapped to the item keys they come from. */
const ITEM_KEYS: Record<string, (typeof FIELDS)[number]> = {
	'Idempotency Key': 'idempotencyKey',
	Source: 'source',
	Category: 'category',
	Description: 'description',
	'Grid Unit': 'unitCode',
	Address: 'address',
	Resident: 'residentId',
	'Resident ID': 'residentId',
	'Reporter Name': 'reporterName',
	'Reporter Phone': 'reporterPhone',
	'Reporter Email': 'reporterEmail',
	Latitude: 'lat',
	Longitude: 'long',
	Attributes: 'attributes',
};

export const description: INodeProperties[] = [
	{
		displayName: `Each input item is one report, read from its fields: ${FIELDS.join(', ')}. Only category and description are required; unitCode, address or residentId place it. The batch is checked first, then written in bulk: the fastest way to take in many reports (a hotline export, a form backlog).`,
		name: 'bulkNotice',
		type: 'notice',
		default: '',
		displayOptions: show,
	},
	{
		displayName: 'Default Source',
		name: 'defaultSource',
		type: 'options',
		options: SOURCE_OPTIONS,
		default: 'hotline',
		description: 'Source for items that carry no source field',
		displayOptions: show,
	},
];

type BulkInput = { input: NewIncident; policy: IntakePolicy };

export const handler: OperationHandler<BulkInput, unknown> = {
	itemField: (label) => ITEM_KEYS[label],
	read(ctx, i, env) {
		const policy = readPolicy(ctx, env);
		const json = env.items[i].json;
		if (json === null || typeof json !== 'object') throw new FieldError('Item', 'the item has no JSON object to read a report from');
		const cache = env as typeof env & { defaultSource?: IncidentSource };
		cache.defaultSource ??= param<IncidentSource>(ctx, 'defaultSource', 0, 'Default Source', 'hotline');
		const key = text(json.idempotencyKey, { field: 'Idempotency Key', max: 200 });
		const residentId = integer(json.residentId, 'Resident', { min: 1 });
		let location: IncidentLocation | undefined;
		if (json.unitCode !== undefined && json.unitCode !== null && json.unitCode !== '') location = { unit: { code: gridCode(json.unitCode, 'Grid Unit', env.widths).code } };
		// checked even beside a unit code: an address that is not text would otherwise be dropped unseen
		const address = text(json.address, { field: 'Address', max: 300 });
		if (!location && address) location = { address };
		let attributes = json.attributes as Record<string, unknown> | undefined;
		if (attributes !== undefined && attributes !== null && (typeof attributes !== 'object' || Array.isArray(attributes))) {
			throw new FieldError('Attributes', `attributes must be a JSON object, got ${describeValue(attributes)}`);
		}
		if (attributes && !Object.keys(attributes).length) attributes = undefined;
		const p = phone(json.reporterPhone, 'Reporter Phone');
		const name = text(json.reporterName, { field: 'Reporter Name', max: 100 });
		const email = checkEmail(json.reporterEmail, 'Reporter Email');
		const input: NewIncident = {
			source: json.source === undefined || json.source === null || json.source === ''
				? cache.defaultSource
				: oneOf(json.source, 'Source', Object.keys(INCIDENT_SOURCES) as IncidentSource[]),
			category: resolveCategory(policy.categories, json.category).code,
			description: checkDescription(json.description),
		};
		if (key) input.idempotencyKey = key;
		if (p || name || email) input.reporter = { ...(name ? { name } : {}), ...(p ? { phone: p } : {}), ...(email ? { email } : {}) };
		if (residentId !== undefined) input.resident = { id: residentId };
		if (location) input.location = location;
		if (address) input.address = address;
		const coords = checkCoordinates(json.lat, json.long);
		if (coords.lat !== undefined) Object.assign(input, coords);
		if (attributes) input.attributes = attributes;
		return { input, policy };
	},
	runBatch: (uow, inputs) => createIncidents(uow, inputs.map((x) => x.input), inputs[0].policy),
};
