import type { INodeProperties } from 'n8n-workflow';
import type { HandlerTable } from '../../shared/n8n/router';
import { operationSelector, resourceSelector } from '../../shared/n8n/descriptions';
import * as save from './volunteer/save.operation';
import * as manage from './volunteer/manage.operation';
import * as team from './team/team.operation';
import * as dispatch from './dispatch/dispatch.operation';

export const handlers: HandlerTable = {
	volunteer: {
		create: save.createHandler,
		bulkImport: save.bulkImportHandler,
		update: manage.updateHandler,
		deactivate: manage.deactivateHandler,
		get: manage.getHandler,
		list: manage.listHandler,
	},
	team: { create: team.createHandler, addMember: team.addMemberHandler, removeMember: team.removeMemberHandler, list: team.listHandler },
	dispatch: { run: dispatch.runHandler },
};

const resource = resourceSelector([
	{ name: 'Dispatch (派单)', value: 'dispatch' },
	{ name: 'Team (队伍)', value: 'team' },
	{ name: 'Volunteer (志愿者)', value: 'volunteer' },
], 'volunteer');

export const properties: INodeProperties[] = [
	resource,
	operationSelector('volunteer', [
		{ name: 'Create', value: 'create', description: 'Register a volunteer from each item\'s parameters', action: 'Create a volunteer' },
		{ name: 'Deactivate', value: 'deactivate', description: 'Take a volunteer out of dispatch, keeping the record', action: 'Deactivate a volunteer' },
		{ name: 'Get', value: 'get', description: 'Get a volunteer by ID or number', action: 'Get a volunteer' },
		{ name: 'Get Many', value: 'list', description: 'List the volunteers of a subtree by kind, skill and status', action: 'Get many volunteers' },
		{ name: 'Import Many', value: 'bulkImport', description: 'Register or update many volunteers from item fields in one go', action: 'Import many volunteers' },
		{ name: 'Update', value: 'update', description: 'Change a volunteer\'s details, skills, availability or maximum', action: 'Update a volunteer' },
	], 'create'),
	operationSelector('team', [
		{ name: 'Add Member', value: 'addMember', description: 'Add a volunteer to a team', action: 'Add a member to a team' },
		{ name: 'Create', value: 'create', description: 'Create a team in a grid unit', action: 'Create a team' },
		{ name: 'Get Many', value: 'list', description: 'List the teams of a subtree with their members', action: 'Get many teams' },
		{ name: 'Remove Member', value: 'removeMember', description: 'End a volunteer\'s membership, keeping the history', action: 'Remove a member from a team' },
	], 'create'),
	operationSelector('dispatch', [
		{ name: 'Match Open Tasks', value: 'run', description: 'Assign open tasks to the volunteers who fit them best; safe to run from parallel workers', action: 'Match open tasks to volunteers' },
	], 'run'),
	...save.description,
	...manage.description,
	...team.description,
	...dispatch.description,
];
