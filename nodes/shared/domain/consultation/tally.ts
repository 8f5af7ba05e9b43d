import { sql } from '../../db/sql';
import { FieldError } from '../../validation/errors';
import type { UnitOfWork } from '../context';
import { subtreeBounds } from '../grid/unitRecord';
import { breakdownSql, inTurn } from '../stats/breakdown';
import { type ConsultationRow, loadConsultationRow } from './consultations';
import { electorateBindings, electorateFrom } from './electorate';
import { ratio } from '../stats/figures';

export interface TallyInput {
	consultationId: number;
	/** Grid level to break down by: 3 community, 4 base grid, 5 building; 0 for the scope alone. */
	byLevel: number;
}

export interface TallyRow {
	unitId: number;
	unitCode: string;
	unitName: string;
	level: number;
	/** Households or adult residents who may answer now. */
	eligible: number;
	invited: number;
	responded: number;
	/** responded / eligible, 4 decimals; null without an electorate. */
	turnout: number | null;
	/** responded / invited. */
	responseRate: number | null;
	/** Responses per option code (a multiple-choice response counts once for each option chosen). */
	counts: Record<string, number>;
}

export interface Tally {
	consultationId: number;
	question: string;
	status: 'open' | 'closed';
	byLevel: number;
	rows: TallyRow[];
	total: TallyRow;
	computedAt: string;
}


/** Tally of an open or closed consultation; a closed one's stored result is its frozen tally. */
export async function tallyConsultation(uow: UnitOfWork, input: TallyInput): Promise<Tally> {
	const c = await loadConsultationRow(uow, input.consultationId, 'Consultation ID');
	if (c.status === 'closed') {
		const { rows: [stored] } = await sql<{ rows: TallyRow[]; total: TallyRow; by_level: number; closed_at: string }>(uow,
			`SELECT rows, total, by_level, closed_at FROM consultation_result WHERE consultation_id = ?`, [c.id]);
		if (stored && (input.byLevel === 0 ? Number(c.unit_level) : input.byLevel) === Number(stored.by_level)) {
			return { consultationId: Number(c.id), question: c.question, status: c.status, byLevel: Number(stored.by_level), rows: stored.rows, total: stored.total, computedAt: stored.closed_at };
		}
	}
	return computeTally(uow, c, input.byLevel);
}

/**
 * Counts per breakdown unit in three aggregate queries (electorate, invitations, answers), each
 * grouped by the breakdown ancestor read off the materialized path with a grouping set for the
 * total. Nothing here reads who holds an invitation: answers are counted by building only.
 */
