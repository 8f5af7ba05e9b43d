import { sql } from '../../db/sql';
import { FieldError, batchError } from '../../validation/errors';
import type { Phone } from '../../validation/phone';
import { writeAudit } from '../audit';
import type { Outcome, UnitOfWork } from '../context';
import { loadUnit, loadUnits } from '../grid/unitLookup';
import { type UnitRef, subtreeBounds } from '../grid/unitRecord';
import { decrypt } from '../personalData';
import { protectPhone } from '../protect';
import { type WeeklyWindow, formatAvailability } from './availability';
import type { NewVolunteer } from './volunteerInput';
import type { VolunteerKind } from './vocabulary';

export type VolunteerRef = { id: number } | { volunteerNo: string };

export interface VolunteerRecord {
	id: number;
	volunteerNo: string | null;
	name: string;
	kind: VolunteerKind;
	homeAgency: string | null;
	profession: string | null;
	skills: string[];
	availability: WeeklyWindow[];
	availabilityText: string;
	unitCode: string;
	maxTasks: number;
	currentLoad: number;
	lastAssignedAt: string | null;
	/** Masked unless revealed. */
	phone: string | null;
	revealed: boolean;
	active: boolean;
	teams?: Array<{ teamId: number; name: string }>;
	createdAt: string;
	updatedAt: string;
}

const COLUMNS = `v.id, v.volunteer_no, v.name, v.kind, v.home_agency, v.profession, v.skills, v.availability, u.code AS unit_code,
	v.unit_id, v.max_tasks, v.current_load, v.last_assigned_at, v.phone_masked, v.phone_enc, v.active, v.created_at, v.updated_at,
	(SELECT coalesce(json_agg(json_build_object('teamId', t.id, 'name', t.name) ORDER BY t.id), '[]'::json)
		FROM team_member m JOIN team t ON t.id = m.team_id WHERE m.volunteer_id = v.id AND m.left_at IS NULL) AS teams`;
const FROM = `volunteer v JOIN grid_unit u ON u.id = v.unit_id`;

type Row = Record<string, any>;

async function toRecords(uow: UnitOfWork, rows: Row[], reveal: boolean): Promise<VolunteerRecord[]> {
	if (reveal && rows.length) {
		await writeAudit(uow, rows.filter((r) => r.phone_enc).map((r) => ({
			action: 'reveal', entity: 'volunteer', entityId: String(r.id), unitId: r.unit_id, details: { fields: ['phone'] },
		})));
	}
	return rows.map((r) => ({
		id: Number(r.id),
		volunteerNo: r.volunteer_no,
		name: r.name,
		kind: r.kind,
		homeAgency: r.home_agency,
		profession: r.profession,
		skills: r.skills ?? [],
		availability: r.availability ?? [],
		availabilityText: formatAvailability(r.availability ?? []),
		unitCode: r.unit_code,
		maxTasks: r.max_tasks,
		currentLoad: r.current_load,
		lastAssignedAt: r.last_assigned_at ? new Date(r.last_assigned_at).toISOString() : null,
		phone: reveal && r.phone_enc ? decrypt(uow.keys, r.phone_enc) : r.phone_masked,
		revealed: reveal && !!r.phone_enc,
		active: r.active,
		teams: r.teams ?? [],
		createdAt: new Date(r.created_at).toISOString(),
		updatedAt: new Date(r.updated_at).toISOString(),
	}));
}

async function loadRecords(uow: UnitOfWork, ids: number[], reveal = false): Promise<Map<number, VolunteerRecord>> {
	const { rows } = await sql(uow, `SELECT ${COLUMNS} FROM ${FROM} WHERE v.id = ANY(?::bigint[])`, [ids]);
	return new Map((await toRecords(uow, rows, reveal)).map((r) => [r.id, r]));
}

const outside = (uow: UnitOfWork) => (uow.scopeCode ? ` (or outside this credential's scope ${uow.scopeCode})` : '');

export interface SaveVolunteerOptions {
	/** 'upsert' updates the volunteer with the same Volunteer Number instead of refusing it. */
	mode: 'create' | 'upsert';
}

export type SavedVolunteer = VolunteerRecord & { operation: 'created' | 'updated' };

/**
 * Registers volunteers (Create and Import Many). Every input is checked first — home units that exist,
 * are active and lie in scope, volunteer numbers unique in the batch and the registry — then all are
 * written with one INSERT and one UPDATE from unnest.
 */
