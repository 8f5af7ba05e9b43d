import type { INodeProperties } from 'n8n-workflow';
import type { HandlerTable } from '../../shared/n8n/router';
import { operationSelector, optionsCollection, resourceSelector } from '../../shared/n8n/descriptions';
import * as unitCreate from './unit/create.operation';
import * as unitBulkImport from './unit/bulkImport.operation';
import * as unitGet from './unit/get.operation';
import * as unitList from './unit/list.operation';
import * as unitAncestors from './unit/ancestors.operation';
import * as unitMove from './unit/move.operation';
import * as unitDeactivate from './unit/deactivate.operation';
import * as staffCreate from './staff/create.operation';
import * as staffUpdate from './staff/update.operation';
import * as staffGet from './staff/get.operation';
import * as staffList from './staff/list.operation';
import * as staffAssign from './staff/assign.operation';
import * as staffUnassign from './staff/unassign.operation';
import * as staffResponsible from './staff/responsible.operation';
import * as maintenanceRotateKey from './maintenance/rotateKey.operation';

export const handlers: HandlerTable = {
	unit: {
		create: unitCreate.handler,
		bulkImport: unitBulkImport.handler,
		get: unitGet.handler,
		list: unitList.handler,
		ancestors: unitAncestors.handler,
		move: unitMove.handler,
		deactivate: unitDeactivate.handler,
	},
	staff: {
		create: staffCreate.handler,
		update: staffUpdate.handler,
		get: staffGet.handler,
		list: staffList.handler,
		assign: staffAssign.handler,
		unassign: staffUnassign.handler,
		responsible: staffResponsible.handler,
	},
	maintenance: {
		rotateKey: maintenanceRotateKey.handler,
	},
};

const resource = resourceSelector([
	{ name: 'Grid Unit (网格单元)', value: 'unit' },
	{ name: 'Staff (工作人员)', value: 'staff' },
	{ name: 'Maintenance', value: 'maintenance' },
], 'unit');

const unitOperation = operationSelector('unit', [
	{ name: 'Create', value: 'create', description: 'Create a unit from each item', action: 'Create a grid unit' },
	{ name: 'Deactivate', value: 'deactivate', description: 'Deactivate a unit, optionally with its subtree', action: 'Deactivate a grid unit' },
	{ name: 'Get', value: 'get', description: 'Get a unit by code or ID', action: 'Get a grid unit' },
	{ name: 'Get Ancestors', value: 'ancestors', description: 'Get the chain of units above a unit', action: 'Get the ancestors of a grid unit' },
	{ name: 'Get Many', value: 'list', description: 'List a subtree, optionally by level', action: 'Get many grid units' },
	{ name: 'Import Many', value: 'bulkImport', description: 'Build a tree from a flat list of items in one go', action: 'Import many grid units' },
	{ name: 'Move', value: 'move', description: 'Re-parent a unit with its whole subtree', action: 'Move a grid unit' },
], 'get');

const staffOperation = operationSelector('staff', [
	{ name: 'Assign', value: 'assign', description: 'Post a staff member to a unit with a role and period', action: 'Assign a staff member to a grid unit' },
	{ name: 'Create', value: 'create', description: 'Register a staff member', action: 'Create a staff member' },
	{ name: 'Find Responsible', value: 'responsible', description: 'Who answers for a unit now, walking up past vacant posts', action: 'Find who is responsible for a grid unit' },
	{ name: 'Get', value: 'get', description: 'Get a staff member with their current posts', action: 'Get a staff member' },
	{ name: 'Get Many', value: 'list', description: 'List staff, e.g. within a subtree or by role', action: 'Get many staff members' },
	{ name: 'Unassign', value: 'unassign', description: 'End a post; the history is kept', action: 'Unassign a staff member' },
	{ name: 'Update', value: 'update', description: 'Change a staff member\'s details', action: 'Update a staff member' },
], 'get');

const maintenanceOperation = operationSelector('maintenance', [
	{ name: 'Rotate Personal Data Key', value: 'rotateKey', description: 'Re-encrypt and re-hash stored personal data under the credential\'s new key, in batches, while everything keeps running', action: 'Rotate the personal data key' },
], 'rotateKey');

export const properties: INodeProperties[] = [
	resource,
	unitOperation,
	staffOperation,
	maintenanceOperation,
	...unitCreate.description,
	...unitBulkImport.description,
	...unitGet.description,
	...unitList.description,
	...unitAncestors.description,
	...unitMove.description,
	...unitDeactivate.description,
	...staffCreate.description,
	...staffUpdate.description,
	...staffGet.description,
	...staffList.description,
	...staffAssign.description,
	...staffUnassign.description,
	...staffResponsible.description,
	...maintenanceRotateKey.description,
	staffGet.options,
	optionsCollection('unit', ['create', 'bulkImport', 'get', 'list', 'ancestors', 'move', 'deactivate']),
	optionsCollection('staff', ['create', 'update', 'assign', 'unassign', 'responsible']),
];
