import type { IExecuteFunctions, INodeExecutionData, INodeProperties, INodeTypeDescription } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { type OperationHandler, runOperation } from './executeLoop';

// Each operation has its own input type; the router only passes them through.
export type HandlerTable = Record<string, Record<string, OperationHandler<any, any>>>;

/** Finds the handler for the node's resource and operation and runs it through the one execute loop. */
export async function executeRouted(ctx: IExecuteFunctions, handlers: HandlerTable): Promise<INodeExecutionData[][]> {
	const resource = ctx.getNodeParameter('resource', 0) as string;
	const operation = ctx.getNodeParameter('operation', 0) as string;
	const handler = handlers[resource]?.[operation];
	if (!handler) {
		throw new NodeOperationError(ctx.getNode(), `The operation "${operation}" of resource "${resource}" is not known`);
	}
	return [await runOperation(ctx, handler)];
}

/** What every action node of this package shares: credential, tool use, one input and output. */
export function actionNodeDescription(d: {
	displayName: string;
	name: string;
	icon: INodeTypeDescription['icon'];
	description: string;
	properties: INodeProperties[];
}): INodeTypeDescription {
	return {
		...d,
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		defaults: { name: d.displayName },
		inputs: ['main'],
		outputs: ['main'],
		usableAsTool: true,
		credentials: [{ name: 'gridGovernancePostgres', required: true, testedBy: 'gridGovernancePostgresConnectionTest' }],
	};
}
