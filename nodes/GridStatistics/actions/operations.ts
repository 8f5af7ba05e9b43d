import type { INodeProperties } from 'n8n-workflow';
import type { HandlerTable } from '../../shared/n8n/router';
import { operationSelector, resourceSelector } from '../../shared/n8n/descriptions';
import * as figures from './figures.operation';
import * as dashboard from './dashboard.operation';
import * as exporting from './export.operation';

export const handlers: HandlerTable = {
	figures: { rollup: figures.rollupHandler, staffPerformance: figures.performanceHandler },
	dashboard: { render: dashboard.renderHandler },
	export: { create: exporting.createHandler },
};

const resource = resourceSelector([
	{ name: 'Dashboard (看板)', value: 'dashboard' },
	{ name: 'Export (上报)', value: 'export' },
	{ name: 'Figures (统计)', value: 'figures' },
], 'figures');

export const properties: INodeProperties[] = [
	resource,
	operationSelector('figures', [
		{ name: 'Rollup', value: 'rollup', description: 'Count residents, health, incidents, tasks and volunteer work for a period, per unit at a level', action: 'Roll up the figures of a unit' },
		{ name: 'Staff Performance', value: 'staffPerformance', description: 'Assessment figures (考核督办): sign-for and completion on time, redos, transfers, satisfaction, supervision flags', action: 'Assess staff performance' },
	], 'rollup'),
	operationSelector('export', [
		{ name: 'Create', value: 'create', description: 'Export the figures as DHIS2, FHIR, CSV or JSON, as a file and optionally delivered once to a higher-level system', action: 'Create an export' },
	], 'create'),
	operationSelector('dashboard', [
		{ name: 'Render Page', value: 'render', description: 'Build a self-contained HTML dashboard page for a Respond to Webhook node', action: 'Render the dashboard page' },
	], 'render'),
	...figures.description,
	...exporting.description,
	...dashboard.description,
];
