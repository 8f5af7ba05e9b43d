import type { Knex } from 'knex';

/**
 * Personal-data key rotation. The application role may read settings but not write them; these two
 * functions are the only writes it gets: saving the progress of the rotation in progress, and
 * finishing it (the new fingerprint and the sealed lineage of retired hash keys, in one step, only
 * for the rotation recorded). The incident's payload hash is a keyed hash of the report with the
 * reporter's phone: re-keying it must not copy old and new values into the audit log.
 */
export function keyRotation(schema: string, appRole: string): Knex.Migration {
	const s = `"${schema}"`;
	return {
		async up(knex) {
			await knex.raw(`
				CREATE FUNCTION ${s}.key_rotation_save(state jsonb) RETURNS boolean
				LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $f$
				BEGIN
					UPDATE ${s}.settings SET value = state, updated_at = now()
					WHERE key = 'personal_data_key_rotation' AND value->>'from' = state->>'from' AND value->>'to' = state->>'to';
					RETURN FOUND;
				END
				$f$;

				CREATE FUNCTION ${s}.key_rotation_finish(from_fp text, to_fp text, lineage text) RETURNS boolean
				LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $f$
				BEGIN
					DELETE FROM ${s}.settings
					WHERE key = 'personal_data_key_rotation' AND value->>'from' = from_fp AND value->>'to' = to_fp;
					IF NOT FOUND THEN RETURN false; END IF;
					UPDATE ${s}.settings SET value = to_jsonb(to_fp), updated_at = now()
					WHERE key = 'personal_data_key_fingerprint' AND value #>> '{}' = from_fp;
					IF NOT FOUND THEN RAISE EXCEPTION 'the stored key fingerprint is not %', from_fp; END IF;
					INSERT INTO ${s}.settings (key, value) VALUES ('personal_data_key_lineage', to_jsonb(lineage))
					ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now();
					RETURN true;
				END
				$f$;

				REVOKE ALL ON FUNCTION ${s}.key_rotation_save(jsonb), ${s}.key_rotation_finish(text, text, text) FROM PUBLIC;
				GRANT EXECUTE ON FUNCTION ${s}.key_rotation_save(jsonb), ${s}.key_rotation_finish(text, text, text) TO "${appRole}";

				DROP TRIGGER incident_audit_update ON ${s}.incident;
				CREATE TRIGGER incident_audit_update AFTER UPDATE ON ${s}.incident
					REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
					EXECUTE FUNCTION ${s}.audit_changes('id', 'unit_id', '{reporter_phone_hash,reporter_phone_enc,reporter_email_enc,payload_hash}');
			`);
		},
		async down() {
			throw new Error('The key rotation migration cannot be undone; drop the schema instead.');
		},
	};
}
