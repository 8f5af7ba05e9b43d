import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import type { ConnectionConfig, SslMode } from '../db/config';
import { parseSegmentWidths } from '../validation/gridCode';

export const CREDENTIAL_NAME = 'gridGovernancePostgres';

/** Turns the decrypted credential into the plain connection settings the core uses. */
export function configFromCredential(c: ICredentialDataDecryptedObject): ConnectionConfig {
	const str = (v: unknown, d = '') => (v === undefined || v === null ? d : String(v)).trim();
	return {
		host: str(c.host, 'localhost'),
		port: Number(c.port ?? 5432),
		database: str(c.database, 'postgres'),
		user: str(c.user, 'postgres'),
		password: c.password === undefined || c.password === null ? '' : String(c.password),
		ssl: (['disable', 'require', 'verify'].includes(str(c.ssl)) ? str(c.ssl) : 'disable') as SslMode,
		caCertificate: str(c.caCertificate) || undefined,
		schema: str(c.schema, 'grid') || 'grid',
		maxConnections: Math.max(1, Number(c.maxConnections ?? 5) || 5),
		personalDataKey: c.personalDataKey === undefined || c.personalDataKey === null ? '' : String(c.personalDataKey),
		previousPersonalDataKey: c.previousPersonalDataKey ? String(c.previousPersonalDataKey) : undefined,
		scopeCode: str(c.scopeCode) || undefined,
		timezone: str(c.timezone, 'Asia/Shanghai') || 'Asia/Shanghai',
		segmentWidths: parseSegmentWidths(c.segmentWidths),
	};
}
