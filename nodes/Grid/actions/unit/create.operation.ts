import type { INodeProperties } from 'n8n-workflow';
import { checkNewUnit } from '../../../shared/domain/grid/unitInput';
import { createUnits } from '../../../shared/domain/grid/units';
import { showFor } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param } from '../../../shared/n8n/params';

const show = showFor('unit', 'create');

export const description: INodeProperties[] = [
	{
		displayName: 'Code',
		name: 'code',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. 370614-001-002-003',
		description: 'Stable hierarchical code: the 6-digit GB/T 2260 county code, then street, community, base grid and building segments. Its number of segments sets the level.',
		displayOptions: show,
	},
	{
		displayName: 'Name',
		name: 'name',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. 登州街道',
		description: 'Name of the unit, up to 200 characters',
		displayOptions: show,
	},
	{
		displayName: 'Parent Code',
		name: 'parentCode',
		type: 'string',
		default: '',
		placeholder: 'e.g. 370614-001-002',
		description: 'Code of the unit one level up; required for every level but the district. It may be created by an earlier item of the same run.',
		displayOptions: show,
	},
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add field',
		default: {},
		displayOptions: show,
		options: [
			{
				displayName: 'Planned Households',
				name: 'plannedHouseholds',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 0,
				description: 'Households the unit is planned for (a base grid typically 300–500)',
			},
			{
				displayName: 'Address',
				name: 'address',
				type: 'string',
				default: '',
				placeholder: 'e.g. 蓬莱区登州街道钟楼北路12号',
				description: 'Postal address of the unit (usually a building or compound), used to place persons pushed from above by their claimed address',
			},
			{
				displayName: 'GeoJSON',
				name: 'geojson',
				type: 'json',
				default: '',
				description: 'Optional boundary or point of the unit as GeoJSON',
			},
		],
	},
];

export const handler: OperationHandler<ReturnType<typeof checkNewUnit>, unknown> = {
	read(ctx, i, env) {
		const extra = param<Record<string, unknown>>(ctx, 'additionalFields', i, 'Additional Fields', {});
		return checkNewUnit(
			{
				code: param(ctx, 'code', i, 'Code'),
				name: param(ctx, 'name', i, 'Name'),
				parentCode: param(ctx, 'parentCode', i, 'Parent Code', ''),
				plannedHouseholds: extra.plannedHouseholds,
				geojson: extra.geojson,
				address: extra.address,
			},
			env.widths,
		);
	},
	runBatch: createUnits,
};
