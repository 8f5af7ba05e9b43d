import type { INodeProperties } from 'n8n-workflow';
import type { HandlerTable } from '../../shared/n8n/router';
import { operationSelector, optionsCollection, resourceSelector } from '../../shared/n8n/descriptions';
import * as household from './household/household.operation';
import * as save from './resident/save.operation';
import * as bulkImport from './resident/bulkImport.operation';
import * as get from './resident/get.operation';
import * as search from './resident/search.operation';
import * as change from './resident/change.operation';
import * as observation from './observation/observation.operation';
import * as verification from './verification/verification.operation';
import * as exposure from './exposure/exposure.operation';

export const handlers: HandlerTable = {
	household: { create: household.createHandler, get: household.getHandler, list: household.listHandler, update: household.updateHandler },
	resident: {
		create: save.createHandler,
		upsert: save.upsertHandler,
		bulkImport: bulkImport.handler,
		get: get.handler,
		search: search.handler,
		update: change.updateHandler,
		setHealthStatus: change.setHealthStatusHandler,
		move: change.moveHandler,
		deactivate: change.deactivateHandler,
	},
	observation: { record: observation.recordHandler, list: observation.listHandler },
	verification: { check: verification.checkHandler },
	exposure: { record: exposure.recordHandler, trace: exposure.traceHandler },
};

const resource = resourceSelector([
	{ name: 'Contact Tracing (密接追踪)', value: 'exposure' },
	{ name: 'Health Observation (健康监测)', value: 'observation' },
	{ name: 'Household (户)', value: 'household' },
	{ name: 'Resident (居民)', value: 'resident' },
	{ name: 'Verification List (上级推送名单)', value: 'verification' },
], 'resident');

export const properties: INodeProperties[] = [
	resource,
	operationSelector('household', [
		{ name: 'Create', value: 'create', description: 'Create a household in a building', action: 'Create a household' },
		{ name: 'Get', value: 'get', description: 'Get a household with its member count', action: 'Get a household' },
		{ name: 'Get Many', value: 'list', description: 'List the households of a subtree', action: 'Get many households' },
		{ name: 'Update', value: 'update', description: 'Change a household\'s address or facts', action: 'Update a household' },
	], 'create'),
	operationSelector('resident', [
		{ name: 'Create', value: 'create', description: 'Register a resident from each item', action: 'Create a resident' },
		{ name: 'Deactivate', value: 'deactivate', description: 'Mark a resident as moved away or deceased', action: 'Deactivate a resident' },
		{ name: 'Get', value: 'get', description: 'Get a resident by ID, document or phone', action: 'Get a resident' },
		{ name: 'Import Many', value: 'bulkImport', description: 'Register or update many residents from item fields in one go', action: 'Import many residents' },
		{ name: 'Move', value: 'move', description: 'Move a resident to another household or building, keeping history', action: 'Move a resident' },
		{ name: 'Search', value: 'search', description: 'Find residents by subtree, tags, status, age, name, document or phone', action: 'Search residents' },
		{ name: 'Set Health Status', value: 'setHealthStatus', description: 'Move a resident through the health status states', action: 'Set the health status of a resident' },
		{ name: 'Update', value: 'update', description: 'Change a resident\'s details', action: 'Update a resident' },
		{ name: 'Create or Update', value: 'upsert', description: 'Create a new record, or update the current one if it already exists (upsert)', action: 'Create or update a resident' },
	], 'create'),
	operationSelector('observation', [
		{ name: 'Get Many', value: 'list', description: 'List observations of a resident or subtree in a time window', action: 'Get many health observations' },
		{ name: 'Record', value: 'record', description: 'Record a temperature and/or symptoms', action: 'Record a health observation' },
	], 'record'),
	operationSelector('verification', [
		{ name: 'Check List', value: 'check', description: 'Match a pushed list of persons against the registry', action: 'Check a verification list' },
	], 'check'),
	operationSelector('exposure', [
		{ name: 'Record Exposure', value: 'record', description: 'Record that two people met', action: 'Record an exposure' },
		{ name: 'Trace Contacts', value: 'trace', description: 'Find contacts within k hops and a time window', action: 'Trace the contacts of a person' },
	], 'trace'),
	...household.description,
	...save.description,
	...bulkImport.description,
	...get.description,
	...search.description,
	...change.description,
	...observation.description,
	...verification.description,
	...exposure.description,
	optionsCollection('household', ['create', 'get', 'list', 'update']),
	optionsCollection('resident', ['update', 'setHealthStatus', 'move', 'deactivate']),
	optionsCollection('observation', ['record', 'list']),
	optionsCollection('verification', ['check']),
	optionsCollection('exposure', ['record', 'trace']),
];
