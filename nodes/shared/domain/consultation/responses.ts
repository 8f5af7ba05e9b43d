import { timingSafeEqual } from 'crypto';
import { sql } from '../../db/sql';
import { FieldError } from '../../validation/errors';
import type { Outcome, UnitOfWork } from '../context';
import { type ChoiceKind, type ConsultationOption, checkAnswer } from './consultationInput';
import { nonceHash, readToken } from './token';

export interface ConsultationResponse {
	token: string;
	/** Option codes chosen (single: one). */
	choices: string[];
	/** The answer of a free-text consultation. */
	text?: string;
}

/** What a respondent is told: never who they are or what others said. */
export interface ResponseReceipt {
	consultationId: number;
	accepted: true;
	/** True when this answer replaced an earlier one with the same token. */
	replaced: boolean;
	respondedAt: string;
}

interface InvitationState {
	id: string;
	consultation_id: string;
	unit_id: string;
	nonce_hash: string;
	voter_active: boolean;
	choice_kind: ChoiceKind;
	options: ConsultationOption[];
	max_text_length: number;
	opens_at: string;
	closes_at: string;
	allow_change: boolean;
	status: 'open' | 'closed';
	answered: boolean;
}

interface Accepted {
	position: number;
	invitationId: string;
	consultationId: number;
	unitId: string;
	allowChange: boolean;
	choices: string[];
	freeText: string | null;
}

/**
 * Takes a batch of responses: every item is checked (signature, invitation, window, electorate,
 * answer, repeat) before anything is written, then the good ones are written in two set-based
 * statements. Without partial (Continue On Fail) one bad item writes nothing.
 */
export async function respond(uow: UnitOfWork, inputs: ConsultationResponse[], opts: { now?: Date } = {}): Promise<Array<Outcome<ResponseReceipt>>> {
	const now = opts.now ?? new Date();
	const errors = new Map<number, FieldError>();
	const parsed = inputs.map((input, i) => {
		const t = readToken(uow.keys, input.token);
		if ('problem' in t) {
			errors.set(i, new FieldError('Token', t.problem));
			return undefined;
		}
		return t;
	});

	const invitationIds = [...new Set(parsed.flatMap((t) => (t ? [t.invitationId] : [])))];
	const consultationIds = [...new Set(parsed.flatMap((t) => (t ? [t.consultationId] : [])))];
	// shared locks: responses run side by side, a close waits for them and they for a close
	if (consultationIds.length) await sql(uow, `SELECT id FROM consultation WHERE id = ANY(?::bigint[]) ORDER BY id FOR SHARE`, [consultationIds]);
	const { rows } = invitationIds.length
		? await sql<InvitationState>(uow,
			`SELECT i.id, i.consultation_id, i.unit_id, i.nonce_hash,
				coalesce(h.active, r.active AND r.registered, false) AS voter_active,
				c.choice_kind, c.options, c.max_text_length, c.opens_at, c.closes_at, c.allow_change, c.status,
				EXISTS (SELECT 1 FROM consultation_response x WHERE x.invitation_id = i.id) AS answered
			FROM consultation_invitation i
			JOIN consultation c ON c.id = i.consultation_id
			LEFT JOIN household h ON h.id = i.household_id
			LEFT JOIN resident r ON r.id = i.resident_id
			WHERE i.id = ANY(?::bigint[])`, [invitationIds])
		: { rows: [] as InvitationState[] };
	const byId = new Map(rows.map((r) => [Number(r.id), r]));

	const accepted: Accepted[] = [];
	const lastFor = new Map<string, number>();
	parsed.forEach((t, i) => {
		if (!t) return;
		const inv = byId.get(t.invitationId);
		try {
			if (!inv || Number(inv.consultation_id) !== t.consultationId || !sameHash(inv.nonce_hash, nonceHash(t.nonce))) {
				throw new FieldError('Token', 'Token does not match an invitation of this consultation: it is forged or was altered');
			}
			if (inv.status === 'closed') throw new FieldError('Token', `consultation #${t.consultationId} is closed: responses are no longer taken`);
			if (now < new Date(inv.opens_at)) throw new FieldError('Token', `consultation #${t.consultationId} opens at ${inv.opens_at}: this response (${now.toISOString()}) is too early`);
			if (now >= new Date(inv.closes_at)) throw new FieldError('Token', `consultation #${t.consultationId} closed at ${inv.closes_at}: this response (${now.toISOString()}) is too late, the token has expired`);
			if (!inv.voter_active) throw new FieldError('Token', 'Token is no longer valid: the household or resident it was issued to has left the electorate');
			const answer = checkAnswer({ choiceKind: inv.choice_kind, options: inv.options, maxTextLength: inv.max_text_length }, inputs[i].choices ?? [], inputs[i].text);
			// bigint columns may arrive as numbers or text, depending on the pool's parsers
			const key = String(inv.id);
			const earlier = lastFor.get(key);
			if (!inv.allow_change && (inv.answered || earlier !== undefined)) {
				throw new FieldError('Token', `Token was already used${earlier !== undefined ? ' by an earlier item of this batch' : ''}: consultation #${t.consultationId} does not allow changing a response`);
			}
			lastFor.set(key, accepted.length);
			accepted.push({ position: i, invitationId: key, consultationId: t.consultationId, unitId: String(inv.unit_id), allowChange: inv.allow_change, ...answer });
		} catch (error) {
			if (!(error instanceof FieldError)) throw error;
			errors.set(i, error);
		}
	});

	const results = new Map<number, ResponseReceipt>();
	if (!uow.partial && errors.size) return outcomes();
	// the last answer of a token in the batch is the one that stands
	const winners = accepted.filter((a, k) => lastFor.get(a.invitationId) === k);
	const written = await writeResponses(uow, winners, now);
	for (const a of accepted) {
		const w = written.get(a.invitationId);
		if (!w) {
			// another worker answered with this token between our check and our write
			errors.set(a.position, new FieldError('Token', `Token was already used: consultation #${a.consultationId} does not allow changing a response`));
			continue;
		}
		const first = accepted.find((x) => x.invitationId === a.invitationId);
		results.set(a.position, {
			consultationId: a.consultationId,
			accepted: true,
			replaced: w.replaced || first !== a,
			respondedAt: now.toISOString(),
		});
	}
	return outcomes();

	function outcomes(): Array<Outcome<ResponseReceipt>> {
		return inputs.map((_, i) => {
			const e = errors.get(i);
			if (e) return { ok: false, error: e };
			const r = results.get(i);
			// without partial nothing is written when any item fails: the good ones have no value
			return r ? { ok: true, value: r } : { ok: true, value: [] };
		});
	}
}