export async function saveVolunteers(uow: UnitOfWork, inputs: NewVolunteer[], opts: SaveVolunteerOptions): Promise<Array<Outcome<SavedVolunteer>>> {
	const errors = new Map<number, FieldError>();
	const fail = (i: number, e: FieldError) => {
		if (!errors.has(i)) errors.set(i, e);
	};
	const codes = [...new Set(inputs.map((v) => v.unitCode))];
	const units = await loadUnits(uow, codes.map((code) => ({ code })), 'Home Unit');
	const unitByCode = new Map(codes.map((c, k) => [c, units[k]]));
	const byNo = new Map<string, number>();
	inputs.forEach((v, i) => {
		const u = unitByCode.get(v.unitCode)!;
		if (u instanceof FieldError) return fail(i, u);
		if (!u.active) fail(i, new FieldError('Home Unit', `grid unit ${u.code} is deactivated`));
		if (v.volunteerNo) {
			const first = byNo.get(v.volunteerNo);
			if (first !== undefined) fail(i, batchError('Volunteer Number', [first, i], (a, b) => `Volunteer Number ${v.volunteerNo} appears twice in this batch: items ${a} and ${b}`));
			else byNo.set(v.volunteerNo, i);
		}
	});
	const existing = new Map<number, { id: number; current_load: number }>();
	if (byNo.size) {
		// the unique constraint is global: a number held outside the scope is still taken
		const { rows } = await sql(uow, `SELECT id, volunteer_no, current_load FROM volunteer WHERE volunteer_no = ANY(?::text[])`, [[...byNo.keys()]]);
		for (const r of rows) existing.set(byNo.get(r.volunteer_no)!, r);
	}
	for (const [i, row] of existing) {
		if (opts.mode === 'create') fail(i, new FieldError('Volunteer Number', `Volunteer Number ${inputs[i].volunteerNo} is already registered (volunteer ${row.id}); use Create or Update to change them`));
		else if (inputs[i].maxTasks < row.current_load) {
			fail(i, new FieldError('Max Tasks', `Max Tasks ${inputs[i].maxTasks} is below the ${row.current_load} tasks volunteer ${row.id} holds now`));
		}
	}
	const outcomes: Array<Outcome<SavedVolunteer>> = inputs.map((_, i) => (errors.has(i) ? { ok: false, error: errors.get(i)! } : { ok: true, value: [] }));
	if (errors.size && !uow.partial) return outcomes;
	const good = inputs.map((v, i) => ({ v, i })).filter(({ i }) => !errors.has(i));
	if (!good.length) return outcomes;

	const columns = (list: typeof good) => {
		const phones = list.map(({ v }) => protectPhone(uow.keys, v.phone));
		return [
			list.map(({ v }) => v.volunteerNo ?? null),
			list.map(({ v }) => v.name),
			list.map(({ v }) => v.kind),
			list.map(({ v }) => v.homeAgency ?? null),
			list.map(({ v }) => v.profession ?? null),
			list.map(({ v }) => JSON.stringify(v.skills)),
			list.map(({ v }) => JSON.stringify(v.availability)),
			list.map(({ v }) => (unitByCode.get(v.unitCode) as { id: number }).id),
			list.map(({ v }) => v.maxTasks),
			phones.map((p) => p.hash),
			phones.map((p) => p.enc),
			phones.map((p) => p.masked),
		];
	};
	const UNNEST = `unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::int[], ?::text[], ?::text[], ?::text[])
		AS t(volunteer_no, name, kind, home_agency, profession, skills, availability, unit_id, max_tasks, phone_hash, phone_enc, phone_masked)`;
	const idOf = new Map<number, number>();
	const toInsert = good.filter(({ i }) => !existing.has(i));
	const toUpdate = good.filter(({ i }) => existing.has(i));
	if (toInsert.length) {
		const { rows } = await sql<{ id: number }>(uow,
			`INSERT INTO volunteer (volunteer_no, name, kind, home_agency, profession, skills, availability, unit_id, max_tasks, phone_hash, phone_enc, phone_masked)
			SELECT t.volunteer_no, t.name, t.kind, t.home_agency, t.profession, ARRAY(SELECT jsonb_array_elements_text(t.skills::jsonb)),
				t.availability::jsonb, t.unit_id, t.max_tasks, t.phone_hash, t.phone_enc, t.phone_masked
			FROM ${UNNEST} RETURNING id`, columns(toInsert));
		// ids come from one sequence in insertion order
		const ids = rows.map((r) => Number(r.id)).sort((a, b) => a - b);
		toInsert.forEach(({ i }, k) => idOf.set(i, ids[k]));
	}
	if (toUpdate.length) {
		await sql(uow,
			`UPDATE volunteer v SET name = t.name, kind = t.kind, home_agency = t.home_agency, profession = t.profession,
				skills = ARRAY(SELECT jsonb_array_elements_text(t.skills::jsonb)), availability = t.availability::jsonb,
				unit_id = t.unit_id, max_tasks = t.max_tasks,
				phone_hash = coalesce(t.phone_hash, v.phone_hash), phone_enc = coalesce(t.phone_enc, v.phone_enc),
				phone_masked = coalesce(t.phone_masked, v.phone_masked), active = true, updated_at = now()
			FROM ${UNNEST} WHERE v.volunteer_no = t.volunteer_no`, columns(toUpdate));
		for (const { i } of toUpdate) idOf.set(i, existing.get(i)!.id);
	}
	const records = await loadRecords(uow, [...idOf.values()]);
	for (const { i } of good) outcomes[i] = { ok: true, value: { ...records.get(idOf.get(i)!)!, operation: existing.has(i) ? 'updated' : 'created' } };
	return outcomes;
}

