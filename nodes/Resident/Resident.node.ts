import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { runOperation } from '../shared/n8n/executeLoop';
import { credentialTest, listSearch } from '../shared/n8n/methods';
import { handlers, properties } from './actions/operations';

export class Resident implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Resident',
		name: 'resident',
		icon: 'file:resident.svg',
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Keep the registry of households and residents in the grid: protected identity data, health status, observations, verification lists and contact tracing',
		defaults: { name: 'Resident' },
		inputs: ['main'],
		outputs: ['main'],
		usableAsTool: true,
		credentials: [{ name: 'gridGovernancePostgres', required: true, testedBy: 'gridGovernancePostgresConnectionTest' }],
		properties,
	};

	methods = { listSearch, credentialTest };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const resource = this.getNodeParameter('resource', 0) as string;
		const operation = this.getNodeParameter('operation', 0) as string;
		const handler = handlers[resource]?.[operation];
		if (!handler) {
			throw new NodeOperationError(this.getNode(), `The operation "${operation}" of resource "${resource}" is not known`);
		}
		return [await runOperation(this, handler)];
	}
}
