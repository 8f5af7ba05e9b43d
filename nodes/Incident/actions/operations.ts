import type { INodeProperties } from 'n8n-workflow';
import type { HandlerTable } from '../../shared/n8n/router';
import { operationSelector, optionsCollection, resourceSelector } from '../../shared/n8n/descriptions';
import * as create from './incident/create.operation';
import * as open311 from './open311/open311.operation';
import { policyOptions } from './policy';

export const handlers: HandlerTable = {
	incident: {
		create: create.handler,
	},
	open311: { accept: open311.acceptHandler, getRequests: open311.getRequestsHandler, services: open311.servicesHandler },
};

const resource = resourceSelector([
	{ name: 'Incident (事件)', value: 'incident' },
	{ name: 'Open311 GeoReport V2', value: 'open311' },
], 'incident');

const requireLocation: INodeProperties = {
	displayName: 'Require Location',
	name: 'requireLocation',
	type: 'boolean',
	default: true,
	description: 'Whether a request must carry lat/long, address_string or address_id, as GeoReport v2 requires. Off: requests without a location go to a community intake queue.',
};

export const properties: INodeProperties[] = [
	resource,
	operationSelector('incident', [
		{ name: 'Create', value: 'create', description: 'Take in a report: route, score the risk, dedupe, set the SLA due time', action: 'Create an incident' },
	], 'create'),
	operationSelector('open311', [
		{ name: 'Accept Service Request', value: 'accept', description: 'Take in a GeoReport v2 service request as an incident', action: 'Accept a service request' },
		{ name: 'Get Service List', value: 'services', description: 'The GeoReport v2 service list made from the categories', action: 'Get the service list' },
		{ name: 'Get Service Requests', value: 'getRequests', description: 'Incidents as GeoReport v2 service request records', action: 'Get service requests' },
	], 'accept'),
	...create.description,
	...open311.description,
	optionsCollection('incident', ['create'], policyOptions),
	optionsCollection('open311', ['accept'], [...policyOptions, requireLocation]),
	optionsCollection('open311', ['getRequests', 'services'], policyOptions.filter((o) => ['categories', 'calendar'].includes(o.name))),
];
