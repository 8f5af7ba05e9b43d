import type { IExecuteFunctions, ILoadOptionsFunctions, INodeExecutionData, INodePropertyOptions, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { DEFAULT_CATEGORIES, categoryLabel, checkCategories } from '../shared/domain/incident/categories';
import { credentialTest, listSearch } from '../shared/n8n/methods';
import { actionNodeDescription, executeRouted } from '../shared/n8n/router';
import { handlers, properties } from './actions/operations';

export class Incident implements INodeType {
	description: INodeTypeDescription = actionNodeDescription({
		displayName: 'Incident',
		name: 'incident',
		icon: 'file:incident.svg',
		description: 'Take in, triage, assign, escalate and close community incidents with SLA timers on a working calendar, and speak Open311 GeoReport v2',
		properties,
	});

	methods = {
		listSearch,
		credentialTest,
		loadOptions: {
			// The category list follows the node's own vocabulary when one is given.
			async getCategories(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
				let vocab = DEFAULT_CATEGORIES;
				try {
					const custom = this.getCurrentNodeParameter('options.categories');
					if (custom) vocab = checkCategories(custom, 'Categories (JSON)');
				} catch {
					// an unfinished custom vocabulary: show the defaults until it is valid
				}
				return vocab.map((c) => ({ name: categoryLabel(c), value: c.code, description: c.group }));
			},
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return executeRouted(this, handlers);
	}
}
