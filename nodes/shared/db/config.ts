import { createHash } from 'crypto';
import type { SegmentWidths } from '../validation/gridCode';

export type SslMode = 'disable' | 'require' | 'verify';

/** Everything needed to reach and use one governance database; built from a credential. */
export interface ConnectionConfig {
	host: string;
	port: number;
	database: string;
	user: string;
	password: string;
	ssl: SslMode;
	/** PEM text of the CA that signs the server certificate, for ssl = 'verify'. */
	caCertificate?: string;
	schema: string;
	maxConnections: number;
	personalDataKey: string;
	/** During a key rotation: the key being replaced, which reads and lookups still accept. */
	previousPersonalDataKey?: string;
	/** Grid code that confines every read and write to its subtree. */
	scopeCode?: string;
	timezone: string;
	segmentWidths: SegmentWidths;
	/** Close the pool after this long without use. */
	idleCloseMs?: number;
}

/** Identifies a pool: same server, login, schema, size and key share one pool per process. */
export function poolKey(c: ConnectionConfig): string {
	return createHash('sha256')
		.update(
			JSON.stringify([
				c.host, c.port, c.database, c.user, c.password, c.ssl, c.caCertificate ?? '',
				c.schema, c.maxConnections, c.personalDataKey, c.previousPersonalDataKey ?? '',
			]),
		)
		.digest('hex');
}

export function isValidSchemaName(schema: string): boolean {
	return /^[a-z_][a-z0-9_]{0,40}$/.test(schema);
}

/** Parses postgres://user:pass@host:port/db URLs, as used by scripts and tests. */
export function configFromUrl(url: string, overrides: Partial<ConnectionConfig> = {}): ConnectionConfig {
	const u = new URL(url);
	const sslmode = u.searchParams.get('sslmode');
	return {
		host: decodeURIComponent(u.hostname) || '127.0.0.1',
		port: u.port ? Number(u.port) : 5432,
		database: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres',
		user: decodeURIComponent(u.username) || 'postgres',
		password: decodeURIComponent(u.password),
		ssl: sslmode === 'require' ? 'require' : sslmode === 'verify-full' || sslmode === 'verify-ca' ? 'verify' : 'disable',
		schema: 'grid',
		maxConnections: 5,
		personalDataKey: '',
		timezone: 'Asia/Shanghai',
		segmentWidths: [3, 3, 3, 4],
		...overrides,
	};
}
