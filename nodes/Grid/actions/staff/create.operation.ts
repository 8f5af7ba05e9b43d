import type { INodeProperties } from 'n8n-workflow';
import { type NewStaff, createStaff } from '../../../shared/domain/grid/staff';
import { showFor, unitLocator } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param, unitParam } from '../../../shared/n8n/params';
import { phone } from '../../../shared/validation/phone';
import { requiredText, text } from '../../../shared/validation/text';

const show = showFor('staff', 'create');

export const description: INodeProperties[] = [
	{
		displayName: 'Name',
		name: 'name',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. 王芳',
		description: 'Full name of the staff member, up to 100 characters',
		displayOptions: show,
	},
	{ ...unitLocator('unit', 'Home Unit', 'The unit the staff member belongs to (e.g. their community or street office)'), displayOptions: show },
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add field',
		default: {},
		displayOptions: show,
		options: [
			{
				displayName: 'Staff Number',
				name: 'staffNo',
				type: 'string',
				default: '',
				description: 'Your own unique identifier for the staff member, used to refer to them later',
			},
			{
				displayName: 'Phone',
				name: 'phone',
				type: 'string',
				default: '',
				placeholder: 'e.g. 13805351234',
				description: 'Mainland mobile or landline with area code; stored encrypted and hashed, shown masked',
			},
			{
				displayName: 'Home Agency',
				name: 'homeAgency',
				type: 'string',
				default: '',
				placeholder: 'e.g. 区财政局',
				description: 'Agency the staff member comes from; required to post them as a sent-down cadre (下沉干部)',
			},
		],
	},
];

export function readStaffFields(extra: Record<string, unknown>) {
	return {
		staffNo: text(extra.staffNo, { field: 'Staff Number', max: 64 }),
		phone: phone(extra.phone, 'Phone'),
		homeAgency: text(extra.homeAgency, { field: 'Home Agency', max: 200 }),
	};
}

export const handler: OperationHandler<NewStaff, unknown> = {
	// the domain speaks of the staff member's grid unit; this operation's parameter is Home Unit
	itemField: (label) => (label === 'Grid Unit' ? 'Home Unit' : undefined),
	read(ctx, i, env) {
		const extra = param<Record<string, unknown>>(ctx, 'additionalFields', i, 'Additional Fields', {});
		return {
			name: requiredText(param(ctx, 'name', i, 'Name'), { field: 'Name', max: 100 }),
			unit: unitParam(ctx, 'unit', i, 'Home Unit', env.widths),
			...readStaffFields(extra),
		};
	},
	runBatch: createStaff,
};
