/**
 * Every shipped template (workflows/*.json) as a user imports it: only our nodes and the n8n core nodes
 * the issue allows, each type and version one that n8n loads, credentials referenced by type, no Code
 * node, connections that point at nodes that exist, the Shanghai time zone, and a sticky note in both
 * languages that says what to adapt. What each template does is tested in templates.<flow>.workflow.test.ts.
 */
import { readdirSync } from 'fs';
import path from 'path';
import { type N8nHarness, PROJECT_ROOT, getHarness, loadWorkflowFile } from '../helpers/n8nHarness';

const DIR = path.join(PROJECT_ROOT, 'workflows');
const CORE_NODES = ['manualTrigger', 'noOp', 'set', 'httpRequest', 'webhook', 'respondToWebhook', 'scheduleTrigger', 'stickyNote', 'if',
	'switch', 'wait', 'executeWorkflow', 'executeWorkflowTrigger', 'emailSend', 'splitOut'];
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

let harness: N8nHarness;

beforeAll(async () => {
	harness = await getHarness({ baseNodes: CORE_NODES });
});

afterAll(async () => {
	await harness?.closeGridPools();
});

it('ships the ten templates the README lists', () => {
	expect(FILES).toEqual(['community-consultation.json', 'daily-reporting.json', 'dashboard.json', 'high-risk-escalation.json', 'incident-intake.json',
		'needs-to-deliveries.json', 'policy-notice-broadcast.json', 'temperature-campaign.json', 'verification-list.json', 'volunteer-dispatch.json']);
});

it.each(FILES)('%s uses only known nodes, references credentials by type and explains itself in both languages', (file) => {
	const wf = loadWorkflowFile(path.join(DIR, file));
	for (const n of wf.nodes) {
		expect([n.name, n.type.startsWith('n8n-nodes-grid-governance.') || CORE_NODES.includes(n.type.replace('n8n-nodes-base.', ''))]).toEqual([n.name, true]);
		expect([n.name, harness.nodeTypes.getByNameAndVersion(n.type, n.typeVersion).description.name]).toEqual([n.name, n.type.split('.')[1]]);
		for (const [type, ref] of Object.entries(n.credentials ?? {})) expect([type, ref.id, ref.name].every(Boolean)).toBe(true);
	}
	expect(wf.nodes.some((n) => n.type === 'n8n-nodes-base.code')).toBe(false);
	const notes = wf.nodes.filter((n) => n.type === 'n8n-nodes-base.stickyNote').map((n) => String(n.parameters?.content));
	expect(notes.some((t) => /[\u4e00-\u9fff]/.test(t) && /What to adapt/.test(t))).toBe(true);
	for (const target of Object.values(wf.connections).flatMap((c) => c.main.flat())) expect(wf.nodes.map((n) => n.name)).toContain(target!.node);
	expect(wf.settings).toMatchObject({ timezone: 'Asia/Shanghai' });
});
