import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { VolunteerRef } from '../../shared/domain/volunteer/volunteers';
import { SKILLS, TEAM_KINDS, VOLUNTEER_KINDS } from '../../shared/domain/volunteer/vocabulary';
import { param } from '../../shared/n8n/params';
import { FieldError } from '../../shared/validation/errors';
import { integer, text } from '../../shared/validation/text';

export const KIND_OPTIONS = Object.entries(VOLUNTEER_KINDS).map(([value, name]) => ({ name, value }));
export const TEAM_KIND_OPTIONS = Object.entries(TEAM_KINDS).map(([value, name]) => ({ name, value }));
export const SKILL_OPTIONS = Object.entries(SKILLS).map(([value, name]) => ({ name, value }));

/** "Find Volunteer By": ID or volunteer number, for the operations that name one volunteer. */
export function volunteerFinder(resource: string, operations: string[]): INodeProperties[] {
	const show = (extra: Record<string, string[]> = {}) => ({ show: { resource: [resource], operation: operations, ...extra } });
	return [
		{
			displayName: 'Find Volunteer By',
			name: 'findBy',
			type: 'options',
			options: [
				{ name: 'Volunteer ID', value: 'id' },
				{ name: 'Volunteer Number', value: 'volunteerNo' },
			],
			default: 'id',
			description: 'How to identify the volunteer',
			displayOptions: show(),
		},
		{ displayName: 'Volunteer ID', name: 'volunteerId', type: 'number', default: 0, description: 'ID of the volunteer, as returned by Create or Get Many', displayOptions: show({ findBy: ['id'] }) },
		{ displayName: 'Volunteer Number', name: 'volunteerNo', type: 'string', default: '', placeholder: 'e.g. V-0001', description: 'The volunteer\'s own number', displayOptions: show({ findBy: ['volunteerNo'] }) },
	];
}

export function readVolunteerRef(ctx: IExecuteFunctions, i: number): VolunteerRef {
	const by = param<string>(ctx, 'findBy', i, 'Find Volunteer By', 'id');
	if (by === 'volunteerNo') {
		const no = text(param(ctx, 'volunteerNo', i, 'Volunteer Number'), { field: 'Volunteer Number', max: 50 });
		if (!no) throw new FieldError('Volunteer Number', 'Volunteer Number is required');
		return { volunteerNo: no };
	}
	const id = integer(param(ctx, 'volunteerId', i, 'Volunteer ID'), 'Volunteer ID', { min: 1 });
	if (id === undefined) throw new FieldError('Volunteer ID', 'Volunteer ID is required');
	return { id };
}

/** Skills chosen from the list plus custom ones typed as text. */
export function skillsFrom(listed: unknown, custom: unknown): string[] {
	const fromList = Array.isArray(listed) ? (listed as string[]) : [];
	const typed = typeof custom === 'string' ? custom.split(/[,，;；]/).map((s) => s.trim()).filter(Boolean) : [];
	return [...fromList, ...typed];
}
