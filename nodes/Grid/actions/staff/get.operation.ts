import type { INodeProperties } from 'n8n-workflow';
import { type StaffRef, getStaff } from '../../../shared/domain/grid/staff';
import { optionsCollection, revealOption, showFor, staffLocator } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param, staffParam } from '../../../shared/n8n/params';
import { FieldError } from '../../../shared/validation/errors';

export const description: INodeProperties[] = [
	{ ...staffLocator('staff', 'Staff', 'The staff member to get, with their current posts'), displayOptions: showFor('staff', 'get') },
];

export const options = optionsCollection('staff', ['get', 'list'], [revealOption]);

export const handler: OperationHandler<{ staff: StaffRef; reveal: boolean }, unknown> = {
	read: (ctx, i) => ({
		staff: staffParam(ctx, 'staff', i, 'Staff'),
		reveal: Boolean(param(ctx, 'options.reveal', i, 'Reveal Personal Data', false)),
	}),
	async runBatch(uow, inputs) {
		// Reveal is per item; group so each reveal is audited only for the items that asked.
		const results: Array<Awaited<ReturnType<typeof getStaff>>> = [];
		for (const reveal of [true, false]) {
			const refs = inputs.filter((x) => x.reveal === reveal).map((x) => x.staff);
			results.push(refs.length ? await getStaff(uow, refs, reveal) : []);
		}
		const cursor = { true: 0, false: 0 };
		return inputs.map((x) => {
			const r = results[x.reveal ? 0 : 1][cursor[String(x.reveal) as 'true' | 'false']++];
			return r instanceof FieldError ? { ok: false, error: r } : { ok: true, value: r };
		});
	},
};
