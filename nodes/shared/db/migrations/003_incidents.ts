import type { Knex } from 'knex';
import { auditTable, unitVisibleIn } from './001_foundation';

/**
 * Incidents: intake with idempotency keys and gap-free public references, routing, risk, dedupe,
 * SLA due times, escalation up the grid, and the append-only timeline that the Grid Trigger reads.
 */
export function incidents(schema: string, appRole: string): Knex.Migration {
	const s = `"${schema}"`;
	const unitVisible = unitVisibleIn(s);
	return {
		async up(knex) {
			// pg_trgm is trusted (PostgreSQL 13+), so a database owner may install it. It may already live in
			// another schema, and tests migrate several schemas of one database at once.
			await knex.raw(`
				DO $do$
				BEGIN
					CREATE EXTENSION IF NOT EXISTS pg_trgm;
				EXCEPTION WHEN unique_violation OR duplicate_object THEN NULL;
				END
				$do$;
			`);
			const { rows } = await knex.raw(
				`SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'`,
			);
			const trgm = `"${String(rows[0].nspname).replace(/"/g, '""')}"`;

			await knex.raw(`
				-- Dedupe compares texts through this wrapper so that queries do not depend on the search path.
				CREATE FUNCTION ${s}.text_similarity(a text, b text) RETURNS real LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
					SELECT ${trgm}.similarity(a, b)
				$f$;

				-- Gap-free per-day numbering: the row lock serialises allocation, and a rollback gives numbers back.
				CREATE TABLE ${s}.incident_day_counter (
					day date PRIMARY KEY,
					last_no integer NOT NULL CHECK (last_no >= 0)
				);

				CREATE TABLE ${s}.incident (
					id bigserial PRIMARY KEY,
					reference text NOT NULL CONSTRAINT incident_reference_unique UNIQUE,
					idempotency_key text CHECK (char_length(idempotency_key) BETWEEN 1 AND 200),
					payload_hash text,
					source text NOT NULL CHECK (source IN ('resident', 'staff', 'hotline', 'upstream', 'open311')),
					category text NOT NULL,
					description text NOT NULL CHECK (char_length(description) BETWEEN 1 AND 5000),
					reporter_name text,
					reporter_phone_hash text,
					reporter_phone_enc text,
					reporter_phone_masked text,
					reporter_email_enc text,
					reporter_email_masked text,
					resident_id bigint CONSTRAINT incident_resident_fk REFERENCES ${s}.resident(id),
					-- the unit the report is about (building, or coarser when only that is known)
					location_unit_id bigint CONSTRAINT incident_location_fk REFERENCES ${s}.grid_unit(id),
					-- the unit that owns the case for scope: the location, or a community's intake queue
					unit_id bigint NOT NULL CONSTRAINT incident_unit_fk REFERENCES ${s}.grid_unit(id),
					routing_note text,
					-- the unit whose responsible staff handle it now: moves up on each escalation
					handling_unit_id bigint NOT NULL CONSTRAINT incident_handling_fk REFERENCES ${s}.grid_unit(id),
					address text,
					lat double precision CHECK (lat BETWEEN -90 AND 90),
					long double precision CHECK (long BETWEEN -180 AND 180),
					attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
					risk_level text NOT NULL CHECK (risk_level IN ('low', 'medium', 'high', 'critical')),
					risk_score integer NOT NULL DEFAULT 0,
					risk_reasons jsonb NOT NULL DEFAULT '[]'::jsonb,
					status text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'triaged', 'assigned', 'in_progress', 'resolved', 'closed', 'rejected', 'duplicate')),
					duplicate_of bigint CONSTRAINT incident_duplicate_fk REFERENCES ${s}.incident(id),
					report_count integer NOT NULL DEFAULT 1 CHECK (report_count >= 1),
					assignee_staff_id bigint CONSTRAINT incident_assignee_fk REFERENCES ${s}.staff(id),
					assignee_team text,
					escalation_count integer NOT NULL DEFAULT 0,
					transfer_count integer NOT NULL DEFAULT 0,
					reopen_count integer NOT NULL DEFAULT 0,
					supervised boolean NOT NULL DEFAULT false,
					due_at timestamptz,
					-- the due time whose breach has been announced, so that the trigger emits it once
					breach_noted_due_at timestamptz,
					satisfaction smallint CHECK (satisfaction BETWEEN 1 AND 5),
					callback_result text,
					created_at timestamptz NOT NULL DEFAULT now(),
					updated_at timestamptz NOT NULL DEFAULT now(),
					resolved_at timestamptz,
					closed_at timestamptz,
					CHECK ((status = 'duplicate') = (duplicate_of IS NOT NULL))
				);
				CREATE UNIQUE INDEX incident_idempotency_unique ON ${s}.incident (idempotency_key) WHERE idempotency_key IS NOT NULL;
				CREATE INDEX incident_dedupe_idx ON ${s}.incident (unit_id, category, created_at) WHERE status <> 'duplicate';
				CREATE INDEX incident_unit_idx ON ${s}.incident (unit_id, created_at);
				CREATE INDEX incident_created_idx ON ${s}.incident (created_at);
				CREATE INDEX incident_status_idx ON ${s}.incident (status, created_at);
				-- open cases by due time: escalate-overdue and SLA breach detection scan only this
				CREATE INDEX incident_open_due_idx ON ${s}.incident (due_at)
					WHERE status IN ('new', 'triaged', 'assigned', 'in_progress');
				CREATE INDEX incident_location_idx ON ${s}.incident (location_unit_id, created_at) WHERE location_unit_id IS NOT NULL;
				CREATE INDEX incident_resident_idx ON ${s}.incident (resident_id) WHERE resident_id IS NOT NULL;
				CREATE INDEX incident_assignee_idx ON ${s}.incident (assignee_staff_id) WHERE assignee_staff_id IS NOT NULL;
				CREATE INDEX incident_duplicate_of_idx ON ${s}.incident (duplicate_of) WHERE duplicate_of IS NOT NULL;

				-- The timeline. tx lets the trigger read events in commit-safe order: every event of a
				-- transaction older than the oldest running one is visible, so a (tx, id) cursor never skips one.
				CREATE TABLE ${s}.incident_event (
					id bigserial PRIMARY KEY,
					incident_id bigint NOT NULL CONSTRAINT incident_event_incident_fk REFERENCES ${s}.incident(id),
					-- the incident's owning unit, copied for row-level security; the incident keeps it honest
					unit_id bigint NOT NULL,
					kind text NOT NULL,
					from_status text,
					to_status text,
					note text,
					details jsonb NOT NULL DEFAULT '{}'::jsonb,
					actor jsonb NOT NULL DEFAULT ${s}.current_actor(),
					at timestamptz NOT NULL DEFAULT now(),
					tx xid8 NOT NULL DEFAULT pg_current_xact_id()
				);
				CREATE INDEX incident_event_incident_idx ON ${s}.incident_event (incident_id, id);
				CREATE INDEX incident_event_cursor_idx ON ${s}.incident_event (tx, id);
				CREATE INDEX incident_event_kind_idx ON ${s}.incident_event (kind, at);

				CREATE FUNCTION ${s}.incident_event_immutable() RETURNS trigger LANGUAGE plpgsql AS $f$
				BEGIN
					RAISE EXCEPTION 'incident_event is append-only: % is not allowed', TG_OP
						USING ERRCODE = 'insufficient_privilege';
				END
				$f$;
				CREATE TRIGGER incident_event_no_update BEFORE UPDATE OR DELETE ON ${s}.incident_event
					FOR EACH ROW EXECUTE FUNCTION ${s}.incident_event_immutable();
				CREATE TRIGGER incident_event_no_truncate BEFORE TRUNCATE ON ${s}.incident_event
					FOR EACH STATEMENT EXECUTE FUNCTION ${s}.incident_event_immutable();

				GRANT SELECT, INSERT, UPDATE ON ${s}.incident, ${s}.incident_day_counter TO "${appRole}";
				GRANT SELECT, INSERT ON ${s}.incident_event TO "${appRole}";
				GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO "${appRole}";
				GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${s} TO "${appRole}";
			`);
			for (const table of ['incident', 'incident_event']) {
				await knex.raw(`
					ALTER TABLE ${s}.${table} ENABLE ROW LEVEL SECURITY;
					CREATE POLICY ${table}_scope ON ${s}.${table} TO "${appRole}"
						USING ${unitVisible('unit_id')} WITH CHECK ${unitVisible('unit_id')};
				`);
			}
			await auditTable(knex, schema, 'incident', 'id', 'unit_id', ['reporter_phone_hash', 'reporter_phone_enc', 'reporter_email_enc']);
		},
		async down() {
			throw new Error('The incidents migration cannot be undone; drop the schema instead.');
		},
	};
}