async function resolveOne(uow: UnitOfWork, ref: VolunteerRef, field = 'Volunteer', forUpdate = false): Promise<Row> {
	const { rows } = await sql(uow,
		`SELECT v.id, v.current_load, v.max_tasks, v.active, v.unit_id FROM volunteer v WHERE ${'id' in ref ? 'v.id = ?' : 'v.volunteer_no = ?'}${forUpdate ? ' FOR UPDATE' : ''}`,
		['id' in ref ? ref.id : ref.volunteerNo]);
	if (!rows.length) throw new FieldError(field, `unknown volunteer ${'id' in ref ? ref.id : ref.volunteerNo}${outside(uow)}`);
	return rows[0];
}

/** Resolves many volunteer references in one query; a missing one becomes an error for its item. */
export async function resolveVolunteers(uow: UnitOfWork, refs: VolunteerRef[], field = 'Volunteer'): Promise<Array<{ id: number; active: boolean; unitId: number } | FieldError>> {
	const ids = refs.flatMap((r) => ('id' in r ? [r.id] : []));
	const nos = refs.flatMap((r) => ('volunteerNo' in r ? [r.volunteerNo] : []));
	const { rows } = await sql(uow, `SELECT id, volunteer_no, active, unit_id FROM volunteer WHERE id = ANY(?::bigint[]) OR volunteer_no = ANY(?::text[])`, [ids, nos]);
	const byId = new Map(rows.map((r: Row) => [Number(r.id), r]));
	const byNo = new Map(rows.filter((r: Row) => r.volunteer_no).map((r: Row) => [r.volunteer_no as string, r]));
	return refs.map((ref) => {
		const r = 'id' in ref ? byId.get(ref.id) : byNo.get(ref.volunteerNo);
		return r ? { id: Number(r.id), active: r.active, unitId: Number(r.unit_id) } : new FieldError(field, `unknown volunteer ${'id' in ref ? ref.id : ref.volunteerNo}${outside(uow)}`);
	});
}

export interface VolunteerChanges {
	name?: string;
	kind?: VolunteerKind;
	homeAgency?: string;
	profession?: string;
	skills?: string[];
	availability?: WeeklyWindow[];
	unit?: UnitRef;
	maxTasks?: number;
	/** null clears the phone. */
	phone?: Phone | null;
}

