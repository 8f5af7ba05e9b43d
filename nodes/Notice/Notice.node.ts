import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { credentialTest, listSearch } from '../shared/n8n/methods';
import { actionNodeDescription, executeRouted } from '../shared/n8n/router';
import { handlers, properties } from './actions/operations';

export class Notice implements INodeType {
	description: INodeTypeDescription = actionNodeDescription({
		displayName: 'Notice',
		name: 'notice',
		icon: 'file:notice.svg',
		description: 'Reach exactly the right residents with notices through any channel, once each, and consult residents on community decisions with tallies no one can stuff',
		properties,
	});

	methods = { listSearch, credentialTest };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return executeRouted(this, handlers);
	}
}
