import { sql } from '../../db/sql';
import { FieldError } from '../../validation/errors';
import type { UnitOfWork } from '../context';
import { getConsultation } from '../consultation/consultations';
import { localToday, periodOf } from '../stats/period';
import { exportDocument } from './document';
import { type ExportFile, writeTo } from './exportFile';

/**
 * The frozen result of a closed consultation as a JSON export for the higher-level system: the
 * question, its options and window, and the per-unit counts and turnout that closing stored. It goes
 * through the same ledger as the figures (dataset CONSULTATION_<id>, period the day it closed), so it
 * too is delivered once.
 */
export async function writeConsultationResult(uow: UnitOfWork, input: { consultationId: number; directory?: string }): Promise<ExportFile> {
	const c = await getConsultation(uow, { id: input.consultationId });
	const { rows: [stored] } = await sql<{ rows: unknown[]; total: unknown; by_level: number; closed_at: string }>(uow,
		`SELECT rows, total, by_level, closed_at FROM consultation_result WHERE consultation_id = ?`, [c.id]);
	if (!stored) {
		throw new FieldError('Consultation ID', `consultation ${c.id} is still ${c.status}: close it first (Consultation → Close), which freezes the result that is exported`);
	}
	const period = periodOf({ type: 'day', date: localToday(uow.timezone, new Date(stored.closed_at)) }, uow.timezone);
	const document = {
		kind: 'consultation-result',
		consultation: {
			id: c.id, question: c.question, background: c.background, scope: { code: c.scope.code, name: c.scope.name },
			choiceKind: c.choiceKind, options: c.options, electorate: c.electorate, opensAt: c.opensAt, closesAt: c.closesAt, closedAt: stored.closed_at,
		},
		byLevel: Number(stored.by_level),
		rows: stored.rows,
		total: stored.total,
	};
	const doc = exportDocument('json', `CONSULTATION_${c.id}_${c.scope.code}.json`, 'application/json', () => [`${JSON.stringify(document)}\n`]);
	const written = await writeTo(doc, input.directory);
	return {
		...written, format: 'json', dataset: `CONSULTATION_${c.id}`, period, unitCode: c.scope.code,
		rows: (stored.rows as unknown[]).length + 1, computedAt: stored.closed_at,
	};
}
