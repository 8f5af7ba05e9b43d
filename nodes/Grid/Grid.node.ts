import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { runOperation } from '../shared/n8n/executeLoop';
import { credentialTest, listSearch } from '../shared/n8n/methods';
import { handlers, properties } from './actions/operations';

export class Grid implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Grid',
		name: 'grid',
		icon: 'file:grid.svg',
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Model the five-level governance grid (district → street → community → base grid → building) and the staff who answer for it',
		defaults: { name: 'Grid' },
		// a plain string keeps the node loadable on n8n versions before NodeConnectionTypes existed
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
