import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { credentialTest, listSearch } from '../shared/n8n/methods';
import { actionNodeDescription, executeRouted } from '../shared/n8n/router';
import { handlers, properties } from './actions/operations';

/** Exports that are delivered also need the higher-level system's credential. */
function withUpstreamCredential(d: INodeTypeDescription): INodeTypeDescription {
	return {
		...d,
		credentials: [
			...(d.credentials ?? []),
			{ name: 'gridUpstreamApi', required: true, displayOptions: { show: { resource: ['export'], deliver: [true] } } },
		],
	};
}

export class GridStatistics implements INodeType {
	description: INodeTypeDescription = withUpstreamCredential(actionNodeDescription({
		displayName: 'Grid Statistics',
		name: 'gridStatistics',
		icon: 'file:gridStatistics.svg',
		description: 'Produce every figure once, from the data, at any level: rollups, staff performance, exports to higher-level systems and the dashboard page',
		properties,
	}));

	methods = { listSearch, credentialTest };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return executeRouted(this, handlers);
	}
}
