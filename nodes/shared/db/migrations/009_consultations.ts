import type { Knex } from 'knex';
import { auditTable, unitVisibleIn } from './001_foundation';

/**
 * Consultations of residents (征求意见): the question and its window, one invitation per household or
 * adult resident of the electorate, the responses, and the frozen result a closed consultation leaves
 * for the statistics export.
 *
 * An invitation stores only a hash of its token's nonce, so a copy of the database cannot mint or
 * replay tokens. A response is keyed by its invitation (one per invitation, by construction) and
 * carries only the building for tallies; tally queries never read who holds an invitation.
 */
export function consultations(schema: string, appRole: string): Knex.Migration {
	const s = `"${schema}"`;
	const unitVisible = unitVisibleIn(s);
	return {
		async up(knex) {
			await knex.raw(`
				CREATE TABLE ${s}.consultation (
					id bigserial PRIMARY KEY,
					-- the root of the subtree consulted
					unit_id bigint NOT NULL CONSTRAINT consultation_unit_fk REFERENCES ${s}.grid_unit(id),
					question text NOT NULL CHECK (char_length(question) BETWEEN 1 AND 500),
					background text CHECK (char_length(background) <= 5000),
					choice_kind text NOT NULL CHECK (choice_kind IN ('single', 'multiple', 'free_text')),
					-- [{ "code": "A", "label": "同意" }]; empty for free text
					options jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(options) = 'array'),
					max_text_length integer NOT NULL DEFAULT 500 CHECK (max_text_length BETWEEN 1 AND 5000),
					opens_at timestamptz NOT NULL,
					closes_at timestamptz NOT NULL,
					electorate text NOT NULL CHECK (electorate IN ('household', 'adult')),
					allow_change boolean NOT NULL DEFAULT false,
					status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
					closed_at timestamptz,
					created_at timestamptz NOT NULL DEFAULT now(),
					updated_at timestamptz NOT NULL DEFAULT now(),
					CONSTRAINT consultation_window CHECK (closes_at > opens_at),
					CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
					CHECK ((choice_kind = 'free_text') = (jsonb_array_length(options) = 0))
				);
				CREATE INDEX consultation_unit_idx ON ${s}.consultation (unit_id, opens_at);

				CREATE TABLE ${s}.consultation_invitation (
					id bigserial PRIMARY KEY,
					consultation_id bigint NOT NULL REFERENCES ${s}.consultation(id),
					household_id bigint REFERENCES ${s}.household(id),
					resident_id bigint REFERENCES ${s}.resident(id),
					-- the building of the household or resident when invited, copied from that row (which holds its
					-- key): tallies and row-level security
					unit_id bigint NOT NULL,
					-- sha-256 of the token's nonce: the token itself is never stored
					nonce_hash text NOT NULL CHECK (nonce_hash ~ '^[0-9a-f]{64}$'),
					issued_at timestamptz NOT NULL DEFAULT now(),
					CHECK ((household_id IS NULL) <> (resident_id IS NULL)),
					-- one invitation per voter whatever runs in parallel: NULLs do not collide
					CONSTRAINT consultation_invitation_household UNIQUE (consultation_id, household_id),
					CONSTRAINT consultation_invitation_resident UNIQUE (consultation_id, resident_id)
				);
				CREATE INDEX consultation_invitation_unit_idx ON ${s}.consultation_invitation (consultation_id, unit_id);

				CREATE TABLE ${s}.consultation_response (
					invitation_id bigint PRIMARY KEY REFERENCES ${s}.consultation_invitation(id),
					consultation_id bigint NOT NULL REFERENCES ${s}.consultation(id),
					unit_id bigint NOT NULL,
					-- option codes chosen; empty for free text
					choices text[] NOT NULL DEFAULT '{}',
					free_text text,
					-- 1 for the first answer, one more for each change
					revision integer NOT NULL DEFAULT 1 CHECK (revision >= 1),
					responded_at timestamptz NOT NULL DEFAULT now(),
					updated_at timestamptz NOT NULL DEFAULT now(),
					CHECK (cardinality(choices) > 0 OR free_text IS NOT NULL)
				);
				CREATE INDEX consultation_response_tally_idx ON ${s}.consultation_response (consultation_id, unit_id);

				CREATE TABLE ${s}.consultation_result (
					consultation_id bigint PRIMARY KEY REFERENCES ${s}.consultation(id),
					unit_id bigint NOT NULL REFERENCES ${s}.grid_unit(id),
					by_level smallint NOT NULL CHECK (by_level BETWEEN 1 AND 5),
					-- per-unit rows and the total, as the Tally operation reports them
					rows jsonb NOT NULL CHECK (jsonb_typeof(rows) = 'array'),
					total jsonb NOT NULL,
					closed_at timestamptz NOT NULL DEFAULT now()
				);

				GRANT SELECT, INSERT, UPDATE ON ${s}.consultation, ${s}.consultation_response TO "${appRole}";
				GRANT SELECT, INSERT ON ${s}.consultation_invitation, ${s}.consultation_result TO "${appRole}";
				GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO "${appRole}";
			`);
			for (const table of ['consultation', 'consultation_invitation', 'consultation_response', 'consultation_result']) {
				await knex.raw(`
					ALTER TABLE ${s}.${table} ENABLE ROW LEVEL SECURITY;
					CREATE POLICY ${table}_scope ON ${s}.${table} TO "${appRole}"
						USING ${unitVisible('unit_id')} WITH CHECK ${unitVisible('unit_id')};
				`);
			}
			await auditTable(knex, schema, 'consultation', 'id', 'unit_id');
			await auditTable(knex, schema, 'consultation_invitation', 'id', 'unit_id', ['nonce_hash']);
			// what was answered stays out of the audit log, which names the workflow that wrote it
			await auditTable(knex, schema, 'consultation_response', 'invitation_id', 'unit_id', ['choices', 'free_text']);
			await auditTable(knex, schema, 'consultation_result', 'consultation_id', 'unit_id');
		},
		async down() {
			throw new Error('The consultations migration cannot be undone; drop the schema instead.');
		},
	};
}
