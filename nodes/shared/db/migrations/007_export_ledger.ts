import type { Knex } from 'knex';
import { auditTable, unitVisibleIn } from './001_foundation';

/**
 * The export ledger: one row per export (target system, dataset, period, scope unit, format) so that
 * each is delivered once. Delivery holds the row's lock across the HTTP call, so a second worker
 * exporting the same thing waits and then finds it acknowledged.
 */
export function exportLedger(schema: string, appRole: string): Knex.Migration {
	const s = `"${schema}"`;
	const unitVisible = unitVisibleIn(s);
	return {
		async up(knex) {
			await knex.raw(`
				CREATE TABLE ${s}.export_batch (
					id bigserial PRIMARY KEY,
					-- the upstream URL the export goes to: scheme, host and path, never credentials or the query string
					target text NOT NULL CHECK (char_length(target) BETWEEN 1 AND 2000),
					dataset text NOT NULL CHECK (char_length(dataset) BETWEEN 1 AND 100),
					period text NOT NULL CHECK (char_length(period) BETWEEN 1 AND 40),
					scope_code text NOT NULL,
					-- the scope unit, for row-level security
					unit_id bigint NOT NULL CONSTRAINT export_batch_unit_fk REFERENCES ${s}.grid_unit(id),
					format text NOT NULL CHECK (format IN ('dhis2', 'fhir', 'csv', 'json')),
					-- the payload of the current revision
					payload_hash text NOT NULL CHECK (payload_hash ~ '^[0-9a-f]{64}$'),
					-- sending: taken, no real delivery has ended yet (a row only dry runs reached stays so, since the
					-- lock is held across the call and a crash rolls the row back); acknowledged: the upstream took the
					-- current revision; failed: the last real delivery failed
					status text NOT NULL DEFAULT 'sending' CHECK (status IN ('sending', 'acknowledged', 'failed')),
					-- 1 for the first payload; each changed payload sent as an update, or forced resend, adds one
					revision integer NOT NULL DEFAULT 1 CHECK (revision >= 1),
					-- requests made for this export, dry runs included
					attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
					last_status integer,
					-- the last answer, secrets cut out and truncated
					last_response jsonb,
					last_error text,
					-- the Idempotency-Key of the last request
					idempotency_key text,
					-- the payload the upstream last acknowledged: what it holds now
					acknowledged_hash text CHECK (acknowledged_hash ~ '^[0-9a-f]{64}$'),
					created_at timestamptz NOT NULL DEFAULT now(),
					updated_at timestamptz NOT NULL DEFAULT now(),
					acknowledged_at timestamptz,
					CONSTRAINT export_batch_key UNIQUE (target, dataset, period, scope_code, format),
					CHECK (status <> 'acknowledged' OR (acknowledged_at IS NOT NULL AND acknowledged_hash = payload_hash))
				);
				CREATE INDEX export_batch_unit_idx ON ${s}.export_batch (unit_id, period);
				-- what still needs attention
				CREATE INDEX export_batch_open_idx ON ${s}.export_batch (status, updated_at) WHERE status <> 'acknowledged';

				GRANT SELECT, INSERT, UPDATE ON ${s}.export_batch TO "${appRole}";
				GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO "${appRole}";
				ALTER TABLE ${s}.export_batch ENABLE ROW LEVEL SECURITY;
				CREATE POLICY export_batch_scope ON ${s}.export_batch TO "${appRole}"
					USING ${unitVisible('unit_id')} WITH CHECK ${unitVisible('unit_id')};
			`);
			// response bodies would be copied into the audit log on every attempt; the row keeps the last one
			await auditTable(knex, schema, 'export_batch', 'id', 'unit_id', ['last_response']);
		},
		async down() {
			throw new Error('The export ledger migration cannot be undone; drop the schema instead.');
		},
	};
}
