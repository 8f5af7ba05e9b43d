/**
 * Two communities with everything located in the grid, for the scope and data-at-rest tests:
 * community A (370614-001-001) and its sibling B (370614-001-002), each with a staff member posted as
 * grid head, residents with document numbers and phones, a household, health observations, an
 * exposure, incidents reported by named reporters with phones, an open task, volunteers in a team,
 * a notice and a consultation with invitations. Everything is written through the nodes (n8n harness,
 * unscoped credential), as a district's workflows would.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';
import type { TestDatabase } from './db';
import { type CredentialsByType, type N8nHarness, type OutputItem, type WorkflowJson, gridCredentials, singleNodeWorkflow } from './n8nHarness';
import { idFor } from './people';
import { seedSmallDistrict } from './uow';

export const NODE = {
	grid: 'n8n-nodes-grid-governance.grid',
	resident: 'n8n-nodes-grid-governance.resident',
	incident: 'n8n-nodes-grid-governance.incident',
	task: 'n8n-nodes-grid-governance.task',
	volunteer: 'n8n-nodes-grid-governance.volunteer',
	notice: 'n8n-nodes-grid-governance.notice',
	gridStatistics: 'n8n-nodes-grid-governance.gridStatistics',
	gridTrigger: 'n8n-nodes-grid-governance.gridTrigger',
} as const;

export const rl = (value: string | number, mode = 'code') => ({ __rl: true, mode, value });

/** Start → one node of the package with these parameters. */
export const single = (type: string, parameters: INodeParameters, settings: IDataObject = {}): WorkflowJson => singleNodeWorkflow(type, 'Node', parameters, settings);

export async function runNode(
	harness: N8nHarness, credentials: CredentialsByType, type: string, parameters: INodeParameters, items: IDataObject[] = [{}],
): Promise<OutputItem[]> {
	const r = await harness.runWorkflow(single(type, parameters), { credentials, inputItems: items });
	const node = r.node('Node');
	if (node.error) throw new Error(`${type} ${String(parameters.resource)}:${String(parameters.operation)} failed: ${node.error.message} ${node.error.description ?? ''}`);
	return node.items;
}

export interface Community {
	code: string;
	grid: string;
	building: string;
	staffNo: string;
	staffPhone: string;
	residentIds: number[];
	documents: string[];
	phones: string[];
	names: string[];
	householdId: number;
	incidentIds: number[];
	incidentRefs: string[];
	reporterPhones: string[];
	reporterNames: string[];
	taskId: number;
	volunteerIds: number[];
	volunteerNos: string[];
	volunteerPhones: string[];
	teamId: number;
	noticeId: number;
	consultationId: number;
	invitationTokens: string[];
	exposureId: number;
}

export interface ScopeWorld {
	A: Community;
	B: Community;
	admin: CredentialsByType;
}

/** Mobile numbers of the world: 139 prefix, distinct per community and person. */
const phoneOf = (k: number, n: number) => `1391${k}${String(n).padStart(6, '0')}`;

