import { sql } from '../../db/sql';
import { FieldError, batchError } from '../../validation/errors';
import type { Outcome, UnitOfWork } from '../context';
import { loadUnit, loadUnits } from '../grid/unitLookup';
import { type UnitRef, subtreeBounds } from '../grid/unitRecord';
import { type VolunteerRef, resolveVolunteers } from './volunteers';
import { TEAM_KINDS, type TeamKind } from './vocabulary';

export interface NewTeam {
	name: string;
	kind: TeamKind;
	unit: UnitRef;
	leader?: VolunteerRef;
}

export interface TeamMemberRecord {
	volunteerId: number;
	name: string;
	volunteerNo: string | null;
	joinedAt: string;
	leftAt: string | null;
}

export interface TeamRecord {
	id: number;
	name: string;
	kind: TeamKind;
	kindLabel: string;
	unitCode: string;
	leaderVolunteerId: number | null;
	active: boolean;
	memberCount: number;
	members?: TeamMemberRecord[];
	createdAt: string;
}

const outside = (uow: UnitOfWork) => (uow.scopeCode ? ` (or outside this credential's scope ${uow.scopeCode})` : '');

async function loadTeams(uow: UnitOfWork, ids: number[], withMembers: boolean, formerMembers = false): Promise<Map<number, TeamRecord>> {
	const { rows } = await sql(uow,
		`SELECT t.id, t.name, t.kind, u.code AS unit_code, t.leader_volunteer_id, t.active, t.created_at,
			(SELECT count(*)::int FROM team_member m WHERE m.team_id = t.id AND m.left_at IS NULL) AS member_count
			${withMembers ? `, (SELECT coalesce(json_agg(json_build_object('volunteerId', v.id, 'name', v.name, 'volunteerNo', v.volunteer_no,
				'joinedAt', m.joined_at, 'leftAt', m.left_at) ORDER BY m.joined_at, m.id), '[]'::json)
				FROM team_member m JOIN volunteer v ON v.id = m.volunteer_id WHERE m.team_id = t.id ${formerMembers ? '' : 'AND m.left_at IS NULL'}) AS members` : ''}
		FROM team t JOIN grid_unit u ON u.id = t.unit_id WHERE t.id = ANY(?::bigint[])`, [ids]);
	return new Map(rows.map((r: Record<string, any>) => [Number(r.id), {
		id: Number(r.id),
		name: r.name,
		kind: r.kind,
		kindLabel: TEAM_KINDS[r.kind as TeamKind],
		unitCode: r.unit_code,
		leaderVolunteerId: r.leader_volunteer_id ?? null,
		active: r.active,
		memberCount: r.member_count,
		...(withMembers ? {
			members: (r.members as TeamMemberRecord[]).map((m) => ({
				...m,
				joinedAt: new Date(m.joinedAt).toISOString(),
				leftAt: m.leftAt ? new Date(m.leftAt).toISOString() : null,
			})),
		} : {}),
		createdAt: r.created_at,
	}]));
}

