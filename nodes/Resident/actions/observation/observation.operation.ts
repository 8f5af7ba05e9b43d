import type { INodeProperties } from 'n8n-workflow';
import { type ListObservationsInput, type NewObservation, listObservations, recordObservations } from '../../../shared/domain/resident/health';
import { OBSERVATION_SOURCES, type ObservationSource } from '../../../shared/domain/resident/vocabulary';
import { returnAllAndLimit } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param } from '../../../shared/n8n/params';
import { FieldError, describeValue } from '../../../shared/validation/errors';
import { gridCode } from '../../../shared/validation/gridCode';
import { decimalValue, oneOf, text, timestamp } from '../../../shared/validation/text';
import { SOURCE_OPTIONS, readResidentRef, residentFinder } from '../fields';

const on = (ops: string[]) => ({ show: { resource: ['observation'], operation: ops } });

export const description: INodeProperties[] = [
	...residentFinder('observation', ['record']),
	{ displayName: 'Temperature', name: 'temperature', type: 'string', default: '', placeholder: 'e.g. 36.8', description: 'Body temperature; 37.3 °C or more is flagged as fever. Leave empty when only symptoms are reported.', displayOptions: on(['record']) },
	{
		displayName: 'Temperature Unit',
		name: 'temperatureUnit',
		type: 'options',
		options: [{ name: 'Celsius (°C)', value: 'C' }, { name: 'Fahrenheit (°F)', value: 'F' }],
		default: 'C',
		description: 'Unit of the temperature; readings are stored in °C and must lie between 34.0 and 43.0 °C',
		displayOptions: on(['record']),
	},
	{ displayName: 'Symptoms', name: 'symptoms', type: 'string', default: '', placeholder: 'e.g. cough, 乏力', description: 'Comma-separated symptoms', displayOptions: on(['record']) },
	{ displayName: 'Source', name: 'source', type: 'options', options: SOURCE_OPTIONS, default: 'door_visit', description: 'How the observation was made', displayOptions: on(['record']) },
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add field',
		default: {},
		displayOptions: on(['record']),
		options: [
			{ displayName: 'Note', name: 'note', type: 'string', default: '', description: 'Free remark' },
			{ displayName: 'Observed At', name: 'observedAt', type: 'dateTime', default: '', description: 'When the reading was taken; now if empty' },
			{ displayName: 'Recorded By', name: 'recordedBy', type: 'string', default: '', description: 'Who took the reading (staff number or name)' },
		],
	},
	{
		displayName: 'List For',
		name: 'listFor',
		type: 'options',
		options: [{ name: 'A Subtree', value: 'subtree' }, { name: 'A Resident', value: 'resident' }],
		default: 'subtree',
		description: 'Whose observations to list',
		displayOptions: on(['list']),
	},
	{ displayName: 'Within Unit Code', name: 'withinCode', type: 'string', default: '', placeholder: 'e.g. 370614-001-002', description: 'Observations of residents of this subtree', displayOptions: { show: { resource: ['observation'], operation: ['list'], listFor: ['subtree'] } } },
	...residentFinder('observation', ['list']).map((p) => ({ ...p, displayOptions: { show: { resource: ['observation'], operation: ['list'], listFor: ['resident'], ...(p.displayOptions?.show ?? {}) } } })),
	{ displayName: 'From', name: 'from', type: 'dateTime', default: '', description: 'Start of the window; 24 hours ago if empty', displayOptions: on(['list']) },
	{ displayName: 'To', name: 'to', type: 'dateTime', default: '', description: 'End of the window; now if empty', displayOptions: on(['list']) },
	{ displayName: 'Fever Only', name: 'feverOnly', type: 'boolean', default: false, description: 'Whether to list only readings of 37.3 °C or more', displayOptions: on(['list']) },
	...returnAllAndLimit('observation', 'list'),
];

