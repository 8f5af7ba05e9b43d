import type { INodeProperties } from 'n8n-workflow';
import { type ResidentRef, getResidents } from '../../../shared/domain/resident/residents';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param } from '../../../shared/n8n/params';
import { FieldError } from '../../../shared/validation/errors';
import { readResidentRef, residentFinder } from '../fields';

export const description: INodeProperties[] = residentFinder('resident', ['get', 'update', 'setHealthStatus', 'move', 'deactivate']);

export const handler: OperationHandler<{ ref: ResidentRef; reveal: boolean }, unknown> = {
	read: (ctx, i) => ({ ref: readResidentRef(ctx, i), reveal: Boolean(param(ctx, 'options.reveal', i, 'Reveal Personal Data', false)) }),
	async runBatch(uow, inputs) {
		const out: Array<{ ok: true; value: unknown } | { ok: false; error: FieldError }> = [];
		// reveal is usually the same for all items; group to keep one lookup per group
		for (const reveal of [false, true]) {
			const group = inputs.map((x, k) => ({ x, k })).filter(({ x }) => x.reveal === reveal);
			if (!group.length) continue;
			const found = await getResidents(uow, group.map(({ x }) => x.ref), reveal);
			group.forEach(({ k }, g) => {
				const r = found[g];
				out[k] = r instanceof FieldError ? { ok: false, error: r } : { ok: true, value: r };
			});
		}
		return out;
	},
};
