/**
 * The shipped templates workflows/volunteer-dispatch.json and workflows/daily-reporting.json, run
 * in-process by n8n from the BUILT package against real PostgreSQL, with their HTTP Request nodes sent
 * to a loopback messaging gateway, their exports to a loopback higher-level system and their mail to a
 * loopback SMTP server.
 *
 * Dispatch: each dispatched task runs as its own execution of the template (its self-call is replaced
 * by a No Operation node here, and the called part runs per item); the Wait node's resume is played
 * with the request n8n's Wait node puts out (query answer=accept / answer=decline) or, on a timeout,
 * its own input.
 */
import type { IDataObject } from 'n8n-workflow';
import { closeAllPools } from '../../nodes/shared/db/pool';
import { assignStaff } from '../../nodes/shared/domain/grid/assignments';
import { createStaff } from '../../nodes/shared/domain/grid/staff';
import { createTasks } from '../../nodes/shared/domain/task/tasks';
import { checkVolunteer } from '../../nodes/shared/domain/volunteer/volunteerInput';
import { saveVolunteers } from '../../nodes/shared/domain/volunteer/volunteers';
import { DEFAULT_SEGMENT_WIDTHS } from '../../nodes/shared/validation/gridCode';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { FlakyUpstream } from '../helpers/flakyUpstream';
import { type CredentialsByType, type N8nHarness, getHarness, gridCredentials } from '../helpers/n8nHarness';
import { mobile } from '../helpers/people';
import { branch } from '../helpers/templateBranch';
import { resumeAfterWait, templateWithSettings, withoutSelfCalls } from '../helpers/templatesRun';
import { SmtpStandIn } from '../helpers/templatesSmtp';
import { run, seedSmallDistrict } from '../helpers/uow';

/** Saves of one input give one record (the domain's type also allows a list). */
const single = <T>(value: T | T[]): T => (Array.isArray(value) ? value[0] : value);

const BASE_NODES = ['manualTrigger', 'noOp', 'set', 'httpRequest', 'scheduleTrigger', 'stickyNote', 'if', 'switch', 'wait', 'executeWorkflow', 'executeWorkflowTrigger', 'emailSend'];
const B1 = '370614-001-001-001-0001';
const B2 = '370614-001-001-001-0002';

let db: TestDatabase;
let harness: N8nHarness;
let credentials: CredentialsByType;
let gateway: FlakyUpstream;
let upstream: FlakyUpstream;
let smtp: SmtpStandIn;
const volunteer: Record<string, number> = {};

const template = templateWithSettings;

const sentTo = (server: FlakyUpstream) => server.requests.map((r) => JSON.parse(r.body.toString('utf8')) as IDataObject);
const taskRow = async (id: number) => (await db.query<{ status: string; assignee: number | null }>(
	`SELECT status, assignee_volunteer_id::int AS assignee FROM grid.task WHERE id = $1`, [id]))[0];
const newTask = async (title: string, unit: string, skills: string[] = []) => {
	const [o] = await run(db.config(), (uow) => createTasks(uow, [{ kind: 'errand', title, unit: { code: unit }, ...(skills.length ? { requiredSkills: skills } : {}) }]));
	if (!o.ok) throw o.error;
	return single(o.value).id;
};

beforeAll(async () => {
	db = await createTestDatabase('wf_templates_dispatch');
	await seedSmallDistrict(db.config());
	await run(db.config(), async (uow) => {
		const rules = { widths: DEFAULT_SEGMENT_WIDTHS, allowCustomSkills: false };
		// 甲 lives in the task's building, 乙 in the next building of the same grid: 甲 first, 乙 next
		const saved = await saveVolunteers(uow, [
			checkVolunteer({ name: '志愿者甲', volunteerNo: 'V-1', unitCode: B1, skills: ['delivery'], phone: mobile(101), maxTasks: 5 }, rules),
			checkVolunteer({ name: '志愿者乙', volunteerNo: 'V-2', unitCode: B2, skills: ['delivery'], phone: mobile(102), maxTasks: 5 }, rules),
		], { mode: 'create' });
		for (const o of saved) if (o.ok) volunteer[single(o.value).volunteerNo!] = single(o.value).id; else throw o.error;
		await createStaff(uow, [{ name: '社工王', unit: { code: '370614-001-001' }, staffNo: 'S-CW1' }]);
		const posted = await assignStaff(uow, [{ staff: { staffNo: 'S-CW1' }, unit: { code: '370614-001-001' }, role: 'community_worker' }]);
		if (!posted.every((o) => o.ok)) throw new Error('staff not posted');
	});
	smtp = await new SmtpStandIn().start();
	credentials = { gridGovernancePostgres: gridCredentials(db.config()), smtp: smtp.credential() };
	harness = await getHarness({ baseNodes: BASE_NODES });
	gateway = await new FlakyUpstream().start();
	upstream = await new FlakyUpstream().start();
});

afterEach(() => {
	gateway.reset();
	upstream.reset();
	smtp.mails.length = 0;
});

afterAll(async () => {
	await gateway?.close();
	await upstream?.close();
	await smtp?.close();
	await harness?.closeGridPools();
	await closeAllPools();
	await db?.drop();
});

