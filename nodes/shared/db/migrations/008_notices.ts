import type { Knex } from 'knex';
import { auditTable, unitVisibleIn } from './001_foundation';

/**
 * Notices to residents: the notice with its target, the recipient log that makes preparation
 * idempotent and takes the gateway's callbacks, and residents' opt-outs by category.
 */
export function notices(schema: string, appRole: string): Knex.Migration {
	const s = `"${schema}"`;
	const unitVisible = unitVisibleIn(s);
	return {
		async up(knex) {
			await knex.raw(`
				CREATE TABLE ${s}.notice (
					id bigserial PRIMARY KEY,
					title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
					body text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 4000),
					category text NOT NULL CHECK (category IN ('policy', 'health_alert', 'supply', 'service_change')),
					channel text NOT NULL CHECK (channel IN ('sms', 'wechat', 'email', 'other')),
					-- the subtree the notice goes to
					unit_id bigint NOT NULL CONSTRAINT notice_unit_fk REFERENCES ${s}.grid_unit(id),
					-- tags, tag match, health statuses, age range and reach, as composed
					target jsonb NOT NULL DEFAULT '{}'::jsonb,
					valid_from timestamptz NOT NULL DEFAULT now(),
					valid_until timestamptz,
					created_at timestamptz NOT NULL DEFAULT now(),
					updated_at timestamptz NOT NULL DEFAULT now(),
					CHECK (valid_until IS NULL OR valid_until > valid_from)
				);
				CREATE INDEX notice_unit_idx ON ${s}.notice (unit_id, created_at);

				-- One row per person a notice was prepared for: the unique keys make a re-run prepare nobody twice.
				CREATE TABLE ${s}.notice_recipient (
					id bigserial PRIMARY KEY,
					-- no declared key: it would run one lookup per row of a 170,000-row preparation; rows are only
					-- written by preparation, which has just loaded the notice, and notices are never deleted
					notice_id bigint NOT NULL,
					resident_id bigint,
					-- for the grid-assistant reach (resident_id NULL): the staff member who passes the notice on in
					-- their building, NULL when no one answers for it (then the row is not reachable)
					staff_id bigint,
					-- the building, for row-level security and the per-community status
					unit_id bigint NOT NULL,
					-- random, compared bytewise: equality is all a callback asks of it
					message_id text COLLATE "C" NOT NULL CONSTRAINT notice_recipient_message_unique UNIQUE,
					status text NOT NULL CHECK (status IN ('prepared', 'delivered', 'failed', 'not_reachable')),
					reason text,
					prepared_at timestamptz NOT NULL DEFAULT now(),
					status_at timestamptz
				);
				CREATE UNIQUE INDEX notice_recipient_resident_unique ON ${s}.notice_recipient (notice_id, resident_id) WHERE resident_id IS NOT NULL;
				CREATE UNIQUE INDEX notice_recipient_building_unique ON ${s}.notice_recipient (notice_id, unit_id) WHERE resident_id IS NULL;
				-- the status per community reads a notice's rows through the unique index above (and the building one)

				CREATE TABLE ${s}.notice_opt_out (
					resident_id bigint NOT NULL REFERENCES ${s}.resident(id),
					category text NOT NULL CHECK (category IN ('policy', 'supply', 'service_change')),
					unit_id bigint NOT NULL,
					reason text,
					created_at timestamptz NOT NULL DEFAULT now(),
					PRIMARY KEY (resident_id, category)
				);

				GRANT SELECT, INSERT, UPDATE ON ${s}.notice, ${s}.notice_recipient TO "${appRole}";
				GRANT SELECT, INSERT, DELETE ON ${s}.notice_opt_out TO "${appRole}";
				GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO "${appRole}";
			`);
			for (const table of ['notice', 'notice_recipient', 'notice_opt_out']) {
				await knex.raw(`
					ALTER TABLE ${s}.${table} ENABLE ROW LEVEL SECURITY;
					CREATE POLICY ${table}_scope ON ${s}.${table} TO "${appRole}"
						USING ${unitVisible('unit_id')} WITH CHECK ${unitVisible('unit_id')};
				`);
			}
			await auditTable(knex, schema, 'notice', 'id', 'unit_id');
			await auditTable(knex, schema, 'notice_opt_out', 'resident_id', 'unit_id');
			// the recipient log is itself the record of who was sent what; reveals of phones are audited explicitly
		},
		async down() {
			throw new Error('The notices migration cannot be undone; drop the schema instead.');
		},
	};
}