/** Parses a temperature; Fahrenheit must be said explicitly, and values are checked in °C. */
export function temperatureC(value: unknown, unit: 'C' | 'F'): number | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	const n = decimalValue(value);
	if (!Number.isFinite(n)) throw new FieldError('Temperature', `Temperature must be a number, got ${describeValue(value)}`);
	const c = unit === 'F' ? ((n - 32) * 5) / 9 : n;
	if (unit === 'C' && n >= 90 && n <= 110) {
		throw new FieldError('Temperature', `Temperature ${n} looks like °F; set Temperature Unit to Fahrenheit (°F) if it is`);
	}
	if (c < 34 || c > 43) {
		throw new FieldError('Temperature', `Temperature ${n} °${unit}${unit === 'F' ? ` (${c.toFixed(1)} °C)` : ''} is outside the plausible body range of 34.0–43.0 °C`);
	}
	return Math.round(c * 10) / 10;
}

/** Symptoms as comma-separated text or a list of texts; anything else would be stored as "[object Object]". */
function symptomList(value: unknown): string[] {
	if (value === undefined || value === null || value === '') return [];
	const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[,，;；]/) : null;
	if (!list || list.some((s) => typeof s !== 'string')) {
		throw new FieldError('Symptoms', `Symptoms must be comma-separated text or a list of texts, got ${describeValue(value)}`);
	}
	const symptoms = list.map((s: string) => s.trim()).filter(Boolean);
	for (const s of symptoms) text(s, { field: 'Symptoms', max: 100 });
	return symptoms;
}

export const recordHandler: OperationHandler<NewObservation, unknown> = {
	read(ctx, i) {
		const extra = param<Record<string, unknown>>(ctx, 'additionalFields', i, 'Additional Fields', {});
		const unit = oneOf(param(ctx, 'temperatureUnit', i, 'Temperature Unit', 'C'), 'Temperature Unit', ['C', 'F'] as const);
		const t = temperatureC(param(ctx, 'temperature', i, 'Temperature', ''), unit);
		const symptoms = symptomList(param(ctx, 'symptoms', i, 'Symptoms', ''));
		if (t === undefined && !symptoms.length) throw new FieldError('Temperature', 'give a temperature, symptoms, or both');
		return {
			resident: readResidentRef(ctx, i),
			temperatureC: t,
			symptoms,
			source: oneOf(param(ctx, 'source', i, 'Source'), 'Source', Object.keys(OBSERVATION_SOURCES) as ObservationSource[]),
			observedAt: timestamp(extra.observedAt, 'Observed At'),
			recordedBy: text(extra.recordedBy, { field: 'Recorded By', max: 100 }),
			note: text(extra.note, { field: 'Note', max: 1000, multiline: true }),
		};
	},
	runBatch: recordObservations,
};

export const listHandler: OperationHandler<ListObservationsInput, unknown> = {
	read(ctx, i, env) {
		const forWhat = param<string>(ctx, 'listFor', i, 'List For', 'subtree');
		const to = timestamp(param(ctx, 'to', i, 'To', ''), 'To') ?? new Date();
		const from = timestamp(param(ctx, 'from', i, 'From', ''), 'From') ?? new Date(to.getTime() - 86_400_000);
		if (to <= from) throw new FieldError('To', `To ${to.toISOString()} must be after From ${from.toISOString()}`);
		return {
			resident: forWhat === 'resident' ? readResidentRef(ctx, i) : undefined,
			within: forWhat === 'subtree' ? { code: gridCode(param(ctx, 'withinCode', i, 'Within Unit Code'), 'Within Unit Code', env.widths).code } : undefined,
			from,
			to,
			feverOnly: Boolean(param(ctx, 'feverOnly', i, 'Fever Only', false)),
			limit: param<boolean>(ctx, 'returnAll', i, 'Return All', false) ? undefined : param<number>(ctx, 'limit', i, 'Limit', 50),
		};
	},
	runEach: listObservations,
};
