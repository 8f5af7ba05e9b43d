import type { Knex } from 'knex';
import { auditTable } from './001_foundation';

/**
 * The export ledger: one row per export (target system, dataset, period, scope unit, format) so that
 * each is delivered once. Delivery holds the row's lock across the HTTP call, so a second worker
 * exporting the same thing waits and then finds it acknowledged.
 */
export function exportLedger(schema: string, appRole: string): Knex.Migration {
	const s = `"${schema}"`;
	const unitVisible = (col: string) =>
		`(current_setting('grid.scope_path', true) = '/' OR EXISTS (SELECT 1 FROM ${s}.grid_unit u WHERE u.id = ${col}))`;
	return {
		async up(knex) {
			await knex.raw(`
				CREATE TABLE ${s}.export_batch (
					id bigserial PRIMARY KEY,
					-- the upstream URL the export goes to, without credentials or query string
					target text NOT NULL CHECK (char_length(target) BETWEEN 1 AND 2000),
					dataset text NOT NULL CHECK (char_length(dataset) BETWEEN 1 AND 100),
					period text NOT NULL CHECK (char_length(period) BETWEEN 1 AND 40),
					scope_code text NOT NULL,
					unit_id bigint NOT NULL CONSTRAINT export_batch_unit_fk REFERENCES ${s}.grid_unit(id),
					format text NOT NULL CHECK (format IN ('dhis2', 'fhir', 'csv', 'json')),
					payload_hash text NOT NULL CHECK (payload_hash ~ '^[0-9a-f]{64}$'),
					-- pending: never acknowledged yet (or only dry runs); failed: the last delivery failed
					status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'acknowledged', 'failed')),
					-- 1 for the first payload sent; each changed payload sent as an update adds one
					revision integer NOT NULL DEFAULT 1 CHECK (revision >= 1),
					attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
					last_status integer,
					last_response jsonb,
					last_error text,
					idempotency_key text,
					acknowledged_hash text,
					acknowledged_at timestamptz,
					created_at timestamptz NOT NULL DEFAULT now(),
					updated_at timestamptz NOT NULL DEFAULT now(),
					CONSTRAINT export_batch_key UNIQUE (target, dataset, period, scope_code, format)
				);
				CREATE INDEX export_batch_unit_idx ON ${s}.export_batch (unit_id, period);
				GRANT SELECT, INSERT, UPDATE ON ${s}.export_batch TO "${appRole}";
				GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO "${appRole}";
				ALTER TABLE ${s}.export_batch ENABLE ROW LEVEL SECURITY;
				CREATE POLICY export_batch_scope ON ${s}.export_batch TO "${appRole}"
					USING ${unitVisible('unit_id')} WITH CHECK ${unitVisible('unit_id')};
			`);
			await auditTable(knex, schema, 'export_batch', 'id', 'unit_id');
		},
		async down() {
			throw new Error('The export ledger migration cannot be undone; drop the schema instead.');
		},
	};
}
