import type { Knex } from 'knex';
import type { SegmentWidths } from '../validation/gridCode';
import type { PersonalDataKeys } from './personalData';

/** Who is acting: recorded with every audit row. */
export interface Actor {
	workflowId?: string;
	executionId?: string;
	node?: string;
	/** Staff member named by the node's "Acting Staff" parameter, if any. */
	actingStaff?: string;
}

/**
 * One transaction with everything a domain function needs. The transaction already runs as the
 * application role, with the search path, the actor and the scope set; domain SQL is unqualified.
 */
export interface UnitOfWork {
	trx: Knex.Transaction;
	keys: PersonalDataKeys;
	/** Grid code of the credential's scope, if any. */
	scopeCode?: string;
	timezone: string;
	segmentWidths: SegmentWidths;
	actor: Actor;
	/** When true, good inputs are written even if others in the batch fail. */
	partial: boolean;
}

/** Result for one input of a batch: a value, several values, or the problem with it. */
export type Outcome<T> = { ok: true; value: T | T[] } | { ok: false; error: import('../validation/errors').FieldError };
