/**
 * The shipped templates workflows/incident-intake.json and workflows/high-risk-escalation.json, run
 * in-process by n8n from the BUILT package against real PostgreSQL, with the escalation's messaging
 * endpoint (its Settings) pointed at a loopback gateway and its email alternative at a loopback SMTP
 * server.
 *
 * Intake runs from its webhook with the items n8n's Webhook node puts out ({ headers, params, query,
 * body }); the Respond to Webhook nodes need a live request, so a test reads what they are given.
 * Escalation: each incident runs as its own execution of the template (its self-calls are replaced by
 * No Operation nodes here, and the called part runs per item); the Wait node's resume is played with
 * the request n8n's Wait node puts out or, on a timeout, its own input.
 */
import type { IDataObject } from 'n8n-workflow';
import { closeAllPools } from '../../nodes/shared/db/pool';
import { assignStaff } from '../../nodes/shared/domain/grid/assignments';
import { createStaff } from '../../nodes/shared/domain/grid/staff';
import { updateStatus } from '../../nodes/shared/domain/incident/lifecycle';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { FlakyUpstream } from '../helpers/flakyUpstream';
import { type CredentialsByType, type N8nHarness, getHarness, gridCredentials } from '../helpers/n8nHarness';
import { makeOverdue } from '../helpers/incidents';
import { mobile } from '../helpers/people';
import { activatePolling } from '../helpers/pollHarness';
import { tickUntil } from '../helpers/templatesPoll';
import { branch } from '../helpers/templateBranch';
import { resumeAfterWait, templateWithSettings, withoutSelfCalls } from '../helpers/templatesRun';
import { SmtpStandIn } from '../helpers/templatesSmtp';
import { run, seedSmallDistrict } from '../helpers/uow';

const BASE_NODES = ['manualTrigger', 'noOp', 'set', 'httpRequest', 'webhook', 'respondToWebhook', 'stickyNote', 'if', 'switch', 'wait', 'executeWorkflow', 'executeWorkflowTrigger', 'emailSend'];
const BUILDING = '370614-001-001-001-0001';
const HIGH_RISK = { category: 'medical_need', description: '独居老人突发昏迷，呼吸困难，需要急救' };

let db: TestDatabase;
let harness: N8nHarness;
let credentials: CredentialsByType;
let gateway: FlakyUpstream;
let smtp: SmtpStandIn;

const template = templateWithSettings;

/** What n8n's Webhook node (v2) puts out for a request. */
const request = (body: unknown, headers: Record<string, string> = {}) => ({
	headers: { 'content-type': 'application/json', host: 'localhost:5678', ...headers }, params: {}, query: {}, body, webhookUrl: 'http://localhost:5678/webhook/incident-intake', executionMode: 'production',
});
const form = (body: Record<string, string>, headers: Record<string, string> = {}) => request(body, { 'content-type': 'application/x-www-form-urlencoded', ...headers });

async function intake(item: object) {
	const b = branch(template('incident-intake.json'), 'Incident Report');
	const result = await harness.runWorkflow(b.workflow, { credentials, inputNode: b.feed, inputItems: [item] });
	expect(result.status).toBe('success');
	// what the Respond to Webhook nodes would answer with: the high-risk hand-off, the plain answer, or the rejection
	const answer = result.nodes['Hand Off to Escalation']?.[0]?.items[0] ?? result.nodes['High or Critical?']?.[0]?.outputs[1]?.[0];
	return { answer: answer?.json, rejection: result.nodes.Rejection?.[0]?.items[0]?.json, result };
}

