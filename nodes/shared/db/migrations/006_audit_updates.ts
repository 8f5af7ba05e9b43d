import type { Knex } from 'knex';

/**
 * The audit trigger for updates turned each row into JSON once per column (to compare old and new
 * values key by key); it now does so once per row. The rows it writes are the same: for each changed
 * column [old, new], hidden columns and updated_at left out, unchanged rows not logged.
 */
export function auditUpdates(schema: string): Knex.Migration {
	const s = `"${schema}"`;
	return {
		async up(knex) {
			await knex.raw(`
				CREATE OR REPLACE FUNCTION ${s}.audit_changes() RETURNS trigger LANGUAGE plpgsql AS $f$
				DECLARE
					id_col text := TG_ARGV[0];
					unit_col text := TG_ARGV[1];
					hidden text[] := coalesce(TG_ARGV[2], '{}')::text[];
					who jsonb := ${s}.current_actor();
					r text := CASE WHEN TG_OP = 'DELETE' THEN 'o' ELSE 'n' END;
					unit_expr text := CASE WHEN unit_col = '' THEN 'NULL::bigint' ELSE format('%s.%I', r, unit_col) END;
					row_json text := CASE WHEN cardinality(hidden) = 0 THEN format('to_jsonb(%s)', r) ELSE format('(to_jsonb(%s) - $1)', r) END;
					head text := format('INSERT INTO %I.audit_log (action, entity, entity_id, unit_id, actor, details) SELECT %L, %L, %s.%I::text, %s, $2, ',
						TG_TABLE_SCHEMA, lower(TG_OP), TG_TABLE_NAME, r, id_col, unit_expr);
				BEGIN
					IF TG_OP = 'INSERT' THEN
						EXECUTE head || 'NULL::jsonb FROM new_rows n' USING hidden, who;
					ELSIF TG_OP = 'UPDATE' THEN
						-- OFFSET 0 keeps the two JSON values computed once per row, not once per column
						EXECUTE head || format($q$d.changes FROM new_rows n JOIN old_rows o ON o.%I = n.%I
							CROSS JOIN LATERAL (SELECT to_jsonb(o) AS oj, to_jsonb(n) - $1 - 'updated_at' AS nj OFFSET 0) j
							CROSS JOIN LATERAL (
								SELECT jsonb_object_agg(e.key, jsonb_build_array(j.oj -> e.key, e.value)) AS changes
								FROM jsonb_each(j.nj) e
								WHERE e.value IS DISTINCT FROM j.oj -> e.key
							) d
							WHERE d.changes IS NOT NULL$q$, id_col, id_col) USING hidden, who;
					ELSE
						EXECUTE head || row_json || ' FROM old_rows o' USING hidden, who;
					END IF;
					RETURN NULL;
				END
				$f$;
			`);
		},
		async down() {
			throw new Error('The audit update migration cannot be undone; drop the schema instead.');
		},
	};
}
