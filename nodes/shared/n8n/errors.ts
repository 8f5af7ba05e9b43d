import { type INode, NodeOperationError } from 'n8n-workflow';
import { FieldError, GridError } from '../validation/errors';

/** The text a user sees for an item's problem: item index, field, what is wrong. */
export function itemMessage(error: Error, itemIndex: number): string {
	if (error instanceof FieldError) return `Item ${itemIndex}, field "${error.field}": ${error.message}`;
	return `Item ${itemIndex}: ${error.message}`;
}

export function toNodeError(node: INode, error: unknown, itemIndex?: number): NodeOperationError {
	if (error instanceof NodeOperationError) return error;
	const e = error instanceof Error ? error : new Error(String(error));
	const description = e instanceof GridError ? e.description : e instanceof FieldError ? fieldHint(e) : undefined;
	const message = itemIndex === undefined ? e.message : itemMessage(e, itemIndex);
	const nodeError = new NodeOperationError(node, message, { itemIndex, description });
	// n8n swaps a message that mentions ECONNRESET, ECONNABORTED, ETIMEDOUT… for a generic line without
	// the server, the item or the fate of the work; ours already says all of that
	nodeError.message = message;
	return nodeError;
}

function fieldHint(e: FieldError): string {
	const related = e.relatedItems?.length ? ` Related item(s): ${e.relatedItems.join(', ')}.` : '';
	return `Fix the "${e.field}" value of this item and run again; nothing from this batch was written.${related}`;
}

/** The JSON of an error item under Continue On Fail; a refused delivery also carries the upstream's answer. */
export function errorJson(error: unknown, itemIndex: number) {
	const e = error instanceof Error ? error : new Error(String(error));
	const upstream = e as Error & { upstreamStatus?: number; upstreamBody?: unknown };
	return {
		error: itemMessage(e, itemIndex),
		...(e instanceof FieldError ? { field: e.field } : {}),
		...(e instanceof GridError && e.description ? { description: e.description } : {}),
		...('upstreamStatus' in upstream ? { upstreamStatus: upstream.upstreamStatus ?? null, upstreamBody: upstream.upstreamBody ?? null } : {}),
		itemIndex,
	};
}