export async function computeTally(uow: UnitOfWork, c: ConsultationRow, byLevel: number): Promise<Tally> {
	const level = byLevel === 0 ? Number(c.unit_level) : byLevel;
	if (!Number.isInteger(level) || level < Number(c.unit_level) || level > 5) {
		throw new FieldError('Break Down By', `consultation #${c.id} covers ${c.unit_code}, a level-${c.unit_level} unit: break it down by its own level (${c.unit_level}) or a lower one, down to 5 (got ${level})`);
	}
	const [lo, hi] = subtreeBounds(c.unit_path);
	const b = breakdownSql(level, true);
	const codes = c.options.map((o) => o.code);
	const emptyRow = (u: { id: unknown; code: string; name: string; level: unknown }): TallyRow => ({
		unitId: Number(u.id), unitCode: u.code, unitName: u.name, level: Number(u.level),
		eligible: 0, invited: 0, responded: 0, turnout: null, responseRate: null,
		counts: Object.fromEntries(codes.map((k) => [k, 0])),
	});
	const { rows: targets } = await sql(uow,
		`SELECT id, code, name, level FROM grid_unit WHERE path >= ? AND path < ? AND level = ? AND active ORDER BY path`, [lo, hi, level]);
	const rows = new Map<string, TallyRow>(targets.map((t) => [String(t.id), emptyRow(t)]));
	const total = emptyRow({ id: c.unit_id, code: c.unit_code, name: c.unit_name, level: c.unit_level });
	const extraIds: string[] = [];
	const row = (key: unknown): TallyRow => {
		if (key === null || key === undefined) return total;
		let r = rows.get(String(key));
		if (!r) {
			// an inactive unit, or one above the level, that still has figures
			r = emptyRow({ id: key, code: '', name: '', level: 0 });
			rows.set(String(key), r);
			extraIds.push(String(key));
		}
		return r;
	};

	const [eligible, invited, answers] = await inTurn([
		() => sql(uow,
			`${b.members}, f AS (SELECT v.unit_id, count(*) AS n ${electorateFrom(c.electorate)} GROUP BY 1)
			SELECT m.target_id, sum(f.n) AS n FROM f JOIN members m ON m.unit_id = f.unit_id
			GROUP BY GROUPING SETS ((m.target_id), ())`,
			[lo, hi, ...electorateBindings(c.electorate, lo, hi, new Date(c.opens_at), uow.timezone)]),
		() => sql(uow,
			`${b.members}
			SELECT m.target_id, sum(f.n) AS n
			FROM (SELECT unit_id, count(*) AS n FROM consultation_invitation WHERE consultation_id = ? GROUP BY 1) f
			JOIN members m ON m.unit_id = f.unit_id
			GROUP BY GROUPING SETS ((m.target_id), ())`, [lo, hi, c.id]),
		() => sql(uow,
			`${b.members}
			SELECT m.target_id, f.k, sum(f.n) AS n
			FROM (
				SELECT x.unit_id, NULL::text AS k, count(*) AS n FROM consultation_response x WHERE x.consultation_id = ? GROUP BY 1
				UNION ALL
				SELECT x.unit_id, o.code, count(*) FROM consultation_response x CROSS JOIN unnest(x.choices) AS o(code)
				WHERE x.consultation_id = ? AND x.choices <> '{}' GROUP BY 1, 2
			) f JOIN members m ON m.unit_id = f.unit_id
			GROUP BY GROUPING SETS ((m.target_id, f.k), (f.k))`, [lo, hi, c.id, c.id]),
	]);
	for (const r of eligible.rows) row(r.target_id).eligible = Number(r.n);
	for (const r of invited.rows) row(r.target_id).invited = Number(r.n);
	for (const r of answers.rows) {
		const t = row(r.target_id);
		if (r.k === null) t.responded = Number(r.n);
		else t.counts[r.k] = Number(r.n);
	}
	if (extraIds.length) {
		const { rows: units } = await sql(uow, `SELECT id, code, name, level FROM grid_unit WHERE id = ANY(?::bigint[])`, [extraIds]);
		for (const u of units) Object.assign(rows.get(String(u.id))!, { unitCode: u.code, unitName: u.name, level: Number(u.level) });
	}
	for (const r of [...rows.values(), total]) {
		r.turnout = ratio(r.responded, r.eligible);
		r.responseRate = ratio(r.responded, r.invited);
	}
	return {
		consultationId: Number(c.id),
		question: c.question,
		status: c.status,
		byLevel: level,
		rows: [...rows.values()],
		total,
		computedAt: new Date().toISOString(),
	};
}

export interface CloseInput extends TallyInput {
	/** Close before Closes At. */
	closeEarly?: boolean;
	now?: Date;
}

export interface CloseResult extends Tally {
	closedAt: string;
	/** False when the consultation had been closed before: the stored result is returned. */
	closedNow: boolean;
}

/**
 * Freezes a consultation: no response is taken after this, and its tally is written once as the
 * result record the statistics export sends upward. Closing again returns the stored result.
 */
export async function closeConsultation(uow: UnitOfWork, input: CloseInput): Promise<CloseResult> {
	const now = input.now ?? new Date();
	const c = await loadConsultationRow(uow, input.consultationId, 'Consultation ID', 'update');
	if (c.status === 'closed') {
		const { rows: [stored] } = await sql<{ rows: TallyRow[]; total: TallyRow; by_level: number; closed_at: string }>(uow,
			`SELECT rows, total, by_level, closed_at FROM consultation_result WHERE consultation_id = ?`, [c.id]);
		return {
			consultationId: Number(c.id), question: c.question, status: 'closed', byLevel: Number(stored.by_level), rows: stored.rows, total: stored.total,
			computedAt: stored.closed_at, closedAt: stored.closed_at, closedNow: false,
		};
	}
	if (now < new Date(c.closes_at) && !input.closeEarly) {
		throw new FieldError('Close Early', `consultation #${c.id} is open until ${c.closes_at}: turn on Close Early to close it now`);
	}
	const tally = await computeTally(uow, { ...c, status: 'closed' }, input.byLevel);
	await sql(uow, `UPDATE consultation SET status = 'closed', closed_at = ?, updated_at = ? WHERE id = ?`, [now, now, c.id]);
	await sql(uow, `INSERT INTO consultation_result (consultation_id, unit_id, by_level, rows, total, closed_at) VALUES (?, ?, ?, ?::jsonb, ?::jsonb, ?)`,
		[c.id, c.unit_id, tally.byLevel, JSON.stringify(tally.rows), JSON.stringify(tally.total), now]);
	return { ...tally, computedAt: now.toISOString(), closedAt: now.toISOString(), closedNow: true };
}
