import { sql } from '../../db/sql';
import type { UnitOfWork } from '../context';

/**
 * The `members` CTE every rollup query starts from: each unit of the subtree (bindings: path low,
 * path high; optionally only the units at or above the breakdown level) with the unit its figures count towards at the breakdown level. The ancestor is
 * read off the materialized path ('/1/7/42/': the id at level L is its (L+1)-th '/'-separated part),
 * so no recursive walk is needed; units above the level count towards themselves.
 */
export function breakdownSql(
	level: number,
	narrow: boolean,
	which: 'all' | 'atLevel' | 'aboveLevel' = 'all',
): { members: string; within: (alias: string) => string } {
	if (!Number.isInteger(level) || level < 1 || level > 5) throw new Error(`breakdown level ${level} is not 1–5`);
	const levels = which === 'atLevel' ? ` AND u.level >= ${level}` : which === 'aboveLevel' ? ` AND u.level < ${level}` : '';
	return {
		// A district or street holds most of the table: aggregate it all and let the join drop the rest.
		// A community, or a page of units, is a sliver: fetch its rows through the unit index first.
		within: (alias) => (narrow ? `AND ${alias}.unit_id IN (SELECT unit_id FROM members)` : ''),
		members: `WITH members AS MATERIALIZED (
			SELECT u.id AS unit_id,
				CASE WHEN u.level >= ${level} THEN split_part(u.path, '/', ${level + 1})::bigint ELSE u.id END AS target_id
			FROM grid_unit u WHERE u.path >= ? AND u.path < ?${levels}
		)`,
	};
}

/**
 * Settings for the rest of the transaction that suit a few large aggregations: sorts and hashes of
 * tens of thousands of groups stay in memory. (JIT, which cost the better part of a second per
 * rollup statement on servers built with LLVM, is off in every unit of work.)
 */
export async function forAnalytics(uow: UnitOfWork): Promise<void> {
	await sql(uow, `SELECT set_config('work_mem', '64MB', true)`);
}

/** Runs queries of one transaction one after another: its connection takes one statement at a time. */
export async function inTurn<T extends readonly (() => Promise<unknown>)[]>(steps: T): Promise<{ [K in keyof T]: Awaited<ReturnType<T[K]>> }> {
	const out: unknown[] = [];
	for (const step of steps) out.push(await step());
	return out as { [K in keyof T]: Awaited<ReturnType<T[K]>> };
}
