/**
 * The shipped Notice templates (workflows/policy-notice-broadcast.json, workflows/community-consultation.json)
 * run in-process by n8n from the BUILT package against real PostgreSQL, with their HTTP Request nodes
 * pointed at a loopback gateway: a notice reaches each household once (a re-run sends nothing new), the
 * gateway's callbacks are logged, and a consultation is created, its invitations sent, answered through
 * the webhook branch and tallied by the hourly branch.
 */
import path from 'path';
import type { IDataObject } from 'n8n-workflow';
import { closeAllPools } from '../../nodes/shared/db/pool';
import { type NewResident, checkResident } from '../../nodes/shared/domain/resident/residentInput';
import { saveResidents } from '../../nodes/shared/domain/resident/residents';
import { DEFAULT_SEGMENT_WIDTHS } from '../../nodes/shared/validation/gridCode';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { FlakyUpstream } from '../helpers/flakyUpstream';
import { type CredentialsByType, type N8nHarness, type WorkflowJson, getHarness, gridCredentials, loadWorkflowFile } from '../helpers/n8nHarness';
import { branch } from '../helpers/templateBranch';
import { mobile } from '../helpers/people';
import { run, seedSmallDistrict } from '../helpers/uow';

const ROOT = path.join(__dirname, '..', '..', 'workflows');
const BASE_NODES = ['manualTrigger', 'noOp', 'set', 'code', 'httpRequest', 'webhook', 'respondToWebhook', 'scheduleTrigger', 'stickyNote', 'if'];
let db: TestDatabase;
let harness: N8nHarness;
let credentials: CredentialsByType;
let gateway: FlakyUpstream;

/** A template with its HTTP Request nodes sent to the loopback gateway and its scope set to the test district. */
function template(file: string, edit: (wf: WorkflowJson) => void = () => undefined): WorkflowJson {
	const wf = loadWorkflowFile(path.join(ROOT, file));
	for (const n of wf.nodes) if (n.type === 'n8n-nodes-base.httpRequest') n.parameters = { ...(n.parameters as IDataObject), url: `${gateway.url}/send` } as WorkflowJson['nodes'][number]['parameters'];
	edit(wf);
	return wf;
}

const runBranch = (wf: WorkflowJson, start: string, inputItems: object[]) => {
	const b = branch(wf, start);
	return harness.runWorkflow(b.workflow, { credentials, inputNode: b.feed, inputItems });
};

const setParam = (wf: WorkflowJson, node: string, values: IDataObject) => {
	const n = wf.nodes.find((x) => x.name === node)!;
	n.parameters = { ...(n.parameters as IDataObject), ...values } as WorkflowJson['nodes'][number]['parameters'];
};

beforeAll(async () => {
	db = await createTestDatabase('wf_notice_templates');
	await seedSmallDistrict(db.config());
	// two households in one building, one in another: three adults with phones, one child without
	const people: Array<[string, string, string, number, boolean]> = [
		['张三丰', '370614-001-001-001-0001', '101', 1960, true],
		['张小', '370614-001-001-001-0001', '101', 2016, false],
		['李四', '370614-001-001-001-0001', '102', 1985, true],
		['赵六', '370614-001-001-002-0001', '201', 1990, true],
	];
	const rules = { widths: DEFAULT_SEGMENT_WIDTHS, allowCustomTags: false };
	const saved = await run(db.config(), (uow) => saveResidents(uow,
		people.map(([name, buildingCode, roomNo, birthYear, hasPhone], k) =>
			checkResident({ name, buildingCode, unitNo: '1', roomNo, birthYear, ...(hasPhone ? { phone: mobile(2000 + k) } : {}) }, rules) as NewResident),
		{ mode: 'create', matchPhoneAndName: false, storeFullDocument: false }));
	if (saved.some((o) => !o.ok)) throw new Error('residents not created');
	credentials = { gridGovernancePostgres: gridCredentials(db.config()) };
	harness = await getHarness({ baseNodes: BASE_NODES });
	gateway = await new FlakyUpstream().start();
});

afterEach(() => gateway.reset());

afterAll(async () => {
	await gateway?.close();
	await harness?.closeGridPools();
	await closeAllPools();
	await db?.drop();
});

describe('the templates', () => {
	it.each(['policy-notice-broadcast.json', 'community-consultation.json'])('%s uses only known nodes and explains itself in both languages', async (file) => {
		const wf = loadWorkflowFile(path.join(ROOT, file));
		for (const n of wf.nodes) {
			expect([n.name, n.type.startsWith('n8n-nodes-grid-governance.') || BASE_NODES.includes(n.type.replace('n8n-nodes-base.', ''))]).toEqual([n.name, true]);
		}
		const notes = wf.nodes.filter((n) => n.type === 'n8n-nodes-base.stickyNote').map((n) => String(n.parameters?.content));
		expect(notes.length).toBeGreaterThanOrEqual(2);
		expect(notes.some((t) => /[\u4e00-\u9fff]/.test(t) && /What to adapt/.test(t))).toBe(true);
		for (const target of Object.values(wf.connections).flatMap((c) => c.main.flat())) {
			expect(wf.nodes.map((n) => n.name)).toContain(target!.node);
		}
	});
});

