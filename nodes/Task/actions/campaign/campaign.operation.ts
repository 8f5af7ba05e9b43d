import type { INodeProperties } from 'n8n-workflow';
import {
	type CampaignQuery,
	type CampaignRef,
	type CampaignRun,
	type CampaignSchedule,
	DEFAULT_HORIZON_HOURS,
	DEFAULT_MAX_TASKS,
	DEFAULT_WINDOW_MINUTES,
	MAX_HORIZON_HOURS,
	checkCampaignRun,
	getCampaigns,
	listCampaigns,
	runCampaign,
} from '../../../shared/domain/task/campaigns';
import { HEALTH_STATUSES, type HealthStatus, TAGS, type Tag } from '../../../shared/domain/resident/vocabulary';
import { PRIORITIES, TASK_KINDS, type TaskKind } from '../../../shared/domain/task/vocabulary';
import { SKILLS } from '../../../shared/domain/volunteer/vocabulary';
import { optionsCollection, unitLocator } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param, unitParam } from '../../../shared/n8n/params';
import { FieldError } from '../../../shared/validation/errors';
import { LEVEL_NAMES, type Level, gridCode } from '../../../shared/validation/gridCode';
import { integer, oneOf, timestamp } from '../../../shared/validation/text';

const R = 'campaign';
const on = (ops: string[], extra: Record<string, unknown[]> = {}) => ({ show: { resource: [R], operation: ops, ...extra } });
const options = <T extends Record<string, string>>(v: T) => Object.entries(v).map(([value, name]) => ({ name, value }));
const KIND_OPTIONS = options(TASK_KINDS);
const LEVEL_OPTIONS = ([2, 3, 4, 5] as Level[]).map((l) => ({ name: LEVEL_NAMES[l], value: l }));

