import { FieldError, describeValue } from '../../validation/errors';
import type { RollupRow } from '../stats/types';
import { type Dataset, checkExportable, indicatorReader } from './dataset';
import { type ExportDocument, type RollupSource, exportDocument, exportFileName, formatNumber, rowsOf } from './document';

/**
 * DHIS2 dataValueSets JSON. Org units go by our grid codes and data elements by the dataset's dhis2
 * codes, so the receiving instance must hold the same codes (imported with the code id schemes);
 * category and attribute option combos, when given, are DHIS2 UIDs as usual.
 */
export interface Dhis2Options {
	/**
	 * Also send the chosen unit's own row. Default false: DHIS2 aggregates up its own hierarchy, so
	 * a parent's total sent beside its children's rows would be counted twice in analytics.
	 */
	includeTotal?: boolean;
	categoryOptionCombo?: string;
	attributeOptionCombo?: string;
}

const DHIS2_UID = /^[A-Za-z][A-Za-z0-9]{10}$/;

function checkUid(value: string | undefined, field: string): string | undefined {
	if (value === undefined || value === null || value.trim() === '') return undefined;
	const text = value.trim();
	if (!DHIS2_UID.test(text)) {
		throw new FieldError(field, `${field} ${describeValue(value)} is not a DHIS2 UID: give the 11-character id (a letter, then letters or digits), like HllvX50cXC0`);
	}
	return text;
}

/** The dataValueSets document. Throws FieldError before any output when the export cannot go to DHIS2. */
export function dhis2Export(source: RollupSource, dataset: Dataset, options: Dhis2Options = {}): ExportDocument {
	const { period } = source;
	if (period.type === 'custom') {
		throw new FieldError('Period', `a custom period (${period.id}) cannot go to DHIS2, which takes only its own period types; choose a day, week, month or quarter period`);
	}
	const indicators = checkExportable(dataset, period, 'dhis2');
	const coc = checkUid(options.categoryOptionCombo, 'Category Option Combo');
	const aoc = checkUid(options.attributeOptionCombo, 'Attribute Option Combo');
	const includeTotal = options.includeTotal ?? false;
	// the parts shared by every value, encoded once
	const periodJson = JSON.stringify(period.id);
	const combos = `${coc ? `,"categoryOptionCombo":${JSON.stringify(coc)}` : ''}${aoc ? `,"attributeOptionCombo":${JSON.stringify(aoc)}` : ''}`;
	const read = indicators.map((i) => indicatorReader(i.id));
	const elements = indicators.map((i) => `{"dataElement":${JSON.stringify(i.code)},"period":${periodJson},"orgUnit":`);

	return exportDocument('dhis2', exportFileName(dataset.code, source.unit.code, period, 'json'), 'application/json', async function* () {
		let first = true;
		// one piece per unit, not per value: every piece costs a turn of the async iteration
		const values = (row: RollupRow) => {
			const orgUnit = JSON.stringify(row.unitCode);
			let out = '';
			for (let k = 0; k < indicators.length; k++) {
				const v = read[k](row);
				// DHIS2 stores no value as "no value": an unknown rate is left out, not sent as 0
				if (v === null) continue;
				out += `${first ? '\n' : ',\n'}${elements[k]}${orgUnit}${combos},"value":${JSON.stringify(formatNumber(v))}}`;
				first = false;
			}
			return out;
		};
		yield `{"dataSet":${JSON.stringify(dataset.code)},"period":${periodJson},"dataValues":[`;
		for await (const row of rowsOf(source)) yield values(row);
		if (includeTotal) yield values(source.total);
		yield '\n]}\n';
	});
}

/**
 * Path and query to POST the document to, relative to the instance's base URL. The code id schemes
 * match the document; CREATE_AND_UPDATE makes a resent period overwrite, not duplicate.
 */
export function dhis2ImportPath(dryRun: boolean): string {
	return `/api/dataValueSets?dataElementIdScheme=code&orgUnitIdScheme=code&dataSetIdScheme=code&dryRun=${dryRun ? 'true' : 'false'}&importStrategy=CREATE_AND_UPDATE`;
}

export interface ImportSummary {
	status: 'SUCCESS' | 'WARNING' | 'ERROR' | string;
	imported: number;
	updated: number;
	ignored: number;
	deleted: number;
	conflicts: Array<{ object?: string; value: string }>;
	/** True only when DHIS2 took every value: a WARNING means some were rejected (see conflicts). */
	ok: boolean;
	/** DHIS2's message, or why the body could not be read. */
	description?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function count(v: unknown): number {
	const n = typeof v === 'string' ? Number(v) : v;
	return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? Math.floor(n) : 0;
}

function text(v: unknown): string | undefined {
	if (typeof v === 'string') return v;
	if (typeof v === 'number' || typeof v === 'boolean') return String(v);
	return undefined;
}

function readConflicts(raw: unknown): ImportSummary['conflicts'] {
	if (!Array.isArray(raw)) return [];
	return raw.map((c) => {
		if (!isObject(c)) return { value: text(c) ?? JSON.stringify(c) ?? String(c) };
		// 2.38+ names the objects in a map ({"dataElement": "GRID_INC_CREATED"}); earlier versions in one string
		const object = text(c.object) ?? (isObject(c.objects) ? Object.values(c.objects).map(text).filter(Boolean).join(', ') || undefined : undefined);
		const value = text(c.value) ?? text(c.message) ?? text(c.errorCode) ?? 'conflict without a message';
		return object !== undefined ? { object, value } : { value };
	});
}

function unreadable(description: string): ImportSummary {
	return { status: 'UNKNOWN', imported: 0, updated: 0, ignored: 0, deleted: 0, conflicts: [], ok: false, description };
}

/**
 * Reads DHIS2's answer to a dataValueSets import: the import summary at the top (before 2.38) or
 * wrapped in a web message under `response` (2.38 and later). Anything else comes back with status
 * UNKNOWN and ok false, saying what was received, for the delivery to record and retry.
 */
export function parseImportSummary(body: unknown): ImportSummary {
	let value = body;
	if (Buffer.isBuffer(value)) value = value.toString('utf8');
	if (typeof value === 'string') {
		try {
			value = JSON.parse(value);
		} catch {
			return unreadable(`the response is not JSON: ${describeValue(value)}`);
		}
	}
	if (!isObject(value)) return unreadable(`the response is not a DHIS2 import summary: ${describeValue(value)}`);
	const wrapped = isObject(value.response) ? value.response : undefined;
	const summary = wrapped && ('importCount' in wrapped || 'status' in wrapped || 'conflicts' in wrapped) ? wrapped : value;
	const rawStatus = text(summary.status) ?? text(value.status);
	if (rawStatus === undefined && !('importCount' in summary)) {
		return unreadable(`the response is not a DHIS2 import summary: ${describeValue(value)}`);
	}
	let status = (rawStatus ?? 'UNKNOWN').toUpperCase();
	// the 2.38+ wrapper says OK for the HTTP exchange; without a summary inside, that is the outcome
	if (status === 'OK') status = 'SUCCESS';
	const importCount = isObject(summary.importCount) ? summary.importCount : {};
	const conflicts = readConflicts(summary.conflicts);
	const description = text(summary.description) ?? text(value.message) ?? text(summary.message);
	const out: ImportSummary = {
		status,
		imported: count(importCount.imported),
		updated: count(importCount.updated),
		ignored: count(importCount.ignored),
		deleted: count(importCount.deleted),
		conflicts,
		ok: status === 'SUCCESS' && conflicts.length === 0,
	};
	if (description !== undefined) out.description = description;
	return out;
}
