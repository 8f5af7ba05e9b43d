import type { INodeProperties } from 'n8n-workflow';
import type { IExecuteFunctions } from 'n8n-workflow';
import { param } from '../../../shared/n8n/params';
import { integer } from '../../../shared/validation/text';
import { FieldError } from '../../../shared/validation/errors';

export const R = 'consultation';
export const on = (ops: string[], extra: Record<string, unknown[]> = {}) => ({ show: { resource: [R], operation: ops, ...extra } });
export const choices = <T extends Record<string, string>>(v: T) => Object.entries(v).map(([value, name]) => ({ name, value }));

export function consultationIdField(ops: string[]): INodeProperties {
	return {
		displayName: 'Consultation ID',
		name: 'consultationId',
		type: 'number',
		required: true,
		default: 0,
		description: 'The numeric ID of the consultation, as Create returned it',
		displayOptions: on(ops),
	};
}

export function readConsultationId(ctx: IExecuteFunctions, i: number): number {
	const id = integer(param(ctx, 'consultationId', i, 'Consultation ID'), 'Consultation ID', { min: 1 });
	if (id === undefined) throw new FieldError('Consultation ID', 'Consultation ID is required but empty');
	return id;
}

export function breakdownField(ops: string[], def: number): INodeProperties {
	return {
		displayName: 'Break Down By',
		name: 'breakdownLevel',
		type: 'options',
		options: [
			{ name: 'Community (社区)', value: 3 },
			{ name: 'Base Grid (基础网格)', value: 4 },
			{ name: 'Building (楼栋院落)', value: 5 },
			{ name: 'Scope Only (No Breakdown)', value: 0 },
		],
		default: def,
		description: 'One row per unit at this level of the consultation\'s scope, with a total; a level above the scope is an error',
		displayOptions: on(ops),
	};
}

export function readBreakdown(ctx: IExecuteFunctions, i: number, def: number): number {
	return integer(param(ctx, 'breakdownLevel', i, 'Break Down By', def), 'Break Down By', { min: 0, max: 5 }) ?? def;
}
