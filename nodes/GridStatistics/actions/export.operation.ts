import { createReadStream, promises as fs } from 'fs';
import type { IDataObject, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { CSV_LAYOUTS, type CsvLayout } from '../../shared/domain/export/csv';
import { EXPORT_FORMATS, type Dataset, type ExportFormat, checkDataset, checkExportable } from '../../shared/domain/export/dataset';
import { writeConsultationResult } from '../../shared/domain/export/consultationResult';
import { type ExportFile, type ExportRequest, writeExport } from '../../shared/domain/export/exportFile';
import { unitLocator } from '../../shared/n8n/descriptions';
import type { FinishEnv, OperationHandler } from '../../shared/n8n/executeLoop';
import { param, unitParam } from '../../shared/n8n/params';
import { FieldError } from '../../shared/validation/errors';
import { integer, oneOf, text } from '../../shared/validation/text';
import { fieldName } from './dashboard.operation';
import { type DeliveryRequest, deliverFile, deliveryFields, readDelivery } from './delivery';
import { levelField, periodFields, readLevel, readPeriod } from './period';

const all = { show: { resource: ['export'], operation: ['create'] } };
const show = { show: { ...all.show, source: ['figures'] } };
const when = (extra: Record<string, string[]>) => ({ show: { ...show.show, ...extra } });

export const description: INodeProperties[] = [
	{
		displayName: 'Export',
		name: 'source',
		type: 'options',
		options: [
			{ name: 'Figures of a Unit', value: 'figures', description: 'The rollup of a unit for a period, in the dataset\'s indicators' },
			{ name: 'Result of a Closed Consultation', value: 'consultationResult', description: 'The frozen per-unit counts and turnout of a consultation (征求意见), as JSON' },
		],
		default: 'figures',
		description: 'What to export',
		displayOptions: all,
	},
	{
		displayName: 'Consultation ID',
		name: 'consultationId',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 0,
		description: 'ID of a closed consultation (the Notice node\'s Consultation → Close freezes its result)',
		displayOptions: { show: { ...all.show, source: ['consultationResult'] } },
	},
	{ ...unitLocator('unit', 'Unit', 'The unit whose figures are exported (its subtree is counted); must lie within the credential\'s scope'), displayOptions: show },
	...periodFields(show),
	{
		displayName: 'Format',
		name: 'format',
		type: 'options',
		options: [
			{ name: 'CSV (Excel)', value: 'csv', description: 'UTF-8 with a byte-order mark, so Excel shows Chinese correctly' },
			{ name: 'DHIS2 Data Value Set', value: 'dhis2', description: 'DataValueSets JSON: org units by grid code, data elements by the dataset\'s DHIS2 codes' },
			{ name: 'FHIR R4 Bundle', value: 'fhir', description: 'A transaction Bundle: Locations for the grid, body temperature Observations, Tasks' },
			{ name: 'JSON', value: 'json', description: 'The dataset\'s figures per unit as plain JSON' },
		],
		default: 'dhis2',
		description: 'The format the higher-level system takes',
		displayOptions: show,
	},
	{
		displayName: 'Dataset',
		name: 'dataset',
		type: 'options',
		// listed by hand (not mapped from DEFAULT_DATASETS) so the editor and the linter see the values
		options: [
			{ name: 'Custom (JSON)', value: 'custom', description: 'Your own indicators and codes' },
			{ name: 'Daily Grid Report (网格日报)', value: 'GRID_DAILY', description: 'GRID_DAILY: 26 indicators for day periods' },
			{ name: 'Monthly Grid Work Report (网格月报)', value: 'GRID_MONTHLY', description: 'GRID_MONTHLY: 26 indicators for month and quarter periods' },
		],
		default: 'GRID_DAILY',
		description: 'Which indicators to export, with the code each has in the target system',
		displayOptions: when({ format: ['csv', 'dhis2', 'json'] }),
	},
	{
		displayName: 'Dataset Definition',
		name: 'datasetJson',
		type: 'json',
		default: '{\n  "code": "MY_DATASET",\n  "name": "My report",\n  "periodTypes": ["month"],\n  "indicators": [\n    { "id": "incidents.created", "name": "Incidents received", "codes": { "dhis2": "DE_INC_NEW", "csv": "incidents_created" } }\n  ]\n}',
		description: 'A dataset: code, name, the period types it takes (day, week, month, quarter, custom) and indicators, each a figure of the rollup (e.g. incidents.byCategory.fever_symptoms.created, residents.byHealthStatus.home_quarantine) with a code per format',
		displayOptions: when({ format: ['csv', 'dhis2', 'json'], dataset: ['custom'] }),
	},
	levelField(when({ format: ['csv', 'dhis2', 'json'] }), 3, 'One row (DHIS2: one org unit) per unit at this level under the chosen unit'),
	{
		displayName: 'CSV Layout',
		name: 'csvLayout',
		type: 'options',
		options: [
			{ name: 'Long (One Row per Unit and Indicator)', value: 'long' },
			{ name: 'Wide (One Row per Unit, One Column per Indicator)', value: 'wide' },
		],
		default: 'wide',
		description: 'How the figures are laid out in the sheet',
		displayOptions: when({ format: ['csv'] }),
	},
	{ displayName: 'Put File in Field', name: 'binaryProperty', type: 'string', default: 'data', description: 'Name of the binary field that holds the export file, for a node that emails or uploads it', displayOptions: all },
	...deliveryFields(all),
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		displayOptions: show,
		options: [
			{ displayName: 'Content in JSON up to (KB)', name: 'jsonUpToKb', type: 'number', typeOptions: { minValue: 0 }, default: 256, description: 'Also put the content in the output JSON when the file is at most this size; larger files are only binary' },
			{ displayName: 'DHIS2 Attribute Option Combo', name: 'attributeOptionCombo', type: 'string', default: '', description: 'UID of the attribute option combo for every value; empty uses the default' },
			{ displayName: 'DHIS2 Category Option Combo', name: 'categoryOptionCombo', type: 'string', default: '', description: 'UID of the category option combo for every value; empty uses the default' },
			{ displayName: 'FHIR Identifier System Base', name: 'fhirSystemBase', type: 'string', default: 'urn:grid-governance', description: 'Base of the identifier systems of Locations, Observations and Tasks (a URN or an http(s) URL)' },
			{ displayName: 'Include the Unit\'s Total', name: 'includeTotal', type: 'boolean', default: false, description: 'Whether to add the chosen unit\'s own total row. CSV and JSON include it unless this is set off; DHIS2 leaves it out unless this is set on, since DHIS2 adds up its own hierarchy.' },
		],
	},
];