async function seedCommunity(harness: N8nHarness, admin: CredentialsByType, k: number): Promise<Community> {
	const code = `370614-001-00${k}`;
	const grid = `${code}-001`;
	const building = `${grid}-0001`;
	const run = (type: string, p: INodeParameters, items?: IDataObject[]) => runNode(harness, admin, type, p, items);

	const staffNo = `S-${k}`;
	const staffPhone = phoneOf(k, 900);
	await run(NODE.grid, { resource: 'staff', operation: 'create', name: `网格长${k}`, unit: rl(grid), additionalFields: { staffNo, phone: staffPhone } });
	await run(NODE.grid, { resource: 'staff', operation: 'assign', staff: rl(staffNo, 'staffNo'), unit: rl(grid), role: 'grid_head' });

	const people = [0, 1, 2].map((n) => ({
		name: `居民${k}${'甲乙丙'[n]}`,
		documentNumber: idFor('370614', `19${70 + k * 10 + n}0${n + 1}1${k}`, 100 + k * 10 + n * 2 + 1),
		phone: phoneOf(k, n + 1),
		buildingCode: building,
		roomNo: `${k}0${n + 1}`,
		tags: n === 0 ? 'elderly_living_alone' : '',
		...(n === 1 ? { healthStatus: 'home_quarantine', quarantineEndsAt: new Date(Date.now() + 5 * 86_400_000).toISOString() } : {}),
	}));
	const residents = await run(NODE.resident, { resource: 'resident', operation: 'bulkImport', importMode: 'create', options: {} }, people);
	const residentIds = residents.map((r) => Number(r.json.id));
	const householdId = Number(residents[0].json.householdId);

	await run(NODE.resident, { resource: 'observation', operation: 'record', findBy: 'id', residentId: residentIds[1], temperature: '38.1', symptoms: '咳嗽', source: 'door_visit' });
	const [exposure] = await run(NODE.resident, {
		resource: 'exposure', operation: 'record', aKind: 'resident', a_findBy: 'id', a_residentId: residentIds[1], bKind: 'resident', b_findBy: 'id', b_residentId: residentIds[2],
		occurredAt: new Date(Date.now() - 2 * 86_400_000).toISOString(), place: rl(building), kind: 'close_contact',
	});

	const reporterNames = [`报告人${k}甲`, `报告人${k}乙`];
	const reporterPhones = [phoneOf(k, 501), phoneOf(k, 502)];
	const incidents = await run(NODE.incident, { resource: 'incident', operation: 'bulkCreate', defaultSource: 'hotline', options: { autoAssign: false } }, [
		{ idempotencyKey: `scope-${k}-1`, category: 'sanitation', description: `${building}楼道垃圾堆积`, unitCode: building, reporterName: reporterNames[0], reporterPhone: reporterPhones[0], residentId: residentIds[0] },
		{ idempotencyKey: `scope-${k}-2`, category: 'safety_hazard', description: `${grid}路灯损坏`, unitCode: grid, reporterName: reporterNames[1], reporterPhone: reporterPhones[1] },
	]);

	const [task] = await run(NODE.task, {
		resource: 'task', operation: 'create', kind: 'errand', unit: rl(building),
		additionalFields: { title: `代买药品${k}`, residentId: residentIds[0], windowStart: new Date(Date.now() + 3_600_000).toISOString(), windowEnd: new Date(Date.now() + 4 * 3_600_000).toISOString() },
	});

	const volunteerNos = [`V-${k}1`, `V-${k}2`];
	const volunteerPhones = [phoneOf(k, 701), phoneOf(k, 702)];
	const volunteers = await run(NODE.volunteer, { resource: 'volunteer', operation: 'bulkImport', importMode: 'create' }, volunteerNos.map((no, n) => ({
		name: `志愿者${k}${n}`, volunteerNo: no, kind: 'party_member', skills: 'delivery,door_survey', availability: 'mon-sun 00:00-24:00', unitCode: building, maxTasks: 3, phone: volunteerPhones[n],
	})));
	const [team] = await run(NODE.volunteer, { resource: 'team', operation: 'create', teamName: `跑腿服务队${k}`, teamKind: 'errand', teamUnit: rl(code), leaderNo: volunteerNos[0] });

	const [notice] = await run(NODE.notice, {
		resource: 'notice', operation: 'compose', noticeTitle: `通知${k}`, noticeBody: '{{name}}您好：{{building}}本周停水。', noticeCategory: 'policy', noticeChannel: 'sms',
		noticeUnit: rl(code), noticeReach: 'every', noticeFilter: {}, noticeValidity: {}, options: {},
	});
	const [consultation] = await run(NODE.notice, {
		resource: 'consultation', operation: 'create', question: `是否同意增设充电棚${k}？`, consultationScope: rl(code), choiceKind: 'single',
		choiceOptions: { option: [{ code: 'agree', label: '同意' }, { code: 'disagree', label: '不同意' }] },
		opensAt: new Date(Date.now() - 3_600_000).toISOString(), closesAt: new Date(Date.now() + 7 * 86_400_000).toISOString(), electorate: 'household', allowChange: false, options: {},
	});
	const consultationId = Number(consultation.json.id ?? consultation.json.consultationId);
	const invitations = await run(NODE.notice, { resource: 'consultation', operation: 'issueInvitations', consultationId, responseLinkBase: 'https://n8n.example.gov.cn/webhook/c', maxInvitations: 0, options: {} });
	return {
		code, grid, building, staffNo, staffPhone, residentIds, householdId,
		documents: people.map((p) => p.documentNumber), phones: people.map((p) => p.phone), names: people.map((p) => p.name),
		incidentIds: incidents.map((i) => Number(i.json.id)), incidentRefs: incidents.map((i) => String(i.json.reference)),
		reporterNames, reporterPhones, taskId: Number(task.json.id),
		volunteerIds: volunteers.map((v) => Number(v.json.id)), volunteerNos, volunteerPhones,
		teamId: Number(team.json.id), noticeId: Number(notice.json.noticeId ?? notice.json.id), consultationId, invitationTokens: invitations.map((i) => String(i.json.token)),
		exposureId: Number(exposure.json.id),
	};
}

/** Builds the small district (domain, as every test does) and both communities' data through the nodes. */
export async function seedScopeWorld(db: TestDatabase, harness: N8nHarness): Promise<ScopeWorld> {
	await seedSmallDistrict(db.config());
	const admin = { gridGovernancePostgres: gridCredentials(db.config()) };
	const A = await seedCommunity(harness, admin, 1);
	const B = await seedCommunity(harness, admin, 2);
	return { A, B, admin };
}

/**
 * One digest per table of every row located in a subtree (tables with a unit_id, and the timelines and
 * child tables through their parent), read as the admin login: equal digests mean nothing there changed.
 */
export async function subtreeDigest(db: TestDatabase, code: string): Promise<Record<string, string>> {
	const tables = await db.query<{ table_name: string }>(
		`SELECT c.table_name FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
		WHERE c.table_schema = 'grid' AND c.column_name = 'unit_id' AND t.table_type = 'BASE TABLE' AND c.table_name <> 'audit_log' ORDER BY 1`);
	const out: Record<string, string> = {};
	for (const { table_name: t } of tables) {
		const [row] = await db.query<{ n: number; d: string }>(
			`SELECT count(*)::int AS n, md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS d
			FROM grid.${t} x JOIN grid.grid_unit u ON u.id = x.unit_id
			WHERE u.path LIKE (SELECT path FROM grid.grid_unit WHERE code = $1) || '%'`, [code]);
		out[t] = `${row.n}:${row.d}`;
	}
	const [units] = await db.query<{ d: string }>(
		`SELECT md5(string_agg(u::text, '|' ORDER BY u.id)) AS d FROM grid.grid_unit u WHERE u.path LIKE (SELECT path FROM grid.grid_unit WHERE code = $1) || '%'`, [code]);
	out.grid_unit = units.d;
	return out;
}
