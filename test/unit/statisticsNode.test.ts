import { GridStatistics } from '../../nodes/GridStatistics/GridStatistics.node';
import { DEFAULT_DATASETS } from '../../nodes/shared/domain/export/dataset';

const node = new GridStatistics();
const props = node.description.properties;

describe('the Grid Statistics node description', () => {
	it('offers exactly the shipped datasets, and a custom one', () => {
		const dataset = props.find((p) => p.name === 'dataset') as unknown as { options: Array<{ value: string }>; default: string };
		expect(dataset.options.map((o) => o.value).sort()).toEqual(['custom', ...DEFAULT_DATASETS.map((d) => d.code)].sort());
		expect(DEFAULT_DATASETS.map((d) => d.code)).toContain(dataset.default);
	});

	it('describes every parameter and asks for the upstream credential only when delivering', () => {
		for (const p of props) if (p.type !== 'notice' && p.type !== 'collection' && p.name !== 'resource' && p.name !== 'operation') expect([p.name, typeof p.description]).toEqual([p.name, 'string']);
		expect(node.description.credentials).toEqual([
			expect.objectContaining({ name: 'gridGovernancePostgres', required: true }),
			expect.objectContaining({ name: 'gridUpstreamApi', displayOptions: { show: { resource: ['export'], deliver: [true] } } }),
		]);
		expect(node.description.usableAsTool).toBe(true);
	});
});
