import type { INodeProperties } from 'n8n-workflow';
import { type IncidentSearch, type TimelineQuery, getIncidents, searchIncidents, timeline } from '../../../shared/domain/incident/queries';
import { RISK_LEVELS, type RiskLevel } from '../../../shared/domain/incident/risk';
import { EVENT_KINDS, type EventKind, INCIDENT_STATUSES, type IncidentStatus } from '../../../shared/domain/incident/vocabulary';
import { resolveCategory } from '../../../shared/domain/incident/categories';
import { returnAllAndLimit } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param } from '../../../shared/n8n/params';
import { FieldError } from '../../../shared/validation/errors';
import { gridCode } from '../../../shared/validation/gridCode';
import { oneOf, timestamp } from '../../../shared/validation/text';
import { RISK_OPTIONS, STATUS_OPTIONS, type IncidentRef, readIncidentRef } from '../fields';
import { readPolicy } from '../policy';

const on = (ops: string[]) => ({ show: { resource: ['incident'], operation: ops } });

export const description: INodeProperties[] = [
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add filter',
		default: {},
		displayOptions: on(['search']),
		options: [
			{ displayName: 'Assignee Staff Number', name: 'assigneeStaffNo', type: 'string', default: '', description: 'Only incidents assigned to this staff member' },
			{ displayName: 'Categories', name: 'categories', type: 'string', default: '', placeholder: 'e.g. sanitation, 就医需求', description: 'Comma-separated category codes or labels' },
			{ displayName: 'Created After', name: 'createdFrom', type: 'dateTime', default: '', description: 'Only incidents that came in at or after this time' },
			{ displayName: 'Created Before', name: 'createdTo', type: 'dateTime', default: '', description: 'Only incidents that came in before this time' },
			{ displayName: 'Minimum Risk', name: 'minRisk', type: 'options', options: RISK_OPTIONS, default: 'low', description: 'Only incidents at this risk level or above' },
			{ displayName: 'Overdue Only', name: 'overdueOnly', type: 'boolean', default: false, description: 'Whether to return only open incidents past their SLA due time' },
			{ displayName: 'Statuses', name: 'statuses', type: 'multiOptions', options: STATUS_OPTIONS, default: [], description: 'Only incidents in these statuses' },
			{ displayName: 'Supervised Only', name: 'supervisedOnly', type: 'boolean', default: false, description: 'Whether to return only incidents under supervision (提级督办)' },
			{ displayName: 'Within Unit Code', name: 'within', type: 'string', default: '', placeholder: 'e.g. 370614-001-002', description: 'Only incidents owned by this unit or below' },
		],
	},
	{ displayName: 'Offset', name: 'offset', type: 'number', typeOptions: { minValue: 0 }, default: 0, description: 'Skip this many matches (newest first), to page through results', displayOptions: on(['search']) },
	...returnAllAndLimit('incident', 'search'),
	{
		displayName: 'Event Kinds',
		name: 'kinds',
		type: 'multiOptions',
		options: Object.entries(EVENT_KINDS).map(([value, name]) => ({ name, value })),
		default: [],
		description: 'Only these kinds of timeline entries; all when empty',
		displayOptions: on(['timeline']),
	},
];

const list = (v: unknown) => String(v ?? '').split(/[,，]+/).map((s) => s.trim()).filter(Boolean);

export const getHandler: OperationHandler<{ ref: IncidentRef; reveal: boolean }, unknown> = {
	read: (ctx, i) => ({ ref: readIncidentRef(ctx, i), reveal: Boolean(param<Record<string, unknown>>(ctx, 'options', i, 'Options', {}).reveal) }),
	runBatch: (uow, inputs) => getIncidents(uow, inputs.map((x) => x.ref), inputs.some((x) => x.reveal)),
};

export const searchHandler: OperationHandler<IncidentSearch, unknown> = {
	read(ctx, i, env) {
		const policy = readPolicy(ctx, env);
		const f = param<Record<string, unknown>>(ctx, 'filters', i, 'Filters', {});
		const o = param<Record<string, unknown>>(ctx, 'options', i, 'Options', {});
		const createdFrom = timestamp(f.createdFrom, 'Created After');
		const createdTo = timestamp(f.createdTo, 'Created Before');
		if (createdFrom && createdTo && createdFrom >= createdTo) throw new FieldError('Created Before', 'Created Before must be after Created After');
		const returnAll = param<boolean>(ctx, 'returnAll', i, 'Return All', false);
		const statuses = (f.statuses as string[] | undefined) ?? [];
		const q: IncidentSearch = {
			...(f.within ? { within: { code: gridCode(f.within, 'Within Unit Code', env.widths).code } } : {}),
			...(statuses.length ? { statuses: statuses.map((s) => oneOf(s, 'Statuses', Object.keys(INCIDENT_STATUSES) as IncidentStatus[])) } : {}),
			...(list(f.categories).length ? { categories: list(f.categories).map((c) => resolveCategory(policy.categories, c, 'Categories').code) } : {}),
			...(f.minRisk && f.minRisk !== 'low' ? { minRisk: oneOf(f.minRisk, 'Minimum Risk', RISK_LEVELS) as RiskLevel } : {}),
			...(f.overdueOnly ? { overdueOnly: true } : {}),
			...(f.supervisedOnly ? { supervisedOnly: true } : {}),
			...(createdFrom ? { createdFrom } : {}),
			...(createdTo ? { createdTo } : {}),
			...(f.assigneeStaffNo ? { assignee: { staffNo: String(f.assigneeStaffNo).trim() } } : {}),
			offset: Number(param(ctx, 'offset', i, 'Offset', 0)) || 0,
			returnAll,
			...(returnAll ? {} : { limit: param<number>(ctx, 'limit', i, 'Limit', 50) }),
			reveal: Boolean(o.reveal),
		};
		return q;
	},
	runEach: searchIncidents,
};

export const timelineHandler: OperationHandler<TimelineQuery, unknown> = {
	read(ctx, i) {
		const kinds = param<string[]>(ctx, 'kinds', i, 'Event Kinds', []);
		return {
			incident: readIncidentRef(ctx, i),
			...(kinds.length ? { kinds: kinds.map((k) => oneOf(k, 'Event Kinds', Object.keys(EVENT_KINDS) as EventKind[])) } : {}),
		};
	},
	runEach: timeline,
};
