import type { Knex } from 'knex';
import { foundation } from './001_foundation';
import { residents } from './002_residents';
import { incidents } from './003_incidents';
import { tasks } from './004_tasks';
import { residentImport } from './005_resident_import';
import { auditUpdates } from './006_audit_updates';
import { exportLedger } from './007_export_ledger';
import { notices } from './008_notices';
import { consultations } from './009_consultations';
import { keyRotation } from './010_key_rotation';
import { grantedLogin } from './011_granted_login';

/** Every migration this code knows, in order. Names are the schema's version history. */
export function migrationList(schema: string, appRole: string): Array<{ name: string; migration: Knex.Migration }> {
	return [
		{ name: '001_foundation', migration: foundation(schema, appRole) },
		{ name: '002_residents', migration: residents(schema, appRole) },
		{ name: '003_incidents', migration: incidents(schema, appRole) },
		{ name: '004_tasks', migration: tasks(schema, appRole) },
		{ name: '005_resident_import', migration: residentImport(schema) },
		{ name: '006_audit_updates', migration: auditUpdates(schema) },
		{ name: '007_export_ledger', migration: exportLedger(schema, appRole) },
		{ name: '008_notices', migration: notices(schema, appRole) },
		{ name: '009_consultations', migration: consultations(schema, appRole) },
		{ name: '010_key_rotation', migration: keyRotation(schema, appRole) },
		{ name: '011_granted_login', migration: grantedLogin(schema, appRole) },
	];
}

export class CodeMigrationSource implements Knex.MigrationSource<{ name: string; migration: Knex.Migration }> {
	constructor(private readonly schema: string, private readonly appRole: string) {}

	async getMigrations() {
		return migrationList(this.schema, this.appRole);
	}

	getMigrationName(m: { name: string }) {
		return m.name;
	}

	async getMigration(m: { migration: Knex.Migration }) {
		return m.migration;
	}
}
