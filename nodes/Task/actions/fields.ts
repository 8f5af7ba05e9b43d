import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { VolunteerRef } from '../../shared/domain/task/tasks';
import { SKILLS } from '../../shared/domain/volunteer/vocabulary';
import { PRIORITIES, TASK_KINDS, TASK_STATUSES } from '../../shared/domain/task/vocabulary';
import { param } from '../../shared/n8n/params';
import { FieldError, describeValue } from '../../shared/validation/errors';
import { oneOf, timestamp } from '../../shared/validation/text';

export const KIND_OPTIONS = Object.entries(TASK_KINDS).map(([value, name]) => ({ name, value }));
export const STATUS_OPTIONS = Object.entries(TASK_STATUSES).map(([value, name]) => ({ name, value }));
export const SKILL_OPTIONS = Object.entries(SKILLS).map(([value, name]) => ({ name, value }));
export const PRIORITY_OPTIONS = Object.entries(PRIORITIES).map(([value, name]) => ({ name, value: Number(value) }));

export const on = (resource: string, ops: string[], extra: Record<string, unknown[]> = {}) => ({ show: { resource: [resource], operation: ops, ...extra } });

/** The task picker: a numeric task ID. */
export function taskIdField(operations: string[]): INodeProperties {
	return {
		displayName: 'Task ID',
		name: 'taskId',
		type: 'number',
		required: true,
		default: 0,
		description: 'The numeric ID of the task',
		displayOptions: on('task', operations),
	};
}

export function readTaskId(ctx: IExecuteFunctions, i: number): { id: number } {
	const raw = param<unknown>(ctx, 'taskId', i, 'Task ID');
	const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
	if (!Number.isSafeInteger(n) || n <= 0) throw new FieldError('Task ID', `Task ID must be a positive whole number, got ${describeValue(raw)}`);
	return { id: n };
}

/** The volunteer picker: a numeric ID or a volunteer number. */
export function volunteerField(operations: string[], description: string, extra: Record<string, unknown[]> = {}, name = 'volunteer'): INodeProperties {
	return {
		displayName: 'Volunteer',
		name,
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. 17 or V-0017',
		description,
		displayOptions: on('task', operations, extra),
	};
}

export function volunteerRef(value: unknown, field: string): VolunteerRef {
	const v = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
	if (!v) throw new FieldError(field, `${field} is required but empty: give a volunteer ID or volunteer number`);
	if (/^\d+$/.test(v)) {
		const id = Number(v);
		if (!Number.isSafeInteger(id) || id <= 0) throw new FieldError(field, `${field} must be a volunteer ID or number, got ${describeValue(value)}`);
		return { id };
	}
	if (v.length > 64) throw new FieldError(field, `${field} must be a volunteer ID or number, got ${describeValue(value)}`);
	return { volunteerNo: v };
}

export function readVolunteer(ctx: IExecuteFunctions, i: number, name = 'volunteer', field = 'Volunteer'): VolunteerRef {
	return volunteerRef(param(ctx, name, i, field), field);
}

export function optionalDate(value: unknown, field: string): Date | undefined {
	return timestamp(value, field);
}

export function skillList(value: unknown, field = 'Required Skills'): string[] {
	const list = Array.isArray(value) ? value : String(value ?? '').split(/[,，]+/).map((s) => s.trim()).filter(Boolean);
	return list.map((s) => oneOf(s, field, Object.keys(SKILLS)));
}

export function positiveId(value: unknown, field: string): number | undefined {
	if (value === undefined || value === null || value === '' || value === 0) return undefined;
	const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(String(value)) ? Number(value) : NaN;
	if (!Number.isSafeInteger(n) || n <= 0) throw new FieldError(field, `${field} must be a positive whole number, got ${describeValue(value)}`);
	return n;
}

/** JSON given as text or as an object; must be a plain object. */
export function jsonObject(value: unknown, field: string): Record<string, unknown> | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	let v = value;
	if (typeof v === 'string') {
		try {
			v = JSON.parse(v);
		} catch (e) {
			throw new FieldError(field, `${field} is not valid JSON (${(e as Error).message})`);
		}
	}
	if (!v || typeof v !== 'object' || Array.isArray(v)) throw new FieldError(field, `${field} must be a JSON object, got ${describeValue(value)}`);
	return v as Record<string, unknown>;
}
