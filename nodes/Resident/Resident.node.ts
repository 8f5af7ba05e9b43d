import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { credentialTest, listSearch } from '../shared/n8n/methods';
import { actionNodeDescription, executeRouted } from '../shared/n8n/router';
import { handlers, properties } from './actions/operations';

export class Resident implements INodeType {
	description: INodeTypeDescription = actionNodeDescription({
		displayName: 'Resident',
		name: 'resident',
		icon: 'file:resident.svg',
		description: 'Keep the registry of households and residents in the grid: protected identity data, health status, observations, verification lists and contact tracing',
		properties,
	});

	methods = { listSearch, credentialTest };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return executeRouted(this, handlers);
	}
}
