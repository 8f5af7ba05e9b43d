import { randomBytes } from 'crypto';
import { tmpdir } from 'os';
import { join } from 'path';
import type { UnitOfWork } from '../context';
import { loadUnit } from '../grid/unitLookup';
import type { UnitRef } from '../grid/unitRecord';
import type { Period } from '../stats/period';
import { streamRollup } from '../stats/rollup';
import { type CsvLayout, csvExport } from './csv';
import { type Dataset, type ExportFormat, checkExportable } from './dataset';
import { dhis2Export } from './dhis2';
import { type ExportDocument, writeToFile } from './document';
import { fhirExport } from './fhir';
import { fhirRecords } from './fhirSource';
import { jsonExport } from './jsonFormat';

export interface ExportRequest {
	unit: UnitRef;
	period: Period;
	/** Level the rows break down by (0: the unit itself); FHIR exports the whole subtree whatever it is. */
	byLevel: number;
	format: ExportFormat;
	dataset: Dataset;
	csvLayout?: CsvLayout;
	/** Whether to add the unit's own total row; each format has its own default when undefined. */
	includeTotal?: boolean;
	dhis2?: { categoryOptionCombo?: string; attributeOptionCombo?: string };
	fhirSystemBase?: string;
	/** Where the file goes; default the system's temporary directory. */
	directory?: string;
}

/** An export written to a file, ready to hand on as binary data or to deliver. */
export interface ExportFile {
	path: string;
	fileName: string;
	mimeType: string;
	bytes: number;
	sha256: string;
	format: ExportFormat;
	dataset: string;
	period: Period;
	unitCode: string;
	/** Rows of figures (breakdown rows, plus the total if included), or resources for FHIR. */
	rows: number;
	computedAt: string;
}

/**
 * Produces one export inside the unit of work and streams it to a file: the rollup for the figure
 * formats, or the subtree's records for FHIR (read page by page, so the transaction must still be
 * open). Checks the dataset against the period and format first, so a bad request reads nothing.
 */
export async function writeExport(uow: UnitOfWork, req: ExportRequest): Promise<ExportFile> {
	checkExportable(req.dataset, req.period, req.format);
	let doc: ExportDocument;
	let unitCode: string;
	let computedAt = new Date().toISOString();
	if (req.format === 'fhir') {
		const root = await loadUnit(uow, req.unit, 'Unit');
		unitCode = root.code;
		let count = 0;
		doc = fhirExport(async function* () {
			count = 0;
			for await (const record of fhirRecords(uow, { unitPath: root.path, period: req.period })) {
				count++;
				yield record;
			}
		}, { systemBase: req.fhirSystemBase, unitCode: root.code, period: req.period });
		const written = await writeTo(doc, req.directory);
		return { ...written, format: req.format, dataset: req.dataset.code, period: req.period, unitCode, rows: count, computedAt };
	}
	// rows come a page of units at a time, so a district of any size exports in bounded memory
	const figures = await streamRollup(uow, { unit: req.unit, period: req.period, byLevel: req.byLevel });
	let streamed = 0;
	const source = {
		...figures,
		rows: async function* () {
			streamed = 0;
			for await (const row of figures.rows()) {
				streamed++;
				yield row;
			}
		},
	};
	unitCode = figures.unit.code;
	computedAt = figures.computedAt;
	let withTotal: boolean;
	if (req.format === 'dhis2') {
		doc = dhis2Export(source, req.dataset, { includeTotal: req.includeTotal, ...req.dhis2 });
		withTotal = req.includeTotal === true;
	} else if (req.format === 'csv') {
		doc = csvExport(source, req.dataset, { layout: req.csvLayout, includeTotal: req.includeTotal });
		withTotal = req.includeTotal !== false;
	} else {
		doc = jsonExport(source, req.dataset);
		withTotal = true;
	}
	const written = await writeTo(doc, req.directory);
	return { ...written, format: req.format, dataset: req.dataset.code, period: req.period, unitCode, rows: streamed + (withTotal ? 1 : 0), computedAt };
}

/** Streams a document to a uniquely named file in the directory (default: the system's temporary one). */
export async function writeTo(doc: ExportDocument, directory = tmpdir()) {
	const path = join(directory, `grid-export-${randomBytes(8).toString('hex')}-${doc.fileName}`);
	const { bytes, sha256 } = await writeToFile(doc, path);
	return { path, fileName: doc.fileName, mimeType: doc.mimeType, bytes, sha256 };
}
