import type { INodeProperties } from 'n8n-workflow';
import { type HouseholdChanges, type NewHousehold, createHouseholds, getHouseholds, listHouseholds, updateHousehold } from '../../../shared/domain/resident/households';
import type { UnitRef } from '../../../shared/domain/grid/unitRecord';
import { returnAllAndLimit, unitLocator } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param, unitParam } from '../../../shared/n8n/params';
import { FieldError, describeValue } from '../../../shared/validation/errors';
import { integer, requiredText, text } from '../../../shared/validation/text';

const on = (ops: string[]) => ({ show: { resource: ['household'], operation: ops } });

export const description: INodeProperties[] = [
	{ ...unitLocator('unit', 'Building', 'The building (level 5) the household lives in'), displayOptions: on(['create']) },
	{ displayName: 'Room Number', name: 'roomNo', type: 'string', required: true, default: '', placeholder: 'e.g. 301', description: 'Room (户号) in the building', displayOptions: on(['create']) },
	{ displayName: 'Unit Number', name: 'unitNo', type: 'string', default: '', placeholder: 'e.g. 2', description: 'Entrance or stairwell (单元) of the building', displayOptions: on(['create']) },
	{ displayName: 'Household ID', name: 'householdId', type: 'number', required: true, default: 0, description: 'ID of the household', displayOptions: on(['get', 'update']) },
	{
		displayName: 'Update Fields',
		name: 'updateFields',
		type: 'collection',
		placeholder: 'Add field',
		default: {},
		displayOptions: on(['update']),
		options: [
			{ displayName: 'Active', name: 'active', type: 'boolean', default: true, description: 'Whether the household is still in use' },
			{ displayName: 'Facts (JSON)', name: 'facts', type: 'json', default: '{}', description: 'Facts gathered about the household (e.g. by a door-to-door survey), merged into those already recorded' },
			{ displayName: 'Room Number', name: 'roomNo', type: 'string', default: '', description: 'New room number' },
			{ displayName: 'Unit Number', name: 'unitNo', type: 'string', default: '', description: 'New entrance or stairwell number (empty clears it)' },
		],
	},
	{ ...unitLocator('within', 'Within', 'List the households of this unit\'s subtree'), displayOptions: on(['list']) },
	...returnAllAndLimit('household', 'list'),
];

function facts(value: unknown): Record<string, unknown> {
	let v = value;
	if (typeof v === 'string') {
		try {
			v = JSON.parse(v || '{}');
		} catch {
			throw new FieldError('Facts (JSON)', `Facts must be a JSON object, got ${describeValue(value)}`);
		}
	}
	if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new FieldError('Facts (JSON)', `Facts must be a JSON object, got ${describeValue(value)}`);
	return v as Record<string, unknown>;
}

const householdId = (value: unknown) => {
	const id = integer(value, 'Household ID', { min: 1 });
	if (id === undefined) throw new FieldError('Household ID', 'Household ID is required');
	return id;
};

export const createHandler: OperationHandler<NewHousehold, unknown> = {
	read: (ctx, i, env) => ({
		unit: unitParam(ctx, 'unit', i, 'Building', env.widths),
		roomNo: requiredText(param(ctx, 'roomNo', i, 'Room Number'), { field: 'Room Number', max: 50 }),
		unitNo: text(param(ctx, 'unitNo', i, 'Unit Number', ''), { field: 'Unit Number', max: 50 }),
	}),
	runBatch: createHouseholds,
};

export const getHandler: OperationHandler<number, unknown> = {
	read: (ctx, i) => householdId(param(ctx, 'householdId', i, 'Household ID')),
	async runBatch(uow, ids) {
		const found = await getHouseholds(uow, ids);
		return found.map((h) => (h instanceof FieldError ? { ok: false, error: h } : { ok: true, value: h }));
	},
};

export const updateHandler: OperationHandler<{ id: number; changes: HouseholdChanges }, unknown> = {
	read(ctx, i) {
		const f = param<Record<string, unknown>>(ctx, 'updateFields', i, 'Update Fields', {});
		if (!Object.keys(f).length) throw new FieldError('Update Fields', 'choose at least one field to update');
		const changes: HouseholdChanges = {};
		if ('roomNo' in f) changes.roomNo = requiredText(f.roomNo, { field: 'Room Number', max: 50 });
		if ('unitNo' in f) changes.unitNo = text(f.unitNo, { field: 'Unit Number', max: 50 }) ?? null;
		if ('facts' in f) changes.facts = facts(f.facts);
		if ('active' in f) changes.active = Boolean(f.active);
		return { id: householdId(param(ctx, 'householdId', i, 'Household ID')), changes };
	},
	runEach: (uow, x) => updateHousehold(uow, x.id, x.changes),
};

export const listHandler: OperationHandler<{ within: UnitRef; limit?: number }, unknown> = {
	read: (ctx, i, env) => ({
		within: unitParam(ctx, 'within', i, 'Within', env.widths),
		limit: param<boolean>(ctx, 'returnAll', i, 'Return All', false) ? undefined : param<number>(ctx, 'limit', i, 'Limit', 50),
	}),
	runEach: (uow, x) => listHouseholds(uow, x.within, x.limit),
};
