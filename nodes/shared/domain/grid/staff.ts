import { sql } from '../../db/sql';
import { FieldError, batchError } from '../../validation/errors';
import type { Phone } from '../../validation/phone';
import { writeAudit } from '../audit';
import type { Outcome, UnitOfWork } from '../context';
import { decrypt } from '../personalData';
import { protectPhone } from '../protect';
import { ROLE_LABELS, type Role } from './roles';
import { loadUnit, loadUnits } from './unitLookup';
import { type UnitRef, subtreeBounds } from './unitRecord';

export type StaffRef = { id: number } | { staffNo: string };

export interface NewStaff {
	name: string;
	unit: UnitRef;
	phone?: Phone;
	staffNo?: string;
	homeAgency?: string;
}

export interface StaffPost {
	assignmentId: number;
	unitCode: string;
	unitName: string;
	level: number;
	role: Role;
	roleLabel: string;
	validFrom: string;
	validTo: string | null;
}

export interface StaffRecord {
	id: number;
	staffNo: string | null;
	name: string;
	unitCode: string;
	/** Masked unless personal data was revealed. */
	phone: string | null;
	phoneRevealed: boolean;
	homeAgency: string | null;
	active: boolean;
	createdAt: string;
	updatedAt: string;
	posts?: StaffPost[];
}

interface StaffRow {
	id: number;
	staff_no: string | null;
	name: string;
	unit_id: number;
	unit_code: string;
	phone_masked: string | null;
	phone_enc: string | null;
	home_agency: string | null;
	active: boolean;
	created_at: string;
	updated_at: string;
	posts?: Array<Record<string, unknown>> | null;
}

const STAFF_COLUMNS = `s.id, s.staff_no, s.name, s.unit_id, su.code AS unit_code, s.phone_masked, s.phone_enc,
	s.home_agency, s.active, s.created_at, s.updated_at`;

function describeStaff(ref: StaffRef) {
	return 'id' in ref ? `#${ref.id}` : `number ${ref.staffNo}`;
}

async function toRecords(uow: UnitOfWork, rows: StaffRow[], reveal: boolean): Promise<StaffRecord[]> {
	if (reveal) {
		await writeAudit(
			uow,
			rows.filter((r) => r.phone_enc).map((r) => ({
				action: 'reveal', entity: 'staff', entityId: String(r.id), unitId: r.unit_id, details: { fields: ['phone'] },
			})),
		);
	}
	return rows.map((r) => ({
		id: r.id,
		staffNo: r.staff_no,
		name: r.name,
		unitCode: r.unit_code,
		phone: reveal && r.phone_enc ? decrypt(uow.keys, r.phone_enc) : r.phone_masked,
		phoneRevealed: reveal && !!r.phone_enc,
		homeAgency: r.home_agency,
		active: r.active,
		createdAt: r.created_at,
		updatedAt: r.updated_at,
		...(r.posts !== undefined
			? {
					posts: (r.posts ?? []).map((p) => ({
						assignmentId: p.assignment_id as number,
						unitCode: p.unit_code as string,
						unitName: p.unit_name as string,
						level: p.level as number,
						role: p.role as Role,
						roleLabel: ROLE_LABELS[p.role as Role],
						validFrom: new Date(p.valid_from as string).toISOString(),
						validTo: p.valid_to ? new Date(p.valid_to as string).toISOString() : null,
					})),
				}
			: {}),
	}));
}

export async function createStaff(uow: UnitOfWork, inputs: NewStaff[]): Promise<Array<Outcome<StaffRecord>>> {
	const errors = new Map<number, FieldError>();
	const units = await loadUnits(uow, inputs.map((s) => s.unit), 'Grid Unit');
	units.forEach((u, i) => {
		if (u instanceof FieldError) errors.set(i, u);
	});
	const seenNo = new Map<string, number>();
	inputs.forEach((s, i) => {
		if (!s.staffNo) return;
		const first = seenNo.get(s.staffNo);
		if (first !== undefined && !errors.has(i)) {
			errors.set(i, batchError('Staff Number', [first, i], (a, b) => `Staff Number ${s.staffNo} appears twice in this batch: items ${a} and ${b}`));
		} else seenNo.set(s.staffNo, i);
	});
	if (seenNo.size) {
		const { rows } = await sql(uow, `SELECT staff_no FROM staff WHERE staff_no = ANY(?::text[])`, [[...seenNo.keys()]]);
		for (const r of rows as Array<{ staff_no: string }>) {
			const i = seenNo.get(r.staff_no)!;
			if (!errors.has(i)) errors.set(i, new FieldError('Staff Number', `Staff Number ${r.staff_no} already exists`));
		}
	}
	const outcomes: Array<Outcome<StaffRecord>> = inputs.map((_, i) =>
		errors.has(i) ? { ok: false, error: errors.get(i)! } : { ok: true, value: [] },
	);
	if (errors.size && !uow.partial) return outcomes;

	const good = inputs.map((s, i) => ({ s, i })).filter(({ i }) => !errors.has(i));
	if (!good.length) return outcomes;
	const phones = good.map(({ s }) => protectPhone(uow.keys, s.phone));
	const { rows } = await sql(uow,
		`WITH ins AS (
			INSERT INTO staff (staff_no, name, unit_id, phone_hash, phone_enc, phone_masked, home_agency)
			SELECT * FROM unnest(?::text[], ?::text[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[])
			RETURNING *
		)
		SELECT ${STAFF_COLUMNS} FROM ins s JOIN grid_unit su ON su.id = s.unit_id ORDER BY s.id`,
		[
			good.map(({ s }) => s.staffNo ?? null),
			good.map(({ s }) => s.name),
			good.map(({ i }) => (units[i] as { id: number }).id),
			phones.map((p) => p.hash),
			phones.map((p) => p.enc),
			phones.map((p) => p.masked),
			good.map(({ s }) => s.homeAgency ?? null),
		],
	);
	// ids come from one sequence in insertion order, so sorted rows line up with the inputs
	const records = await toRecords(uow, rows, false);
	good.forEach(({ i }, k) => {
		outcomes[i] = { ok: true, value: records[k] };
	});
	return outcomes;
}

