import type { INodeProperties } from 'n8n-workflow';
import { FieldError, describeValue } from '../../../shared/validation/errors';

export const R = 'notice';

export const on = (ops: string[], extra: Record<string, unknown[]> = {}) => ({ show: { resource: [R], operation: ops, ...extra } });

export const options = <T extends Record<string, string>>(v: T) => Object.entries(v).map(([value, name]) => ({ name, value }));

export const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : String(v ?? '').split(/[,，\s]+/)).map((s) => s.trim()).filter(Boolean);

export function noticeIdField(ops: string[]): INodeProperties {
	return {
		displayName: 'Notice ID',
		name: 'noticeId',
		type: 'number',
		required: true,
		default: 0,
		description: 'The notice, as Compose returned it (noticeId)',
		displayOptions: on(ops),
	};
}

export function readId(value: unknown, field: string): number {
	const n = typeof value === 'number' ? value : Number(String(value ?? '').trim());
	if (!Number.isSafeInteger(n) || n <= 0) throw new FieldError(field, `${field} must be a positive whole number, got ${describeValue(value)}`);
	return n;
}
