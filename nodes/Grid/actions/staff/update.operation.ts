import type { INodeProperties } from 'n8n-workflow';
import { type StaffChanges, type StaffRef, updateStaff } from '../../../shared/domain/grid/staff';
import { showFor, staffLocator } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param, staffParam } from '../../../shared/n8n/params';
import { FieldError } from '../../../shared/validation/errors';
import { gridCode } from '../../../shared/validation/gridCode';
import { phone } from '../../../shared/validation/phone';
import { requiredText, text } from '../../../shared/validation/text';

const show = showFor('staff', 'update');

export const description: INodeProperties[] = [
	{ ...staffLocator('staff', 'Staff', 'The staff member to update'), displayOptions: show },
	{
		displayName: 'Update Fields',
		name: 'updateFields',
		type: 'collection',
		placeholder: 'Add field',
		default: {},
		displayOptions: show,
		options: [
			{ displayName: 'Active', name: 'active', type: 'boolean', default: true, description: 'Whether the staff member is active; inactive staff are never named as responsible' },
			{ displayName: 'Home Agency', name: 'homeAgency', type: 'string', default: '', description: 'Agency the staff member comes from (empty clears it)' },
			{ displayName: 'Home Unit Code', name: 'unitCode', type: 'string', default: '', placeholder: 'e.g. 370614-001-002', description: 'Code of the unit the staff member now belongs to' },
			{ displayName: 'Name', name: 'name', type: 'string', default: '', description: 'New full name, up to 100 characters' },
			{ displayName: 'Phone', name: 'phone', type: 'string', default: '', description: 'New phone (empty clears it); stored encrypted and hashed' },
			{ displayName: 'Staff Number', name: 'staffNo', type: 'string', default: '', description: 'New unique staff number' },
		],
	},
];

export const handler: OperationHandler<{ staff: StaffRef; changes: StaffChanges }, unknown> = {
	read(ctx, i, env) {
		const f = param<Record<string, unknown>>(ctx, 'updateFields', i, 'Update Fields', {});
		if (!Object.keys(f).length) throw new FieldError('Update Fields', 'choose at least one field to update');
		const changes: StaffChanges = {};
		if ('name' in f) changes.name = requiredText(f.name, { field: 'Name', max: 100 });
		if ('phone' in f) changes.phone = phone(f.phone, 'Phone') ?? null;
		if ('homeAgency' in f) changes.homeAgency = text(f.homeAgency, { field: 'Home Agency', max: 200 }) ?? null;
		if ('active' in f) changes.active = Boolean(f.active);
		if ('staffNo' in f) changes.staffNo = requiredText(f.staffNo, { field: 'Staff Number', max: 64 });
		if ('unitCode' in f) changes.unit = { code: gridCode(f.unitCode, 'Home Unit Code', env.widths).code };
		return { staff: staffParam(ctx, 'staff', i, 'Staff'), changes };
	},
	runEach: (uow, input) => updateStaff(uow, input.staff, input.changes),
};