const FHIR_RESOURCES: Dataset = { code: 'FHIR_RESOURCES', name: 'FHIR resources of the subtree', periodTypes: ['day', 'week', 'month', 'quarter', 'custom'], indicators: [] };

interface ExportItem {
	/** Figures of a unit, or the frozen result of a consultation. */
	request: ExportRequest | { consultationId: number };
	binaryProperty: string;
	jsonUpToKb: number;
	delivery?: DeliveryRequest;
}

export const createHandler: OperationHandler<ExportItem, { file: ExportFile; item: ExportItem }> = {
	read(ctx, i, env) {
		const source = oneOf(param(ctx, 'source', i, 'Export', 'figures'), 'Export', ['figures', 'consultationResult']);
		if (source === 'consultationResult') {
			const consultationId = integer(param(ctx, 'consultationId', i, 'Consultation ID', 0), 'Consultation ID', { min: 1 });
			if (consultationId === undefined) throw new FieldError('Consultation ID', 'give the ID of a closed consultation');
			return {
				request: { consultationId },
				binaryProperty: fieldName(param(ctx, 'binaryProperty', i, 'Put File in Field', 'data'), 'Put File in Field'),
				jsonUpToKb: 256,
				delivery: readDelivery(ctx, i, 'json'),
			};
		}
		const format = oneOf(param(ctx, 'format', i, 'Format', 'dhis2'), 'Format', EXPORT_FORMATS) as ExportFormat;
		const period = readPeriod(ctx, i, env.timezone);
		const opts = param<Record<string, unknown>>(ctx, 'options', i, 'Options', {});
		// a FHIR bundle carries resources, not indicators: any period, no mapping
		let dataset: Dataset = FHIR_RESOURCES;
		if (format !== 'fhir') {
			const choice = param<string>(ctx, 'dataset', i, 'Dataset', 'GRID_DAILY');
			dataset = checkDataset(choice === 'custom' ? param(ctx, 'datasetJson', i, 'Dataset Definition', '') : choice, choice === 'custom' ? 'Dataset Definition' : 'Dataset');
		}
		// a week in a monthly dataset, or an indicator without a code for the format: refused before anything runs
		checkExportable(dataset, period, format);
		const request: ExportRequest = {
			unit: unitParam(ctx, 'unit', i, 'Unit', env.widths),
			period,
			byLevel: format === 'fhir' ? 0 : readLevel(ctx, i, 3),
			format,
			dataset,
			csvLayout: format === 'csv' ? (oneOf(param(ctx, 'csvLayout', i, 'CSV Layout', 'wide'), 'CSV Layout', CSV_LAYOUTS) as CsvLayout) : undefined,
			includeTotal: opts.includeTotal === undefined ? undefined : Boolean(opts.includeTotal),
			dhis2: {
				categoryOptionCombo: text(opts.categoryOptionCombo, { field: 'DHIS2 Category Option Combo', max: 20 }),
				attributeOptionCombo: text(opts.attributeOptionCombo, { field: 'DHIS2 Attribute Option Combo', max: 20 }),
			},
			fhirSystemBase: text(opts.fhirSystemBase, { field: 'FHIR Identifier System Base', max: 500 }),
		};
		return {
			request,
			binaryProperty: fieldName(param(ctx, 'binaryProperty', i, 'Put File in Field', 'data'), 'Put File in Field'),
			jsonUpToKb: integer(opts.jsonUpToKb ?? 256, 'Content in JSON up to (KB)', { min: 0, max: 100_000 }) ?? 256,
			delivery: readDelivery(ctx, i, format),
		};
	},
	async runEach(uow, item) {
		const file = 'consultationId' in item.request
			? await writeConsultationResult(uow, { consultationId: item.request.consultationId })
			: await writeExport(uow, item.request);
		return { file, item };
	},
	async finish({ file, item }, env) {
		try {
			return await finishExport(file, item, env);
		} finally {
			await fs.rm(file.path, { force: true });
		}
	},
};

async function finishExport(file: ExportFile, item: ExportItem, env: FinishEnv): Promise<INodeExecutionData[]> {
	const json: IDataObject = {
		format: file.format,
		dataset: file.dataset,
		period: file.period.id,
		periodStart: file.period.startDate,
		periodEnd: file.period.endDate,
		unitCode: file.unitCode,
		fileName: file.fileName,
		mimeType: file.mimeType,
		bytes: file.bytes,
		sha256: file.sha256,
		rows: file.rows,
		computedAt: file.computedAt,
	};
	if (file.bytes <= item.jsonUpToKb * 1024) {
		const content = await fs.readFile(file.path, 'utf8');
		json.content = file.format === 'csv' ? content : (JSON.parse(content) as IDataObject);
	}
	if (item.delivery) json.delivery = await deliverFile(file, item.delivery, env);
	const binary = await env.ctx.helpers.prepareBinaryData(createReadStream(file.path), file.fileName, file.mimeType);
	return [{ json, binary: { [item.binaryProperty]: binary } }];
}