describe('policy notice broadcast', () => {
	const scoped = (wf: WorkflowJson) => setParam(wf, 'Compose Notice', { noticeUnit: { __rl: true, mode: 'code', value: '370614-001' } });

	it('sends one SMS per household with a phone, and a re-run of the same notice sends nothing new', async () => {
		const wf = template('policy-notice-broadcast.json', scoped);
		const first = await harness.runWorkflow(wf, { credentials });
		expect(first.status).toBe('success');
		const prepared = first.output('Prepare Delivery');
		// household 101 (its adult with a phone), household 102, household 201
		expect(prepared).toHaveLength(3);
		expect(gateway.requests).toHaveLength(3);
		const sent = gateway.requests.map((r) => JSON.parse(r.body.toString('utf8')) as { to: string; text: string; messageId: string });
		expect(sent.map((s) => s.to).sort()).toEqual([mobile(2000), mobile(2002), mobile(2003)].sort());
		expect(sent.every((s) => s.text.includes('燃气安全') && !s.text.includes('{{'))).toBe(true);

		// the same notice prepared again (a second run of the later part): no one twice
		const noticeId = first.output('Compose Notice')[0].json.noticeId;
		gateway.reset();
		const again = await runBranch(wf, 'Preview', [{ noticeId }]);
		expect(again.nodes['Prepare Delivery']?.[0]?.items ?? []).toHaveLength(0);
		expect(gateway.requests).toHaveLength(0);

		// the gateway reports back through the webhook branch
		const callbacks = sent.map((s, k) => ({ body: { messageId: s.messageId, status: k === 0 ? 'failed' : 'delivered', reason: k === 0 ? '空号 number does not exist' : undefined, at: new Date().toISOString() } }));
		const logged = await runBranch(wf, 'Delivery Callback', callbacks);
		expect(logged.output('Record Callbacks').every((i) => !i.json.error)).toBe(true);
		const rows = await db.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM grid.notice_recipient WHERE notice_id = $1 GROUP BY status ORDER BY status`, [noticeId]);
		expect(rows).toEqual([{ status: 'delivered', n: 2 }, { status: 'failed', n: 1 }]);
	});
});

let consultationId = 0;

describe('community consultation', () => {
	it('invites each household, takes answers through the webhook branch and tallies them every hour', async () => {
		const wf = template('community-consultation.json');
		const created = await harness.runWorkflow(wf, { credentials });
		expect(created.status).toBe('success');
		consultationId = created.output('Create Consultation')[0].json.id as number;
		const invitations = created.output('Issue Invitations');
		// the community 370614-001-001 holds the three households
		expect(invitations).toHaveLength(3);
		expect(gateway.requests).toHaveLength(3);
		expect(JSON.parse(gateway.requests[0].body.toString('utf8')).text).toMatch(/consultation-response\?token=/);

		const tokens = invitations.map((i) => String(i.json.token));
		const answers = [{ query: { token: tokens[0], choice: 'agree' } }, { query: { token: tokens[1], choice: 'agree' } }, { query: { token: tokens[2], choice: 'maybe' } }, { query: { token: `${tokens[0].slice(0, -4)}AAAA`, choice: 'agree' } }];
		const responded = await runBranch(wf, 'Response', answers);
		const replies = responded.output('Respond').map((i) => i.json);
		expect(replies.filter((r) => r.error)).toHaveLength(2);

		const hourly = template('community-consultation.json', (w) => {
			const set = w.nodes.find((n) => n.name === 'Consultation')!;
			set.parameters = { ...set.parameters, assignments: { assignments: [{ id: 'c', name: 'consultationId', value: consultationId, type: 'number' }] } };
		});
		const tally = await runBranch(hourly, 'Every Hour', [{}]);
		expect(tally.status).toBe('success');
		expect(tally.nodes.Close).toBeUndefined();
		const text = JSON.stringify(tally.output('Tally'));
		expect(text).toContain('agree');
		const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.consultation_response WHERE consultation_id = $1`, [consultationId]);
		expect(n).toBe(2);
	});

	it('closes the consultation and sends its frozen result upward once, through the export ledger', async () => {
		const wf: WorkflowJson = {
			nodes: [
				{ name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {} },
				{ name: 'Close', type: 'n8n-nodes-grid-governance.notice', typeVersion: 1, parameters: { resource: 'consultation', operation: 'close', consultationId, breakdownLevel: 4, closeEarly: true, options: {} } },
				{ name: 'Export', type: 'n8n-nodes-grid-governance.gridStatistics', typeVersion: 1, parameters: { resource: 'export', operation: 'create', source: 'consultationResult', consultationId: '={{ $json.consultationId }}', deliver: true, upstreamPath: '/consultations' } },
			] as WorkflowJson['nodes'],
			connections: { Start: { main: [[{ node: 'Close', type: 'main' as never, index: 0 }]] }, Close: { main: [[{ node: 'Export', type: 'main' as never, index: 0 }]] } },
		};
		const upstream = { ...credentials, gridUpstreamApi: { baseUrl: gateway.url, authentication: 'none', headers: '{}', timeoutMs: 2000 } };
		const first = await harness.runWorkflow(wf, { credentials: upstream });
		expect(first.status).toBe('success');
		const out = first.output('Export')[0].json;
		expect(out).toMatchObject({ format: 'json', dataset: `CONSULTATION_${consultationId}`, delivery: { action: 'sent' } });
		const sent = JSON.parse(gateway.requests[0].body.toString('utf8'));
		expect(sent.consultation.id).toBe(consultationId);
		expect(sent.total.responded).toBe(2);
		const again = await harness.runWorkflow(wf, { credentials: upstream });
		expect(again.output('Export')[0].json.delivery).toMatchObject({ action: 'skipped' });
		expect(gateway.requests).toHaveLength(1);
	});
});
