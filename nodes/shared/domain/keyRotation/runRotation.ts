import type { ConnectionConfig } from '../../db/config';
import { withUnitOfWork } from '../../db/unitOfWork';
import type { Actor } from '../context';
import { remainingRows, rotateBatch } from './rotateBatch';

export interface RotationRun {
	batchSize: number;
	maxBatches: number;
	/** Called after each committed batch (a seam for pacing and for tests that interrupt a run). */
	afterBatch?: (batch: number) => void | Promise<void>;
}

export interface RotationReport {
	/** No rotation in progress and none to start: the credential's key is the one the database uses. */
	idle: boolean;
	/** Nothing is left under a previous key (also when idle): a schedule can stop. */
	done: boolean;
	from: string | null;
	to: string | null;
	batches: number;
	/** Rows re-keyed by this run, per table. */
	rotated: Record<string, number>;
	/** Rows still holding a value of the previous key, per table, and in all. */
	remaining: Record<string, number>;
	remainingTotal: number;
	message: string;
}

/**
 * Runs up to maxBatches batches of the key rotation, each in a transaction of its own, so that a
 * schedule can pace it and an interrupted run loses at most the batch in flight (which rolls back and
 * is done again by the next run).
 */
export async function rotatePersonalDataKey(config: ConnectionConfig, actor: Actor, run: RotationRun): Promise<RotationReport> {
	const rotated: Record<string, number> = {};
	let batches = 0;
	let from: string | null = null;
	let to: string | null = null;
	let idle = false;
	let done = false;
	while (batches < run.maxBatches) {
		const outcome = await withUnitOfWork(config, { actor }, (uow) => rotateBatch(uow, run.batchSize));
		if (outcome.idle) {
			idle = true;
			done = true;
			break;
		}
		batches++;
		from = outcome.from ?? from;
		to = outcome.to ?? to;
		for (const [t, n] of Object.entries(outcome.rotated)) rotated[t] = (rotated[t] ?? 0) + n;
		if (outcome.finished) {
			done = true;
			break;
		}
		await run.afterBatch?.(batches);
	}
	const remaining = done || idle ? {} : await withUnitOfWork(config, { actor }, (uow) => remainingRows(uow));
	const remainingTotal = Object.values(remaining).reduce((a, b) => a + b, 0);
	const rotatedTotal = Object.values(rotated).reduce((a, b) => a + b, 0);
	const message = idle
		? `No key rotation is in progress: the credential's Personal Data Key is the one the database uses.${config.previousPersonalDataKey ? ' Its Previous Personal Data Key is no longer needed: clear it.' : ''}`
		: done
			? `Key rotation finished${to ? `: the database now uses the key with fingerprint ${to}` : ''}. Clear Previous Personal Data Key on every credential for this database.`
			: `Key rotation in progress: ${rotatedTotal} row(s) re-keyed in this run, about ${remainingTotal} left. Run this operation again (e.g. on a schedule) until it reports done.`;
	return { idle, done, from, to, batches, rotated, remaining, remainingTotal, message };
}