describe('volunteer dispatch', () => {
	const settings = () => ({ dispatchUnit: '370614-001', messagingUrl: `${gateway.url}/send`, communityReportUrl: `${gateway.url}/community`, answerMinutes: 20 });
	const wf = () => withoutSelfCalls(template('volunteer-dispatch.json', settings()));

	/** The main part (schedule → dispatch): what it hands to the per-task executions. */
	async function dispatchRun() {
		const b = branch(wf(), 'Every 15 Minutes');
		const result = await harness.runWorkflow(b.workflow, { credentials, inputNode: b.feed, inputItems: [{}] });
		expect(result.status).toBe('success');
		return result.output('Offer Each Task').map((i) => i.json);
	}

	/** One per-task execution up to its Wait (or its end), then resumed with the given Wait output. */
	async function offer(item: IDataObject) {
		const b = branch(wf(), 'Offer Requested');
		const opts = { credentials, inputNode: b.feed, inputItems: [item] };
		const first = await harness.runWorkflow(b.workflow, opts);
		return { first, resume: (out: object[]) => resumeAfterWait(harness, b.workflow, first, 'Wait for Answer', out, opts) };
	}
	const answer = (a: string) => ({ headers: {}, params: {}, query: { answer: a }, body: {} });

	it('assigns the task, sends the volunteer accept and decline links, and gives a declined task to the next candidate, who accepts', async () => {
		const taskId = await newTask('帮独居老人买药', B1, ['delivery']);
		const handed = (await dispatchRun()).filter((i) => i.taskId === taskId);
		expect(handed).toEqual([expect.objectContaining({ result: 'assigned', volunteerId: volunteer['V-1'], messagingUrl: `${gateway.url}/send`, answerMinutes: 20 })]);
		expect(await taskRow(taskId)).toEqual({ status: 'assigned', assignee: volunteer['V-1'] });

		const first = await offer(handed[0]);
		expect(first.first.nodes['Wait for Answer']).toBeDefined();
		expect(first.first.nodes['Answer']).toBeUndefined();
		const [message] = sentTo(gateway);
		expect(gateway.requests).toHaveLength(1);
		expect(message).toMatchObject({ to: mobile(101), taskId });
		const resumeUrl = `http://localhost:5678/webhook-waiting/${first.first.executionId}`;
		expect([message.acceptUrl, message.declineUrl]).toEqual([`${resumeUrl}?answer=accept`, `${resumeUrl}?answer=decline`]);
		expect(message.text).toContain(String(message.acceptUrl));
		expect(message.text).toContain('帮独居老人买药');

		gateway.reset();
		const declined = await first.resume([answer('decline')]);
		expect(declined.status).toBe('success');
		expect(declined.nodes['Accept Task']).toBeUndefined();
		const [decline] = await db.query<{ volunteer_id: number; reason: string }>(`SELECT volunteer_id::int, reason FROM grid.task_decline WHERE task_id = $1`, [taskId]);
		expect(decline).toMatchObject({ volunteer_id: volunteer['V-1'], reason: expect.stringContaining('declined') });
		expect(await taskRow(taskId)).toEqual({ status: 'assigned', assignee: volunteer['V-2'] });
		const next = declined.output('Offer Next Candidate').map((i) => i.json);
		expect(next).toEqual([expect.objectContaining({ taskId, result: 'assigned', volunteerId: volunteer['V-2'], messagingUrl: `${gateway.url}/send` })]);
		expect(gateway.requests).toHaveLength(0);

		// the next candidate's own execution: a message to 乙, who accepts
		const second = await offer(next[0]);
		expect(sentTo(gateway)).toEqual([expect.objectContaining({ to: mobile(102), taskId })]);
		const accepted = await second.resume([answer('accept')]);
		expect(accepted.status).toBe('success');
		expect(accepted.nodes['Decline Task']).toBeUndefined();
		expect(await db.query(`SELECT status, assignee_volunteer_id::int AS assignee FROM grid.task WHERE id = $1`, [taskId])).toEqual([{ status: 'accepted', assignee: volunteer['V-2'] }]);
		const events = await db.query<{ kind: string }>(`SELECT kind FROM grid.task_event WHERE task_id = $1 ORDER BY id`, [taskId]);
		expect(events.map((e) => e.kind)).toEqual(['created', 'assigned', 'declined', 'assigned', 'accepted']);
	});

	it('treats no answer in time as a decline and offers the task to the next candidate', async () => {
		const taskId = await newTask('代取快递', B1, ['delivery']);
		const [handed] = (await dispatchRun()).filter((i) => i.taskId === taskId);
		const chosen = handed.volunteerId as number;
		const first = await offer(handed);
		// on a timeout the Wait node puts out what it was given
		const timedOut = await first.resume(first.first.output('Awaiting Answer').map((i) => i.json));
		expect(timedOut.status).toBe('success');
		const [decline] = await db.query<{ volunteer_id: number; reason: string }>(`SELECT volunteer_id::int, reason FROM grid.task_decline WHERE task_id = $1`, [taskId]);
		expect(decline).toEqual({ volunteer_id: chosen, reason: expect.stringContaining('no answer within 20 minutes') });
		const row = await taskRow(taskId);
		expect(row.status).toBe('assigned');
		expect([volunteer['V-1'], volunteer['V-2']].filter((v) => v !== chosen)).toEqual([row.assignee]);
	});

	it('reports a task nobody can take to the community\'s responsible staff member', async () => {
		const taskId = await newTask('陪诊', B1, ['medical']);
		const handed = (await dispatchRun()).filter((i) => i.taskId === taskId);
		expect(handed).toEqual([expect.objectContaining({ result: 'open' })]);
		const reported = await offer(handed[0]);
		expect(reported.first.status).toBe('success');
		expect(reported.first.nodes['Notify Volunteer']).toBeUndefined();
		expect(gateway.requests.map((r) => r.url)).toEqual(['/community']);
		const [report] = sentTo(gateway);
		expect(report).toMatchObject({ to: 'S-CW1', staffName: '社工王', communityCode: '370614-001-001', taskId });
		expect(report.text).toContain('陪诊');
		expect(await taskRow(taskId)).toEqual({ status: 'open', assignee: null });
	});
});

