import type { Knex } from 'knex';

/**
 * The grid, staff and their posts, settings, and the append-only audit log with the
 * statement-level triggers that audit every change set-based.
 */
export function foundation(schema: string, appRole: string): Knex.Migration {
	const s = `"${schema}"`;
	return {
		async up(knex) {
			await knex.raw(`
				CREATE TABLE ${s}.settings (
					key text PRIMARY KEY,
					value jsonb NOT NULL,
					updated_at timestamptz NOT NULL DEFAULT now()
				);

				CREATE TABLE ${s}.grid_unit (
					id bigserial PRIMARY KEY,
					code text NOT NULL CONSTRAINT grid_unit_code_unique UNIQUE,
					name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
					level smallint NOT NULL CHECK (level BETWEEN 1 AND 5),
					parent_id bigint CONSTRAINT grid_unit_parent_fk REFERENCES ${s}.grid_unit(id),
					-- '/1/7/42/': ids from the root down; subtree = range scan on a C-collated btree
					path text COLLATE "C" NOT NULL,
					planned_households integer CHECK (planned_households >= 0),
					geojson jsonb,
					active boolean NOT NULL DEFAULT true,
					created_at timestamptz NOT NULL DEFAULT now(),
					updated_at timestamptz NOT NULL DEFAULT now(),
					deactivated_at timestamptz,
					CHECK ((level = 1) = (parent_id IS NULL))
				);
				CREATE UNIQUE INDEX grid_unit_path_idx ON ${s}.grid_unit (path);
				CREATE INDEX grid_unit_level_path_idx ON ${s}.grid_unit (level, path);

				CREATE TABLE ${s}.staff (
					id bigserial PRIMARY KEY,
					staff_no text CONSTRAINT staff_staff_no_unique UNIQUE,
					name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
					unit_id bigint NOT NULL CONSTRAINT staff_unit_fk REFERENCES ${s}.grid_unit(id),
					phone_hash text,
					phone_enc text,
					phone_masked text,
					home_agency text,
					active boolean NOT NULL DEFAULT true,
					created_at timestamptz NOT NULL DEFAULT now(),
					updated_at timestamptz NOT NULL DEFAULT now()
				);
				CREATE INDEX staff_unit_idx ON ${s}.staff (unit_id);
				CREATE INDEX staff_phone_hash_idx ON ${s}.staff (phone_hash);

				CREATE TABLE ${s}.grid_assignment (
					id bigserial PRIMARY KEY,
					staff_id bigint NOT NULL CONSTRAINT grid_assignment_staff_fk REFERENCES ${s}.staff(id),
					unit_id bigint NOT NULL CONSTRAINT grid_assignment_unit_fk REFERENCES ${s}.grid_unit(id),
					role text NOT NULL,
					home_agency text,
					valid_from timestamptz NOT NULL DEFAULT now(),
					valid_to timestamptz,
					created_at timestamptz NOT NULL DEFAULT now(),
					updated_at timestamptz NOT NULL DEFAULT now(),
					CHECK (valid_to IS NULL OR valid_to > valid_from)
				);
				CREATE INDEX grid_assignment_unit_idx ON ${s}.grid_assignment (unit_id, role, valid_from);
				CREATE INDEX grid_assignment_staff_idx ON ${s}.grid_assignment (staff_id, unit_id, role);

				CREATE TABLE ${s}.audit_log (
					id bigserial PRIMARY KEY,
					at timestamptz NOT NULL DEFAULT clock_timestamp(),
					tx bigint NOT NULL DEFAULT txid_current(),
					action text NOT NULL,
					entity text NOT NULL,
					entity_id text,
					unit_id bigint,
					actor jsonb NOT NULL,
					details jsonb
				);
				CREATE INDEX audit_log_entity_idx ON ${s}.audit_log (entity, entity_id);

				-- Who is acting: set per transaction by the nodes; falls back to the database login.
				CREATE FUNCTION ${s}.current_actor() RETURNS jsonb LANGUAGE sql STABLE AS $f$
					SELECT coalesce(nullif(current_setting('grid.actor', true), '')::jsonb, '{}'::jsonb)
						|| jsonb_build_object('dbUser', session_user)
				$f$;

				-- Subtree test against the scope path set per transaction; unset means no access.
				CREATE FUNCTION ${s}.in_scope(p text) RETURNS boolean LANGUAGE sql STABLE AS $f$
					SELECT p >= nullif(current_setting('grid.scope_path', true), '') COLLATE "C"
						AND p < (nullif(current_setting('grid.scope_path', true), '') || '~') COLLATE "C"
				$f$;

				CREATE FUNCTION ${s}.audit_log_immutable() RETURNS trigger LANGUAGE plpgsql AS $f$
				BEGIN
					RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
						USING ERRCODE = 'insufficient_privilege';
				END
				$f$;
				CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON ${s}.audit_log
					FOR EACH ROW EXECUTE FUNCTION ${s}.audit_log_immutable();
				CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON ${s}.audit_log
					FOR EACH STATEMENT EXECUTE FUNCTION ${s}.audit_log_immutable();

				-- One INSERT per statement from the transition table: audit stays set-based.
				-- An insert is logged as who created which row when; its values are the row itself, and every
				-- later update logs [old, new] for each changed column and a delete logs the whole old row, so
				-- any past state can be rebuilt without copying every new row into the log.
				-- TG_ARGV: [0] key column, [1] column holding the grid unit id ('' for none),
				-- [2] columns never copied into the log (encrypted and hashed personal data).
				CREATE FUNCTION ${s}.audit_changes() RETURNS trigger LANGUAGE plpgsql AS $f$
				DECLARE
					id_col text := TG_ARGV[0];
					unit_col text := TG_ARGV[1];
					hidden text[] := coalesce(TG_ARGV[2], '{}')::text[];
					-- evaluated once per statement, not once per row
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
						EXECUTE head || format($q$d.changes FROM new_rows n JOIN old_rows o ON o.%I = n.%I
							CROSS JOIN LATERAL (
								SELECT jsonb_object_agg(e.key, jsonb_build_array(to_jsonb(o) -> e.key, e.value)) AS changes
								FROM jsonb_each(to_jsonb(n) - $1 - 'updated_at') e
								WHERE e.value IS DISTINCT FROM to_jsonb(o) -> e.key
							) d
							WHERE d.changes IS NOT NULL$q$, id_col, id_col) USING hidden, who;
					ELSE
						EXECUTE head || row_json || ' FROM old_rows o' USING hidden, who;
					END IF;
					RETURN NULL;
				END
				$f$;
			`);

			await auditTable(knex, schema, 'grid_unit', 'id', 'id');
			await auditTable(knex, schema, 'staff', 'id', 'unit_id', ['phone_enc', 'phone_hash']);
			await auditTable(knex, schema, 'grid_assignment', 'id', 'unit_id');
			await auditTable(knex, schema, 'settings', 'key', '');

			await knex.raw(`
				-- The role may have been created by a DBA already; only create it when missing.
				DO $do$
				BEGIN
					IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${appRole}') THEN
						CREATE ROLE "${appRole}" NOLOGIN;
					END IF;
				EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; -- created concurrently
				END
				$do$;
				DO $do$
				BEGIN
					EXECUTE format('GRANT %I TO %I', '${appRole}', current_user);
				EXCEPTION WHEN others THEN NULL; -- a superuser needs no membership
				END
				$do$;

				GRANT USAGE ON SCHEMA ${s} TO "${appRole}";
				GRANT SELECT, INSERT, UPDATE, DELETE ON ${s}.grid_unit, ${s}.staff, ${s}.grid_assignment TO "${appRole}";
				GRANT SELECT ON ${s}.settings TO "${appRole}";
				GRANT SELECT, INSERT ON ${s}.audit_log TO "${appRole}";
				GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO "${appRole}";
				GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${s} TO "${appRole}";

				ALTER TABLE ${s}.grid_unit ENABLE ROW LEVEL SECURITY;
				CREATE POLICY grid_unit_scope ON ${s}.grid_unit TO "${appRole}"
					USING (${s}.in_scope(path)) WITH CHECK (${s}.in_scope(path));

				ALTER TABLE ${s}.staff ENABLE ROW LEVEL SECURITY;
				CREATE POLICY staff_scope ON ${s}.staff TO "${appRole}"
					USING (EXISTS (SELECT 1 FROM ${s}.grid_unit u WHERE u.id = unit_id))
					WITH CHECK (EXISTS (SELECT 1 FROM ${s}.grid_unit u WHERE u.id = unit_id));

				ALTER TABLE ${s}.grid_assignment ENABLE ROW LEVEL SECURITY;
				CREATE POLICY grid_assignment_scope ON ${s}.grid_assignment TO "${appRole}"
					USING (EXISTS (SELECT 1 FROM ${s}.grid_unit u WHERE u.id = unit_id))
					WITH CHECK (EXISTS (SELECT 1 FROM ${s}.grid_unit u WHERE u.id = unit_id));

				ALTER TABLE ${s}.audit_log ENABLE ROW LEVEL SECURITY;
				CREATE POLICY audit_log_read ON ${s}.audit_log FOR SELECT TO "${appRole}"
					USING (nullif(current_setting('grid.scope_path', true), '') = '/'
						OR EXISTS (SELECT 1 FROM ${s}.grid_unit u WHERE u.id = unit_id));
				CREATE POLICY audit_log_append ON ${s}.audit_log FOR INSERT TO "${appRole}" WITH CHECK (true);
			`);
		},
		async down() {
			throw new Error('The foundation migration cannot be undone; drop the schema instead.');
		},
	};
}