/** Creates teams; names are unique within a unit (in the batch and in the registry). */
export async function createTeams(uow: UnitOfWork, inputs: NewTeam[]): Promise<Array<Outcome<TeamRecord>>> {
	const errors = new Map<number, FieldError>();
	const fail = (i: number, e: FieldError) => {
		if (!errors.has(i)) errors.set(i, e);
	};
	const units = await loadUnits(uow, inputs.map((t) => t.unit), 'Grid Unit');
	const leaders = await resolveVolunteers(uow, inputs.map((t) => t.leader ?? { id: 0 }), 'Leader');
	const seen = new Map<string, number>();
	inputs.forEach((t, i) => {
		const u = units[i];
		if (u instanceof FieldError) return fail(i, u);
		if (!u.active) fail(i, new FieldError('Grid Unit', `grid unit ${u.code} is deactivated`));
		if (t.leader && leaders[i] instanceof FieldError) fail(i, leaders[i] as FieldError);
		const key = `${u.id}|${t.name}`;
		const first = seen.get(key);
		if (first !== undefined) fail(i, batchError('Name', [first, i], (a, b) => `team "${t.name}" of ${u.code} appears twice in this batch: items ${a} and ${b}`));
		else seen.set(key, i);
	});
	const candidates = inputs.map((t, i) => ({ t, i })).filter(({ i }) => !errors.has(i));
	if (candidates.length) {
		const { rows } = await sql(uow, `SELECT t.unit_id, t.name FROM team t JOIN unnest(?::bigint[], ?::text[]) AS x(unit_id, name) ON x.unit_id = t.unit_id AND x.name = t.name`,
			[candidates.map(({ i }) => (units[i] as { id: number }).id), candidates.map(({ t }) => t.name)]);
		for (const r of rows) {
			const i = seen.get(`${r.unit_id}|${r.name}`)!;
			fail(i, new FieldError('Name', `a team named "${r.name}" already exists in ${(units[i] as { code: string }).code}`));
		}
	}
	const outcomes: Array<Outcome<TeamRecord>> = inputs.map((_, i) => (errors.has(i) ? { ok: false, error: errors.get(i)! } : { ok: true, value: [] }));
	if (errors.size && !uow.partial) return outcomes;
	const good = inputs.map((t, i) => ({ t, i })).filter(({ i }) => !errors.has(i));
	if (!good.length) return outcomes;
	const { rows } = await sql<{ id: number }>(uow,
		`INSERT INTO team (name, kind, unit_id, leader_volunteer_id)
		SELECT * FROM unnest(?::text[], ?::text[], ?::bigint[], ?::bigint[]) RETURNING id`,
		[good.map(({ t }) => t.name), good.map(({ t }) => t.kind), good.map(({ i }) => (units[i] as { id: number }).id),
			good.map(({ t, i }) => (t.leader ? (leaders[i] as { id: number }).id : null))]);
	const ids = rows.map((r) => Number(r.id)).sort((a, b) => a - b);
	// a leader is a member from the start
	const led = good.map(({ t, i }, k) => ({ t, i, id: ids[k] })).filter(({ t }) => t.leader);
	if (led.length) {
		await sql(uow, `INSERT INTO team_member (team_id, volunteer_id, unit_id) SELECT x.team_id, x.volunteer_id, t.unit_id
			FROM unnest(?::bigint[], ?::bigint[]) AS x(team_id, volunteer_id) JOIN team t ON t.id = x.team_id`,
		[led.map((x) => x.id), led.map(({ i }) => (leaders[i] as { id: number }).id)]);
	}
	const records = await loadTeams(uow, ids, true);
	good.forEach(({ i }, k) => {
		outcomes[i] = { ok: true, value: records.get(ids[k])! };
	});
	return outcomes;
}

export interface MembershipChange {
	teamId: number;
	volunteer: VolunteerRef;
}

async function checkMemberships(uow: UnitOfWork, inputs: MembershipChange[]) {
	const { rows } = await sql(uow, `SELECT id, active FROM team WHERE id = ANY(?::bigint[]) FOR UPDATE`, [[...new Set(inputs.map((x) => x.teamId))]]);
	const teams = new Map(rows.map((r: Record<string, any>) => [Number(r.id), r]));
	const volunteers = await resolveVolunteers(uow, inputs.map((x) => x.volunteer));
	return inputs.map((x, i): FieldError | { teamId: number; volunteerId: number } => {
		const t = teams.get(x.teamId);
		if (!t) return new FieldError('Team ID', `unknown team ${x.teamId}${outside(uow)}`);
		const v = volunteers[i];
		if (v instanceof FieldError) return v;
		return { teamId: x.teamId, volunteerId: v.id };
	});
}

/** Adds volunteers to teams; adding a current member again changes nothing. */
export async function addTeamMembers(uow: UnitOfWork, inputs: MembershipChange[]): Promise<Array<Outcome<TeamRecord>>> {
	const checked = await checkMemberships(uow, inputs);
	const outcomes: Array<Outcome<TeamRecord>> = checked.map((c) => (c instanceof FieldError ? { ok: false, error: c } : { ok: true, value: [] }));
	if (checked.some((c) => c instanceof FieldError) && !uow.partial) return outcomes;
	const good = checked.filter((c): c is { teamId: number; volunteerId: number } => !(c instanceof FieldError));
	if (good.length) {
		await sql(uow, `INSERT INTO team_member (team_id, volunteer_id, unit_id)
			SELECT DISTINCT x.team_id, x.volunteer_id, t.unit_id FROM unnest(?::bigint[], ?::bigint[]) AS x(team_id, volunteer_id)
			JOIN team t ON t.id = x.team_id
			WHERE NOT EXISTS (SELECT 1 FROM team_member m WHERE m.team_id = x.team_id AND m.volunteer_id = x.volunteer_id AND m.left_at IS NULL)`,
		[good.map((g) => g.teamId), good.map((g) => g.volunteerId)]);
	}
	const records = await loadTeams(uow, good.map((g) => g.teamId), true);
	checked.forEach((c, i) => {
		if (!(c instanceof FieldError)) outcomes[i] = { ok: true, value: records.get(c.teamId)! };
	});
	return outcomes;
}

