import type { INodeProperties } from 'n8n-workflow';
import {
	type DeliveryPlanInput,
	type DemandQuery,
	NEED_STATUSES,
	type NeedStatus,
	type NewSupplyNeed,
	SUPPLY_CATEGORIES,
	type SupplyCategory,
	type SupplyNeedQuery,
	URGENCIES,
	type Urgency,
	checkSupplyNeed,
	demandSummary,
	listSupplyNeeds,
	planDeliveries,
	recordSupplyNeeds,
	supplyItems,
} from '../../../shared/domain/task/supply';
import { SKILLS } from '../../../shared/domain/volunteer/vocabulary';
import { optionsCollection } from '../../../shared/n8n/descriptions';
import type { OperationHandler, ReadEnv } from '../../../shared/n8n/executeLoop';
import { param } from '../../../shared/n8n/params';
import { FieldError, describeValue } from '../../../shared/validation/errors';
import { LEVEL_NAMES, type Level, gridCode } from '../../../shared/validation/gridCode';
import { integer, oneOf, timestamp } from '../../../shared/validation/text';

const R = 'supplyNeed';
const on = (ops: string[]) => ({ show: { resource: [R], operation: ops } });
const options = <T extends Record<string, string>>(v: T) => Object.entries(v).map(([value, name]) => ({ name, value }));
const URGENCY_OPTIONS = options(URGENCIES);
const CATEGORY_OPTIONS = options(SUPPLY_CATEGORIES);

const withinField: INodeProperties = { displayName: 'Within Unit Code', name: 'within', type: 'string', default: '', placeholder: 'e.g. 370614-001-002', description: 'Only needs of residents of this unit or below' };
const windowFrom: INodeProperties = { displayName: 'Window From', name: 'windowFrom', type: 'dateTime', default: '', description: 'Only needs whose delivery window ends after this time' };
const windowTo: INodeProperties = { displayName: 'Window To', name: 'windowTo', type: 'dateTime', default: '', description: 'Only needs whose delivery window starts before this time' };