export const description: INodeProperties[] = [
	{
		displayName: 'Campaign Key',
		name: 'campaignKey',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. temp-check-community-3',
		description: 'Stable name of the campaign. Running the same key again creates only the tasks not yet there; with a changed definition the stored one is updated and the output says what changed.',
		displayOptions: on(['run', 'get']),
	},
	{ displayName: 'Name', name: 'campaignName', type: 'string', default: '', placeholder: 'e.g. 居家隔离体温监测', description: 'Display name; the key when empty', displayOptions: on(['run']) },
	{ displayName: 'Task Kind', name: 'campaignKind', type: 'options', options: KIND_OPTIONS, default: 'door_survey', description: 'The kind of every task the campaign creates', displayOptions: on(['run']) },
	{ displayName: 'Custom Kind', name: 'campaignCustomKind', type: 'string', required: true, default: '', description: 'What the custom tasks are', displayOptions: on(['run'], { campaignKind: ['custom'] }) },
	{ ...unitLocator('campaignUnit', 'Within Unit', 'The subtree the campaign covers: only residents or units in it get tasks'), displayOptions: on(['run']) },
	{
		displayName: 'Target',
		name: 'campaignTarget',
		type: 'options',
		options: [
			{ name: 'Resident (每人一个任务)', value: 'resident', description: 'One task per matching resident' },
			{ name: 'Grid Unit (每个单元一个任务)', value: 'unit', description: 'One task per grid unit at a level, e.g. every building' },
		],
		default: 'resident',
		description: 'Whom each task is for',
		displayOptions: on(['run']),
	},
	{
		displayName: 'Resident Filter',
		name: 'residentFilter',
		type: 'collection',
		placeholder: 'Add condition',
		default: {},
		description: 'Which residents of the subtree match; all active residents when empty',
		displayOptions: on(['run'], { campaignTarget: ['resident'] }),
		options: [
			{ displayName: 'Health Statuses', name: 'statuses', type: 'multiOptions', options: options(HEALTH_STATUSES), default: [], description: 'Only residents in one of these health statuses' },
			{ displayName: 'Include Unregistered', name: 'includeUnregistered', type: 'boolean', default: true, description: 'Whether persons met but not in the household registry count too' },
			{ displayName: 'Quarantine Ends Within (Days)', name: 'quarantineEndsWithinDays', type: 'number', typeOptions: { minValue: 0, maxValue: 366 }, default: 3, description: 'Only residents in quarantine whose quarantine ends within this many days' },
			{
				displayName: 'Tag Match',
				name: 'tagMatch',
				type: 'options',
				options: [{ name: 'All Tags', value: 'all' }, { name: 'Any Tag', value: 'any' }],
				default: 'all',
				description: 'With several tags: whether a resident needs all of them or any',
			},
			{ displayName: 'Tags', name: 'tags', type: 'multiOptions', options: options(TAGS), default: [], description: 'Only residents with these tags' },
		],
	},
	{ displayName: 'Unit Level', name: 'unitLevel', type: 'options', options: LEVEL_OPTIONS, default: 5, description: 'Every active unit at this level in the subtree gets a task', displayOptions: on(['run'], { campaignTarget: ['unit'] }) },
	{
		displayName: 'Schedule',
		name: 'scheduleMode',
		type: 'options',
		options: [
			{ name: 'Once, Due By a Time', value: 'once', description: 'One task per target, e.g. a survey by Friday' },
			{ name: 'Times of Day', value: 'timesOfDay', description: 'One task per target at each time of each day, e.g. 08:00 and 16:00' },
		],
		default: 'once',
		description: 'When the tasks fall due',
		displayOptions: on(['run']),
	},
	{ displayName: 'Due At', name: 'dueAt', type: 'dateTime', required: true, default: '', description: 'When every task is due', displayOptions: on(['run'], { scheduleMode: ['once'] }) },
	{
		displayName: 'Times of Day',
		name: 'timesOfDay',
		type: 'string',
		required: true,
		default: '08:00,16:00',
		description: "Comma-separated local times (the credential's time zone); each starts a task window",
		displayOptions: on(['run'], { scheduleMode: ['timesOfDay'] }),
	},
	{
		displayName: 'Schedule Options',
		name: 'scheduleOptions',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		displayOptions: on(['run']),
		options: [
			{ displayName: 'End At', name: 'endAt', type: 'dateTime', default: '', description: 'Times of day: no occurrence starts at or after this time' },
			{ displayName: 'Start At', name: 'startAt', type: 'dateTime', default: '', description: 'Times of day: the first occurrence starts at or after this time. Once: the start of every task window.' },
			{ displayName: 'Until Quarantine Ends', name: 'untilQuarantineEnds', type: 'boolean', default: false, description: "Whether, for residents, no occurrence starts at or after the resident's quarantine end" },
			{ displayName: 'Window (Minutes)', name: 'windowMinutes', type: 'number', typeOptions: { minValue: 1, maxValue: 1440 }, default: DEFAULT_WINDOW_MINUTES, description: 'Times of day: how long each task window lasts; the task is due at its end' },
		],
	},
	{
		displayName: 'Task Template',
		name: 'template',
		type: 'collection',
		placeholder: 'Add field',
		default: {},
		displayOptions: on(['run']),
		options: [
			{ displayName: 'Description', name: 'description', type: 'string', typeOptions: { rows: 3 }, default: '', description: 'Instructions on every task' },
			{ displayName: 'Priority', name: 'priority', type: 'options', options: Object.entries(PRIORITIES).map(([value, name]) => ({ name, value: Number(value) })), default: 2, description: 'Priority of every task' },
			{ displayName: 'Required Skills', name: 'requiredSkills', type: 'multiOptions', options: options(SKILLS), default: [], description: 'Skills a volunteer needs to take the tasks' },
			{
				displayName: 'Title Pattern',
				name: 'title',
				type: 'string',
				default: '',
				placeholder: 'e.g. 体温检测 {name} {date} {time}',
				description: 'Task title with placeholders {name} (resident), {unit}, {code}, {date} and {time} (local); the kind, target and time when empty',
			},
		],
	},
	{
		displayName: 'Filters',
		name: 'campaignFilters',
		type: 'collection',
		placeholder: 'Add filter',
		default: {},
		displayOptions: on(['list']),
		options: [
			{ displayName: 'Kinds', name: 'kinds', type: 'multiOptions', options: KIND_OPTIONS, default: [], description: 'Only campaigns of these task kinds' },
			{ displayName: 'Target', name: 'target', type: 'options', options: [{ name: 'Any', value: '' }, { name: 'Resident', value: 'resident' }, { name: 'Grid Unit', value: 'unit' }], default: '', description: 'Only campaigns with this target' },
			{ displayName: 'Within Unit Code', name: 'within', type: 'string', default: '', placeholder: 'e.g. 370614-001-002', description: 'Only campaigns covering this unit or a unit below it' },
		],
	},
	{ displayName: 'Limit', name: 'limit', type: 'number', typeOptions: { minValue: 1 }, default: 50, description: 'Max number of results to return', displayOptions: on(['list']) },
	optionsCollection(R, ['run'], [
		{ displayName: 'Create Up to the End', name: 'upToEnd', type: 'boolean', default: false, description: 'Whether to create every occurrence up to End At (or the quarantine ends) now, instead of only those within the horizon; at most 366 days ahead' },
		{ displayName: 'Horizon (Hours)', name: 'horizonHours', type: 'number', typeOptions: { minValue: 1, maxValue: MAX_HORIZON_HOURS }, default: DEFAULT_HORIZON_HOURS, description: 'Times of day: create the occurrences starting within this many hours; run the campaign on a schedule to keep it topped up' },
		{ displayName: 'Max Tasks per Run', name: 'maxTasks', type: 'number', typeOptions: { minValue: 1 }, default: DEFAULT_MAX_TASKS, description: 'A run that would create more tasks than this is refused with the count and writes nothing' },
	]),
	optionsCollection(R, ['get', 'list']),
];