describe('daily reporting', () => {
	const settings = () => ({ reportUnit: '370614', streetOfficeEmail: 'jiedao@example.test', fromEmail: 'grid@example.test', alertUrl: `${gateway.url}/alert`, dutyOfficerPhone: mobile(900) });
	const upstreamCredential = (server: FlakyUpstream) => ({ baseUrl: server.url, authentication: 'none', headers: '{}', timeoutMs: 3000, maxAttempts: 1 });
	const runDaily = (server: FlakyUpstream) => {
		const b = branch(template('daily-reporting.json', settings()), 'Every Day 08:00');
		return harness.runWorkflow(b.workflow, { credentials: { ...credentials, gridUpstreamApi: upstreamCredential(server) }, inputNode: b.feed, inputItems: [{}] });
	};
	/** Yesterday in Shanghai as DHIS2 writes a day. */
	const yesterday = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' })
		.format(new Date(Date.now() - 86_400_000)).replace(/-/g, '');
	/** The decoded attachments of a raw MIME message: file name → text. */
	const attachments = (raw: string) => {
		const out: Record<string, string> = {};
		for (const part of raw.split(/\r\n--[^\r\n]+\r\n/)) {
			const name = /filename="?([^";\r\n]+)"?/i.exec(part)?.[1];
			if (!name) continue;
			const body = part.split('\r\n\r\n').slice(1).join('\r\n\r\n').replace(/\r\n--[^\r\n]*--\s*$/, '');
			out[name] = /base64/i.test(part.split('\r\n\r\n')[0]) ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8') : body;
		}
		return out;
	};

	it('delivers yesterday\'s DHIS2 export upstream exactly once and emails the CSV to the street office', async () => {
		const communities = (await db.query<{ code: string }>(`SELECT code FROM grid.grid_unit WHERE level = 3 ORDER BY code`)).map((r) => r.code);
		const first = await runDaily(upstream);
		expect(first.status).toBe('success');
		expect(first.nodes['Alert Duty Officer']).toBeUndefined();
		expect(upstream.requests).toHaveLength(1);
		expect(upstream.requests[0].url).toMatch(/^\/api\/dataValueSets/);
		const sent = JSON.parse(upstream.requests[0].body.toString('utf8')) as { dataValues: Array<{ orgUnit: string; period: string }> };
		expect([...new Set(sent.dataValues.map((v) => v.orgUnit))].sort()).toEqual(communities);
		expect([...new Set(sent.dataValues.map((v) => v.period))]).toEqual([yesterday()]);

		expect(smtp.mails).toHaveLength(1);
		expect(smtp.mails[0].to).toEqual(['jiedao@example.test']);
		const files = attachments(smtp.mails[0].raw);
		const csvName = Object.keys(files).find((f) => f.endsWith('.csv'));
		expect(csvName).toBeDefined();
		for (const code of communities) expect(files[csvName!]).toContain(code);

		// the next run of the same day: the ledger has it, nothing goes upstream again
		const again = await runDaily(upstream);
		expect(again.status).toBe('success');
		expect(again.output('Export DHIS2')[0].json.delivery).toMatchObject({ action: 'skipped' });
		expect(upstream.requests).toHaveLength(1);
		expect(gateway.requests).toHaveLength(0);
	});

	it('alerts the duty officer when the higher-level system refuses the export, and still emails the CSV', async () => {
		const refusing = await new FlakyUpstream().start();
		try {
			refusing.plan({ status: 401, body: { message: 'Unauthorized' } });
			const result = await runDaily(refusing);
			expect(result.status).toBe('success');
			expect(refusing.requests).toHaveLength(1);
			expect(gateway.requests.map((r) => r.url)).toEqual(['/alert']);
			const [alert] = sentTo(gateway);
			expect(alert).toMatchObject({ to: mobile(900), step: 'Export DHIS2' });
			expect(String(alert.text)).toContain('401');
			expect(smtp.mails).toHaveLength(1);
		} finally {
			await refusing.close();
		}
	});
});
