/**
 * The shipped templates workflows/temperature-campaign.json and workflows/dashboard.json, run in-process
 * by n8n from the BUILT package against real PostgreSQL.
 *
 * Campaign: the scheduled part runs on its own; the fever part and the escalation template's trigger
 * are activated as n8n activates them (their Grid Triggers polled by test/helpers/pollHarness), so a
 * fever found by a completed check is followed from the reading to the escalation's hand-over.
 * Dashboard: the GET webhook's part runs with the item n8n's Webhook node puts out; the Respond to
 * Webhook nodes need a live request, so a test reads what they are given.
 */
import { closeAllPools } from '../../nodes/shared/db/pool';
import { assignStaff } from '../../nodes/shared/domain/grid/assignments';
import { createStaff } from '../../nodes/shared/domain/grid/staff';
import { type NewResident, checkResident } from '../../nodes/shared/domain/resident/residentInput';
import { saveResidents } from '../../nodes/shared/domain/resident/residents';
import { assignTask, completeTask, startTask } from '../../nodes/shared/domain/task/lifecycle';
import { DEFAULT_SEGMENT_WIDTHS } from '../../nodes/shared/validation/gridCode';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { figuresOf } from '../helpers/dashboardDom';
import { reportIncidents } from '../helpers/incidents';
import { type CredentialsByType, type N8nHarness, type WorkflowJson, getHarness, gridCredentials } from '../helpers/n8nHarness';
import { mobile } from '../helpers/people';
import { activatePolling } from '../helpers/pollHarness';
import { tickUntil } from '../helpers/templatesPoll';
import { branch } from '../helpers/templateBranch';
import { templateWithSettings, withoutSelfCalls } from '../helpers/templatesRun';
import { run, seedSmallDistrict } from '../helpers/uow';

const BASE_NODES = ['manualTrigger', 'noOp', 'set', 'httpRequest', 'webhook', 'respondToWebhook', 'scheduleTrigger', 'stickyNote', 'if', 'switch', 'wait', 'executeWorkflow', 'executeWorkflowTrigger', 'emailSend'];
const B1 = '370614-001-001-001-0001';
const B2 = '370614-001-002-001-0001';
const OUTSIDE = '370614-002-001-001-0001';
const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();

let db: TestDatabase;
let harness: N8nHarness;
let credentials: CredentialsByType;
const resident: Record<string, number> = {};

const template = templateWithSettings;

/** The part of a template after a polling trigger, with the trigger itself kept, ready to activate. */
function triggerPart(wf: WorkflowJson, trigger: string): WorkflowJson {
	const b = branch(structuredClone(wf), trigger);
	return { ...b.workflow, nodes: b.workflow.nodes.map((n) => (n.name === trigger ? wf.nodes.find((x) => x.name === trigger)! : n)) };
}

beforeAll(async () => {
	db = await createTestDatabase('wf_templates_campaign');
	await seedSmallDistrict(db.config());
	const rules = { widths: DEFAULT_SEGMENT_WIDTHS, allowCustomTags: false };
	// two home-quarantined residents in street 370614-001, one outside it, one not quarantined
	const people: Array<[string, string, string, string | undefined]> = [
		['隔离甲', B1, '101', 'home_quarantine'],
		['隔离乙', B2, '201', 'home_quarantine'],
		['隔离丙', OUTSIDE, '301', 'home_quarantine'],
		['居民丁', B1, '102', undefined],
	];
	const saved = await run(db.config(), (uow) => saveResidents(uow,
		people.map(([name, buildingCode, roomNo, healthStatus], k) => checkResident({
			name, buildingCode, unitNo: '1', roomNo, birthYear: 1970 + k, phone: mobile(300 + k),
			...(healthStatus ? { healthStatus, quarantineEndsAt: inDays(7) } : {}),
		}, rules) as NewResident),
		{ mode: 'create', matchPhoneAndName: false, storeFullDocument: false }));
	saved.forEach((o, k) => {
		if (!o.ok) throw o.error;
		resident[people[k][0]] = (Array.isArray(o.value) ? o.value[0] : o.value).id;
	});
	await run(db.config(), async (uow) => {
		await createStaff(uow, [{ name: '医生陈', staffNo: 'S-DOC', unit: { code: '370614-001' } }]);
		const posted = await assignStaff(uow, [{ staff: { staffNo: 'S-DOC' }, unit: { code: '370614-001' }, role: 'grid_instructor' }]);
		if (!posted.every((o) => o.ok)) throw new Error('staff not posted');
	});
	credentials = { gridGovernancePostgres: gridCredentials(db.config()) };
	harness = await getHarness({ baseNodes: BASE_NODES });
});

