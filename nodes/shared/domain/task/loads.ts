import { sql } from '../../db/sql';
import { FieldError } from '../../validation/errors';
import type { UnitOfWork } from '../context';

/** A change of one volunteer's load: +1 when a task starts to count against them, −1 when it stops. */
export interface LoadChange {
	volunteerId: number;
	delta: number;
}

/**
 * Applies load changes atomically. Releases come first and never take a load below zero; raises
 * happen in one UPDATE whose WHERE keeps every volunteer within their maximum (the row lock makes
 * the check and the raise one step, whatever runs in parallel). A volunteer who would go past it is
 * an error naming them; the caller's transaction then writes nothing.
 */
export async function applyLoadChanges(uow: UnitOfWork, changes: LoadChange[], field = 'Volunteer'): Promise<void> {
	const net = new Map<number, number>();
	for (const c of changes) net.set(c.volunteerId, (net.get(c.volunteerId) ?? 0) + c.delta);
	const release = [...net].filter(([, d]) => d < 0);
	const raise = [...net].filter(([, d]) => d > 0);
	if (release.length) {
		await sql(uow,
			`UPDATE volunteer v SET current_load = greatest(v.current_load + t.d, 0), updated_at = now()
			FROM unnest(?::bigint[], ?::int[]) AS t(id, d) WHERE v.id = t.id`,
			[release.map(([id]) => id), release.map(([, d]) => d)]);
	}
	if (!raise.length) return;
	// sorted so that two runs raising the same volunteers lock them in the same order
	raise.sort((a, b) => a[0] - b[0]);
	const { rows } = await sql<{ id: number }>(uow,
		`UPDATE volunteer v SET current_load = v.current_load + t.d, last_assigned_at = now(), updated_at = now()
		FROM unnest(?::bigint[], ?::int[]) AS t(id, d)
		WHERE v.id = t.id AND v.current_load + t.d <= v.max_tasks
		RETURNING v.id`,
		[raise.map(([id]) => id), raise.map(([, d]) => d)]);
	if (rows.length === raise.length) return;
	const done = new Set(rows.map((r) => Number(r.id)));
	const full = raise.filter(([id]) => !done.has(id)).map(([id]) => id);
	const { rows: who } = await sql<{ id: number; name: string; max_tasks: number; volunteer_no: string | null }>(uow,
		`SELECT id, name, max_tasks, volunteer_no FROM volunteer WHERE id = ANY(?::bigint[]) ORDER BY id`, [full]);
	const v = who[0];
	if (!v) throw new FieldError(field, `unknown volunteer ${full[0]}`);
	throw new FieldError(field, `volunteer ${v.name} (#${v.id}${v.volunteer_no ? `, ${v.volunteer_no}` : ''}) is at their maximum of ${v.max_tasks} tasks`);
}
