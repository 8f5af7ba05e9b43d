import type { INodeProperties } from 'n8n-workflow';
import { parseAvailability } from '../../../shared/domain/volunteer/availability';
import { VOLUNTEER_KIND_KEYS, checkMaxTasks, checkSkills } from '../../../shared/domain/volunteer/volunteerInput';
import {
	type ListVolunteersInput, type VolunteerChanges, type VolunteerRef, deactivateVolunteer, getVolunteers, listVolunteers, updateVolunteer,
} from '../../../shared/domain/volunteer/volunteers';
import type { VolunteerKind } from '../../../shared/domain/volunteer/vocabulary';
import { returnAllAndLimit, unitLocator } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param, unitParam } from '../../../shared/n8n/params';
import { FieldError } from '../../../shared/validation/errors';
import { gridCode } from '../../../shared/validation/gridCode';
import { phone } from '../../../shared/validation/phone';
import { oneOf, requiredText, text } from '../../../shared/validation/text';
import { KIND_OPTIONS, SKILL_OPTIONS, readVolunteerRef, skillsFrom, volunteerFinder } from '../fields';

const on = (operation: string) => ({ show: { resource: ['volunteer'], operation: [operation] } });

export const description: INodeProperties[] = [
	...volunteerFinder('volunteer', ['update', 'deactivate', 'get']),
	{
		displayName: 'Update Fields',
		name: 'updateFields',
		type: 'collection',
		placeholder: 'Add field',
		default: {},
		displayOptions: on('update'),
		options: [
			{ displayName: 'Availability', name: 'availability', type: 'string', default: '', description: 'Replaces the windows with new ones, e.g. "mon 08:00-12:00, sat 09:00-17:00" (credential time zone); empty means any time' },
			{ displayName: 'Custom Skills', name: 'customSkills', type: 'string', default: '', description: 'Comma-separated skills outside the fixed list, added to Skills; needs Allow Custom Skills' },
			{ displayName: 'Home Agency', name: 'homeAgency', type: 'string', default: '', description: 'Agency a sent-down cadre comes from' },
			{ displayName: 'Home Unit Code', name: 'unitCode', type: 'string', default: '', description: 'Grid code of the new home unit' },
			{ displayName: 'Kind', name: 'kind', type: 'options', options: KIND_OPTIONS, default: 'resident_volunteer', description: 'New kind' },
			{ displayName: 'Max Tasks', name: 'maxTasks', type: 'number', typeOptions: { minValue: 1 }, default: 3, description: 'Most tasks held at once; not below the tasks held now' },
			{ displayName: 'Name', name: 'name', type: 'string', default: '', description: 'New full name' },
			{ displayName: 'Phone', name: 'phone', type: 'string', default: '', description: 'New phone (empty clears it)' },
			{ displayName: 'Profession', name: 'profession', type: 'string', default: '', description: 'Profession of a professional volunteer' },
			{ displayName: 'Skills', name: 'skills', type: 'multiOptions', options: SKILL_OPTIONS, default: [], description: 'Replaces the skills' },
		],
	},
	{ ...unitLocator('within', 'Within Unit', 'List the volunteers whose home unit lies in this unit\'s subtree'), displayOptions: on('list') },
	...returnAllAndLimit('volunteer', 'list'),
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add filter',
		default: {},
		displayOptions: on('list'),
		options: [
			{
				displayName: 'Active',
				name: 'active',
				type: 'options',
				options: [{ name: 'Active Only', value: 'active' }, { name: 'Inactive Only', value: 'inactive' }, { name: 'Both', value: 'both' }],
				default: 'active',
				description: 'Whether to list active volunteers, deactivated ones or both',
			},
			{ displayName: 'Below Their Maximum Only', name: 'availableOnly', type: 'boolean', default: false, description: 'Whether to list only volunteers who can take another task' },
			{ displayName: 'Kinds', name: 'kinds', type: 'multiOptions', options: KIND_OPTIONS, default: [], description: 'Only volunteers of these kinds' },
			{ displayName: 'Skills', name: 'skills', type: 'multiOptions', options: SKILL_OPTIONS, default: [], description: 'Only volunteers having all these skills' },
		],
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		displayOptions: { show: { resource: ['volunteer'], operation: ['get', 'list', 'deactivate'] } },
		options: [
			{ displayName: 'Acting Staff', name: 'actingStaff', type: 'string', default: '', description: 'Staff number or name recorded in the audit log as the person doing this' },
			{ displayName: 'Reveal Personal Data', name: 'reveal', type: 'boolean', default: false, description: 'Whether to output full phone numbers (Get and Get Many). Every reveal is written to the audit log.' },
		],
	},
];

