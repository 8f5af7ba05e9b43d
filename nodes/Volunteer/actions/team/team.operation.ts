import type { INodeProperties } from 'n8n-workflow';
import { type ListTeamsInput, type MembershipChange, type NewTeam, addTeamMembers, createTeams, listTeams, removeTeamMembers } from '../../../shared/domain/volunteer/teams';
import { TEAM_KIND_KEYS } from '../../../shared/domain/volunteer/volunteerInput';
import type { TeamKind } from '../../../shared/domain/volunteer/vocabulary';
import { returnAllAndLimit, unitLocator } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param, unitParam } from '../../../shared/n8n/params';
import { FieldError } from '../../../shared/validation/errors';
import { integer, oneOf, requiredText, text } from '../../../shared/validation/text';
import { TEAM_KIND_OPTIONS, readVolunteerRef, volunteerFinder } from '../fields';

const on = (operation: string | string[]) => ({ show: { resource: ['team'], operation: Array.isArray(operation) ? operation : [operation] } });

export const description: INodeProperties[] = [
	{ displayName: 'Name', name: 'teamName', type: 'string', required: true, default: '', placeholder: 'e.g. 钟楼社区党员先锋队', description: 'Team name, unique within its unit', displayOptions: on('create') },
	{ displayName: 'Kind', name: 'teamKind', type: 'options', options: TEAM_KIND_OPTIONS, default: 'vanguard', description: 'What kind of team this is', displayOptions: on('create') },
	{ ...unitLocator('teamUnit', 'Grid Unit', 'The unit the team belongs to, e.g. a community'), displayOptions: on('create') },
	{ displayName: 'Leader Volunteer Number', name: 'leaderNo', type: 'string', default: '', description: 'Volunteer number of the team leader (optional); the leader becomes a member', displayOptions: on('create') },
	{ displayName: 'Team ID', name: 'teamId', type: 'number', default: 0, required: true, description: 'ID of the team, as returned by Create or Get Many', displayOptions: on(['addMember', 'removeMember']) },
	...volunteerFinder('team', ['addMember', 'removeMember']),
	{ ...unitLocator('within', 'Within Unit', 'List the teams of this unit\'s subtree'), displayOptions: on('list') },
	...returnAllAndLimit('team', 'list'),
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add filter',
		default: {},
		displayOptions: on('list'),
		options: [
			{ displayName: 'Include Former Members', name: 'includeFormerMembers', type: 'boolean', default: false, description: 'Whether to list members who left, with the time they left' },
			{ displayName: 'Include Members', name: 'includeMembers', type: 'boolean', default: true, description: 'Whether to list each team\'s members' },
			{ displayName: 'Kinds', name: 'kinds', type: 'multiOptions', options: TEAM_KIND_OPTIONS, default: [], description: 'Only teams of these kinds' },
		],
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		displayOptions: on(['create', 'addMember', 'removeMember', 'list']),
		options: [
			{ displayName: 'Acting Staff', name: 'actingStaff', type: 'string', default: '', description: 'Staff number or name recorded in the audit log as the person doing this' },
		],
	},
];

export const createHandler: OperationHandler<NewTeam, unknown> = {
	read(ctx, i, env) {
		const leader = text(param(ctx, 'leaderNo', i, 'Leader Volunteer Number', ''), { field: 'Leader Volunteer Number', max: 50 });
		return {
			name: requiredText(param(ctx, 'teamName', i, 'Name'), { field: 'Name', max: 100 }),
			kind: oneOf(param(ctx, 'teamKind', i, 'Kind', 'vanguard'), 'Kind', TEAM_KIND_KEYS),
			unit: unitParam(ctx, 'teamUnit', i, 'Grid Unit', env.widths),
			leader: leader ? { volunteerNo: leader } : undefined,
		};
	},
	runBatch: createTeams,
};

function readMembership(ctx: Parameters<OperationHandler<unknown, unknown>['read']>[0], i: number): MembershipChange {
	const teamId = integer(param(ctx, 'teamId', i, 'Team ID'), 'Team ID', { min: 1 });
	if (teamId === undefined) throw new FieldError('Team ID', 'Team ID is required');
	return { teamId, volunteer: readVolunteerRef(ctx, i) };
}

export const addMemberHandler: OperationHandler<MembershipChange, unknown> = { read: readMembership, runBatch: addTeamMembers };
export const removeMemberHandler: OperationHandler<MembershipChange, unknown> = { read: readMembership, runBatch: removeTeamMembers };

export const listHandler: OperationHandler<ListTeamsInput, unknown> = {
	read(ctx, i, env) {
		const f = param<Record<string, unknown>>(ctx, 'filters', i, 'Filters', {});
		const returnAll = param<boolean>(ctx, 'returnAll', i, 'Return All', false);
		return {
			within: unitParam(ctx, 'within', i, 'Within Unit', env.widths),
			kinds: ((f.kinds as string[]) ?? []).map((k) => oneOf(k, 'Kinds', TEAM_KIND_KEYS)) as TeamKind[],
			includeMembers: f.includeMembers === undefined ? true : Boolean(f.includeMembers),
			includeFormerMembers: Boolean(f.includeFormerMembers),
			limit: returnAll ? undefined : param<number>(ctx, 'limit', i, 'Limit', 50),
		};
	},
	runEach: listTeams,
};