const sameHash = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** Inserts first answers and, where allowed, replaces earlier ones; returns what was written. */
async function writeResponses(uow: UnitOfWork, rows: Accepted[], now: Date): Promise<Map<string, { replaced: boolean }>> {
	const out = new Map<string, { replaced: boolean }>();
	for (const allow of [false, true]) {
		const part = rows.filter((r) => r.allowChange === allow);
		if (!part.length) continue;
		const { rows: done } = await sql<{ invitation_id: string; inserted: boolean }>(uow,
			`INSERT INTO consultation_response AS r (invitation_id, consultation_id, unit_id, choices, free_text, responded_at, updated_at)
			SELECT x.invitation_id, x.consultation_id, x.unit_id, coalesce(x.choices::text[], '{}'), x.free_text, ?, ?
			FROM unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::text[], ?::text[]) AS x(invitation_id, consultation_id, unit_id, choices, free_text)
			ON CONFLICT (invitation_id) DO ${allow
		? `UPDATE SET choices = EXCLUDED.choices, free_text = EXCLUDED.free_text, responded_at = EXCLUDED.responded_at,
					updated_at = EXCLUDED.updated_at, revision = r.revision + 1`
		: 'NOTHING'}
			RETURNING r.invitation_id, (r.xmax = 0) AS inserted`,
			[now, now, part.map((r) => r.invitationId), part.map((r) => r.consultationId), part.map((r) => r.unitId),
				// a text[] per row travels as its array literal, unpacked by the cast above
				part.map((r) => (r.choices.length ? `{${r.choices.join(',')}}` : null)), part.map((r) => r.freeText)]);
		for (const d of done) out.set(String(d.invitation_id), { replaced: !d.inserted });
	}
	return out;
}
