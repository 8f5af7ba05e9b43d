import { FieldError, describeValue } from '../../validation/errors';
import type { RollupRow } from '../stats/types';
import { type Dataset, type MappedIndicator, checkExportable, indicatorReader } from './dataset';
import { type ExportDocument, type RollupSource, exportDocument, exportFileName, formatNumber, rowsOf } from './document';

/**
 * CSV for people and spreadsheets: UTF-8 with a byte order mark (without it Excel reads Chinese as
 * mojibake), CRLF line ends and RFC 4180 quoting.
 *
 * - `long`: one line per unit and indicator (unit_code, unit_name, level, period, indicator_code,
 *   indicator_name, value): easy to filter and pivot, and the columns do not change with the dataset.
 * - `wide`: one line per unit, one column per indicator code: the familiar report form.
 */
export type CsvLayout = 'long' | 'wide';
export const CSV_LAYOUTS: readonly CsvLayout[] = ['long', 'wide'];

export interface CsvOptions {
	layout?: CsvLayout;
	/** Add the chosen unit's own row after the breakdown rows; default true (a report shows its total). */
	includeTotal?: boolean;
}

const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One text cell. Text that a spreadsheet would run as a formula (= + - @, tab, CR first) gets a
 * leading apostrophe, since names and titles come from residents and hotline callers.
 */
export function csvText(value: string): string {
	const text = FORMULA_START.test(value) ? `'${value}` : value;
	return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One number cell: never guarded (a negative number is a number), empty for null. */
export function csvNumber(value: number | null): string {
	return value === null ? '' : formatNumber(value);
}

const line = (cells: string[]) => `${cells.join(',')}\r\n`;

function unitCells(row: RollupRow, periodId: string): string[] {
	return [csvText(row.unitCode), csvText(row.unitName), String(row.level), csvText(periodId)];
}

async function* longLines(source: RollupSource, indicators: MappedIndicator[], includeTotal: boolean): AsyncIterable<string> {
	yield line(['unit_code', 'unit_name', 'level', 'period', 'indicator_code', 'indicator_name', 'value']);
	// the indicator cells are the same on every unit's lines: quote them once
	const cells = indicators.map((i) => [csvText(i.code), csvText(i.name)]);
	const read = indicators.map((i) => indicatorReader(i.id));
	// one piece per unit, not per line: every piece costs a turn of the async iteration
	const emit = (row: RollupRow) => {
		const unit = unitCells(row, source.period.id).join(',');
		let out = '';
		for (let k = 0; k < indicators.length; k++) out += `${unit},${cells[k][0]},${cells[k][1]},${csvNumber(read[k](row))}\r\n`;
		return out;
	};
	for await (const row of rowsOf(source)) yield emit(row);
	if (includeTotal) yield emit(source.total);
}

async function* wideLines(source: RollupSource, indicators: MappedIndicator[], includeTotal: boolean): AsyncIterable<string> {
	yield line(['unit_code', 'unit_name', 'level', 'period', ...indicators.map((i) => csvText(i.code))]);
	const read = indicators.map((i) => indicatorReader(i.id));
	const emit = (row: RollupRow) => line([...unitCells(row, source.period.id), ...read.map((r) => csvNumber(r(row)))]);
	for await (const row of rowsOf(source)) yield emit(row);
	if (includeTotal) yield emit(source.total);
}

/** The rollup as CSV. Throws FieldError before any output when the dataset does not fit the period. */
export function csvExport(source: RollupSource, dataset: Dataset, options: CsvOptions = {}): ExportDocument {
	const layout = options.layout ?? 'long';
	if (!CSV_LAYOUTS.includes(layout)) throw new FieldError('CSV Layout', `CSV Layout must be long or wide (got ${describeValue(layout)})`);
	const indicators = checkExportable(dataset, source.period, 'csv');
	const includeTotal = options.includeTotal ?? true;
	return exportDocument('csv', exportFileName(dataset.code, source.unit.code, source.period, 'csv'), 'text/csv; charset=utf-8', async function* () {
		yield '\uFEFF';
		yield* layout === 'wide' ? wideLines(source, indicators, includeTotal) : longLines(source, indicators, includeTotal);
	});
}