const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : String(v ?? '').split(/[,，\s]+/)).map((s) => s.trim()).filter(Boolean);
const date = (v: unknown, field: string) => timestamp(v, field);

export const runHandler: OperationHandler<CampaignRun, unknown> = {
	read(ctx, i, env) {
		const target = oneOf(param(ctx, 'campaignTarget', i, 'Target'), 'Target', ['resident', 'unit'] as const);
		const kind = oneOf(param(ctx, 'campaignKind', i, 'Task Kind'), 'Task Kind', Object.keys(TASK_KINDS) as TaskKind[]);
		const so = param<Record<string, unknown>>(ctx, 'scheduleOptions', i, 'Schedule Options', {});
		const tpl = param<Record<string, unknown>>(ctx, 'template', i, 'Task Template', {});
		const opt = param<Record<string, unknown>>(ctx, 'options', i, 'Options', {});
		const mode = oneOf(param(ctx, 'scheduleMode', i, 'Schedule'), 'Schedule', ['once', 'timesOfDay'] as const);
		const startAt = date(so.startAt, 'Start At');
		let schedule: CampaignSchedule;
		if (mode === 'once') {
			const dueAt = date(param(ctx, 'dueAt', i, 'Due At'), 'Due At');
			if (!dueAt) throw new FieldError('Due At', 'Due At is required for a one-time campaign');
			schedule = { mode, dueAt, ...(startAt ? { startAt } : {}) };
		} else {
			const endAt = date(so.endAt, 'End At');
			const windowMinutes = integer(so.windowMinutes, 'Window (Minutes)', { min: 1, max: 1440 });
			schedule = {
				mode,
				times: list(param(ctx, 'timesOfDay', i, 'Times of Day')),
				...(startAt ? { startAt } : {}),
				...(endAt ? { endAt } : {}),
				...(so.untilQuarantineEnds ? { untilQuarantineEnds: true } : {}),
				...(windowMinutes !== undefined ? { windowMinutes } : {}),
			};
		}
		const c: CampaignRun = {
			key: String(param(ctx, 'campaignKey', i, 'Campaign Key') ?? ''),
			name: String(param(ctx, 'campaignName', i, 'Name', '') ?? ''),
			kind,
			within: unitParam(ctx, 'campaignUnit', i, 'Within Unit', env.widths),
			target,
			schedule,
			template: {
				...(tpl.title ? { title: String(tpl.title) } : {}),
				...(tpl.description ? { description: String(tpl.description) } : {}),
				...(list(tpl.requiredSkills).length ? { requiredSkills: list(tpl.requiredSkills) } : {}),
				...(tpl.priority !== undefined && tpl.priority !== '' ? { priority: Number(tpl.priority) } : {}),
				...(kind === 'custom' ? { customKind: String(param(ctx, 'campaignCustomKind', i, 'Custom Kind', '') ?? '') } : {}),
			},
		};
		if (target === 'resident') {
			const f = param<Record<string, unknown>>(ctx, 'residentFilter', i, 'Resident Filter', {});
			const q = integer(f.quarantineEndsWithinDays, 'Quarantine Ends Within (Days)', { min: 0, max: 366 });
			c.residentFilter = {
				...(list(f.statuses).length ? { statuses: list(f.statuses) as HealthStatus[] } : {}),
				...(list(f.tags).length ? { tags: list(f.tags) as Tag[] } : {}),
				...(f.tagMatch ? { tagMatch: oneOf(f.tagMatch, 'Tag Match', ['all', 'any'] as const) } : {}),
				...(q !== undefined ? { quarantineEndsWithinDays: q } : {}),
				...(f.includeUnregistered !== undefined ? { includeUnregistered: Boolean(f.includeUnregistered) } : {}),
			};
		} else {
			c.unitLevel = Number(param(ctx, 'unitLevel', i, 'Unit Level', 5)) as Level;
		}
		const horizonHours = integer(opt.horizonHours, 'Horizon (Hours)', { min: 1, max: MAX_HORIZON_HOURS });
		const maxTasks = integer(opt.maxTasks, 'Max Tasks per Run', { min: 1 });
		if (horizonHours !== undefined) c.horizonHours = horizonHours;
		if (maxTasks !== undefined) c.maxTasks = maxTasks;
		if (opt.upToEnd) c.upToEnd = true;
		checkCampaignRun(c);
		return c;
	},
	runEach: runCampaign,
};