export const description: INodeProperties[] = [
	{ displayName: 'Resident ID', name: 'residentId', type: 'number', required: true, default: 0, description: 'The numeric ID of the resident who needs the items', displayOptions: on(['record']) },
	{
		displayName: 'Items',
		name: 'supplyItems',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		placeholder: 'Add item',
		default: {},
		description: 'What is needed; or give Items (JSON) under Additional Fields',
		displayOptions: on(['record']),
		options: [
			{
				displayName: 'Item',
				name: 'item',
				values: [
					{ displayName: 'Item', name: 'item', type: 'string', default: '', placeholder: 'e.g. 大米', description: 'What is needed' },
					{ displayName: 'Quantity', name: 'quantity', type: 'number', typeOptions: { minValue: 0 }, default: 1, description: 'How much, above 0' },
					{ displayName: 'Unit', name: 'unit', type: 'string', default: '份', placeholder: 'e.g. kg', description: 'Unit of the quantity' },
					{ displayName: 'Category', name: 'category', type: 'options', options: CATEGORY_OPTIONS, default: 'groceries', description: 'Groceries, medicine or daily necessities' },
				],
			},
		],
	},
	{ displayName: 'Urgency', name: 'urgency', type: 'options', options: URGENCY_OPTIONS, default: 'normal', description: 'How urgent; urgent needs make their delivery task urgent', displayOptions: on(['record']) },
	{ displayName: 'Window Start', name: 'windowStart', type: 'dateTime', required: true, default: '', description: 'Earliest delivery time', displayOptions: on(['record']) },
	{ displayName: 'Window End', name: 'windowEnd', type: 'dateTime', required: true, default: '', description: 'Latest delivery time; must be after the start', displayOptions: on(['record']) },
	{
		displayName: 'Additional Fields',
		name: 'needFields',
		type: 'collection',
		placeholder: 'Add field',
		default: {},
		displayOptions: on(['record']),
		options: [
			{
				displayName: 'Items (JSON)',
				name: 'itemsJson',
				type: 'json',
				default: '[]',
				description: 'Items as a JSON array of {item, quantity, unit, category}, e.g. from a form; replaces Items when not empty',
			},
			{ displayName: 'Note', name: 'note', type: 'string', typeOptions: { rows: 2 }, default: '', description: 'For the deliverer, e.g. leave at the door' },
		],
	},
	{
		displayName: 'Filters',
		name: 'needFilters',
		type: 'collection',
		placeholder: 'Add filter',
		default: {},
		displayOptions: on(['list']),
		options: [
			{ displayName: 'Resident ID', name: 'residentId', type: 'number', default: 0, description: 'Only the needs of this resident' },
			{ displayName: 'Statuses', name: 'statuses', type: 'multiOptions', options: options(NEED_STATUSES), default: [], description: 'Only needs in these statuses' },
			{ displayName: 'Task ID', name: 'taskId', type: 'number', default: 0, description: 'Only the needs planned into this delivery task' },
			{ displayName: 'Urgencies', name: 'urgencies', type: 'multiOptions', options: URGENCY_OPTIONS, default: [], description: 'Only needs of these urgencies' },
			windowFrom,
			windowTo,
			withinField,
		],
	},
	{ displayName: 'Limit', name: 'limit', type: 'number', typeOptions: { minValue: 1 }, default: 50, description: 'Max number of results to return', displayOptions: on(['list']) },
	{
		displayName: 'Filters',
		name: 'planFilters',
		type: 'collection',
		placeholder: 'Add filter',
		default: {},
		description: 'Which open needs to plan; all open needs in scope when empty',
		displayOptions: on(['planDeliveries']),
		options: [
			{ displayName: 'Required Skills', name: 'requiredSkills', type: 'multiOptions', options: options(SKILLS), default: ['delivery'], description: 'Skills the delivery tasks ask for' },
			{ displayName: 'Urgencies', name: 'urgencies', type: 'multiOptions', options: URGENCY_OPTIONS, default: [], description: 'Only needs of these urgencies' },
			windowFrom,
			windowTo,
			withinField,
		],
	},
	{
		displayName: 'Filters',
		name: 'demandFilters',
		type: 'collection',
		placeholder: 'Add filter',
		default: {},
		displayOptions: on(['demandSummary']),
		options: [
			{ displayName: 'Categories', name: 'categories', type: 'multiOptions', options: CATEGORY_OPTIONS, default: [], description: 'Only items of these categories' },
			{
				displayName: 'Group By Level',
				name: 'level',
				type: 'options',
				options: ([2, 3, 4, 5] as Level[]).map((l) => ({ name: LEVEL_NAMES[l], value: l })),
				default: 3,
				description: 'Totals per unit at this level (default community)',
			},
			{
				displayName: 'Statuses',
				name: 'statuses',
				type: 'multiOptions',
				options: [{ name: 'Open (待安排)', value: 'open' }, { name: 'Planned (已安排配送)', value: 'planned' }],
				default: ['open', 'planned'],
				description: 'Needs in these statuses count',
			},
			windowFrom,
			windowTo,
			withinField,
		],
	},
	optionsCollection(R, ['record', 'list', 'planDeliveries', 'demandSummary']),
];

const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : String(v ?? '').split(/[,，\s]+/)).map((s) => s.trim()).filter(Boolean);

function common(f: Record<string, unknown>, env: ReadEnv) {
	const from = timestamp(f.windowFrom, 'Window From');
	const to = timestamp(f.windowTo, 'Window To');
	if (from && to && to <= from) throw new FieldError('Window To', `Window To ${to.toISOString()} must be after Window From ${from.toISOString()}`);
	return {
		...(f.within ? { within: { code: gridCode(f.within, 'Within Unit Code', env.widths).code } } : {}),
		...(from ? { windowFrom: from } : {}),
		...(to ? { windowTo: to } : {}),
	};
}

function positive(value: unknown, field: string): number | undefined {
	if (value === undefined || value === null || value === '' || value === 0) return undefined;
	return integer(value, field, { min: 1 });
}

export const recordHandler: OperationHandler<NewSupplyNeed, unknown> = {
	read(ctx, i) {
		const extra = param<Record<string, unknown>>(ctx, 'needFields', i, 'Additional Fields', {});
		const json = extra.itemsJson;
		const fromJson = typeof json === 'string' ? json.trim() !== '' && json.trim() !== '[]' : Array.isArray(json) && json.length > 0;
		const rows = (param<{ item?: unknown[] }>(ctx, 'supplyItems', i, 'Items', {}).item ?? []) as unknown[];
		const items = supplyItems(fromJson ? json : rows, fromJson ? 'Items (JSON)' : 'Items');
		const residentId = positive(param(ctx, 'residentId', i, 'Resident ID'), 'Resident ID');
		if (!residentId) throw new FieldError('Resident ID', `Resident ID must be a positive whole number, got ${describeValue(param(ctx, 'residentId', i, 'Resident ID'))}`);
		const windowStart = timestamp(param(ctx, 'windowStart', i, 'Window Start'), 'Window Start');
		const windowEnd = timestamp(param(ctx, 'windowEnd', i, 'Window End'), 'Window End');
		if (!windowStart) throw new FieldError('Window Start', 'Window Start is required');
		if (!windowEnd) throw new FieldError('Window End', 'Window End is required');
		const need: NewSupplyNeed = {
			residentId,
			items,
			urgency: oneOf(param(ctx, 'urgency', i, 'Urgency', 'normal'), 'Urgency', Object.keys(URGENCIES) as Urgency[]),
			windowStart,
			windowEnd,
			...(extra.note ? { note: String(extra.note) } : {}),
		};
		checkSupplyNeed(need);
		return need;
	},
	runBatch: recordSupplyNeeds,
};

