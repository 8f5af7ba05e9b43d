import type { INodeProperties } from 'n8n-workflow';
import { type RotationReport, rotatePersonalDataKey } from '../../../shared/domain/keyRotation/runRotation';
import { showFor } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param } from '../../../shared/n8n/params';
import { GridError } from '../../../shared/validation/errors';
import { integer } from '../../../shared/validation/text';

const show = showFor('maintenance', 'rotateKey');

export const description: INodeProperties[] = [
	{
		displayName: 'Batch Size',
		name: 'batchSize',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 50000 },
		default: 2000,
		description: 'Rows re-encrypted and re-hashed per transaction. Each batch locks only its own rows, briefly; other executions keep reading and writing.',
		displayOptions: show,
	},
	{
		displayName: 'Max Batches per Run',
		name: 'maxBatches',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 100000 },
		default: 50,
		description: 'Batches this execution runs before it stops and reports how much is left; run it from a Schedule Trigger to pace a large rotation. A stopped or failed run resumes where it left off.',
		displayOptions: show,
	},
];

interface RotateInput {
	batchSize: number;
	maxBatches: number;
}

export const handler: OperationHandler<RotateInput, RotateInput | RotationReport> = {
	read: (ctx, i) => ({
		batchSize: integer(param(ctx, 'batchSize', i, 'Batch Size', 2000), 'Batch Size', { min: 1, max: 50000 }) ?? 2000,
		maxBatches: integer(param(ctx, 'maxBatches', i, 'Max Batches per Run', 50), 'Max Batches per Run', { min: 1, max: 100000 }) ?? 50,
	}),
	// the shared transaction only opens the pool (which checks the keys and records a rotation's start);
	// the batches run after it, each in a transaction of its own
	runEach: async (uow, input) => {
		if (uow.scopeCode) {
			throw new GridError('scope', `Rotate Personal Data Key needs a credential without a scope (this one is confined to ${uow.scopeCode}), so that it reaches every row`,
				'Use an unscoped credential that holds the new key and the previous key.');
		}
		return input;
	},
	finish: async (value, env) => {
		const report = await rotatePersonalDataKey(env.config, env.actor, value as RotateInput);
		return [{ json: { ...report }, pairedItem: { item: env.itemIndex } }];
	},
};
