import { sql } from '../../db/sql';
import { FieldError, batchError } from '../../validation/errors';
import { LEVEL_NAMES, type Level } from '../../validation/gridCode';
import type { Outcome, UnitOfWork } from '../context';
import { RESPONSIBLE_ROLES, ROLE_LABELS, ROLE_LEVELS, type Role, SINGLE_HOLDER_ROLES } from './roles';
import { type StaffRef, resolveStaff, resolveStaffMany } from './staff';
import { loadUnit, loadUnits } from './unitLookup';
import type { UnitRef, UnitRow } from './unitRecord';

export interface NewAssignment {
	staff: StaffRef;
	unit: UnitRef;
	role: Role;
	validFrom?: Date;
	validTo?: Date;
	homeAgency?: string;
}

export interface AssignmentRecord {
	assignmentId: number;
	staffId: number;
	staffName: string;
	unitCode: string;
	unitName: string;
	level: Level;
	role: Role;
	roleLabel: string;
	homeAgency: string | null;
	validFrom: string;
	validTo: string | null;
}

const FOREVER = 'infinity';

function fmt(d: string | null) {
	return d === null || d === 'infinity' ? 'open-ended' : new Date(d).toISOString();
}

/** Posts staff to units. All items are checked (level, periods, overlaps) before any is written. */
export async function assignStaff(uow: UnitOfWork, inputs: NewAssignment[]): Promise<Array<Outcome<AssignmentRecord>>> {
	const errors = new Map<number, FieldError>();
	const fail = (i: number, e: FieldError) => {
		if (!errors.has(i)) errors.set(i, e);
	};
	const units = await loadUnits(uow, inputs.map((a) => a.unit), 'Grid Unit');
	const staff = (await resolveStaffMany(uow, inputs.map((a) => a.staff))).map((s, i) => {
		if (s instanceof FieldError) {
			fail(i, s);
			return undefined;
		}
		return s;
	});
	// Serialize concurrent postings of the same people and units, so two executions cannot both pass the overlap check.
	const lockKeys = [...new Set(inputs.flatMap((_, i) => (staff[i] ? [`staff:${staff[i]!.id}`] : [])).concat(
		units.flatMap((u) => (u instanceof FieldError ? [] : [`unit:${u.id}`])),
	))].sort();
	if (lockKeys.length) {
		await sql(uow, `SELECT pg_advisory_xact_lock(hashtext(k)) FROM unnest(?::text[]) k ORDER BY k`, [lockKeys]);
	}

	const now = new Date();
	const periods = inputs.map((a) => ({ from: a.validFrom ?? now, to: a.validTo }));
	inputs.forEach((a, i) => {
		const u = units[i];
		if (u instanceof FieldError) return fail(i, u);
		const s = staff[i];
		if (!s) return;
		if (!s.active) fail(i, new FieldError('Staff', `staff member ${s.name} (#${s.id}) is inactive`));
		if (!u.active) fail(i, new FieldError('Grid Unit', `grid unit ${u.code} is deactivated`));
		const allowed = ROLE_LEVELS[a.role];
		if (!allowed.includes(u.level as Level)) {
			fail(i, new FieldError('Role', `a ${ROLE_LABELS[a.role]} belongs to a ${allowed.map((l) => `${LEVEL_NAMES[l]} (level ${l})`).join(' or ')}; ${u.code} is a ${LEVEL_NAMES[u.level as Level]} (level ${u.level})`));
		}
		const { from, to } = periods[i];
		if (to && to <= from) fail(i, new FieldError('Valid To', `Valid To ${to.toISOString()} must be after Valid From ${from.toISOString()}`));
		if (a.role === 'sent_down_cadre' && !a.homeAgency && !s.homeAgency) {
			fail(i, new FieldError('Home Agency', 'a sent-down cadre (下沉干部) needs the home agency they come from; set Home Agency here or on the staff member'));
		}
	});

	// Overlaps within the batch.
	for (let i = 0; i < inputs.length; i++) {
		for (let j = 0; j < i; j++) {
			if (errors.has(i) || errors.has(j) || !staff[i] || !staff[j]) continue;
			const ui = units[i] as UnitRow;
			const uj = units[j] as UnitRow;
			if (ui.id !== uj.id || inputs[i].role !== inputs[j].role) continue;
			const sameStaff = staff[i]!.id === staff[j]!.id;
			if (!sameStaff && !SINGLE_HOLDER_ROLES.includes(inputs[i].role)) continue;
			const a = periods[i];
			const b = periods[j];
			if (a.from < (b.to ?? new Date(8.64e15)) && b.from < (a.to ?? new Date(8.64e15))) {
				const role = ROLE_LABELS[inputs[i].role];
				fail(i, batchError('Valid From', [j, i], (other) => (sameStaff
					? `this post overlaps item ${other}: the same staff member as ${role} of ${ui.code} in an overlapping period`
					: `${ui.code} can have only one ${role} at a time, and item ${other} posts another in an overlapping period`)));
			}
		}
	}

	// Overlaps with posts already recorded, in one query.
	const candidates = inputs.map((a, i) => ({ a, i })).filter(({ i }) => !errors.has(i));
	if (candidates.length) {
		const { rows } = await sql(uow,
			`SELECT t.idx, a.id, a.staff_id, s.name AS staff_name, a.valid_from, a.valid_to
			FROM unnest(?::int[], ?::bigint[], ?::bigint[], ?::text[], ?::timestamptz[], ?::timestamptz[], ?::boolean[])
				AS t(idx, staff_id, unit_id, role, valid_from, valid_to, single)
			JOIN grid_assignment a ON a.unit_id = t.unit_id AND a.role = t.role AND (a.staff_id = t.staff_id OR t.single)
			JOIN staff s ON s.id = a.staff_id
			WHERE tstzrange(a.valid_from, coalesce(a.valid_to, '${FOREVER}')) && tstzrange(t.valid_from, coalesce(t.valid_to, '${FOREVER}'))`,
			[
				candidates.map(({ i }) => i),
				candidates.map(({ i }) => staff[i]!.id),
				candidates.map(({ i }) => (units[i] as UnitRow).id),
				candidates.map(({ a }) => a.role),
				candidates.map(({ i }) => periods[i].from.toISOString()),
				candidates.map(({ i }) => periods[i].to?.toISOString() ?? null),
				candidates.map(({ a }) => SINGLE_HOLDER_ROLES.includes(a.role)),
			],
		);
		for (const r of rows as Array<{ idx: number; id: number; staff_id: number; staff_name: string; valid_from: string; valid_to: string | null }>) {
			const a = inputs[r.idx];
			const u = units[r.idx] as UnitRow;
			const same = r.staff_id === staff[r.idx]!.id;
			fail(r.idx, new FieldError('Valid From', same
				? `${staff[r.idx]!.name} already holds ${ROLE_LABELS[a.role]} of ${u.code} from ${fmt(r.valid_from)} to ${fmt(r.valid_to)} (assignment ${r.id}); the new period overlaps it`
				: `${u.code} already has ${ROLE_LABELS[a.role]} ${r.staff_name} from ${fmt(r.valid_from)} to ${fmt(r.valid_to)} (assignment ${r.id}); unassign them first or start after that period`));
		}
	}

	const outcomes: Array<Outcome<AssignmentRecord>> = inputs.map((_, i) =>
		errors.has(i) ? { ok: false, error: errors.get(i)! } : { ok: true, value: [] },
	);
	if (errors.size && !uow.partial) return outcomes;
	const good = inputs.map((a, i) => ({ a, i })).filter(({ i }) => !errors.has(i));
	if (!good.length) return outcomes;
	const { rows } = await sql(uow,
		`INSERT INTO grid_assignment (staff_id, unit_id, role, home_agency, valid_from, valid_to)
		SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::timestamptz[], ?::timestamptz[])
		RETURNING id, valid_from, valid_to`,
		[
			good.map(({ i }) => staff[i]!.id),
			good.map(({ i }) => (units[i] as UnitRow).id),
			good.map(({ a }) => a.role),
			good.map(({ a, i }) => (a.role === 'sent_down_cadre' ? a.homeAgency ?? staff[i]!.homeAgency : a.homeAgency ?? null)),
			good.map(({ i }) => periods[i].from.toISOString()),
			good.map(({ i }) => periods[i].to?.toISOString() ?? null),
		],
	);
	good.forEach(({ a, i }, k) => {
		const u = units[i] as UnitRow;
		outcomes[i] = {
			ok: true,
			value: {
				assignmentId: rows[k].id,
				staffId: staff[i]!.id,
				staffName: staff[i]!.name,
				unitCode: u.code,
				unitName: u.name,
				level: u.level as Level,
				role: a.role,
				roleLabel: ROLE_LABELS[a.role],
				homeAgency: a.role === 'sent_down_cadre' ? a.homeAgency ?? staff[i]!.homeAgency : a.homeAgency ?? null,
				validFrom: rows[k].valid_from,
				validTo: rows[k].valid_to,
			},
		};
	});
	return outcomes;
}