/** Attaches the statement-level audit triggers to a table; later migrations use it for their tables. */
export async function auditTable(
	knex: Knex,
	schema: string,
	table: string,
	idColumn: string,
	unitColumn: string,
	hiddenColumns: string[] = [],
): Promise<void> {
	const hidden = `{${hiddenColumns.join(',')}}`;
	for (const op of ['INSERT', 'UPDATE', 'DELETE']) {
		const ref =
			op === 'INSERT' ? 'NEW TABLE AS new_rows'
				: op === 'DELETE' ? 'OLD TABLE AS old_rows'
					: 'OLD TABLE AS old_rows NEW TABLE AS new_rows';
		await knex.raw(
			`CREATE TRIGGER ${table}_audit_${op.toLowerCase()} AFTER ${op} ON "${schema}".${table}
			REFERENCING ${ref} FOR EACH STATEMENT
			EXECUTE FUNCTION "${schema}".audit_changes('${idColumn}', '${unitColumn}', '${hidden}')`,
		);
	}
}

/**
 * The row-level security test of the tables that hang off a grid unit: every row when the session is
 * unscoped, else rows whose unit the scoped grid_unit policy lets the session see.
 */
export function unitVisibleIn(s: string): (col: string) => string {
	return (col) => `(current_setting('grid.scope_path', true) = '/' OR EXISTS (SELECT 1 FROM ${s}.grid_unit u WHERE u.id = ${col}))`;
}
