import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { renderDashboard } from '../../shared/domain/stats/dashboard';
import { type DashboardInput, dashboardData } from '../../shared/domain/stats/dashboardQuery';
import { unitLocator } from '../../shared/n8n/descriptions';
import type { OperationHandler } from '../../shared/n8n/executeLoop';
import { param, unitParam } from '../../shared/n8n/params';
import { FieldError, describeValue } from '../../shared/validation/errors';
import { integer, text } from '../../shared/validation/text';
import { levelField } from './period';

const on = { show: { resource: ['dashboard'], operation: ['render'] } };

export const description: INodeProperties[] = [
	{ ...unitLocator('unit', 'Unit', 'The unit the page is about: the district, a street or a community'), displayOptions: on },
	levelField(on, 0, 'The units the per-unit chart shows; "the unit itself" means the level just below it (communities under a street)'),
	{ displayName: 'Days', name: 'days', type: 'number', typeOptions: { minValue: 1, maxValue: 366 }, default: 30, description: 'How many days, ending today in the credential\'s time zone, the charts cover', displayOptions: on },
	{ displayName: 'Overdue Cases Listed', name: 'topOverdue', type: 'number', typeOptions: { minValue: 0, maxValue: 200 }, default: 10, description: 'How many of the most overdue open incidents the page lists', displayOptions: on },
	{ displayName: 'Page Title', name: 'title', type: 'string', default: '', placeholder: '网格化管理数据看板', description: 'Title at the top of the page; empty gives the bilingual default', displayOptions: on },
	{ displayName: 'Put Page in Field', name: 'htmlField', type: 'string', default: 'html', description: 'Name of the output field holding the page, for a Respond to Webhook node answering with text and the header Content-Type: text/html; charset=utf-8', displayOptions: on },
	{ displayName: 'Put File in Field', name: 'binaryProperty', type: 'string', default: 'data', description: 'Name of the binary field that also holds the page as dashboard.html, to email or store', displayOptions: on },
];

interface DashboardRequest extends DashboardInput {
	title?: string;
	htmlField: string;
	binaryProperty: string;
}

export function fieldName(value: unknown, label: string): string {
	const name = text(value, { field: label, max: 100 }, true)!;
	if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new FieldError(label, `${label} must be a field name of letters, digits and underscores (got ${describeValue(name)})`);
	return name;
}

export const renderHandler: OperationHandler<DashboardRequest, { html: string; meta: IDataObject; request: DashboardRequest }> = {
	read(ctx, i, env) {
		return {
			unit: unitParam(ctx, 'unit', i, 'Unit', env.widths),
			byLevel: Number(param(ctx, 'byLevel', i, 'Break Down By', 0)) || undefined,
			days: integer(param(ctx, 'days', i, 'Days', 30), 'Days', { min: 1, max: 366 }) ?? 30,
			topOverdue: integer(param(ctx, 'topOverdue', i, 'Overdue Cases Listed', 10), 'Overdue Cases Listed', { min: 0, max: 200 }) ?? 10,
			title: text(param(ctx, 'title', i, 'Page Title', ''), { field: 'Page Title', max: 200 }),
			htmlField: fieldName(param(ctx, 'htmlField', i, 'Put Page in Field', 'html'), 'Put Page in Field'),
			binaryProperty: fieldName(param(ctx, 'binaryProperty', i, 'Put File in Field', 'data'), 'Put File in Field'),
		};
	},
	async runEach(uow, input) {
		const data = await dashboardData(uow, input);
		return {
			html: renderDashboard(data, { title: input.title }),
			meta: { unitCode: data.unit.code, unitName: data.unit.name, periodLabel: data.periodLabel, generatedAt: data.generatedAt, totals: data.totals as unknown as IDataObject },
			request: input,
		};
	},
	async finish(value, { ctx }) {
		const { html, meta, request } = value;
		const binary = await ctx.helpers.prepareBinaryData(Buffer.from(html, 'utf8'), 'dashboard.html', 'text/html');
		return [{ json: { ...meta, [request.htmlField]: html }, binary: { [request.binaryProperty]: binary } }];
	},
};
