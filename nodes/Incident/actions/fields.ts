import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { INCIDENT_SOURCES, INCIDENT_STATUSES } from '../../shared/domain/incident/vocabulary';
import { RISK_LEVEL_LABELS } from '../../shared/domain/incident/risk';
import type { ResidentRef } from '../../shared/domain/resident/residents';
import { param } from '../../shared/n8n/params';
import { FieldError, describeValue } from '../../shared/validation/errors';
import { document } from '../../shared/validation/idNumber';
import { phone } from '../../shared/validation/phone';

export const SOURCE_OPTIONS = Object.entries(INCIDENT_SOURCES).map(([value, name]) => ({ name, value }));
export const STATUS_OPTIONS = Object.entries(INCIDENT_STATUSES).map(([value, name]) => ({ name, value }));
export const RISK_OPTIONS = Object.entries(RISK_LEVEL_LABELS).map(([value, name]) => ({ name, value }));

const INCIDENT_REFERENCE = /^INC-\d{8}-\d{6,}$/;

/** The incident picker: a public reference or a numeric ID. */
export function incidentField(resource: string, operations: string[]): INodeProperties {
	return {
		displayName: 'Incident',
		name: 'incident',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. INC-20261126-000123 or 42',
		description: 'The public reference (INC-YYYYMMDD-NNNNNN) or the numeric ID of the incident',
		displayOptions: { show: { resource: [resource], operation: operations } },
	};
}

export type IncidentRef = { id: number } | { reference: string };

export function readIncidentRef(ctx: IExecuteFunctions, i: number): IncidentRef {
	const raw = param<unknown>(ctx, 'incident', i, 'Incident');
	const value = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim().toUpperCase() : '';
	if (/^\d+$/.test(value) && Number.isSafeInteger(Number(value)) && Number(value) > 0) return { id: Number(value) };
	if (INCIDENT_REFERENCE.test(value)) return { reference: value };
	throw new FieldError('Incident', `Incident must be a reference like INC-20261126-000123 or a numeric ID, got ${describeValue(raw)}`);
}

/** The optional resident an incident is about. */
export function concernedResidentFields(resource: string, operations: string[]): INodeProperties[] {
	const show = (by?: string[]) => ({ show: { resource: [resource], operation: operations, ...(by ? { residentBy: by } : {}) } });
	return [
		{
			displayName: 'Resident Concerned',
			name: 'residentBy',
			type: 'options',
			options: [
				{ name: 'None', value: 'none' },
				{ name: 'By Resident ID', value: 'id' },
				{ name: 'By Document Number', value: 'document', description: 'Matched through its keyed hash' },
				{ name: 'By Phone', value: 'phone', description: 'Matched through its keyed hash' },
			],
			default: 'none',
			description: 'The resident the report is about, if known: their tags, health status and recent fever readings raise the risk, and their building locates the report',
			displayOptions: show(),
		},
		{ displayName: 'Resident ID', name: 'residentId', type: 'number', default: 0, description: 'ID of the resident concerned', displayOptions: show(['id']) },
		{
			displayName: 'Document Number',
			name: 'residentDocument',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Mainland ID number of the resident concerned; hashed before it reaches the database',
			displayOptions: show(['document']),
		},
		{ displayName: 'Resident Phone', name: 'residentPhone', type: 'string', default: '', description: 'Phone of the resident concerned', displayOptions: show(['phone']) },
	];
}

export function readConcernedResident(ctx: IExecuteFunctions, i: number): ResidentRef | undefined {
	const by = param<string>(ctx, 'residentBy', i, 'Resident Concerned', 'none');
	if (by === 'id') {
		const id = Number(param(ctx, 'residentId', i, 'Resident ID'));
		if (!Number.isSafeInteger(id) || id <= 0) throw new FieldError('Resident ID', `Resident ID must be a positive whole number, got ${describeValue(id)}`);
		return { id };
	}
	if (by === 'document') return { document: document('id_card', param(ctx, 'residentDocument', i, 'Document Number'), 'Document Number') };
	if (by === 'phone') {
		const p = phone(param(ctx, 'residentPhone', i, 'Resident Phone'), 'Resident Phone');
		if (!p) throw new FieldError('Resident Phone', 'Resident Phone is required');
		return { phone: p.normalized };
	}
	return undefined;
}