const incidentCount = async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.incident`))[0].n;
const incidentRow = async (reference: string) => (await db.query<{ id: number; status: string; category: string; risk_level: string; source: string; escalation_count: number; handling_code: string; handling_level: number; due_at: Date }>(
	`SELECT i.id::int, i.status, i.category, i.risk_level, i.source, i.escalation_count, i.due_at, h.code AS handling_code, h.level AS handling_level
	FROM grid.incident i JOIN grid.grid_unit h ON h.id = i.handling_unit_id WHERE i.reference = $1`, [reference]))[0];
const sentTo = () => gateway.requests.map((r) => JSON.parse(r.body.toString('utf8')) as IDataObject);

beforeAll(async () => {
	db = await createTestDatabase('wf_templates_intake');
	await seedSmallDistrict(db.config());
	// one responsible person at each level above the building: grid, community, street, district
	const posts: Array<[string, string, string, 'grid_head' | 'community_worker' | 'grid_instructor']> = [
		['网格长李', 'S-G1', '370614-001-001-001', 'grid_head'],
		['社工王', 'S-C1', '370614-001-001', 'community_worker'],
		['街道指导员赵', 'S-S1', '370614-001', 'grid_instructor'],
		['区指导员孙', 'S-D1', '370614', 'grid_instructor'],
	];
	await run(db.config(), async (uow) => {
		await createStaff(uow, posts.map(([name, staffNo, unit]) => ({ name, staffNo, unit: { code: unit } })));
		const posted = await assignStaff(uow, posts.map(([, staffNo, unit, role]) => ({ staff: { staffNo }, unit: { code: unit }, role })));
		if (!posted.every((o) => o.ok)) throw new Error('staff not posted');
	});
	smtp = await new SmtpStandIn().start();
	credentials = { gridGovernancePostgres: gridCredentials(db.config()), smtp: smtp.credential() };
	harness = await getHarness({ baseNodes: BASE_NODES });
	gateway = await new FlakyUpstream().start();
});

afterEach(() => {
	gateway.reset();
	smtp.mails.length = 0;
});

afterAll(async () => {
	await gateway?.close();
	await smtp?.close();
	await harness?.closeGridPools();
	await closeAllPools();
	await db?.drop();
});

describe('incident intake', () => {
	it('takes a JSON report, answers with its reference and due time, hands a high-risk one to escalation, and a repeat of the key writes nothing', async () => {
		const before = await incidentCount();
		const report = { ...HIGH_RISK, unitCode: BUILDING, reporterName: '王阿姨', reporterPhone: mobile(11) };
		const first = await intake(request(report, { 'idempotency-key': 'intake-json-1' }));
		expect(first.rejection).toBeUndefined();
		expect(first.answer).toMatchObject({ accepted: true, reference: expect.stringMatching(/^INC-\d{8}-\d{6}$/), repeatedRequest: false, open311: false, escalation: 'high-risk-escalation' });
		const row = await incidentRow(String(first.answer!.reference));
		expect(row).toMatchObject({ category: 'medical_need', source: 'resident', status: 'new' });
		expect(['high', 'critical']).toContain(row.risk_level);
		expect(first.answer!.riskLevel).toBe(row.risk_level);
		expect(new Date(String(first.answer!.dueAt)).getTime()).toBe(row.due_at.getTime());
		expect(await incidentCount()).toBe(before + 1);

		const again = await intake(request(report, { 'idempotency-key': 'intake-json-1' }));
		expect(again.answer).toMatchObject({ reference: first.answer!.reference, repeatedRequest: true });
		expect(await incidentCount()).toBe(before + 1);
		// the key may come in the body instead of the header
		const third = await intake(request({ ...report, idempotencyKey: 'intake-json-1' }));
		expect(third.answer).toMatchObject({ reference: first.answer!.reference, repeatedRequest: true });
		expect(await db.query(`SELECT count(*)::int AS n FROM grid.incident WHERE idempotency_key = 'intake-json-1'`)).toEqual([{ n: 1 }]);
	});

	it('answers a low-risk report without the hand-off', async () => {
		const { answer, result } = await intake(request({ category: 'sanitation', description: '楼道堆放杂物', unitCode: BUILDING }, { 'idempotency-key': 'intake-json-low' }));
		expect(result.nodes['Hand Off to Escalation']).toBeUndefined();
		expect(answer).toMatchObject({ accepted: true, riskLevel: 'low', category: 'sanitation', reference: expect.stringMatching(/^INC-/) });
		expect(answer!.escalation).toBeUndefined();
		expect((await incidentRow(String(answer!.reference))).risk_level).toBe('low');
	});

	it('takes an Open311 GeoReport v2 form the same way, once per key', async () => {
		const before = await incidentCount();
		const body = { service_code: 'medical_need', description: '独居老人摔倒，无法起身，需要急救', address_string: '蓬莱区钟楼北路12号', first_name: '明', last_name: '刘', phone: mobile(12) };
		const first = await intake(form(body, { 'idempotency-key': 'open311-1' }));
		expect(first.rejection).toBeUndefined();
		expect(first.answer).toMatchObject({ accepted: true, open311: true, reference: expect.stringMatching(/^INC-/), repeatedRequest: false });
		const row = await incidentRow(String(first.answer!.reference));
		expect(row).toMatchObject({ category: 'medical_need', source: 'open311' });
		expect(new Date(String(first.answer!.dueAt)).getTime()).toBe(row.due_at.getTime());
		const again = await intake(form(body, { 'idempotency-key': 'open311-1' }));
		expect(again.answer).toMatchObject({ reference: first.answer!.reference, repeatedRequest: true });
		expect(await incidentCount()).toBe(before + 1);
	});

	it('rejects a malformed report with the field named and writes nothing', async () => {
		const before = await incidentCount();
		const cases: Array<[object, string]> = [
			[request({ category: 'sanitation', unitCode: BUILDING }), 'description'],
			[request({ category: 'no_such_category', description: '路灯坏了', unitCode: BUILDING }), 'category'],
			[request({ category: 'sanitation', description: '路灯坏了', unitCode: '370614-009' }), 'unitCode'],
			[request('not an object'), 'category'],
			[form({ service_code: 'potholes', description: '路面塌陷', address_string: '钟楼北路' }), 'service_code'],
			[form({ service_code: 'sanitation', description: '垃圾未清运' }), 'address_string'],
		];
		for (const [item, field] of cases) {
			const { rejection, answer } = await intake(item);
			expect(answer).toBeUndefined();
			expect(rejection).toMatchObject({ accepted: false, field, error: expect.stringContaining(`field "${field}"`) });
		}
		expect(await incidentCount()).toBe(before);
	});
});

describe('high-risk escalation', () => {
	const settings = (extra: IDataObject = {}) => ({ messagingUrl: `${gateway.url}/send`, ackMinutes: 15, ...extra });
	const wf = (extra: IDataObject = {}) => withoutSelfCalls(template('high-risk-escalation.json', settings(extra)));

	/** A new critical incident at the building; each test its own category, so that none is a duplicate of another. */
	async function newHighRiskIncident(key: string, category: string) {
		const { answer } = await intake(request({ category, description: `${HIGH_RISK.description}（${category}）`, unitCode: BUILDING }, { 'idempotency-key': key }));
		expect(answer).toMatchObject({ riskLevel: 'critical', duplicateOf: null });
		return { reference: String(answer!.reference), id: (await incidentRow(String(answer!.reference))).id };
	}

	/** The trigger part: what the Grid Trigger's event becomes when handed to the per-incident execution. */
	async function handOver(event: IDataObject, extra: IDataObject = {}) {
		const b = branch(wf(extra), 'High Risk or SLA Breach');
		const result = await harness.runWorkflow(b.workflow, { credentials, inputNode: b.feed, inputItems: [event] });
		expect(result.status).toBe('success');
		return result.output('Escalate Each Incident').map((i) => i.json);
	}

	/** One per-incident execution up to its Wait, and its resume. */
	async function level(item: IDataObject, extra: IDataObject = {}) {
		const b = branch(wf(extra), 'Escalation Requested');
		const opts = { credentials, inputNode: b.feed, inputItems: [item] };
		const first = await harness.runWorkflow(b.workflow, opts);
		return { first, resume: (out: object[]) => resumeAfterWait(harness, b.workflow, first, 'Wait for Acknowledgment', out, opts) };
	}
	const timeout = (l: Awaited<ReturnType<typeof level>>) => l.resume(l.first.output('Awaiting Acknowledgment').map((i) => i.json));

	it('its Grid Trigger, activated, hands over each new high-risk incident and each SLA breach once, and no low-risk incident', async () => {
		// the template's trigger part as n8n activates it: the poll, Settings, and the per-incident hand-over
		const whole = wf();
		const b = branch(wf(), 'High Risk or SLA Breach');
		const part = { ...b.workflow, nodes: b.workflow.nodes.map((n) => (n.name === 'High Risk or SLA Breach' ? whole.nodes.find((x) => x.name === n.name)! : n)) };
		// the stream starts at the server's oldest running transaction: while another test file holds one
		// open, incidents of this file's earlier tests may come out too; only this test's own are counted
		const [{ before }] = await db.query<{ before: number }>(`SELECT coalesce(max(id), 0)::int AS before FROM grid.incident`);
		const ours = (items: IDataObject[]) => items.filter((h) => Number(h.incidentId) > before);
		const oursUntil = async () => {
			const got: IDataObject[] = [];
			for (const until = Date.now() + 15_000; !got.length && Date.now() < until;) got.push(...ours(await tickUntil(active, 'Escalate Each Incident', 1, 2_000)));
			return got;
		};
		const active = await activatePolling(harness, part, { credentials });
		try {
			const high = await newHighRiskIncident('esc-trigger-high', 'supply_need');
			// in a building of its own: several reports about one building within a day raise the risk
			const low = await intake(request({ category: 'sanitation', description: '垃圾桶满了', unitCode: '370614-002-001-001-0001' }, { 'idempotency-key': 'esc-trigger-low' }));
			expect(low.answer).toMatchObject({ riskLevel: 'low' });
			const handed = await oursUntil();
			expect(handed).toEqual([expect.objectContaining({ incidentId: high.id, event: 'created', messagingUrl: `${gateway.url}/send`, ackMinutes: 15 })]);
			expect(ours((await active.tick()).flatMap((e) => e.output('Escalate Each Incident').map((i) => i.json)))).toHaveLength(0);
			await makeOverdue(db, [high.id]);
			const breached = await oursUntil();
			expect(breached).toEqual([expect.objectContaining({ incidentId: high.id, event: 'sla_breached' })]);
			expect(active.errors).toEqual([]);
		} finally {
			await active.deactivate();
		}
	});

	it('notifies the responsible staff member with the acknowledgment link, escalates level by level without an answer, and stops at the district', async () => {
		const { id, reference } = await newHighRiskIncident('esc-timeout-1', 'vulnerable_resident_help');
		const [handed] = await handOver({ eventId: '1', trigger: 'incident.created', event: 'created', incidentId: id, reference });
		expect(handed).toMatchObject({ incidentId: id, messagingUrl: `${gateway.url}/send`, ackMinutes: 15, channel: 'message' });

		const expected: Array<[string, string]> = [['S-G1', '370614-001-001-001'], ['S-C1', '370614-001-001'], ['S-S1', '370614-001'], ['S-D1', '370614']];
		let item: IDataObject = handed;
		for (const [k, [staffNo, unit]] of expected.entries()) {
			gateway.reset();
			const step = await level(item);
			expect(step.first.nodes['Wait for Acknowledgment']).toBeDefined();
			expect((await incidentRow(reference)).handling_code).toBe(unit);
			const messages = sentTo();
			expect(messages).toHaveLength(1);
			const resumeUrl = `http://localhost:5678/webhook-waiting/${step.first.executionId}`;
			expect(messages[0]).toMatchObject({ to: staffNo, reference, incidentId: id, ackUrl: resumeUrl });
			expect(String(messages[0].text)).toContain(resumeUrl);
			expect(String(messages[0].text)).toContain(reference);

			const timedOut = await timeout(step);
			expect(timedOut.status).toBe('success');
			expect(timedOut.nodes['Start Work']).toBeUndefined();
			const row = await incidentRow(reference);
			if (k < expected.length - 1) {
				// one level up (assigned to whoever answers there), and the next level's execution is handed what it needs
				expect(row).toMatchObject({ escalation_count: k + 1, handling_code: expected[k + 1][1], status: 'assigned' });
				const next = timedOut.output('Notify Next Level').map((i) => i.json);
				expect(next).toEqual([expect.objectContaining({ incidentId: id, messagingUrl: `${gateway.url}/send`, ackMinutes: 15, event: 'escalated' })]);
				item = next[0];
			} else {
				// at the district: nothing higher to escalate to
				expect(timedOut.nodes['Escalate One Level']).toBeUndefined();
				expect(timedOut.nodes['Notify Next Level']).toBeUndefined();
				expect(row).toMatchObject({ escalation_count: 3, handling_code: '370614', handling_level: 1 });
			}
		}
		const kinds = await db.query<{ kind: string }>(`SELECT kind FROM grid.incident_event WHERE incident_id = $1 AND kind = 'escalated'`, [id]);
		expect(kinds).toHaveLength(3);
	});

	it('moves an acknowledged incident to in progress, and a second click changes nothing', async () => {
		const { id, reference } = await newHighRiskIncident('esc-ack-1', 'safety_hazard');
		const [handed] = await handOver({ eventId: '2', trigger: 'incident.created', event: 'created', incidentId: id, reference });
		const step = await level(handed);
		expect(sentTo()).toEqual([expect.objectContaining({ to: 'S-G1', reference })]);
		const click = { headers: { host: 'localhost:5678', 'user-agent': 'Mozilla/5.0' }, params: {}, query: {}, body: {} };
		const acked = await step.resume([click]);
		expect(acked.status).toBe('success');
		expect(acked.nodes['Escalate One Level']).toBeUndefined();
		expect(await incidentRow(reference)).toMatchObject({ status: 'in_progress', escalation_count: 0, handling_code: '370614-001-001-001' });
		const [event] = await db.query<{ note: string }>(`SELECT note FROM grid.incident_event WHERE incident_id = $1 AND to_status = 'in_progress'`, [id]);
		expect(event.note).toContain('网格长李');

		// an SLA breach of the case in progress notifies again; acknowledging it leaves the status alone
		gateway.reset();
		const breach = await level({ ...handed, event: 'sla_breached' });
		expect(sentTo()).toHaveLength(1);
		const again = await breach.resume([click]);
		expect(again.status).toBe('success');
		expect(again.nodes['Start Work']).toBeUndefined();
		expect(await incidentRow(reference)).toMatchObject({ status: 'in_progress', escalation_count: 0 });
	});

	it('leaves an incident that is no longer open alone', async () => {
		const { id, reference } = await newHighRiskIncident('esc-closed-1', 'neighbour_dispute');
		await run(db.config(), (uow) => updateStatus(uow, { incident: { id }, status: 'rejected', note: '非本辖区事务 not a matter for the grid' }));
		const step = await level({ incidentId: id, reference, event: 'created', ...settings(), channel: 'message' });
		expect(step.first.status).toBe('success');
		expect(step.first.nodes.Responsible).toBeUndefined();
		expect(gateway.requests).toHaveLength(0);
	});

	it('sends the notice by email instead when the channel is email', async () => {
		const { id, reference } = await newHighRiskIncident('esc-email-1', 'public_opinion_other');
		const extra = { channel: 'email', dutyEmail: 'duty@penglai.example.gov.cn', fromEmail: 'grid@penglai.example.gov.cn' };
		const [handed] = await handOver({ eventId: '3', trigger: 'incident.created', event: 'created', incidentId: id, reference }, extra);
		const step = await level(handed, extra);
		expect(step.first.nodes['Wait for Acknowledgment']).toBeDefined();
		expect(gateway.requests).toHaveLength(0);
		expect(smtp.mails).toHaveLength(1);
		expect(smtp.mails[0].to).toEqual(['duty@penglai.example.gov.cn']);
		// the body is quoted-printable: soft line breaks and =XX bytes
		const text = Buffer.from(smtp.mails[0].raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
		expect(text).toContain(`http://localhost:5678/webhook-waiting/${step.first.executionId}`);
		expect(text).toContain(reference);
	});
});
