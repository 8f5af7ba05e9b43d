import { sql } from '../../db/sql';
import { FieldError } from '../../validation/errors';
import type { UnitOfWork } from '../context';
import { subtreeBounds } from '../grid/unitRecord';
import { loadConsultationRow } from './consultations';
import { electorateBindings, electorateFrom, voterColumn } from './electorate';
import { mintToken, newNonces, nonceHash } from './token';

export interface IssueInvitations {
	consultationId: number;
	/** Webhook URL the link points to; the token is added as the query parameter "token". */
	linkBase?: string;
	/** At most this many invitations per run (the rest on the next run); 0 for all. */
	maxInvitations?: number;
	pageSize?: number;
	now?: Date;
}

export interface Invitation {
	consultationId: number;
	invitationId: number;
	electorate: 'household' | 'adult';
	householdId: number | null;
	residentId: number | null;
	buildingCode: string;
	token: string;
	link: string | null;
}

export const DEFAULT_PAGE = 1000;

export function linkFor(base: string | undefined, token: string): string | null {
	if (!base) return null;
	const u = new URL(base);
	u.searchParams.set('token', token);
	return u.toString();
}

/**
 * Issues an invitation to every voter of the electorate who has none yet, a page at a time (keyset
 * on the voter id), so re-running issues only what is missing and a large electorate never sits in
 * one statement. Each token is returned once, here: only its nonce's hash is kept.
 */
export async function issueInvitations(uow: UnitOfWork, input: IssueInvitations): Promise<Invitation[]> {
	const now = input.now ?? new Date();
	// a close waits for this, and a parallel run of the same issue waits and then finds nothing to do
	const c = await loadConsultationRow(uow, input.consultationId, 'Consultation ID', 'update');
	if (c.status === 'closed') throw new FieldError('Consultation ID', `consultation #${c.id} is closed: no more invitations can be issued`);
	if (now >= new Date(c.closes_at)) throw new FieldError('Consultation ID', `consultation #${c.id} closed at ${c.closes_at}: no more invitations can be issued`);
	const [lo, hi] = subtreeBounds(c.unit_path);
	const col = voterColumn(c.electorate);
	const pageSize = input.pageSize ?? DEFAULT_PAGE;
	const cap = input.maxInvitations && input.maxInvitations > 0 ? input.maxInvitations : Infinity;
	const out: Invitation[] = [];
	let after = 0;
	while (out.length < cap) {
		const take = Math.min(pageSize, cap - out.length);
		const { rows: candidates } = await sql<{ id: string; unit_id: string; code: string }>(uow,
			`SELECT v.id, v.unit_id, b.code ${electorateFrom(c.electorate)} AND v.id > ? ORDER BY v.id LIMIT ?`,
			[...electorateBindings(c.electorate, lo, hi, new Date(c.opens_at), uow.timezone), after, take]);
		if (!candidates.length) break;
		const from = after;
		after = Number(candidates[candidates.length - 1].id);
		// Who of this stretch of voter ids holds an invitation already: a range of the unique index. (An
		// anti-join here is planned from statistics that do not yet know this run's inserts, and turns
		// quadratic as the invitations grow.)
		const { rows: held } = await sql<{ voter: string }>(uow,
			`SELECT ${col} AS voter FROM consultation_invitation WHERE consultation_id = ? AND ${col} > ? AND ${col} <= ?`, [c.id, from, after]);
		const invited = new Set(held.map((h) => String(h.voter)));
		const page = candidates.filter((p) => !invited.has(String(p.id)));
		if (!page.length) {
			if (candidates.length < take) break;
			continue;
		}
		const nonces = newNonces(page.length);
		const { rows: made } = await sql<{ id: string; voter: string }>(uow,
			`INSERT INTO consultation_invitation (consultation_id, ${col}, unit_id, nonce_hash)
			SELECT ?, x.voter, x.unit_id, x.h FROM unnest(?::bigint[], ?::bigint[], ?::text[]) AS x(voter, unit_id, h)
			ON CONFLICT DO NOTHING
			RETURNING id, ${col} AS voter`,
			[c.id, page.map((p) => p.id), page.map((p) => p.unit_id), nonces.map(nonceHash)]);
		const madeFor = new Map(made.map((m) => [String(m.voter), Number(m.id)]));
		page.forEach((p, k) => {
			const invitationId = madeFor.get(String(p.id));
			if (invitationId === undefined) return;
			const token = mintToken(uow.keys, { consultationId: Number(c.id), invitationId, nonce: nonces[k] });
			out.push({
				consultationId: Number(c.id),
				invitationId,
				electorate: c.electorate,
				householdId: c.electorate === 'household' ? Number(p.id) : null,
				residentId: c.electorate === 'adult' ? Number(p.id) : null,
				buildingCode: p.code,
				token,
				link: linkFor(input.linkBase, token),
			});
		});
		if (candidates.length < take) break;
	}
	return out;
}
