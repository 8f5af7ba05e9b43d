/**
 * Running the shipped templates' waiting and self-calling parts in the in-process harness.
 *
 * - A template that calls itself (Execute Workflow → this workflow, one execution per item) cannot do
 *   so in-process: `withoutSelfCalls` turns those nodes into No Operation nodes of the same name, so a
 *   test reads the items they would hand over and runs the called part with each item on its own, as
 *   n8n would.
 * - A Wait node ends an in-process run. `resumeAfterWait` continues the run as n8n does on resume:
 *   every node that ran before keeps its output (pinned, so nothing before the Wait runs twice and
 *   expressions such as $('Node').first() still see it), and the Wait puts out the given item: the
 *   resume request ({ query, body, headers }) or, on a timeout, its input.
 */
import path from 'path';
import type { IDataObject } from 'n8n-workflow';
import { type CredentialsByType, type N8nHarness, type WorkflowJson, type WorkflowRunResult, PROJECT_ROOT, loadWorkflowFile } from './n8nHarness';

/** A shipped template (workflows/<file>) with its Settings node set to the given values, as a user would after import. */
export function templateWithSettings(file: string, settings: IDataObject = {}): WorkflowJson {
	const wf = loadWorkflowFile(path.join(PROJECT_ROOT, 'workflows', file));
	const s = wf.nodes.find((n) => n.name === 'Settings');
	const list = ((s?.parameters?.assignments ?? { assignments: [] }) as { assignments: Array<{ name: string; value: unknown }> }).assignments;
	for (const a of list) if (a.name in settings) a.value = settings[a.name];
	return wf;
}

export function withoutSelfCalls(wf: WorkflowJson): WorkflowJson {
	const nodes = wf.nodes.map((n) => {
		const target = (n.parameters?.workflowId as IDataObject | undefined)?.value;
		return n.type === 'n8n-nodes-base.executeWorkflow' && String(target).includes('$workflow.id')
			? { ...n, type: 'n8n-nodes-base.noOp', typeVersion: 1, parameters: {} }
			: n;
	});
	return { ...wf, nodes };
}

export async function resumeAfterWait(
	harness: N8nHarness,
	wf: WorkflowJson,
	before: WorkflowRunResult,
	wait: string,
	resumed: object[],
	options: { credentials: CredentialsByType; inputNode: string; inputItems: object[] },
): Promise<WorkflowRunResult> {
	if (!before.nodes[wait]) throw new Error(`"${wait}" did not run before the resume`);
	const pinData: NonNullable<WorkflowJson['pinData']> = {};
	for (const [name, runs] of Object.entries(before.nodes)) {
		if (name !== wait && name !== options.inputNode) pinData[name] = runs[runs.length - 1].items.map(({ json, pairedItem }) => ({ json, pairedItem: pairedItem as never }));
	}
	pinData[wait] = resumed.map((json, k) => ({ json: json as IDataObject, pairedItem: { item: k } }));
	return harness.runWorkflow({ ...wf, pinData }, options);
}
