import type { INodeProperties } from 'n8n-workflow';
import { setHealthStatus, type StatusChange } from '../../../shared/domain/resident/health';
import { type ResidentChanges, deactivateResident, moveResident, updateResident } from '../../../shared/domain/resident/lifecycle';
import { checkHousehold, checkTags } from '../../../shared/domain/resident/residentInput';
import type { ResidentRef } from '../../../shared/domain/resident/residents';
import { HEALTH_STATUS_KEYS, INACTIVE_REASONS, type InactiveReason } from '../../../shared/domain/resident/vocabulary';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param } from '../../../shared/n8n/params';
import { FieldError } from '../../../shared/validation/errors';
import { gridCode } from '../../../shared/validation/gridCode';
import { phone } from '../../../shared/validation/phone';
import { oneOf, requiredText, text, timestamp } from '../../../shared/validation/text';
import { STATUS_OPTIONS, TAG_OPTIONS, readResidentRef } from '../fields';

const on = (operation: string) => ({ show: { resource: ['resident'], operation: [operation] } });

export const description: INodeProperties[] = [
	{
		displayName: 'Update Fields',
		name: 'updateFields',
		type: 'collection',
		placeholder: 'Add field',
		default: {},
		displayOptions: on('update'),
		options: [
			{ displayName: 'Add Tags', name: 'addTags', type: 'multiOptions', options: TAG_OPTIONS, default: [], description: 'Tags to add' },
			{ displayName: 'Name', name: 'name', type: 'string', default: '', description: 'New full name' },
			{ displayName: 'Phone', name: 'phone', type: 'string', default: '', description: 'New phone (empty clears it)' },
			{ displayName: 'Relation', name: 'relation', type: 'string', default: '', description: 'Relation to the head of household' },
			{ displayName: 'Remove Tags', name: 'removeTags', type: 'multiOptions', options: TAG_OPTIONS, default: [], description: 'Tags to remove' },
		],
	},
	{ displayName: 'New Status', name: 'status', type: 'options', options: STATUS_OPTIONS, default: 'home_quarantine', description: 'Status to move to; impossible moves (e.g. out of deceased) are refused', displayOptions: on('setHealthStatus') },
	{ displayName: 'Reason', name: 'reason', type: 'string', required: true, default: '', placeholder: 'e.g. 密接人员, 核酸阳性', description: 'Why the status changes; kept in the history', displayOptions: on('setHealthStatus') },
	{
		displayName: 'Quarantine Ends At',
		name: 'quarantineEndsAt',
		type: 'dateTime',
		default: '',
		description: 'Required for home or central quarantine',
		displayOptions: { show: { resource: ['resident'], operation: ['setHealthStatus'], status: ['home_quarantine', 'central_quarantine'] } },
	},
	{ displayName: 'Starts At', name: 'startedAt', type: 'dateTime', default: '', description: 'When the new status began; now if empty', displayOptions: on('setHealthStatus') },
	{ displayName: 'Building Code', name: 'toBuildingCode', type: 'string', required: true, default: '', placeholder: 'e.g. 370614-001-002-003-0005', description: 'Building the resident moves to', displayOptions: on('move') },
	{ displayName: 'Room Number', name: 'toRoomNo', type: 'string', default: '', description: 'Room in the new building; the household is found or created', displayOptions: on('move') },
	{ displayName: 'Unit Number', name: 'toUnitNo', type: 'string', default: '', description: 'Entrance or stairwell (单元) in the new building', displayOptions: on('move') },
	{ displayName: 'Move Reason', name: 'moveReason', type: 'string', default: '', description: 'Kept in the move history', displayOptions: on('move') },
	{
		displayName: 'Reason',
		name: 'inactiveReason',
		type: 'options',
		options: Object.entries(INACTIVE_REASONS).map(([value, name]) => ({ name, value })),
		default: 'moved_away',
		description: 'Why the resident leaves the active registry; the record is kept',
		displayOptions: on('deactivate'),
	},
];

export const updateHandler: OperationHandler<{ ref: ResidentRef; changes: ResidentChanges }, unknown> = {
	read(ctx, i) {
		const f = param<Record<string, unknown>>(ctx, 'updateFields', i, 'Update Fields', {});
		if (!Object.keys(f).length) throw new FieldError('Update Fields', 'choose at least one field to update');
		const changes: ResidentChanges = {};
		if ('name' in f) changes.name = requiredText(f.name, { field: 'Name', max: 100 });
		if ('phone' in f) changes.phone = phone(f.phone, 'Phone') ?? null;
		if ('relation' in f) changes.relation = text(f.relation, { field: 'Relation', max: 50 }) ?? null;
		if ('addTags' in f) changes.addTags = checkTags(f.addTags, false, 'Add Tags');
		if ('removeTags' in f) changes.removeTags = checkTags(f.removeTags, true, 'Remove Tags');
		return { ref: readResidentRef(ctx, i), changes };
	},
	runEach: (uow, x) => updateResident(uow, x.ref, x.changes),
};

export const setHealthStatusHandler: OperationHandler<StatusChange, unknown> = {
	read: (ctx, i) => ({
		resident: readResidentRef(ctx, i),
		status: oneOf(param(ctx, 'status', i, 'New Status'), 'New Status', HEALTH_STATUS_KEYS),
		reason: requiredText(param(ctx, 'reason', i, 'Reason'), { field: 'Reason', max: 500 }),
		quarantineEndsAt: timestamp(param(ctx, 'quarantineEndsAt', i, 'Quarantine Ends At', ''), 'Quarantine Ends At'),
		startedAt: timestamp(param(ctx, 'startedAt', i, 'Starts At', ''), 'Starts At'),
	}),
	runEach: setHealthStatus,
};

export const moveHandler: OperationHandler<{ ref: ResidentRef; to: ReturnType<typeof checkHousehold> | { buildingCode: string }; reason?: string }, unknown> = {
	read(ctx, i, env) {
		const buildingCode = gridCode(param(ctx, 'toBuildingCode', i, 'Building Code'), 'Building Code', env.widths).code;
		const household = checkHousehold({ buildingCode, roomNo: param(ctx, 'toRoomNo', i, 'Room Number', ''), unitNo: param(ctx, 'toUnitNo', i, 'Unit Number', '') }, env.widths);
		return {
			ref: readResidentRef(ctx, i),
			to: household ?? { buildingCode },
			reason: text(param(ctx, 'moveReason', i, 'Move Reason', ''), { field: 'Move Reason', max: 500 }),
		};
	},
	runEach: (uow, x) => moveResident(uow, x.ref, x.to!, x.reason),
};

export const deactivateHandler: OperationHandler<{ ref: ResidentRef; reason: InactiveReason }, unknown> = {
	read: (ctx, i) => ({
		ref: readResidentRef(ctx, i),
		reason: oneOf(param(ctx, 'inactiveReason', i, 'Reason'), 'Reason', Object.keys(INACTIVE_REASONS) as InactiveReason[]),
	}),
	runEach: (uow, x) => deactivateResident(uow, x.ref, x.reason),
};
