import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { type ExposurePerson, type NewExposure, type TraceInput, recordExposures, trace } from '../../../shared/domain/resident/tracing';
import { EXPOSURE_KINDS, type ExposureKind } from '../../../shared/domain/resident/vocabulary';
import { unitLocator } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param, unitParam } from '../../../shared/n8n/params';
import { FieldError } from '../../../shared/validation/errors';
import { document } from '../../../shared/validation/idNumber';
import { phone } from '../../../shared/validation/phone';
import { integer, oneOf, requiredText, text, timestamp } from '../../../shared/validation/text';
import { EXPOSURE_OPTIONS, readResidentRef, residentFinder } from '../fields';

const on = (ops: string[]) => ({ show: { resource: ['exposure'], operation: ops } });

function side(prefix: 'a' | 'b', label: string): INodeProperties[] {
	const kindName = `${prefix}Kind`;
	const finder = residentFinder('exposure', ['record'], `${prefix}_`).map((p) => ({
		...p,
		displayName: p.displayName.replace('Person: ', `${label}: `),
		displayOptions: { show: { ...(p.displayOptions?.show ?? {}), [kindName]: ['resident'] } },
	}));
	const outsideShow = { show: { resource: ['exposure'], operation: ['record'], [kindName]: ['outside'] } };
	return [
		{
			displayName: label,
			name: kindName,
			type: 'options',
			options: [
				{ name: 'Registered Resident', value: 'resident' },
				{ name: 'Person Not in the Registry', value: 'outside', description: 'Stored protected like any person, at the place of the exposure' },
			],
			default: 'resident',
			description: `Who the ${label.toLowerCase()} is`,
			displayOptions: on(['record']),
		},
		...finder,
		{ displayName: `${label}: Name`, name: `${prefix}_outsideName`, type: 'string', default: '', description: 'Name of the person', displayOptions: outsideShow },
		{ displayName: `${label}: ID Number`, name: `${prefix}_outsideDocument`, type: 'string', typeOptions: { password: true }, default: '', description: 'Mainland ID number, if known', displayOptions: outsideShow },
		{ displayName: `${label}: Phone`, name: `${prefix}_outsidePhone`, type: 'string', default: '', description: 'Phone, if known', displayOptions: outsideShow },
	];
}

export const description: INodeProperties[] = [
	...side('a', 'Person A'),
	...side('b', 'Person B'),
	{ displayName: 'Occurred At', name: 'occurredAt', type: 'dateTime', required: true, default: '', description: 'When the two met', displayOptions: on(['record']) },
	{ ...unitLocator('place', 'Place', 'Unit where the exposure happened (a building, checkpoint grid…)'), displayOptions: on(['record']) },
	{ displayName: 'Kind', name: 'kind', type: 'options', options: EXPOSURE_OPTIONS, default: 'close_contact', description: 'How the two were exposed', displayOptions: on(['record']) },
	{ displayName: 'Note', name: 'note', type: 'string', default: '', description: 'Free remark, e.g. the checkpoint lane', displayOptions: on(['record']) },
	...residentFinder('exposure', ['trace'], 'index_').map((p) => ({ ...p, displayName: p.displayName.replace('Person: ', 'Index Person: ') })),
	{ displayName: 'Hops', name: 'hops', type: 'number', typeOptions: { minValue: 1, maxValue: 4 }, default: 2, description: 'How many links away from the index person to follow (2 = contacts of contacts)', displayOptions: on(['trace']) },
	{ displayName: 'Window (Days)', name: 'windowDays', type: 'number', typeOptions: { minValue: 1, maxValue: 60 }, default: 14, description: 'Days before the onset or report to look back', displayOptions: on(['trace']) },
	{ displayName: 'Onset or Report Time', name: 'anchor', type: 'dateTime', default: '', description: 'Start of the index case; by default when their current symptomatic or confirmed status began, else now', displayOptions: on(['trace']) },
];

function readSide(ctx: IExecuteFunctions, i: number, prefix: 'a' | 'b'): ExposurePerson {
	const kind = param<string>(ctx, `${prefix}Kind`, i, prefix === 'a' ? 'Person A' : 'Person B', 'resident');
	if (kind === 'resident') return { resident: readResidentRef(ctx, i, `${prefix}_`) };
	const label = prefix === 'a' ? 'Person A' : 'Person B';
	const doc = param<string>(ctx, `${prefix}_outsideDocument`, i, `${label}: ID Number`, '');
	return {
		outside: {
			name: requiredText(param(ctx, `${prefix}_outsideName`, i, `${label}: Name`), { field: `${label}: Name`, max: 100 }),
			document: doc ? document('id_card', doc, `${label}: ID Number`) : undefined,
			phone: phone(param(ctx, `${prefix}_outsidePhone`, i, `${label}: Phone`, ''), `${label}: Phone`),
		},
	};
}

export const recordHandler: OperationHandler<NewExposure, unknown> = {
	read(ctx, i, env) {
		const occurredAt = timestamp(param(ctx, 'occurredAt', i, 'Occurred At'), 'Occurred At');
		if (!occurredAt) throw new FieldError('Occurred At', 'Occurred At is required');
		return {
			a: readSide(ctx, i, 'a'),
			b: readSide(ctx, i, 'b'),
			occurredAt,
			place: unitParam(ctx, 'place', i, 'Place', env.widths),
			kind: oneOf(param(ctx, 'kind', i, 'Kind'), 'Kind', Object.keys(EXPOSURE_KINDS) as ExposureKind[]),
			note: text(param(ctx, 'note', i, 'Note', ''), { field: 'Note', max: 1000 }),
		};
	},
	runBatch: recordExposures,
};

export const traceHandler: OperationHandler<TraceInput, unknown> = {
	read: (ctx, i) => ({
		person: readResidentRef(ctx, i, 'index_'),
		hops: integer(param(ctx, 'hops', i, 'Hops', 2), 'Hops', { min: 1, max: 4 }) ?? 2,
		windowDays: integer(param(ctx, 'windowDays', i, 'Window (Days)', 14), 'Window (Days)', { min: 1, max: 60 }) ?? 14,
		anchor: timestamp(param(ctx, 'anchor', i, 'Onset or Report Time', ''), 'Onset or Report Time'),
	}),
	runEach: trace,
};
