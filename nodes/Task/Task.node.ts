import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { credentialTest, listSearch } from '../shared/n8n/methods';
import { actionNodeDescription, executeRouted } from '../shared/n8n/router';
import { handlers, properties } from './actions/operations';

export class Task implements INodeType {
	description: INodeTypeDescription = actionNodeDescription({
		displayName: 'Task',
		name: 'task',
		icon: 'file:task.svg',
		description: 'Create, assign, offer, accept, start and complete community tasks (door surveys, checkpoint shifts, temperature checks, errands), expire overdue ones and plan checkpoint shifts',
		properties,
	});

	methods = { listSearch, credentialTest };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return executeRouted(this, handlers);
	}
}
