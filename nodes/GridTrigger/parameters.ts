import type { INodeParameterResourceLocator, IPollFunctions } from 'n8n-workflow';
import type { UnitRef } from '../shared/domain/grid/unitRecord';
import { FieldError, describeValue } from '../shared/validation/errors';
import { type SegmentWidths, gridCode } from '../shared/validation/gridCode';

/** Reads the optional "Within Unit" locator (From List / By Code / By ID); empty means no limit. */
export function withinParam(ctx: IPollFunctions, widths: SegmentWidths): UnitRef | undefined {
	const raw = ctx.getNodeParameter('withinUnit', { mode: 'list', value: '' }) as INodeParameterResourceLocator | string;
	const mode = typeof raw === 'object' && raw !== null ? raw.mode : 'code';
	const value = typeof raw === 'object' && raw !== null ? raw.value : raw;
	if (value === undefined || value === null || String(value).trim() === '') return undefined;
	if (mode === 'id') {
		const id = Number(String(value).trim());
		if (!Number.isSafeInteger(id) || id <= 0) throw new FieldError('Within Unit', `Within Unit must be a positive unit ID, got ${describeValue(value)}`);
		return { id };
	}
	return { code: gridCode(String(value), 'Within Unit', widths).code };
}
