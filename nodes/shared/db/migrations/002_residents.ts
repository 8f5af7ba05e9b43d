import type { Knex } from 'knex';
import { auditTable, unitVisibleIn } from './001_foundation';

/**
 * Households, the resident registry with protected identity documents and phones, health status
 * with history, observations, moves, and exposures for contact tracing.
 */
export function residents(schema: string, appRole: string): Knex.Migration {
	const s = `"${schema}"`;
	// Rows are visible when their unit is: unscoped credentials skip the lookup entirely.
	const unitVisible = unitVisibleIn(s);
	return {
		async up(knex) {
			await knex.raw(`
				ALTER TABLE ${s}.grid_unit ADD COLUMN address text;
				CREATE INDEX grid_unit_address_idx ON ${s}.grid_unit (address text_pattern_ops) WHERE address IS NOT NULL;

				CREATE TABLE ${s}.household (
					id bigserial PRIMARY KEY,
					unit_id bigint NOT NULL CONSTRAINT household_unit_fk REFERENCES ${s}.grid_unit(id),
					unit_no text,
					room_no text NOT NULL CHECK (char_length(room_no) BETWEEN 1 AND 50),
					facts jsonb NOT NULL DEFAULT '{}'::jsonb,
					active boolean NOT NULL DEFAULT true,
					created_at timestamptz NOT NULL DEFAULT now(),
					updated_at timestamptz NOT NULL DEFAULT now()
				);
				CREATE UNIQUE INDEX household_address_unique ON ${s}.household (unit_id, coalesce(unit_no, ''), room_no);

				CREATE TABLE ${s}.resident (
					id bigserial PRIMARY KEY,
					household_id bigint CONSTRAINT resident_household_fk REFERENCES ${s}.household(id),
					-- the building lived in; for an unregistered person, the unit where they were met
					unit_id bigint NOT NULL CONSTRAINT resident_unit_fk REFERENCES ${s}.grid_unit(id),
					registered boolean NOT NULL DEFAULT true,
					name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
					doc_type text,
					doc_hash text,
					doc_masked text,
					doc_last4 text,
					doc_enc text,
					phone_hash text,
					phone_enc text,
					phone_masked text,
					birth_year smallint,
					sex char(1) CHECK (sex IN ('M', 'F')),
					relation text,
					tags text[] NOT NULL DEFAULT '{}',
					health_status text NOT NULL DEFAULT 'normal',
					health_since timestamptz NOT NULL DEFAULT now(),
					quarantine_ends_at timestamptz,
					active boolean NOT NULL DEFAULT true,
					inactive_reason text,
					created_at timestamptz NOT NULL DEFAULT now(),
					updated_at timestamptz NOT NULL DEFAULT now()
				);
				CREATE UNIQUE INDEX resident_doc_unique ON ${s}.resident (doc_hash) WHERE doc_hash IS NOT NULL;
				CREATE INDEX resident_phone_idx ON ${s}.resident (phone_hash) WHERE phone_hash IS NOT NULL;
				CREATE INDEX resident_unit_idx ON ${s}.resident (unit_id);
				CREATE INDEX resident_household_idx ON ${s}.resident (household_id);
				-- most residents are normal, and "normal" is no filter worth an index: keep the rest small
				CREATE INDEX resident_status_idx ON ${s}.resident (health_status, unit_id) WHERE health_status <> 'normal';
				CREATE INDEX resident_quarantine_idx ON ${s}.resident (quarantine_ends_at) WHERE quarantine_ends_at IS NOT NULL;
				CREATE INDEX resident_birth_idx ON ${s}.resident (birth_year);
				-- serves name prefixes and exact names (verification lists match last 4 digits + name through it)
				CREATE INDEX resident_name_idx ON ${s}.resident (name text_pattern_ops);

				-- One row per tag: text equality is leakproof, so this index serves tag filters even
				-- under row-level security (the array operators on resident.tags are not, and cannot).
				CREATE TABLE ${s}.resident_tag (
					tag text NOT NULL,
					resident_id bigint NOT NULL REFERENCES ${s}.resident(id),
					unit_id bigint NOT NULL,
					PRIMARY KEY (tag, resident_id)
				);
				CREATE INDEX resident_tag_resident_idx ON ${s}.resident_tag (resident_id);
				CREATE FUNCTION ${s}.sync_resident_tags() RETURNS trigger LANGUAGE plpgsql AS $f$
				BEGIN
					IF TG_OP = 'UPDATE' THEN
						DELETE FROM ${s}.resident_tag t USING new_rows n, old_rows o
						WHERE o.id = n.id AND t.resident_id = n.id AND (n.tags IS DISTINCT FROM o.tags OR n.unit_id <> o.unit_id);
						INSERT INTO ${s}.resident_tag (tag, resident_id, unit_id)
						SELECT DISTINCT x.tag, n.id, n.unit_id FROM new_rows n JOIN old_rows o ON o.id = n.id CROSS JOIN unnest(n.tags) AS x(tag)
						WHERE n.tags IS DISTINCT FROM o.tags OR n.unit_id <> o.unit_id;
					ELSE
						INSERT INTO ${s}.resident_tag (tag, resident_id, unit_id)
						SELECT DISTINCT x.tag, n.id, n.unit_id FROM new_rows n CROSS JOIN unnest(n.tags) AS x(tag);
					END IF;
					RETURN NULL;
				END
				$f$;
				CREATE TRIGGER resident_tags_insert AFTER INSERT ON ${s}.resident REFERENCING NEW TABLE AS new_rows
					FOR EACH STATEMENT EXECUTE FUNCTION ${s}.sync_resident_tags();
				CREATE TRIGGER resident_tags_update AFTER UPDATE ON ${s}.resident REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
					FOR EACH STATEMENT EXECUTE FUNCTION ${s}.sync_resident_tags();

				CREATE TABLE ${s}.health_status_history (
					id bigserial PRIMARY KEY,
					resident_id bigint NOT NULL REFERENCES ${s}.resident(id),
					unit_id bigint NOT NULL REFERENCES ${s}.grid_unit(id),
					status text NOT NULL,
					previous_status text,
					reason text,
					started_at timestamptz NOT NULL,
					ended_at timestamptz,
					quarantine_ends_at timestamptz,
					created_at timestamptz NOT NULL DEFAULT now()
				);
				CREATE INDEX health_status_history_resident_idx ON ${s}.health_status_history (resident_id, started_at);

				CREATE TABLE ${s}.resident_move (
					id bigserial PRIMARY KEY,
					resident_id bigint NOT NULL REFERENCES ${s}.resident(id),
					from_household_id bigint REFERENCES ${s}.household(id),
					to_household_id bigint REFERENCES ${s}.household(id),
					from_unit_id bigint NOT NULL REFERENCES ${s}.grid_unit(id),
					unit_id bigint NOT NULL REFERENCES ${s}.grid_unit(id),
					reason text,
					moved_at timestamptz NOT NULL DEFAULT now()
				);
				CREATE INDEX resident_move_resident_idx ON ${s}.resident_move (resident_id, moved_at);

				CREATE TABLE ${s}.health_observation (
					id bigserial PRIMARY KEY,
					resident_id bigint NOT NULL REFERENCES ${s}.resident(id),
					unit_id bigint NOT NULL REFERENCES ${s}.grid_unit(id),
					observed_at timestamptz NOT NULL,
					temperature_c numeric(4, 1) CHECK (temperature_c BETWEEN 34.0 AND 43.0),
					fever boolean NOT NULL DEFAULT false,
					symptoms text[] NOT NULL DEFAULT '{}',
					source text NOT NULL,
					recorded_by text,
					note text,
					created_at timestamptz NOT NULL DEFAULT now(),
					CHECK (temperature_c IS NOT NULL OR cardinality(symptoms) > 0)
				);
				CREATE INDEX health_observation_resident_idx ON ${s}.health_observation (resident_id, observed_at);
				CREATE INDEX health_observation_unit_idx ON ${s}.health_observation (unit_id, observed_at);

				CREATE TABLE ${s}.exposure (
					id bigserial PRIMARY KEY,
					resident_a bigint NOT NULL REFERENCES ${s}.resident(id),
					resident_b bigint NOT NULL REFERENCES ${s}.resident(id),
					occurred_at timestamptz NOT NULL,
					unit_id bigint NOT NULL REFERENCES ${s}.grid_unit(id),
					kind text NOT NULL,
					note text,
					created_at timestamptz NOT NULL DEFAULT now(),
					CHECK (resident_a <> resident_b)
				);
				-- the trace walks exposures from either side, within a time window
				CREATE INDEX exposure_a_idx ON ${s}.exposure (resident_a, occurred_at) INCLUDE (resident_b, kind, unit_id);
				CREATE INDEX exposure_b_idx ON ${s}.exposure (resident_b, occurred_at) INCLUDE (resident_a, kind, unit_id);

				GRANT SELECT, INSERT, UPDATE, DELETE ON ${s}.household, ${s}.resident, ${s}.resident_tag, ${s}.health_status_history,
					${s}.resident_move, ${s}.health_observation, ${s}.exposure TO "${appRole}";
				GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO "${appRole}";
			`);
			for (const table of ['household', 'resident', 'resident_tag', 'health_status_history', 'resident_move', 'health_observation', 'exposure']) {
				await knex.raw(`
					ALTER TABLE ${s}.${table} ENABLE ROW LEVEL SECURITY;
					CREATE POLICY ${table}_scope ON ${s}.${table} TO "${appRole}"
						USING ${unitVisible('unit_id')} WITH CHECK ${unitVisible('unit_id')};
				`);
			}
			const hidden = ['doc_hash', 'doc_enc', 'phone_hash', 'phone_enc'];
			await auditTable(knex, schema, 'household', 'id', 'unit_id');
			await auditTable(knex, schema, 'resident', 'id', 'unit_id', hidden);
			await auditTable(knex, schema, 'health_observation', 'id', 'unit_id');
			await auditTable(knex, schema, 'exposure', 'id', 'unit_id');
			await auditTable(knex, schema, 'resident_move', 'id', 'unit_id');
			await auditTable(knex, schema, 'health_status_history', 'id', 'unit_id');
		},
		async down() {
			throw new Error('The residents migration cannot be undone; drop the schema instead.');
		},
	};
}