export const getHandler: OperationHandler<CampaignRef, unknown> = {
	read(ctx, i) {
		const key = String(param(ctx, 'campaignKey', i, 'Campaign Key') ?? '').trim();
		if (!key) throw new FieldError('Campaign Key', 'Campaign Key is required but empty');
		return { key };
	},
	runBatch: getCampaigns,
};

export const listHandler: OperationHandler<CampaignQuery, unknown> = {
	read(ctx, i, env) {
		const f = param<Record<string, unknown>>(ctx, 'campaignFilters', i, 'Filters', {});
		const kinds = list(f.kinds);
		return {
			...(f.within ? { within: { code: gridCode(f.within, 'Within Unit Code', env.widths).code } } : {}),
			...(kinds.length ? { kinds: kinds.map((k) => oneOf(k, 'Kinds', Object.keys(TASK_KINDS) as TaskKind[])) } : {}),
			...(f.target ? { target: oneOf(f.target, 'Target', ['resident', 'unit'] as const) } : {}),
			limit: integer(param(ctx, 'limit', i, 'Limit', 50), 'Limit', { min: 1 }) ?? 50,
		};
	},
	runEach: listCampaigns,
};

/** What the Task node wires in: the resource, its operations and their handlers. */
export const resource = {
	value: R,
	name: 'Campaign (任务活动)',
	description: 'One task per resident or grid unit matching a filter, on a schedule; re-runnable',
	defaultOperation: 'run',
	operations: [
		{ name: 'Get', value: 'get', description: 'Get a campaign by key with its task counts by status', action: 'Get a campaign' },
		{ name: 'Get Many', value: 'list', description: 'List campaigns, most recently run first', action: 'Get many campaigns' },
		{
			name: 'Run',
			value: 'run',
			description: 'Create or update a campaign and create its missing tasks; cancels open tasks of targets that no longer match',
			action: 'Run a campaign',
		},
	],
	handlers: { run: runHandler, get: getHandler, list: listHandler } as Record<string, OperationHandler<any, unknown>>,
	properties: description,
};