/** Ends memberships (left_at = now); the history stays. Removing a non-member is an error. */
export async function removeTeamMembers(uow: UnitOfWork, inputs: MembershipChange[]): Promise<Array<Outcome<TeamRecord>>> {
	const checked = await checkMemberships(uow, inputs);
	const good = checked.map((c, i) => ({ c, i })).filter((x): x is { c: { teamId: number; volunteerId: number }; i: number } => !(x.c instanceof FieldError));
	const { rows } = await sql(uow, `SELECT m.team_id, m.volunteer_id FROM team_member m JOIN unnest(?::bigint[], ?::bigint[]) AS x(team_id, volunteer_id)
		ON m.team_id = x.team_id AND m.volunteer_id = x.volunteer_id WHERE m.left_at IS NULL`,
	[good.map((g) => g.c.teamId), good.map((g) => g.c.volunteerId)]);
	const current = new Set(rows.map((r: Record<string, any>) => `${r.team_id}|${r.volunteer_id}`));
	const outcomes: Array<Outcome<TeamRecord>> = checked.map((c) => {
		if (c instanceof FieldError) return { ok: false, error: c };
		if (!current.has(`${c.teamId}|${c.volunteerId}`)) return { ok: false, error: new FieldError('Volunteer', `volunteer ${c.volunteerId} is not a current member of team ${c.teamId}`) };
		return { ok: true, value: [] };
	});
	const ok = good.filter(({ i }) => outcomes[i].ok);
	if (ok.length < inputs.length && !uow.partial) return outcomes;
	if (ok.length) {
		await sql(uow, `UPDATE team_member m SET left_at = now() FROM unnest(?::bigint[], ?::bigint[]) AS x(team_id, volunteer_id)
			WHERE m.team_id = x.team_id AND m.volunteer_id = x.volunteer_id AND m.left_at IS NULL`,
		[ok.map((g) => g.c.teamId), ok.map((g) => g.c.volunteerId)]);
	}
	const records = await loadTeams(uow, ok.map((g) => g.c.teamId), true, true);
	for (const { c, i } of ok) outcomes[i] = { ok: true, value: records.get(c.teamId)! };
	return outcomes;
}

export interface ListTeamsInput {
	within?: UnitRef;
	kinds?: TeamKind[];
	includeMembers: boolean;
	/** Former members too, with the time they left. */
	includeFormerMembers?: boolean;
	limit?: number;
}

export async function listTeams(uow: UnitOfWork, input: ListTeamsInput): Promise<TeamRecord[]> {
	const where: string[] = [];
	const args: unknown[] = [];
	if (input.within) {
		const root = await loadUnit(uow, input.within, 'Within Unit');
		const [lo, hi] = subtreeBounds(root.path);
		where.push('u.path >= ? AND u.path < ?');
		args.push(lo, hi);
	}
	if (input.kinds?.length) {
		where.push('t.kind = ANY(?::text[])');
		args.push(input.kinds);
	}
	const out: TeamRecord[] = [];
	let after = 0;
	for (;;) {
		const want = input.limit === undefined ? 500 : Math.min(500, input.limit - out.length);
		if (want <= 0) break;
		const { rows } = await sql(uow, `SELECT t.id FROM team t JOIN grid_unit u ON u.id = t.unit_id WHERE t.id > ? ${where.map((w) => `AND ${w}`).join(' ')} ORDER BY t.id LIMIT ?`,
			[after, ...args, want]);
		const ids = rows.map((r: Record<string, any>) => Number(r.id));
		const records = await loadTeams(uow, ids, input.includeMembers, input.includeFormerMembers);
		for (const id of ids) out.push(records.get(id)!);
		if (rows.length < want) break;
		after = ids[ids.length - 1];
	}
	return out;
}
