import { FieldError, GridError } from '../validation/errors';
import type { ConnectionConfig } from './config';

interface PgLikeError {
	code?: string;
	message?: string;
	detail?: string;
	constraint?: string;
	column?: string;
	table?: string;
	errno?: number;
	syscall?: string;
	hostname?: string;
	address?: string;
	port?: number;
}

// Constraint names in our migrations map to the field a user typed.
const CONSTRAINT_FIELDS: Record<string, string> = {
	grid_unit_code_unique: 'Code',
	staff_staff_no_unique: 'Staff Number',
	staff_phone_hash_unique: 'Phone',
	grid_unit_parent_fk: 'Parent Code',
	grid_assignment_unit_fk: 'Grid Unit',
	grid_assignment_staff_fk: 'Staff',
	staff_unit_fk: 'Grid Unit',
};

export const RETRYABLE_CODES = new Set(['40001', '40P01']);

export function isRetryable(error: unknown): boolean {
	return RETRYABLE_CODES.has((error as PgLikeError)?.code ?? '');
}

const NETWORK_FAILURES: Record<string, string> = { ETIMEDOUT: 'timed out', ECONNRESET: 'connection reset', EHOSTUNREACH: 'host unreachable' };

// pg's own errors for a connection that died under a query carry no code; knex puts the statement in front.
const LOST_CONNECTION = /Connection terminated|connection error and is not queryable/;

function lostConnection(message: string, where: string): GridError {
	// Lost during COMMIT, the outcome is unknown; lost before it, the server rolled the transaction back.
	if (/^COMMIT\b/i.test(message)) {
		return new GridError('connection', `Lost the connection to PostgreSQL at ${where} while committing: the work may or may not have been saved`,
			'Check the result before running again; operations with an idempotency key or an export ledger are safe to run again.');
	}
	return new GridError('connection', `Lost the connection to PostgreSQL at ${where} (the server restarted or ended the session); the work was not committed`,
		'Run the execution again once the server is up.');
}

/** Turns driver and server errors into messages a user can act on; passes our own errors through. */
export function translateDbError(error: unknown, config?: Pick<ConnectionConfig, 'host' | 'port' | 'database' | 'user'>): Error {
	if (error instanceof FieldError || error instanceof GridError) return error;
	const e = (error ?? {}) as PgLikeError;
	const where = config ? `${config.host}:${config.port}` : 'the database server';
	switch (e.code) {
		case 'ECONNREFUSED':
			return new GridError('connection', `Cannot connect to PostgreSQL at ${where}: connection refused`, 'Check that the server is running and that host and port in the credential are right.');
		case 'ENOTFOUND':
		case 'EAI_AGAIN':
			return new GridError('connection', `Cannot connect to PostgreSQL at ${where}: host ${e.hostname ?? config?.host ?? ''} not found`, 'Check the host name in the credential.');
		case 'ETIMEDOUT':
		case 'ECONNRESET':
		case 'EHOSTUNREACH':
			if (/^COMMIT\b/i.test(e.message ?? '')) return lostConnection(e.message ?? '', where);
			// in words, not the code: n8n replaces a message naming ECONNRESET etc. with its own generic one
			return new GridError('connection', `Lost or could not open the connection to PostgreSQL at ${where} (${NETWORK_FAILURES[e.code]})`, 'Check the network path to the server; the work was not committed.');
		case '28P01':
		case '28000':
			return new GridError('authentication', `PostgreSQL at ${where} rejected the login of user "${config?.user ?? '?'}": authentication failed`, 'Check the user and password in the credential.');
		case '3D000':
			return new GridError('connection', `Database "${config?.database ?? '?'}" does not exist on ${where}`, 'Create it, or fix the database name in the credential.');
		case '57P01':
			return new GridError('connection', `PostgreSQL at ${where} ended the session (the server is shutting down or restarting, or an administrator terminated it); the work was not committed`, 'Run the execution again once the server is up.');
		case '57P02':
		case '57P03':
			return new GridError('connection', `PostgreSQL at ${where} is shutting down or starting up; the work was not committed`, 'Run the execution again once the server is up.');
		case '53300':
			return new GridError('connection', `PostgreSQL at ${where} has no free connection slots`, 'Lower Max Connections in the credentials that share this server, or raise max_connections on the server.');
		case '23505': {
			const field = CONSTRAINT_FIELDS[e.constraint ?? ''] ?? 'a unique field';
			const value = /=\((.*)\)/.exec(e.detail ?? '')?.[1];
			return new FieldError(field, `${field} ${value ? `"${value}" ` : ''}already exists`);
		}
		case '23503': {
			const field = CONSTRAINT_FIELDS[e.constraint ?? ''] ?? 'a reference';
			const value = /=\((.*)\)/.exec(e.detail ?? '')?.[1];
			const what = field === 'Staff' ? 'staff member' : 'grid unit';
			return new FieldError(field, `unknown ${what}${value ? ` ${value}` : ''}`);
		}
		case '42501':
			if (/row-level security/.test(e.message ?? '')) {
				return new GridError('scope', 'That record lies outside the grid scope of this credential', 'Use a credential whose scope covers the unit, or one without a scope.');
			}
			return new GridError('permission', `PostgreSQL refused the operation: ${e.message}`, 'Check the privileges of the credential\'s user.');
		case '40001':
		case '40P01':
			return new GridError('conflict', 'The work kept colliding with concurrent changes and was rolled back', 'Run the execution again.');
		case '23514':
			return new GridError('check', `A value was refused by the database: ${e.message}`);
		default:
			if (!e.code && LOST_CONNECTION.test(e.message ?? '')) return lostConnection(e.message ?? '', where);
			if (e.code && /^[0-9A-Z]{5}$/.test(e.code)) {
				return new GridError('database', `PostgreSQL error ${e.code}: ${e.message}`);
			}
			return error instanceof Error ? error : new Error(String(error));
	}
}
