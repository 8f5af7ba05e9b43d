import type { RollupRow } from '../stats/types';
import { type Dataset, type MappedIndicator, checkExportable, indicatorReader } from './dataset';
import { type ExportDocument, type RollupSource, exportDocument, exportFileName, rowsOf } from './document';

/**
 * The rollup as one JSON document for systems that take plain JSON:
 * `{ dataset, period, unit, byLevel, computedAt, indicators, rows: [{unitCode, unitName, level, values}], total }`.
 * Values are keyed by the indicator's json code; a rate with nothing to divide is null.
 * Written row by row, one row a line, so neither side has to hold it whole.
 */
function rowWriter(indicators: MappedIndicator[]): (row: RollupRow) => string {
	const read = indicators.map((i) => indicatorReader(i.id));
	return (row) => {
		const values: Record<string, number | null> = {};
		for (let k = 0; k < indicators.length; k++) values[indicators[k].code] = read[k](row);
		return JSON.stringify({ unitCode: row.unitCode, unitName: row.unitName, level: row.level, values });
	};
}

/** The rollup as JSON. Throws FieldError before any output when the dataset does not fit the period. */
export function jsonExport(source: RollupSource, dataset: Dataset): ExportDocument {
	const indicators = checkExportable(dataset, source.period, 'json');
	return exportDocument('json', exportFileName(dataset.code, source.unit.code, source.period, 'json'), 'application/json', async function* () {
		const rowJson = rowWriter(indicators);
		yield `{"dataset":${JSON.stringify({ code: dataset.code, name: dataset.name })}`;
		yield `,\n"period":${JSON.stringify(source.period)}`;
		yield `,\n"unit":${JSON.stringify(source.unit)}`;
		yield `,\n"byLevel":${JSON.stringify(source.byLevel)}`;
		yield `,\n"computedAt":${JSON.stringify(source.computedAt)}`;
		yield `,\n"indicators":${JSON.stringify(indicators)}`;
		yield ',\n"rows":[';
		let first = true;
		for await (const row of rowsOf(source)) {
			yield `${first ? '\n' : ',\n'}${rowJson(row)}`;
			first = false;
		}
		yield `\n],\n"total":${rowJson(source.total)}\n}\n`;
	});
}