export const listHandler: OperationHandler<SupplyNeedQuery, unknown> = {
	read(ctx, i, env) {
		const f = param<Record<string, unknown>>(ctx, 'needFilters', i, 'Filters', {});
		const residentId = positive(f.residentId, 'Resident ID');
		const taskId = positive(f.taskId, 'Task ID');
		const statuses = list(f.statuses).map((s) => oneOf(s, 'Statuses', Object.keys(NEED_STATUSES) as NeedStatus[]));
		const urgencies = list(f.urgencies).map((s) => oneOf(s, 'Urgencies', Object.keys(URGENCIES) as Urgency[]));
		return {
			...common(f, env),
			...(statuses.length ? { statuses } : {}),
			...(urgencies.length ? { urgencies } : {}),
			...(residentId ? { residentId } : {}),
			...(taskId ? { taskId } : {}),
			limit: integer(param(ctx, 'limit', i, 'Limit', 50), 'Limit', { min: 1 }) ?? 50,
		};
	},
	runEach: listSupplyNeeds,
};

export const planHandler: OperationHandler<DeliveryPlanInput, unknown> = {
	read(ctx, i, env) {
		const f = param<Record<string, unknown>>(ctx, 'planFilters', i, 'Filters', {});
		const urgencies = list(f.urgencies).map((s) => oneOf(s, 'Urgencies', Object.keys(URGENCIES) as Urgency[]));
		const skills = f.requiredSkills === undefined ? undefined : list(f.requiredSkills).map((s) => oneOf(s, 'Required Skills', Object.keys(SKILLS)));
		return { ...common(f, env), ...(urgencies.length ? { urgencies } : {}), ...(skills ? { requiredSkills: skills } : {}) };
	},
	runEach: planDeliveries,
};

export const demandHandler: OperationHandler<DemandQuery, unknown> = {
	read(ctx, i, env) {
		const f = param<Record<string, unknown>>(ctx, 'demandFilters', i, 'Filters', {});
		const statuses = list(f.statuses).map((s) => oneOf(s, 'Statuses', ['open', 'planned'] as const));
		const categories = list(f.categories).map((s) => oneOf(s, 'Categories', Object.keys(SUPPLY_CATEGORIES) as SupplyCategory[]));
		const level = f.level === undefined || f.level === '' ? undefined : Number(f.level);
		if (level !== undefined && ![2, 3, 4, 5].includes(level)) throw new FieldError('Group By Level', `Group By Level must be 2 to 5, got ${describeValue(f.level)}`);
		return {
			...common(f, env),
			...(level ? { level: level as 2 | 3 | 4 | 5 } : {}),
			...(statuses.length ? { statuses } : {}),
			...(categories.length ? { categories } : {}),
		};
	},
	runEach: demandSummary,
};

/** What the Task node wires in: the resource, its operations and their handlers. */
export const resource = {
	value: R,
	name: 'Supply Need (物资需求)',
	description: "Residents' needs for groceries, medicine and daily items, planned into deliveries",
	defaultOperation: 'record',
	operations: [
		{ name: 'Demand Summary', value: 'demandSummary', description: 'Totals of needed items per community (or another level) for open and planned needs', action: 'Summarize supply demand' },
		{ name: 'Get Many', value: 'list', description: 'List supply needs by status, urgency, window and subtree', action: 'Get many supply needs' },
		{
			name: 'Plan Deliveries',
			value: 'planDeliveries',
			description: 'Turn open needs into supply delivery tasks, one per building and delivery window',
			action: 'Plan supply deliveries',
		},
		{ name: 'Record', value: 'record', description: 'Record what a resident needs, with urgency and a delivery window', action: 'Record a supply need' },
	],
	handlers: { record: recordHandler, list: listHandler, planDeliveries: planHandler, demandSummary: demandHandler } as Record<string, OperationHandler<any, unknown>>,
	properties: description,
};