export async function updateVolunteer(uow: UnitOfWork, ref: VolunteerRef, changes: VolunteerChanges): Promise<VolunteerRecord> {
	const row = await resolveOne(uow, ref, 'Volunteer', true);
	const set: string[] = [];
	const args: unknown[] = [];
	const put = (col: string, value: unknown, cast = '') => {
		set.push(`${col} = ?${cast}`);
		args.push(value);
	};
	if (changes.name !== undefined) put('name', changes.name);
	if (changes.kind !== undefined) put('kind', changes.kind);
	if (changes.homeAgency !== undefined) put('home_agency', changes.homeAgency);
	if (changes.profession !== undefined) put('profession', changes.profession);
	if (changes.skills !== undefined) put('skills', changes.skills, '::text[]');
	if (changes.availability !== undefined) put('availability', JSON.stringify(changes.availability), '::jsonb');
	if (changes.maxTasks !== undefined) {
		if (changes.maxTasks < row.current_load) {
			throw new FieldError('Max Tasks', `Max Tasks ${changes.maxTasks} is below the ${row.current_load} tasks volunteer ${row.id} holds now; complete or reassign tasks first`);
		}
		put('max_tasks', changes.maxTasks);
	}
	if (changes.unit) {
		const u = await loadUnit(uow, changes.unit, 'Home Unit');
		if (!u.active) throw new FieldError('Home Unit', `grid unit ${u.code} is deactivated`);
		put('unit_id', u.id);
	}
	if (changes.phone !== undefined) {
		const p = protectPhone(uow.keys, changes.phone);
		put('phone_hash', p.hash);
		put('phone_enc', p.enc);
		put('phone_masked', p.masked);
	}
	if (set.length) {
		const { rows } = await sql(uow, `UPDATE volunteer SET ${set.join(', ')}, updated_at = now() WHERE id = ? RETURNING kind, home_agency, profession`, [...args, row.id]);
		if (rows[0].kind === 'cadre' && !rows[0].home_agency) throw new FieldError('Home Agency', 'a sent-down cadre (下沉干部) needs the home agency they come from');
		if (rows[0].kind === 'professional' && !rows[0].profession) throw new FieldError('Profession', 'a professional volunteer needs their profession');
	}
	return (await loadRecords(uow, [row.id])).get(Number(row.id))!;
}

/** Takes a volunteer out of dispatch; their record, teams and tasks are kept. */
export async function deactivateVolunteer(uow: UnitOfWork, ref: VolunteerRef): Promise<VolunteerRecord> {
	const row = await resolveOne(uow, ref, 'Volunteer', true);
	await sql(uow, `UPDATE volunteer SET active = false, updated_at = now() WHERE id = ? AND active`, [row.id]);
	return (await loadRecords(uow, [row.id])).get(Number(row.id))!;
}

export async function getVolunteers(uow: UnitOfWork, refs: VolunteerRef[], reveal: boolean): Promise<Array<VolunteerRecord | FieldError>> {
	const found = await resolveVolunteers(uow, refs);
	const records = await loadRecords(uow, found.flatMap((f) => (f instanceof FieldError ? [] : [f.id])), reveal);
	return found.map((f) => (f instanceof FieldError ? f : records.get(f.id)!));
}

export interface ListVolunteersInput {
	within?: UnitRef;
	kinds?: VolunteerKind[];
	/** Volunteers having all of these skills. */
	skills?: string[];
	/** true: active only; false: inactive only; undefined: both. */
	active?: boolean;
	/** Only volunteers below their maximum. */
	availableOnly?: boolean;
	limit?: number;
	reveal: boolean;
}

/** Volunteers of a subtree, paged by id. */
export async function listVolunteers(uow: UnitOfWork, input: ListVolunteersInput): Promise<VolunteerRecord[]> {
	const where: string[] = [];
	const args: unknown[] = [];
	if (input.within) {
		const root = await loadUnit(uow, input.within, 'Within Unit');
		const [lo, hi] = subtreeBounds(root.path);
		where.push('u.path >= ? AND u.path < ?');
		args.push(lo, hi);
	}
	if (input.kinds?.length) {
		where.push('v.kind = ANY(?::text[])');
		args.push(input.kinds);
	}
	if (input.skills?.length) {
		where.push('v.skills @> ?::text[]');
		args.push(input.skills);
	}
	if (input.active !== undefined) {
		where.push(input.active ? 'v.active' : 'NOT v.active');
	}
	if (input.availableOnly) where.push('v.current_load < v.max_tasks');
	const out: VolunteerRecord[] = [];
	let after = 0;
	for (;;) {
		const want = input.limit === undefined ? 1000 : Math.min(1000, input.limit - out.length);
		if (want <= 0) break;
		const { rows } = await sql(uow,
			`SELECT ${COLUMNS} FROM ${FROM} WHERE v.id > ? ${where.map((w) => `AND ${w}`).join(' ')} ORDER BY v.id LIMIT ?`,
			[after, ...args, want]);
		out.push(...(await toRecords(uow, rows, input.reveal)));
		if (rows.length < want) break;
		after = Number(rows[rows.length - 1].id);
	}
	return out;
}
