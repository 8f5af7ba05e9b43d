import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import type { Actor, Outcome, UnitOfWork } from '../domain/context';
import { inSavepoint, withUnitOfWork } from '../db/unitOfWork';
import { FieldError } from '../validation/errors';
import type { SegmentWidths } from '../validation/gridCode';
import type { ConnectionConfig } from '../db/config';
import { CREDENTIAL_NAME, configFromCredential } from './credentials';
import { errorJson, toNodeError } from './errors';

/**
 * What a node operation supplies to the one execute loop: how to read an item's parameters,
 * and how to run the checked inputs either as one set-based batch or one by one.
 */
export type OperationHandler<TIn, TOut> = {
	/** Reads and checks one item's parameters. Throws FieldError; writes nothing. */
	read: (ctx: IExecuteFunctions, itemIndex: number, env: ReadEnv) => TIn;
	/** For operations that read item fields: the item key to name instead of a field's label. */
	itemField?: (label: string, env: ReadEnv) => string | undefined;
	/**
	 * Shapes one item's result after the transaction has committed: files as binary data, deliveries
	 * to other systems (which keep their own ledger in transactions of their own). Throwing here fails
	 * that item only, as Continue On Fail allows.
	 */
	finish?: (value: TOut, finishing: FinishEnv) => Promise<INodeExecutionData[]>;
} & (
	| { runBatch: (uow: UnitOfWork, inputs: TIn[]) => Promise<Array<Outcome<TOut>>> }
	| { runEach: (uow: UnitOfWork, input: TIn) => Promise<TOut | TOut[]> }
);

/** What reading an item may need besides its parameters. */
export interface ReadEnv {
	items: INodeExecutionData[];
	widths: SegmentWidths;
	/** The credential's time zone, for calendars and local dates. */
	timezone: string;
}

/** What finishing an item may use besides its result. */
export interface FinishEnv {
	ctx: IExecuteFunctions;
	itemIndex: number;
	config: ConnectionConfig;
	actor: Actor;
}

function actorOf(ctx: IExecuteFunctions): Actor {
	const actor: Actor = { node: ctx.getNode().name };
	try {
		actor.workflowId = String(ctx.getWorkflow().id ?? '');
		actor.executionId = String(ctx.getExecutionId() ?? '');
	} catch {
		// manual runs of unsaved workflows have no ids
	}
	try {
		const acting = ctx.getNodeParameter('options.actingStaff', 0, '') as string;
		if (acting) actor.actingStaff = acting;
	} catch {
		// operations without the option
	}
	return actor;
}

function toItems(value: unknown, itemIndex: number): INodeExecutionData[] {
	const values = Array.isArray(value) ? value : [value];
	return values.map((v) => ({ json: v as IDataObject, pairedItem: { item: itemIndex } }));
}

/**
 * The execute loop every node uses: validate all items first, then run them in one transaction
 * (set-based where the operation allows), honour Continue On Fail, and pair every output item.
 */
export async function runOperation<TIn, TOut>(ctx: IExecuteFunctions, handler: OperationHandler<TIn, TOut>): Promise<INodeExecutionData[]> {
	const items = ctx.getInputData();
	const continueOnFail = ctx.continueOnFail();
	const node = ctx.getNode();

	const config = configFromCredential(await ctx.getCredentials(CREDENTIAL_NAME));
	const env: ReadEnv = { items, widths: config.segmentWidths, timezone: config.timezone };
	const rename = (e: unknown) => {
		if (e instanceof FieldError && handler.itemField) e.field = handler.itemField(e.field, env) ?? e.field;
		return e;
	};
	const inputs: Array<{ index: number; input: TIn }> = [];
	const errors = new Map<number, Error>();
	for (let i = 0; i < items.length; i++) {
		try {
			inputs.push({ index: i, input: handler.read(ctx, i, env) });
		} catch (error) {
			if (!continueOnFail) throw toNodeError(node, rename(error), i);
			errors.set(i, error as Error);
		}
	}

	const results = new Map<number, unknown>();
	const actor = actorOf(ctx);
	if (inputs.length) {
		try {
			await withUnitOfWork(config, { actor, partial: continueOnFail }, async (uow) => {
				// a retried unit of work (serialization failure, deadlock) starts from a clean slate
				for (const { index } of inputs) {
					results.delete(index);
					errors.delete(index);
				}
				if ('runBatch' in handler) {
					const outcomes = await handler.runBatch(uow, inputs.map((x) => x.input));
					outcomes.forEach((o, k) => {
						const index = inputs[k].index;
						if (o.ok) results.set(index, o.value);
						else {
							// the domain counted positions among the items that reached it
							o.error.renumber?.((position) => inputs[position].index);
							errors.set(index, o.error);
						}
					});
					if (!continueOnFail) {
						const first = inputs.find((x) => errors.has(x.index));
						if (first) throw Object.assign(errors.get(first.index)!, { itemIndex: first.index });
					}
					return;
				}
				for (const { index, input } of inputs) {
					try {
						const value = continueOnFail
							? await inSavepoint(uow, (sp) => handler.runEach(sp, input))
							: await handler.runEach(uow, input);
						results.set(index, value);
					} catch (error) {
						if (!continueOnFail || !(error instanceof Error)) throw Object.assign(error as Error, { itemIndex: index });
						errors.set(index, error);
					}
				}
			});
		} catch (error) {
			const itemIndex = (error as FieldError).itemIndex;
			if (!continueOnFail) throw toNodeError(node, rename(error), itemIndex);
			// The whole unit of work failed (server down, key mismatch): every item reports it.
			results.clear();
			for (const { index } of inputs) errors.set(index, error as Error);
		}
	}

	const finished = new Map<number, INodeExecutionData[]>();
	if (handler.finish) {
		for (const [index, value] of results) {
			try {
				finished.set(index, await handler.finish(value as TOut, { ctx, itemIndex: index, config, actor }));
			} catch (error) {
				if (!continueOnFail) throw toNodeError(node, rename(error), index);
				errors.set(index, error as Error);
			}
		}
	}

	const out: INodeExecutionData[] = [];
	const toErrorOutput = node.onError === 'continueErrorOutput';
	for (const e of errors.values()) rename(e);
	for (let i = 0; i < items.length; i++) {
		// n8n routes an item to the error output only when it carries `error` (the JSON then becomes the
		// message alone), so it is set only there: a plain Continue On Fail keeps the detailed JSON
		if (errors.has(i)) out.push({ json: errorJson(errors.get(i), i), ...(toErrorOutput ? { error: toNodeError(node, errors.get(i), i) } : {}), pairedItem: { item: i } });
		else if (finished.has(i)) for (const item of finished.get(i)!) out.push({ ...item, pairedItem: { item: i } });
		// one by one: a list may return more values than a spread call can take as arguments
		else if (results.has(i)) for (const item of toItems(results.get(i), i)) out.push(item);
	}
	return out;
}
