/**
 * Running one branch of a shipped template in the in-process harness: the templates start at
 * webhooks, schedules and Grid Triggers, and stop at Wait nodes, which only a live n8n resumes. A test
 * runs the part after a trigger (or after a Wait, to stand for a resume or a timeout) on its own.
 */
import type { WorkflowJson } from './n8nHarness';

/**
 * The part of a workflow reachable from one node, run on its own: a trigger there (webhook, schedule)
 * becomes a manual trigger of the same name, fed the items a request would bring; an ordinary node gets
 * a manual trigger in front of it. Returns the workflow and the node to feed.
 */
export function branch(wf: WorkflowJson, start: string): { workflow: WorkflowJson; feed: string } {
	const keep = new Set([start]);
	for (let grew = true; grew;) {
		grew = false;
		for (const [from, c] of Object.entries(wf.connections)) {
			if (!keep.has(from)) continue;
			for (const t of c.main.flat()) if (t && !keep.has(t.node)) { keep.add(t.node); grew = true; }
		}
	}
	const nodes = wf.nodes.filter((n) => keep.has(n.name));
	const connections = Object.fromEntries(Object.entries(wf.connections).filter(([from]) => keep.has(from)));
	const first = nodes.find((n) => n.name === start)!;
	if (/webhook|Trigger/i.test(first.type)) {
		Object.assign(first, { type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {} });
		// the HTTP answer needs a live request; what it answers with is the previous node's output
		const answers = new Set(nodes.filter((n) => n.type === 'n8n-nodes-base.respondToWebhook').map((n) => n.name));
		const kept = nodes.filter((n) => !answers.has(n.name));
		for (const c of Object.values(connections)) c.main = c.main.map((out) => (out ?? []).filter((t) => !answers.has(t.node)));
		return { workflow: { ...wf, nodes: kept, connections }, feed: start };
	}
	nodes.unshift({ name: 'Branch Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {} } as WorkflowJson['nodes'][number]);
	connections['Branch Start'] = { main: [[{ node: start, type: 'main' as never, index: 0 }]] };
	return { workflow: { ...wf, nodes, connections }, feed: 'Branch Start' };
}

