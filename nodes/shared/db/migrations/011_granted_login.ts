import type { Knex } from 'knex';

/**
 * A login that a DBA has only granted the application role (`GRANT grid_app TO n8n_user`) must be able
 * to open the pool: read which migrations are applied, and on first use record the personal-data key's
 * fingerprint (or the start of a key rotation). The application role may not write settings, so these
 * two first-use records go through a function that can only ever add them, never change them.
 */
export function grantedLogin(schema: string, appRole: string): Knex.Migration {
	const s = `"${schema}"`;
	return {
		async up(knex) {
			await knex.raw(`
				GRANT SELECT ON ${s}.knex_migrations TO "${appRole}";

				CREATE FUNCTION ${s}.settings_first_use(setting text, initial jsonb) RETURNS void
				LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $f$
				BEGIN
					IF setting NOT IN ('personal_data_key_fingerprint', 'personal_data_key_rotation') THEN
						RAISE EXCEPTION 'settings_first_use cannot record %', setting;
					END IF;
					INSERT INTO ${s}.settings (key, value) VALUES (setting, initial) ON CONFLICT (key) DO NOTHING;
				END
				$f$;
				REVOKE ALL ON FUNCTION ${s}.settings_first_use(text, jsonb) FROM PUBLIC;
				GRANT EXECUTE ON FUNCTION ${s}.settings_first_use(text, jsonb) TO "${appRole}";
			`);
		},
		async down() {
			throw new Error('The granted-login migration cannot be undone; drop the schema instead.');
		},
	};
}
