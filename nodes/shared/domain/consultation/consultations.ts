import { sql } from '../../db/sql';
import { FieldError } from '../../validation/errors';
import type { UnitOfWork } from '../context';
import { loadUnit } from '../grid/unitLookup';
import { type ChoiceKind, type ConsultationOption, type Electorate, type NewConsultation, checkConsultation } from './consultationInput';

export interface ConsultationRecord {
	id: number;
	question: string;
	background: string | null;
	scope: { id: number; code: string; name: string; level: number };
	choiceKind: ChoiceKind;
	options: ConsultationOption[];
	maxTextLength: number;
	opensAt: string;
	closesAt: string;
	electorate: Electorate;
	allowChange: boolean;
	status: 'open' | 'closed';
	closedAt: string | null;
}

/** The columns behind a ConsultationRecord (alias c for consultation, u for its scope unit). */
export const CONSULTATION_COLUMNS = `c.id, c.question, c.background, c.choice_kind, c.options, c.max_text_length, c.opens_at, c.closes_at,
	c.electorate, c.allow_change, c.status, c.closed_at, u.id AS unit_id, u.code AS unit_code, u.name AS unit_name, u.level AS unit_level, u.path AS unit_path`;

export interface ConsultationRow {
	id: string;
	question: string;
	background: string | null;
	choice_kind: ChoiceKind;
	options: ConsultationOption[];
	max_text_length: number;
	// timestamps arrive as ISO 8601 text (the pool's type parsers)
	opens_at: string;
	closes_at: string;
	electorate: Electorate;
	allow_change: boolean;
	status: 'open' | 'closed';
	closed_at: string | null;
	unit_id: string;
	unit_code: string;
	unit_name: string;
	unit_level: number;
	unit_path: string;
}

export function toRecord(r: ConsultationRow): ConsultationRecord {
	return {
		id: Number(r.id),
		question: r.question,
		background: r.background,
		scope: { id: Number(r.unit_id), code: r.unit_code, name: r.unit_name, level: Number(r.unit_level) },
		choiceKind: r.choice_kind,
		options: r.options,
		maxTextLength: r.max_text_length,
		opensAt: r.opens_at,
		closesAt: r.closes_at,
		electorate: r.electorate,
		allowChange: r.allow_change,
		status: r.status,
		closedAt: r.closed_at,
	};
}

export async function createConsultation(uow: UnitOfWork, raw: NewConsultation): Promise<ConsultationRecord> {
	const c = checkConsultation(raw);
	const unit = await loadUnit(uow, c.scope, 'Scope');
	const { rows: [row] } = await sql<{ id: string }>(uow,
		`INSERT INTO consultation (unit_id, question, background, choice_kind, options, max_text_length, opens_at, closes_at, electorate, allow_change)
		VALUES (?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?) RETURNING id`,
		[unit.id, c.question, c.background ?? null, c.choiceKind, JSON.stringify(c.options), c.maxTextLength, c.opensAt, c.closesAt, c.electorate, c.allowChange]);
	return loadConsultation(uow, Number(row.id), 'Consultation ID');
}

/** One consultation; lock 'update' serialises closing, 'share' lets responses run side by side but not beside a close. */
export async function loadConsultationRow(uow: UnitOfWork, id: number, field: string, lock?: 'update' | 'share'): Promise<ConsultationRow> {
	const { rows: [row] } = await sql<ConsultationRow>(uow,
		`SELECT ${CONSULTATION_COLUMNS} FROM consultation c JOIN grid_unit u ON u.id = c.unit_id WHERE c.id = ?${lock ? ` FOR ${lock.toUpperCase()} OF c` : ''}`, [id]);
	if (!row) {
		throw new FieldError(field, `no consultation #${id}${uow.scopeCode ? ` (or it lies outside this credential's scope ${uow.scopeCode})` : ''}`);
	}
	return row;
}

export async function loadConsultation(uow: UnitOfWork, id: number, field: string): Promise<ConsultationRecord> {
	return toRecord(await loadConsultationRow(uow, id, field));
}

export async function getConsultation(uow: UnitOfWork, input: { id: number }): Promise<ConsultationRecord> {
	return loadConsultation(uow, input.id, 'Consultation ID');
}
