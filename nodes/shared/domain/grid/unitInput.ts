import { FieldError, describeValue } from '../../validation/errors';
import { LEVEL_NAMES, type Level, type SegmentWidths, gridCode } from '../../validation/gridCode';
import { integer, normalizeAddress, requiredText, text } from '../../validation/text';
import type { NewUnit } from './units';

export interface RawUnit {
	code?: unknown;
	name?: unknown;
	parentCode?: unknown;
	level?: unknown;
	plannedHouseholds?: unknown;
	geojson?: unknown;
	address?: unknown;
}

const GEOJSON_TYPES = ['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon', 'GeometryCollection', 'Feature', 'FeatureCollection'];

function geojson(value: unknown): unknown {
	if (value === undefined || value === null || value === '') return undefined;
	let v = value;
	if (typeof v === 'string') {
		try {
			v = JSON.parse(v);
		} catch {
			throw new FieldError('GeoJSON', `GeoJSON is not valid JSON: ${describeValue(value)}`);
		}
	}
	if (typeof v !== 'object' || v === null || Array.isArray(v) || !GEOJSON_TYPES.includes((v as { type?: string }).type ?? '')) {
		throw new FieldError('GeoJSON', `GeoJSON must be an object whose "type" is one of ${GEOJSON_TYPES.join(', ')}`);
	}
	// a copy, so that the output never shares (and a later node never changes) the input's object
	return structuredClone(v);
}

function normalizedAddress(value: unknown): string | undefined {
	const a = text(value, { field: 'Address', max: 300 });
	return a === undefined ? undefined : normalizeAddress(a) || undefined;
}

/** Checks the shape of one unit to create: code pattern, level, name, counts. */
export function checkNewUnit(raw: RawUnit, widths: SegmentWidths): NewUnit {
	const { code, level } = gridCode(raw.code, 'Code', widths);
	const name = requiredText(raw.name, { field: 'Name', max: 200 });
	const given = integer(raw.level, 'Level', { min: 1, max: 5 });
	if (given !== undefined && given !== level) {
		throw new FieldError('Level', `Level ${given} does not fit code ${code}, which has the shape of a ${LEVEL_NAMES[level]} (level ${level})`);
	}
	let parentCode: string | undefined;
	if (raw.parentCode !== undefined && raw.parentCode !== null && raw.parentCode !== '') {
		parentCode = gridCode(raw.parentCode, 'Parent Code', widths).code;
	}
	return {
		code,
		name,
		level: level as Level,
		parentCode,
		plannedHouseholds: integer(raw.plannedHouseholds, 'Planned Households', { min: 0, max: 1_000_000 }),
		geojson: geojson(raw.geojson),
		address: normalizedAddress(raw.address),
	};
}