async function loadStaffRow(uow: UnitOfWork, ref: StaffRef, field: string, forUpdate = false): Promise<StaffRow> {
	const { rows } = await sql(uow,
		`SELECT ${STAFF_COLUMNS} FROM staff s JOIN grid_unit su ON su.id = s.unit_id
		WHERE ${'id' in ref ? 's.id = ?' : 's.staff_no = ?'}${forUpdate ? ' FOR UPDATE OF s' : ''}`,
		['id' in ref ? ref.id : ref.staffNo],
	);
	if (!rows.length) {
		throw new FieldError(field, `unknown staff member ${describeStaff(ref)}${uow.scopeCode ? ` (or outside this credential's scope ${uow.scopeCode})` : ''}`);
	}
	return rows[0];
}

export async function resolveStaff(uow: UnitOfWork, ref: StaffRef, field = 'Staff'): Promise<StaffBrief> {
	const [found] = await resolveStaffMany(uow, [ref], field);
	if (found instanceof FieldError) throw found;
	return found;
}

export interface StaffChanges {
	name?: string;
	phone?: Phone | null;
	homeAgency?: string | null;
	unit?: UnitRef;
	active?: boolean;
	staffNo?: string;
}

export async function updateStaff(uow: UnitOfWork, ref: StaffRef, changes: StaffChanges): Promise<StaffRecord> {
	const current = await loadStaffRow(uow, ref, 'Staff', true);
	const set: Record<string, unknown> = {};
	if (changes.name !== undefined) set.name = changes.name;
	if (changes.homeAgency !== undefined) set.home_agency = changes.homeAgency;
	if (changes.active !== undefined) set.active = changes.active;
	if (changes.staffNo !== undefined) set.staff_no = changes.staffNo;
	if (changes.unit !== undefined) set.unit_id = (await loadUnit(uow, changes.unit, 'Grid Unit')).id;
	if (changes.phone !== undefined) {
		const p = protectPhone(uow.keys, changes.phone ?? undefined);
		Object.assign(set, { phone_hash: p.hash, phone_enc: p.enc, phone_masked: p.masked });
	}
	if (Object.keys(set).length) {
		const cols = Object.keys(set);
		await sql(uow,
			`UPDATE staff SET ${cols.map((c) => `${c} = ?`).join(', ')}, updated_at = now() WHERE id = ?`,
			[...cols.map((c) => set[c] as never), current.id],
		);
	}
	return (await getStaff(uow, [{ id: current.id }], false))[0] as StaffRecord;
}

export async function getStaff(uow: UnitOfWork, refs: StaffRef[], reveal: boolean): Promise<Array<StaffRecord | FieldError>> {
	const ids = refs.filter((r): r is { id: number } => 'id' in r).map((r) => r.id);
	const nos = refs.filter((r): r is { staffNo: string } => 'staffNo' in r).map((r) => r.staffNo);
	const { rows } = await sql(uow,
		`SELECT ${STAFF_COLUMNS}, ${POSTS_SUBQUERY} AS posts
		FROM staff s JOIN grid_unit su ON su.id = s.unit_id
		WHERE s.id = ANY(?::bigint[]) OR s.staff_no = ANY(?::text[])`,
		[ids, nos],
	);
	const found = (rows as StaffRow[]).filter((r) => refs.some((ref) => ('id' in ref ? ref.id === r.id : ref.staffNo === r.staff_no)));
	const records = await toRecords(uow, found, reveal);
	return refs.map((ref) => {
		const rec = records.find((r) => ('id' in ref ? r.id === ref.id : r.staffNo === ref.staffNo));
		return rec ?? new FieldError('Staff', `unknown staff member ${describeStaff(ref)}${uow.scopeCode ? ` (or outside this credential's scope ${uow.scopeCode})` : ''}`);
	});
}

const POSTS_SUBQUERY = `(SELECT coalesce(jsonb_agg(jsonb_build_object(
		'assignment_id', a.id, 'unit_code', u.code, 'unit_name', u.name, 'level', u.level, 'role', a.role,
		'valid_from', a.valid_from, 'valid_to', a.valid_to) ORDER BY a.valid_from), '[]'::jsonb)
	FROM grid_assignment a JOIN grid_unit u ON u.id = a.unit_id
	WHERE a.staff_id = s.id AND (a.valid_to IS NULL OR a.valid_to > now()))`;

export interface ListStaffInput {
	/** Staff whose home unit lies in this subtree, or who hold a post in it. */
	within?: UnitRef;
	role?: Role;
	/** Only staff holding a current post. */
	postedOnly: boolean;
	activeOnly: boolean;
	limit?: number;
	reveal: boolean;
}

export async function listStaff(uow: UnitOfWork, input: ListStaffInput): Promise<StaffRecord[]> {
	const where: string[] = [];
	const args: unknown[] = [];
	if (input.within) {
		const root = await loadUnit(uow, input.within, 'Grid Unit');
		const [lo, hi] = subtreeBounds(root.path);
		where.push(`(su.path >= ? AND su.path < ? OR EXISTS (
			SELECT 1 FROM grid_assignment a JOIN grid_unit u ON u.id = a.unit_id
			WHERE a.staff_id = s.id AND u.path >= ? AND u.path < ? AND (a.valid_to IS NULL OR a.valid_to > now())))`);
		args.push(lo, hi, lo, hi);
	}
	if (input.activeOnly) where.push('s.active');
	if (input.role || input.postedOnly) {
		where.push(`EXISTS (SELECT 1 FROM grid_assignment a WHERE a.staff_id = s.id
			AND a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now())${input.role ? ' AND a.role = ?' : ''})`);
		if (input.role) args.push(input.role);
	}
	const out: StaffRecord[] = [];
	let after = 0;
	for (;;) {
		const want = input.limit === undefined ? 1000 : Math.min(1000, input.limit - out.length);
		if (want <= 0) break;
		const { rows } = await sql(uow,
			`SELECT ${STAFF_COLUMNS}, ${POSTS_SUBQUERY} AS posts
			FROM staff s JOIN grid_unit su ON su.id = s.unit_id
			WHERE s.id > ? ${where.map((w) => `AND ${w}`).join(' ')}
			ORDER BY s.id LIMIT ?`,
			[after, ...args, want],
		);
		out.push(...(await toRecords(uow, rows, input.reveal)));
		if (rows.length < want) break;
		after = rows[rows.length - 1].id;
	}
	return out;
}

export interface StaffBrief {
	id: number;
	name: string;
	homeAgency: string | null;
	active: boolean;
}

/** Resolves many staff references in one query; a missing one becomes an error for its item. */
export async function resolveStaffMany(uow: UnitOfWork, refs: StaffRef[], field = 'Staff'): Promise<Array<StaffBrief | FieldError>> {
	const ids = refs.filter((r): r is { id: number } => 'id' in r).map((r) => r.id);
	const nos = refs.filter((r): r is { staffNo: string } => 'staffNo' in r).map((r) => r.staffNo);
	const { rows } = await sql(uow,
		`SELECT id, staff_no, name, home_agency, active FROM staff WHERE id = ANY(?::bigint[]) OR staff_no = ANY(?::text[])`,
		[ids, nos],
	);
	const byId = new Map<number, Record<string, unknown>>();
	const byNo = new Map<string, Record<string, unknown>>();
	for (const r of rows as Array<Record<string, unknown>>) {
		byId.set(r.id as number, r);
		if (r.staff_no) byNo.set(r.staff_no as string, r);
	}
	return refs.map((ref) => {
		const r = 'id' in ref ? byId.get(ref.id) : byNo.get(ref.staffNo);
		if (!r) return new FieldError(field, `unknown staff member ${describeStaff(ref)}${uow.scopeCode ? ` (or outside this credential's scope ${uow.scopeCode})` : ''}`);
		return { id: r.id as number, name: r.name as string, homeAgency: r.home_agency as string | null, active: r.active as boolean };
	});
}

/** For the staff picker in the editor: by name fragment or staff number prefix. */
export async function searchStaffChoices(uow: UnitOfWork, filter: string | undefined, offset: number, limit = 50) {
	const f = (filter ?? '').trim().replace(/[\\%_]/g, '\\$&');
	const { rows } = await sql(uow,
		`SELECT s.id, s.staff_no, s.name, u.code AS unit_code FROM staff s JOIN grid_unit u ON u.id = s.unit_id
		WHERE s.active AND (? = '' OR s.name ILIKE ? OR s.staff_no LIKE ?)
		ORDER BY s.name, s.id LIMIT ? OFFSET ?`,
		[f, `%${f}%`, `${f}%`, limit + 1, offset],
	);
	return {
		choices: (rows as Array<{ id: number; staff_no: string | null; name: string; unit_code: string }>).slice(0, limit),
		more: rows.length > limit,
	};
}
