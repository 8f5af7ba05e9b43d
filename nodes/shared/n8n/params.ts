import type { IExecuteFunctions, INodeParameterResourceLocator } from 'n8n-workflow';
import type { StaffRef } from '../domain/grid/staff';
import type { UnitRef } from '../domain/grid/unitRecord';
import { FieldError, describeValue } from '../validation/errors';
import { type SegmentWidths, gridCode } from '../validation/gridCode';

/** Reads a parameter; a failing expression becomes a FieldError naming the parameter. */
export function param<T = unknown>(ctx: IExecuteFunctions, name: string, itemIndex: number, label: string, fallback?: T): T {
	try {
		return ctx.getNodeParameter(name, itemIndex, fallback) as T;
	} catch (error) {
		throw new FieldError(label, `could not be read: ${(error as Error).message}`);
	}
}

/** Reads a grid unit resource locator (From List / By Code / By ID). */
export function unitParam(
	ctx: IExecuteFunctions,
	name: string,
	itemIndex: number,
	label: string,
	widths: SegmentWidths,
): UnitRef {
	const raw = param<INodeParameterResourceLocator | string>(ctx, name, itemIndex, label);
	const mode = typeof raw === 'object' && raw !== null ? raw.mode : 'code';
	const value = typeof raw === 'object' && raw !== null ? raw.value : raw;
	if (mode === 'id') {
		const id = typeof value === 'number' ? value : Number(String(value ?? '').trim());
		if (!Number.isSafeInteger(id) || id <= 0) throw new FieldError(label, `${label} must be a positive unit ID, got ${describeValue(value)}`);
		return { id };
	}
	return { code: gridCode(value, label, widths).code };
}

/** Reads a staff resource locator; the list mode carries the staff ID. */
export function staffParam(ctx: IExecuteFunctions, name: string, itemIndex: number, label: string): StaffRef {
	const raw = param<INodeParameterResourceLocator | string>(ctx, name, itemIndex, label);
	const mode = typeof raw === 'object' && raw !== null ? raw.mode : 'staffNo';
	const value = String((typeof raw === 'object' && raw !== null ? raw.value : raw) ?? '').trim();
	if (mode === 'id' || mode === 'list') {
		const id = Number(value);
		if (!Number.isSafeInteger(id) || id <= 0) throw new FieldError(label, `${label} must be a staff ID, got ${describeValue(value)}`);
		return { id };
	}
	if (!value) throw new FieldError(label, `${label} is required but empty`);
	return { staffNo: value };
}