afterAll(async () => {
	await harness?.closeGridPools();
	await closeAllPools();
	await db?.drop();
});

describe('temperature-check campaign', () => {
	const campaign = () => template('temperature-campaign.json', { campaignUnit: '370614-001' });
	const tasksByResident = async () => db.query<{ resident_id: number; n: number }>(
		`SELECT resident_id::int, count(*)::int AS n FROM grid.task WHERE kind = 'temperature_check' AND campaign_id IS NOT NULL AND status <> 'cancelled' GROUP BY resident_id ORDER BY resident_id`);

	async function scheduled() {
		const b = branch(campaign(), 'Twice Daily');
		const result = await harness.runWorkflow(b.workflow, { credentials, inputNode: b.feed, inputItems: [{}] });
		expect(result.status).toBe('success');
		return result;
	}

	it('gives each home-quarantined resident of the area temperature checks, and a re-run creates none twice', async () => {
		await scheduled();
		const first = await tasksByResident();
		expect(first.map((r) => r.resident_id).sort()).toEqual([resident['隔离甲'], resident['隔离乙']].sort());
		expect(first.every((r) => r.n >= 1)).toBe(true);
		// every check is due at 08:00 or 16:00 Asia/Shanghai plus the two-hour window, before the quarantine ends
		const due = await db.query<{ local: string; ends: boolean }>(
			`SELECT to_char(t.due_at AT TIME ZONE 'Asia/Shanghai', 'HH24:MI') AS local, t.due_at <= r.quarantine_ends_at + interval '2 hours' AS ends
			FROM grid.task t JOIN grid.resident r ON r.id = t.resident_id WHERE t.kind = 'temperature_check'`);
		expect(due.length).toBeGreaterThan(0);
		expect(due.every((d) => ['10:00', '18:00'].includes(d.local) && d.ends)).toBe(true);

		await scheduled();
		expect(await tasksByResident()).toEqual(first);
	});

	it('a completed check with 38.2 °C raises a critical fever incident, which the escalation template takes up', async () => {
		const fever = triggerPart(campaign(), 'Check Completed');
		const escalation = triggerPart(withoutSelfCalls(template('high-risk-escalation.json')), 'High Risk or SLA Breach');
		const feverActive = await activatePolling(harness, fever, { credentials, workflowId: 'campaign' });
		const escalationActive = await activatePolling(harness, escalation, { credentials, workflowId: 'escalation' });
		try {
			const [hot, normal] = await db.query<{ id: number; resident_id: number }>(
				`SELECT DISTINCT ON (resident_id) id::int, resident_id::int FROM grid.task WHERE kind = 'temperature_check' AND status = 'open' ORDER BY resident_id, due_at`);
			const reading = async (taskId: number, temperatureC: number) => run(db.config(), async (uow) => {
				await assignTask(uow, { task: { id: taskId }, to: { staff: { staffNo: 'S-DOC' } } });
				await startTask(uow, { task: { id: taskId } });
				return completeTask(uow, { task: { id: taskId }, outcome: { temperatureC } });
			});
			await reading(hot.id, 38.2);
			await reading(normal.id, 36.6);

			// the normal reading's completion comes out too, but stops at Fever Found?
			const summaries = await tickUntil(feverActive, 'Fever Summary');
			const [incident] = await db.query<{ id: number; reference: string; category: string; risk_level: string; resident_id: number }>(
				`SELECT id::int, reference, category, risk_level, resident_id::int FROM grid.incident WHERE idempotency_key = $1`, [`task:${hot.id}:fever`]);
			expect(incident).toMatchObject({ category: 'fever_symptoms', risk_level: 'critical', resident_id: hot.resident_id });
			expect(summaries).toEqual([expect.objectContaining({ reference: incident.reference, riskLevel: 'critical', temperatureC: 38.2, taskId: hot.id, residentId: hot.resident_id })]);
			expect(await db.query(`SELECT count(*)::int AS n FROM grid.incident WHERE resident_id = $1`, [normal.resident_id])).toEqual([{ n: 0 }]);

			const handed = await tickUntil(escalationActive, 'Escalate Each Incident');
			expect(handed).toEqual([expect.objectContaining({ incidentId: incident.id, event: 'created' })]);
			expect([...feverActive.errors, ...escalationActive.errors]).toEqual([]);
		} finally {
			await feverActive.deactivate();
			await escalationActive.deactivate();
		}
	});
});

