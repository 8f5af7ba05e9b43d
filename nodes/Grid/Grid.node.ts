import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { credentialTest, listSearch } from '../shared/n8n/methods';
import { actionNodeDescription, executeRouted } from '../shared/n8n/router';
import { handlers, properties } from './actions/operations';

export class Grid implements INodeType {
	description: INodeTypeDescription = actionNodeDescription({
		displayName: 'Grid',
		name: 'grid',
		icon: 'file:grid.svg',
		description: 'Model the five-level governance grid (district → street → community → base grid → building) and the staff who answer for it',
		properties,
	});

	methods = { listSearch, credentialTest };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return executeRouted(this, handlers);
	}
}
