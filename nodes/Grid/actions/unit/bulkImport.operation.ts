import type { INodeProperties } from 'n8n-workflow';
import { checkNewUnit } from '../../../shared/domain/grid/unitInput';
import { createUnits } from '../../../shared/domain/grid/units';
import { showFor } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param } from '../../../shared/n8n/params';
import { FieldError } from '../../../shared/validation/errors';

const show = showFor('unit', 'bulkImport');

const FIELDS = [
	['codeField', 'Code Field', 'code', 'code of the unit'],
	['nameField', 'Name Field', 'name', 'name of the unit'],
	['parentCodeField', 'Parent Code Field', 'parentCode', 'parent unit code (empty for the district)'],
	['levelField', 'Level Field', 'level', 'optional level 1–5, checked against the code'],
	['plannedHouseholdsField', 'Planned Households Field', 'plannedHouseholds', 'optional planned household count'],
	['geojsonField', 'GeoJSON Field', 'geojson', 'optional GeoJSON boundary or point'],
	['addressField', 'Address Field', 'address', 'optional postal address'],
] as const;

export const description: INodeProperties[] = [
	{
		displayName: 'Each input item is one unit. Parents may come in any order within the batch: the tree is built level by level, and the whole batch is checked before anything is written.',
		name: 'bulkNotice',
		type: 'notice',
		default: '',
		displayOptions: show,
	},
	{
		displayName: 'Field Names',
		name: 'fieldNames',
		type: 'collection',
		placeholder: 'Rename a field',
		default: {},
		description: 'Names of the item fields to read, if they differ from the defaults',
		displayOptions: show,
		options: FIELDS.map(([name, displayName, def, what]) => ({
			displayName,
			name,
			type: 'string' as const,
			default: def,
			description: `Item field holding the ${what}`,
		})),
	},
];

type Names = Record<(typeof FIELDS)[number][0], string>;

const LABELS: Record<string, (typeof FIELDS)[number][0]> = {
	Code: 'codeField',
	Name: 'nameField',
	'Parent Code': 'parentCodeField',
	Level: 'levelField',
	'Planned Households': 'plannedHouseholdsField',
	GeoJSON: 'geojsonField',
	Address: 'addressField',
};

export const handler: OperationHandler<ReturnType<typeof checkNewUnit>, unknown> = {
	itemField: (label, env) => {
		const names = (env as typeof env & { unitFieldNames?: Names }).unitFieldNames;
		return names && LABELS[label] ? names[LABELS[label]] : undefined;
	},
	read(ctx, i, env) {
		// Read once per execution: the names are the same for every item.
		const cache = env as typeof env & { unitFieldNames?: Names };
		if (!cache.unitFieldNames) {
			const given = param<Partial<Names>>(ctx, 'fieldNames', 0, 'Field Names', {});
			cache.unitFieldNames = Object.fromEntries(FIELDS.map(([n, , def]) => [n, given[n] || def])) as Names;
		}
		const f = cache.unitFieldNames;
		const json = env.items[i].json;
		if (json === null || typeof json !== 'object') throw new FieldError('Item', 'the item has no JSON object to import');
		return checkNewUnit(
			{
				code: json[f.codeField],
				name: json[f.nameField],
				parentCode: json[f.parentCodeField],
				level: json[f.levelField],
				plannedHouseholds: json[f.plannedHouseholdsField],
				geojson: json[f.geojsonField],
				address: json[f.addressField],
			},
			env.widths,
		);
	},
	runBatch: createUnits,
};