export const updateHandler: OperationHandler<{ ref: VolunteerRef; changes: VolunteerChanges }, unknown> = {
	read(ctx, i, env) {
		const f = param<Record<string, unknown>>(ctx, 'updateFields', i, 'Update Fields', {});
		const allowCustom = Boolean(param(ctx, 'options.allowCustomSkills', i, 'Allow Custom Skills', false));
		const changes: VolunteerChanges = {};
		if ('name' in f) changes.name = requiredText(f.name, { field: 'Name', max: 100 });
		if ('kind' in f) changes.kind = oneOf(f.kind, 'Kind', VOLUNTEER_KIND_KEYS) as VolunteerKind;
		if ('homeAgency' in f) changes.homeAgency = text(f.homeAgency, { field: 'Home Agency', max: 200 });
		if ('profession' in f) changes.profession = text(f.profession, { field: 'Profession', max: 100 });
		if ('skills' in f || 'customSkills' in f) changes.skills = checkSkills(skillsFrom(f.skills, f.customSkills), allowCustom);
		if ('availability' in f) changes.availability = parseAvailability(f.availability, 'Availability');
		if ('maxTasks' in f) changes.maxTasks = checkMaxTasks(f.maxTasks);
		if ('unitCode' in f) changes.unit = { code: gridCode(f.unitCode, 'Home Unit', env.widths).code };
		if ('phone' in f) changes.phone = phone(f.phone, 'Phone') ?? null;
		if (!Object.keys(changes).length) throw new FieldError('Update Fields', 'add at least one field to change');
		return { ref: readVolunteerRef(ctx, i), changes };
	},
	runEach: (uow, x) => updateVolunteer(uow, x.ref, x.changes),
};

export const deactivateHandler: OperationHandler<VolunteerRef, unknown> = {
	read: (ctx, i) => readVolunteerRef(ctx, i),
	runEach: deactivateVolunteer,
};

export const getHandler: OperationHandler<{ ref: VolunteerRef; reveal: boolean }, unknown> = {
	read: (ctx, i) => ({ ref: readVolunteerRef(ctx, i), reveal: Boolean(param(ctx, 'options.reveal', i, 'Reveal Personal Data', false)) }),
	async runBatch(uow, inputs) {
		const out: Array<{ ok: true; value: unknown } | { ok: false; error: FieldError }> = [];
		for (const reveal of [false, true]) {
			const group = inputs.map((x, k) => ({ x, k })).filter(({ x }) => x.reveal === reveal);
			if (!group.length) continue;
			const found = await getVolunteers(uow, group.map(({ x }) => x.ref), reveal);
			group.forEach(({ k }, g) => {
				const r = found[g];
				out[k] = r instanceof FieldError ? { ok: false, error: r } : { ok: true, value: r };
			});
		}
		return out;
	},
};

export const listHandler: OperationHandler<ListVolunteersInput, unknown> = {
	read(ctx, i, env) {
		const f = param<Record<string, unknown>>(ctx, 'filters', i, 'Filters', {});
		const returnAll = param<boolean>(ctx, 'returnAll', i, 'Return All', false);
		const active = f.active ?? 'active';
		return {
			within: unitParam(ctx, 'within', i, 'Within Unit', env.widths),
			kinds: ((f.kinds as string[]) ?? []).map((k) => oneOf(k, 'Kinds', VOLUNTEER_KIND_KEYS)) as VolunteerKind[],
			skills: checkSkills(f.skills, true),
			active: active === 'both' ? undefined : active === 'active',
			availableOnly: Boolean(f.availableOnly),
			limit: returnAll ? undefined : param<number>(ctx, 'limit', i, 'Limit', 50),
			reveal: Boolean(param(ctx, 'options.reveal', i, 'Reveal Personal Data', false)),
		};
	},
	runEach: listVolunteers,
};
