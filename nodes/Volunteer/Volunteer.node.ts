import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { credentialTest, listSearch } from '../shared/n8n/methods';
import { actionNodeDescription, executeRouted } from '../shared/n8n/router';
import { handlers, properties } from './actions/operations';

export class Volunteer implements INodeType {
	description: INodeTypeDescription = actionNodeDescription({
		displayName: 'Volunteer',
		name: 'volunteer',
		icon: 'file:volunteer.svg',
		description: 'Keep the registry of volunteers and teams, and dispatch open tasks to the volunteers who fit them best, safely from parallel workers',
		properties,
	});

	methods = { listSearch, credentialTest };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return executeRouted(this, handlers);
	}
}