export type UnassignTarget = { assignmentId: number } | { staff: StaffRef; unit: UnitRef; role: Role };

/** Ends current posts (history is kept: the period is closed, not deleted). */
export async function unassign(uow: UnitOfWork, target: UnassignTarget, endAt?: Date): Promise<AssignmentRecord[]> {
	const end = (endAt ?? new Date()).toISOString();
	let where: string;
	let args: unknown[];
	if ('assignmentId' in target) {
		where = 'a.id = ?';
		args = [target.assignmentId];
	} else {
		const s = await resolveStaff(uow, target.staff);
		const u = await loadUnit(uow, target.unit, 'Grid Unit');
		where = 'a.staff_id = ? AND a.unit_id = ? AND a.role = ?';
		args = [s.id, u.id, target.role];
	}
	const { rows } = await sql(uow,
		`UPDATE grid_assignment a SET valid_to = ?::timestamptz, updated_at = now()
		FROM staff s, grid_unit u
		WHERE ${where} AND s.id = a.staff_id AND u.id = a.unit_id
			AND (a.valid_to IS NULL OR a.valid_to > ?::timestamptz) AND a.valid_from < ?::timestamptz
		RETURNING a.id, a.staff_id, s.name AS staff_name, u.code, u.name AS unit_name, u.level, a.role, a.home_agency, a.valid_from, a.valid_to`,
		[end, ...args, end, end],
	);
	if (!rows.length) {
		const what = 'assignmentId' in target ? `assignment ${target.assignmentId}` : `a ${ROLE_LABELS[target.role]} post of that staff member at that unit`;
		throw new FieldError('assignmentId' in target ? 'Assignment ID' : 'Staff', `there is no ${what} that is current at ${end}${uow.scopeCode ? ` inside this credential's scope ${uow.scopeCode}` : ''}`);
	}
	return rows.map((r: Record<string, unknown>) => ({
		assignmentId: r.id as number,
		staffId: r.staff_id as number,
		staffName: r.staff_name as string,
		unitCode: r.code as string,
		unitName: r.unit_name as string,
		level: r.level as Level,
		role: r.role as Role,
		roleLabel: ROLE_LABELS[r.role as Role],
		homeAgency: r.home_agency as string | null,
		validFrom: r.valid_from as string,
		validTo: r.valid_to as string | null,
	}));
}

export interface ResponsibleStaff {
	staffId: number;
	name: string;
	staffNo: string | null;
	phone: string | null;
	role: Role;
	roleLabel: string;
	assignmentId: number;
	since: string;
}

export interface ResponsibleAnswer {
	unitCode: string;
	unitName: string;
	level: Level;
	/** The unit whose post answers: the asked unit, or an ancestor when posts are vacant. */
	answeredByCode: string | null;
	answeredByLevel: Level | null;
	vacant: boolean;
	role: Role | null;
	roleLabel: string | null;
	staff: ResponsibleStaff[];
	/** Units passed on the way up because nobody held a responsible post there. */
	vacancies: Array<{ code: string; name: string; level: Level; lookedFor: string[] }>;
	message: string;
}

/** The answer for one unit, as responsibleMany computes it. */
export interface ResponsibleFound {
	answeredById: number | null;
	answeredByCode: string | null;
	answeredByName: string | null;
	answeredByLevel: Level | null;
	role: Role | null;
	staff: ResponsibleStaff[];
	vacancies: ResponsibleAnswer['vacancies'];
}

/**
 * Who answers for each of many units at a moment, in two queries: the chains of ancestors, and every
 * current post on them. For each unit the nearest unit (itself first) with a responsible post answers.
 */
export async function responsibleMany(uow: UnitOfWork, unitIds: number[], at?: Date): Promise<Map<number, ResponsibleFound>> {
	const when = (at ?? new Date()).toISOString();
	const unique = [...new Set(unitIds)];
	const result = new Map<number, ResponsibleFound>();
	if (!unique.length) return result;
	const { rows: targets } = await sql<{ id: number; path: string }>(uow, `SELECT id, path FROM grid_unit WHERE id = ANY(?::bigint[])`, [unique]);
	const chains = new Map(targets.map((t) => [t.id, t.path.split('/').filter(Boolean).map(Number).reverse()]));
	const allIds = [...new Set([...chains.values()].flat())];
	const { rows: units } = await sql<{ id: number; code: string; name: string; level: Level; active: boolean }>(uow,
		`SELECT id, code, name, level, active FROM grid_unit WHERE id = ANY(?::bigint[])`, [allIds]);
	const unitById = new Map(units.map((u) => [u.id, u]));
	const { rows: posts } = await sql<Record<string, unknown>>(uow,
		`SELECT a.id AS assignment_id, a.unit_id, a.role, a.valid_from, s.id AS staff_id, s.name, s.staff_no, s.phone_masked
		FROM grid_assignment a JOIN staff s ON s.id = a.staff_id
		WHERE a.unit_id = ANY(?::bigint[]) AND s.active
			AND a.valid_from <= ?::timestamptz AND (a.valid_to IS NULL OR a.valid_to > ?::timestamptz)
		ORDER BY a.valid_from, a.id`,
		[allIds, when, when]);
	const postsByUnit = new Map<number, Array<Record<string, unknown>>>();
	for (const p of posts) {
		const list = postsByUnit.get(p.unit_id as number) ?? [];
		list.push(p);
		postsByUnit.set(p.unit_id as number, list);
	}
	for (const [id, chain] of chains) {
		const vacancies: ResponsibleAnswer['vacancies'] = [];
		let found: ResponsibleFound | undefined;
		for (const uid of chain) {
			const u = unitById.get(uid);
			if (!u) break; // above the credential's scope: invisible
			const roles = RESPONSIBLE_ROLES[u.level];
			const here = u.active ? postsByUnit.get(uid) ?? [] : [];
			const role = roles.find((r) => here.some((p) => p.role === r));
			if (!role) {
				vacancies.push({ code: u.code, name: u.name, level: u.level, lookedFor: roles.map((r) => ROLE_LABELS[r]) });
				continue;
			}
			found = {
				answeredById: u.id,
				answeredByCode: u.code,
				answeredByName: u.name,
				answeredByLevel: u.level,
				role,
				staff: here.filter((p) => p.role === role).map((p) => ({
					staffId: p.staff_id as number,
					name: p.name as string,
					staffNo: p.staff_no as string | null,
					phone: p.phone_masked as string | null,
					role,
					roleLabel: ROLE_LABELS[role],
					assignmentId: p.assignment_id as number,
					since: p.valid_from as string,
				})),
				vacancies,
			};
			break;
		}
		result.set(id, found ?? { answeredById: null, answeredByCode: null, answeredByName: null, answeredByLevel: null, role: null, staff: [], vacancies });
	}
	return result;
}

/**
 * Who answers for a unit (or its ancestor at the given level) at a moment: the holders of the
 * most responsible role posted there. Vacant posts walk up the tree, and the answer says so.
 */
export async function responsible(uow: UnitOfWork, ref: UnitRef, level?: Level, at?: Date): Promise<ResponsibleAnswer> {
	const unit = await loadUnit(uow, ref, 'Grid Unit');
	if (level !== undefined && level > unit.level) {
		throw new FieldError('Level', `${unit.code} is a ${LEVEL_NAMES[unit.level as Level]} (level ${unit.level}); it has no ancestor at level ${level}`);
	}
	const ids = unit.path.split('/').filter(Boolean).map(Number);
	const startId = ids[(level ?? unit.level) - 1];
	const start = startId === unit.id ? unit : (await loadUnit(uow, { id: startId }, 'Grid Unit'));
	const found = (await responsibleMany(uow, [startId], at)).get(startId)!;
	const vacant = found.vacancies.length > 0;
	const base = {
		unitCode: start.code,
		unitName: start.name,
		level: start.level as Level,
		answeredByCode: found.answeredByCode,
		answeredByLevel: found.answeredByLevel,
		vacant,
		role: found.role,
		roleLabel: found.role ? ROLE_LABELS[found.role] : null,
		staff: found.staff,
		vacancies: found.vacancies,
	};
	if (!found.role) {
		return { ...base, vacant: true, message: `No one holds a responsible post at ${start.code} or any unit above it${uow.scopeCode ? ` within this credential's scope ${uow.scopeCode}` : ''}` };
	}
	const who = `${ROLE_LABELS[found.role]} of ${found.answeredByCode} (${found.answeredByName}) answers`;
	return { ...base, message: vacant ? `No one holds a responsible post at ${found.vacancies.map((v) => v.code).join(', ')}; ${who}` : who };
}
