import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { type Period, parsePeriodId, periodOf } from '../../shared/domain/stats/period';
import { param } from '../../shared/n8n/params';
import { FieldError, describeValue } from '../../shared/validation/errors';

type Show = { show: Record<string, string[]> };
const also = (show: Show, extra: Record<string, string[]>): Show => ({ show: { ...show.show, ...extra } });

/** The period parameters every figures operation shares. */
export function periodFields(show: Show): INodeProperties[] {
	return [
		{
			displayName: 'Period',
			name: 'periodType',
			type: 'options',
			options: [
				{ name: 'Custom Range', value: 'custom', description: 'From a first to a last day, both included' },
				{ name: 'Day', value: 'day', description: 'One local day (DHIS2 period 20261126)' },
				{ name: 'DHIS2 Period ID', value: 'id', description: 'A period written as DHIS2 writes it, e.g. from an upstream request' },
				{ name: 'ISO Week', value: 'week', description: 'Monday to Sunday (DHIS2 period 2026W48)' },
				{ name: 'Month', value: 'month', description: 'A calendar month (DHIS2 period 202611)' },
				{ name: 'Quarter', value: 'quarter', description: 'A calendar quarter (DHIS2 period 2026Q4)' },
			],
			default: 'day',
			description: 'The reporting period, in the time zone of the Grid Governance Postgres credential',
			displayOptions: show,
		},
		{
			displayName: 'Date in Period',
			name: 'periodDate',
			type: 'string',
			default: '',
			placeholder: 'e.g. 2026-11-26',
			description: 'Any day inside the period, as YYYY-MM-DD. Empty means today in the credential\'s time zone; for yesterday use {{ $today.minus({ days: 1 }).toFormat(\'yyyy-MM-dd\') }}.',
			displayOptions: also(show, { periodType: ['day', 'week', 'month', 'quarter'] }),
		},
		{
			displayName: 'Period Start',
			name: 'periodStart',
			type: 'string',
			default: '',
			placeholder: 'e.g. 2026-11-01',
			description: 'First day of the range, YYYY-MM-DD',
			displayOptions: also(show, { periodType: ['custom'] }),
		},
		{
			displayName: 'Period End',
			name: 'periodEnd',
			type: 'string',
			default: '',
			placeholder: 'e.g. 2026-11-30',
			description: 'Last day of the range (included), YYYY-MM-DD; on or after the start',
			displayOptions: also(show, { periodType: ['custom'] }),
		},
		{
			displayName: 'Period ID',
			name: 'periodId',
			type: 'string',
			default: '',
			placeholder: 'e.g. 202611',
			description: 'A DHIS2 period: 20261126 (day), 2026W48 (ISO week), 202611 (month), 2026Q4 (quarter), or 20261101-20261115 (range)',
			displayOptions: also(show, { periodType: ['id'] }),
		},
	];
}

/** Reads and checks the period of one item. */
export function readPeriod(ctx: IExecuteFunctions, i: number, timezone: string): Period {
	const type = param<string>(ctx, 'periodType', i, 'Period', 'day');
	if (type === 'id') return parsePeriodId(param<string>(ctx, 'periodId', i, 'Period ID', ''), timezone, 'Period ID');
	if (type === 'custom') {
		return periodOf({ type, startDate: String(param(ctx, 'periodStart', i, 'Period Start', '') ?? ''), endDate: String(param(ctx, 'periodEnd', i, 'Period End', '') ?? '') }, timezone);
	}
	if (!['day', 'week', 'month', 'quarter'].includes(type)) throw new FieldError('Period', `Period must be day, week, month, quarter, custom or id (got ${describeValue(type)})`);
	return periodOf({ type: type as 'day', date: String(param(ctx, 'periodDate', i, 'Date in Period', '') ?? '') }, timezone);
}

/** The breakdown level selector: 0 means the unit's own level. */
export function levelField(show: Show, def: number, description: string): INodeProperties {
	return {
		displayName: 'Break Down By',
		name: 'byLevel',
		type: 'options',
		options: [
			{ name: 'The Unit Itself (本级)', value: 0 },
			{ name: 'Street (街道)', value: 2 },
			{ name: 'Community (社区)', value: 3 },
			{ name: 'Base Grid (基础网格)', value: 4 },
			{ name: 'Building (楼栋院落)', value: 5 },
		],
		default: def,
		description,
		displayOptions: show,
	};
}

export function readLevel(ctx: IExecuteFunctions, i: number, def: number): number {
	const v = Number(param(ctx, 'byLevel', i, 'Break Down By', def));
	if (![0, 2, 3, 4, 5].includes(v)) throw new FieldError('Break Down By', `Break Down By must be the unit itself, street, community, base grid or building (got ${describeValue(v)})`);
	return v;
}
