/**
 * The in-process n8n harness itself (test/helpers/n8nHarness.ts), without a database: n8n-nodes-base
 * nodes run through WorkflowExecute, injected items, paired items, and the errors a test would hit.
 */
import type { WorkflowJson } from '../helpers/n8nHarness';
import { GRID_NODE_TYPE, getHarness } from '../helpers/n8nHarness';

const codeWorkflow: WorkflowJson = {
	nodes: [
		{ name: 'Start', type: 'n8n-nodes-base.manualTrigger', parameters: {} },
		{
			name: 'Double',
			type: 'n8n-nodes-base.code',
			parameters: { jsCode: 'return $input.all().map((item) => ({ json: { n: item.json.n, doubled: item.json.n * 2 } }));' },
		},
		{ name: 'Done', type: 'n8n-nodes-base.noOp', parameters: {} },
	],
	connections: {
		Start: { main: [[{ node: 'Double', type: 'main', index: 0 }]] },
		Double: { main: [[{ node: 'Done', type: 'main', index: 0 }]] },
	},
};

describe('the n8n harness', () => {
	it('loads our built node and the n8n-nodes-base nodes the tests use', async () => {
		const harness = await getHarness();
		expect(harness.nodeTypes.knownNames()).toEqual(expect.arrayContaining([
			GRID_NODE_TYPE,
			'n8n-nodes-base.manualTrigger',
			'n8n-nodes-base.noOp',
			'n8n-nodes-base.set',
			'n8n-nodes-base.code',
			'n8n-nodes-base.postgres',
		]));
		expect(harness.nodeTypes.getCredentialType('gridGovernancePostgres')?.properties.map((p) => p.name)).toContain('personalDataKey');
	});

	it('feeds injected items to the workflow as the trigger output and pairs every output item', async () => {
		const input = [3, 5, 8].map((n) => ({ n }));
		const result = await (await getHarness()).runWorkflow(codeWorkflow, { inputItems: input });
		expect(result.error).toBeUndefined();
		expect(result.output('Done').map((i) => i.json)).toEqual(input.map(({ n }) => ({ n, doubled: n * 2 })));
		expect(result.output('Done').map((i) => i.pairedItem)).toEqual(input.map((_, k) => ({ item: k })));
	});

	it('runs the Manual Trigger itself when no items are injected, many times in one process', async () => {
		const harness = await getHarness();
		const runs = await Promise.all(Array.from({ length: 20 }, () => harness.runWorkflow(codeWorkflow)));
		expect(new Set(runs.map((r) => r.executionId)).size).toBe(20);
		for (const r of runs) {
			expect(r.status).toBe('success');
			expect(r.output('Start')).toHaveLength(1);
			expect(r.output('Done')).toHaveLength(1);
		}
	});

	it('reports a node error with the error the node threw, and stops there', async () => {
		const failing: WorkflowJson = structuredClone(codeWorkflow);
		failing.nodes[1].parameters = { jsCode: "throw new Error('no doubling today');" };
		const result = await (await getHarness()).runWorkflow(failing, { inputItems: [{ n: 1 }] });
		expect(result.status).toBe('error');
		expect(result.failedNode).toBe('Double');
		expect(result.node('Double').error?.message).toMatch(/no doubling today/);
		expect(result.nodes.Done).toBeUndefined();
		expect(() => result.output('Done')).toThrow(/has no run/);
	});

	it('says which credentials are missing', async () => {
		const workflow: WorkflowJson = {
			nodes: [
				{ name: 'Start', type: 'n8n-nodes-base.manualTrigger', parameters: {} },
				{ name: 'Grid', type: GRID_NODE_TYPE, parameters: { resource: 'unit', operation: 'bulkImport' }, credentials: { gridGovernancePostgres: { id: '1', name: 'x' } } },
			],
			connections: { Start: { main: [[{ node: 'Grid', type: 'main', index: 0 }]] } },
		};
		const result = await (await getHarness()).runWorkflow(workflow, { inputItems: [{ code: '370614', name: '蓬莱区' }] });
		expect(result.status).toBe('error');
		expect(result.node('Grid').error?.message).toMatch(/No test credentials of type "gridGovernancePostgres"/);
	});

	it('refuses a node type it has not loaded', async () => {
		const workflow: WorkflowJson = { nodes: [{ name: 'Slack', type: 'n8n-nodes-base.slack', parameters: {} }], connections: {} };
		await expect((await getHarness()).runWorkflow(workflow)).rejects.toThrow(/has not loaded/);
	});
});
