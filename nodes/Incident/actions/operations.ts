import type { INodeProperties } from 'n8n-workflow';
import type { HandlerTable } from '../../shared/n8n/router';
import { operationSelector, optionsCollection, resourceSelector, revealOption } from '../../shared/n8n/descriptions';
import * as create from './incident/create.operation';
import * as bulkCreate from './incident/bulkCreate.operation';
import * as manage from './incident/manage.operation';
import * as query from './incident/query.operation';
import * as open311 from './open311/open311.operation';
import { incidentField } from './fields';
import { policyOptions } from './policy';

export const handlers: HandlerTable = {
	incident: {
		create: create.handler,
		bulkCreate: bulkCreate.handler,
		get: query.getHandler,
		search: query.searchHandler,
		timeline: query.timelineHandler,
		triage: manage.triageHandler,
		assign: manage.assignHandler,
		updateStatus: manage.updateStatusHandler,
		comment: manage.commentHandler,
		escalate: manage.escalateHandler,
		escalateOverdue: manage.escalateOverdueHandler,
		reopen: manage.reopenHandler,
		close: manage.closeHandler,
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

const only = (...names: string[]) => policyOptions.filter((o) => names.includes(o.name));
const slaOptions = only('categories', 'slaMatrix', 'calendar');

export const properties: INodeProperties[] = [
	resource,
	operationSelector('incident', [
		{ name: 'Add Comment', value: 'comment', description: 'Write a remark to the timeline', action: 'Add a comment to an incident' },
		{ name: 'Assign', value: 'assign', description: 'Give the case to staff or a team; by default to whoever is responsible', action: 'Assign an incident' },
		{ name: 'Close', value: 'close', description: 'Close after the callback, with the reporter\'s satisfaction', action: 'Close an incident' },
		{ name: 'Create', value: 'create', description: 'Take in a report: route, score the risk, dedupe, set the SLA due time', action: 'Create an incident' },
		{ name: 'Create Many', value: 'bulkCreate', description: 'Take in many reports from item fields in one go', action: 'Create many incidents' },
		{ name: 'Escalate', value: 'escalate', description: 'Hand the case to the responsible staff one level up (上报)', action: 'Escalate an incident' },
		{ name: 'Escalate Overdue', value: 'escalateOverdue', description: 'Escalate every incident past its due time by one level', action: 'Escalate overdue incidents' },
		{ name: 'Get', value: 'get', description: 'Get an incident by reference or ID', action: 'Get an incident' },
		{ name: 'Get Timeline', value: 'timeline', description: 'Every change to an incident, in order', action: 'Get the timeline of an incident' },
		{ name: 'Reopen', value: 'reopen', description: 'Send a resolved or closed case back to work (重办)', action: 'Reopen an incident' },
		{ name: 'Search', value: 'search', description: 'Find incidents by subtree, status, category, risk, overdue and time', action: 'Search incidents' },
		{ name: 'Triage', value: 'triage', description: 'Set category and risk by hand, with a reason (研判)', action: 'Triage an incident' },
		{ name: 'Update Status', value: 'updateStatus', description: 'Move an incident to its next status', action: 'Update the status of an incident' },
	], 'create'),
	operationSelector('open311', [
		{ name: 'Accept Service Request', value: 'accept', description: 'Take in a GeoReport v2 service request as an incident', action: 'Accept a service request' },
		{ name: 'Get Service List', value: 'services', description: 'The GeoReport v2 service list made from the categories', action: 'Get the service list' },
		{ name: 'Get Service Requests', value: 'getRequests', description: 'Incidents as GeoReport v2 service request records', action: 'Get service requests' },
	], 'accept'),
	incidentField('incident', ['get', 'timeline', 'triage', 'assign', 'updateStatus', 'comment', 'escalate', 'reopen', 'close']),
	...create.description,
	...bulkCreate.description,
	...manage.description,
	...query.description,
	...open311.description,
	optionsCollection('incident', ['create', 'bulkCreate'], policyOptions),
	optionsCollection('incident', ['triage', 'escalate', 'reopen', 'escalateOverdue'], slaOptions),
	optionsCollection('incident', ['get'], [revealOption]),
	optionsCollection('incident', ['search'], [...only('categories'), revealOption]),
	optionsCollection('incident', ['assign', 'updateStatus', 'comment', 'close', 'timeline']),
	optionsCollection('open311', ['accept'], [...policyOptions, requireLocation]),
	optionsCollection('open311', ['getRequests', 'services'], only('categories', 'calendar')),
];
