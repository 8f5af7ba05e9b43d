import type { INodeProperties } from 'n8n-workflow';

type SelectorOption = { name: string; value: string; description?: string; action?: string };

/** The Resource selector every action node starts with. */
export function resourceSelector(options: SelectorOption[], def: string): INodeProperties {
	return { displayName: 'Resource', name: 'resource', type: 'options', noDataExpression: true, options, default: def };
}

/** The Operation selector shown for one resource. */
export function operationSelector(resource: string, options: SelectorOption[], def: string): INodeProperties {
	return {
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: [resource] } },
		options,
		default: def,
	};
}

/** displayOptions for one resource/operation pair. */
export function showFor(resource: string, operation: string | string[]) {
	return { show: { resource: [resource], operation: Array.isArray(operation) ? operation : [operation] } };
}

/** The grid unit picker used wherever a user picks a unit. */
export function unitLocator(name: string, displayName: string, description: string): Omit<INodeProperties, 'displayOptions'> {
	return {
		displayName,
		name,
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description,
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: 'Select a grid unit…',
				typeOptions: { searchListMethod: 'searchGridUnits', searchable: true },
			},
			{
				displayName: 'By Code',
				name: 'code',
				type: 'string',
				placeholder: 'e.g. 370614-001-002',
				validation: [
					{
						type: 'regex',
						properties: { regex: '^\\s*\\d{6}(-\\d+){0,4}\\s*$', errorMessage: 'A grid code is a 6-digit county code followed by up to four dash-separated segments' },
					},
				],
			},
			{
				displayName: 'By ID',
				name: 'id',
				type: 'string',
				placeholder: 'e.g. 42',
				validation: [{ type: 'regex', properties: { regex: '^\\s*\\d+\\s*$', errorMessage: 'A unit ID is a whole number' } }],
			},
		],
	};
}

/** The staff picker: by staff number, by ID, or searched by name. */
export function staffLocator(name: string, displayName: string, description: string): Omit<INodeProperties, 'displayOptions'> {
	return {
		displayName,
		name,
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description,
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: 'Select a staff member…',
				typeOptions: { searchListMethod: 'searchStaff', searchable: true },
			},
			{ displayName: 'By Staff Number', name: 'staffNo', type: 'string', placeholder: 'e.g. S-0001' },
			{
				displayName: 'By ID',
				name: 'id',
				type: 'string',
				placeholder: 'e.g. 17',
				validation: [{ type: 'regex', properties: { regex: '^\\s*\\d+\\s*$', errorMessage: 'A staff ID is a whole number' } }],
			},
		],
	};
}

export function returnAllAndLimit(resource: string, operation: string): INodeProperties[] {
	return [
		{
			displayName: 'Return All',
			name: 'returnAll',
			type: 'boolean',
			default: false,
			description: 'Whether to return all results or only up to a given limit',
			displayOptions: showFor(resource, operation),
		},
		{
			displayName: 'Limit',
			name: 'limit',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 50,
			description: 'Max number of results to return',
			displayOptions: { show: { resource: [resource], operation: [operation], returnAll: [false] } },
		},
	];
}

export const actingStaffOption: INodeProperties = {
	displayName: 'Acting Staff',
	name: 'actingStaff',
	type: 'string',
	default: '',
	placeholder: 'e.g. S-0001 or 王芳',
	description: 'Staff number or name recorded in the audit log as the person doing this, instead of only the workflow and execution',
};

export const revealOption: INodeProperties = {
	displayName: 'Reveal Personal Data',
	name: 'reveal',
	type: 'boolean',
	default: false,
	description: 'Whether to output full phone numbers instead of masked ones. Every reveal is written to the audit log with the workflow, execution and acting staff.',
};

export function optionsCollection(resource: string, operation: string | string[], extra: INodeProperties[] = []): INodeProperties {
	return {
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		displayOptions: showFor(resource, operation),
		options: [actingStaffOption, ...extra],
	};
}