describe('dashboard', () => {
	/** What n8n's Webhook node (v2) puts out for a GET. */
	const get = (query: Record<string, string> = {}) => ({ headers: { host: 'localhost:5678', accept: 'text/html' }, params: {}, query, body: {}, webhookUrl: 'http://localhost:5678/webhook/grid-dashboard', executionMode: 'production' });

	async function page(query: Record<string, string> = {}) {
		const b = branch(template('dashboard.json'), 'Dashboard Request');
		const result = await harness.runWorkflow(b.workflow, { credentials, inputNode: b.feed, inputItems: [get(query)] });
		expect(result.status).toBe('success');
		return result.node('Dashboard').outputs;
	}

	it('returns the district\'s page with its figures', async () => {
		await reportIncidents(db.config(), B1, 3);
		await reportIncidents(db.config(), B2, 2, { category: 'safety_hazard' });
		const [ok, failed] = await page();
		expect(failed ?? []).toHaveLength(0);
		const html = String(ok[0].json.html);
		expect(html).toMatch(/^<!DOCTYPE html>/i);
		expect(html).toContain('蓬莱区');
		const figures = figuresOf(html);
		const [counts] = await db.query<{ quarantined: number }>(`SELECT count(*)::int AS quarantined FROM grid.resident WHERE health_status = 'home_quarantine'`);
		expect(figures.get('health.home_quarantine')).toBe(String(counts.quarantined));
		// the district's page breaks incidents down by street
		const perStreet = await db.query<{ code: string; n: number }>(
			`SELECT s.code, count(i.id)::int AS n FROM grid.grid_unit s
			LEFT JOIN grid.grid_unit u ON u.path LIKE s.path || '%' LEFT JOIN grid.incident i ON i.unit_id = u.id
			WHERE s.level = 2 GROUP BY s.code ORDER BY s.code`);
		expect(perStreet.some((r) => r.n > 0)).toBe(true);
		for (const r of perStreet) expect([r.code, figures.get(`incidents.${r.code}.total`)]).toEqual([r.code, String(r.n)]);
		expect(ok[0].binary?.data).toMatchObject({ fileName: 'dashboard.html', mimeType: 'text/html' });
	});

	it('shows one street with ?unit=, and answers an unknown unit on the error branch naming the field', async () => {
		const [street] = await page({ unit: '370614-001' });
		expect(String(street[0].json.html)).toContain('街道1');
		const [ok, failed] = await page({ unit: '370614-009' });
		expect(ok ?? []).toHaveLength(0);
		expect(failed[0].json).toMatchObject({ error: expect.stringContaining('370614-009') });
		expect(String(failed[0].json.field ?? failed[0].json.error)).toMatch(/Unit/);
	});
});
