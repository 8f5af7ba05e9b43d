/**
 * The incident lifecycle against real PostgreSQL: get, search, timeline, triage, assign (transfers and
 * supervision), the status machine, comments, escalation up the grid, reopen, close with the callback,
 * scope, and escalate-overdue (set-based, and safe when two runs race).
 */
import { closeAllPools } from '../../nodes/shared/db/pool';
import type { UnitOfWork } from '../../nodes/shared/domain/context';
import { assignStaff } from '../../nodes/shared/domain/grid/assignments';
import { createStaff } from '../../nodes/shared/domain/grid/staff';
import { escalate, escalateOverdue } from '../../nodes/shared/domain/incident/escalation';
import { noteSlaBreaches } from '../../nodes/shared/domain/incident/feed';
import { assign, close, comment, reopen, triage, updateStatus } from '../../nodes/shared/domain/incident/lifecycle';
import { getIncidents, searchIncidents, timeline } from '../../nodes/shared/domain/incident/queries';
import { DEFAULT_SLA_MATRIX, addDuration, slaFor } from '../../nodes/shared/domain/incident/sla';
import { phone } from '../../nodes/shared/validation/phone';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { eventKinds, incidentRows, makeOverdue, reportIncidents, valueOf } from '../helpers/incidents';
import { mobile } from '../helpers/people';
import { run, seedSmallDistrict } from '../helpers/uow';

let db: TestDatabase;
const B1 = '370614-001-001-001-0001';
const B2 = '370614-001-001-001-0002';
// the second base grid of community 1 has only a grid member
const B3 = '370614-001-001-002-0001';
const B_OTHER = '370614-002-001-001-0001';
// nobody is posted anywhere under street 2's second community: the district answers
const B_DISTRICT = '370614-002-002-001-0001';
const staffId = new Map<string, number>();

const one = (unit: string, over = {}) => reportIncidents(db.config(), unit, 1, over).then((r) => r[0]);
const act = <T>(fn: (uow: UnitOfWork) => Promise<T>, config = db.config()) => run(config, fn);
const count = async (table: string) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.${table}`))[0].n;
const row = async (id: number) => (await incidentRows(db, [id]))[0];

beforeAll(async () => {
	db = await createTestDatabase('incident_lifecycle');
	await seedSmallDistrict(db.config());
	const posts: Array<[string, string, string, 'grid_instructor' | 'community_worker' | 'grid_head' | 'grid_member']> = [
		['D1', '区指导员', '370614', 'grid_instructor'],
		['S1', '街道指导员', '370614-001', 'grid_instructor'],
		['C1', '社区工作者', '370614-001-001', 'community_worker'],
		['G1', '网格长甲', '370614-001-001-001', 'grid_head'],
		['M1', '网格员甲', '370614-001-001-001', 'grid_member'],
		['M2', '网格员乙', '370614-001-001-002', 'grid_member'],
		['G2', '网格长乙', '370614-002-001-001', 'grid_head'],
	];
	await act(async (uow) => {
		const made = await createStaff(uow, posts.map(([no, name, unit]) => ({ name, unit: { code: unit }, staffNo: no })));
		made.forEach((o, k) => staffId.set(posts[k][0], (valueOf(o) as { id: number }).id));
		const assigned = await assignStaff(uow, posts.map(([no, , unit, role]) => ({ staff: { staffNo: no }, unit: { code: unit }, role })));
		assigned.forEach(valueOf);
		// a staff member without a post, to transfer to
		staffId.set('V1', (valueOf((await createStaff(uow, [{ name: '志愿者队长', unit: { code: '370614-001-001' }, staffNo: 'V1' }]))[0]) as { id: number }).id);
	});
});

afterAll(async () => {
	await closeAllPools();
	await db.drop();
});

describe('get and timeline', () => {
	it('gets many incidents at once by id and reference; an unknown one is an error naming the field', async () => {
		const [a, b] = await reportIncidents(db.config(), B1, 2, { reporter: { name: '李女士', phone: phone(mobile(77), 'Phone') } });
		const out = await act((uow) => getIncidents(uow, [{ reference: b.reference }, { id: a.id }, { reference: 'INC-20000101-999999' }]));
		expect(valueOf(out[0])).toMatchObject({ id: b.id, reference: b.reference, unitCode: B1, handlingUnitCode: '370614-001-001-001' });
		expect(valueOf(out[1])).toMatchObject({ id: a.id });
		expect(valueOf(out[1]).reporter.phone).not.toBe(mobile(77));
		expect(!out[2].ok && out[2].error).toMatchObject({ field: 'Incident', message: 'unknown incident INC-20000101-999999' });
		const auditBefore = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.audit_log WHERE action = 'reveal' AND entity = 'incident'`);
		const [revealed] = await act((uow) => getIncidents(uow, [{ id: a.id }], true));
		expect(valueOf(revealed).reporter).toMatchObject({ phone: mobile(77), revealed: true });
		const auditAfter = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.audit_log WHERE action = 'reveal' AND entity = 'incident' AND entity_id = $1`, [String(a.id)]);
		expect(auditAfter[0].n).toBe(1);
		expect(auditBefore[0].n).toBe(0);
	});
});

describe('triage', () => {
	it('sets the risk by hand with a reason, recomputes the due time from creation and moves new to triaged', async () => {
		const inc = await one(B1);
		expect(inc).toMatchObject({ status: 'new', riskLevel: 'low' });
		const r = await act((uow) => triage(uow, { incident: { reference: inc.reference }, riskLevel: 'critical', category: '安全隐患', reason: 'gas smell reported by neighbours' }));
		expect(r).toMatchObject({ status: 'triaged', previousStatus: 'new', riskLevel: 'critical', category: 'safety_hazard' });
		// critical: 30 minutes of clock time from when it was created
		expect(new Date(r.dueAt!).getTime()).toBe(new Date(inc.createdAt).getTime() + 30 * 60_000);
		expect(r.riskReasons[0]).toMatch(/set to critical by hand: gas smell/);
		expect(r.events).toHaveLength(1);
		expect(r.events[0]).toMatchObject({
			kind: 'triaged', fromStatus: 'new', toStatus: 'triaged', note: 'gas smell reported by neighbours',
			details: { riskLevel: { from: 'low', to: 'critical' }, category: { from: 'sanitation', to: 'safety_hazard' }, dueAt: { from: inc.dueAt, to: r.dueAt } },
		});
		expect(r.events[0].actor).toMatchObject({ node: 'test' });
	});

	it('needs a reason and a known category, and refuses closed incidents; nothing is written', async () => {
		const inc = await one(B1);
		const events = await count('incident_event');
		await expect(act((uow) => triage(uow, { incident: { id: inc.id }, riskLevel: 'high', reason: '  ' }))).rejects.toMatchObject({ field: 'Reason', message: 'Reason is required but empty' });
		await expect(act((uow) => triage(uow, { incident: { id: inc.id }, category: 'alien_landing', reason: 'x' }))).rejects.toMatchObject({ field: 'Category', message: expect.stringContaining('is not a known category') });
		await db.query(`UPDATE grid.incident SET status = 'rejected' WHERE id = $1`, [inc.id]);
		await expect(act((uow) => triage(uow, { incident: { id: inc.id }, riskLevel: 'high', reason: 'x' }))).rejects.toMatchObject({ field: 'Incident', message: expect.stringContaining('is Rejected (不予受理); only open incidents') });
		expect(await count('incident_event')).toBe(events);
		expect((await row(inc.id)).risk_level).toBe(inc.riskLevel);
	});
});

describe('assign', () => {
	it('assigns to the responsible staff by default, counts transfers and puts the third transfer under supervision', async () => {
		const inc = await one(B1);
		const a = await act((uow) => assign(uow, { incident: { id: inc.id } }));
		expect(a).toMatchObject({ status: 'assigned', previousStatus: 'new', assigneeStaffId: staffId.get('G1'), assigneeName: '网格长甲', transferCount: 0, supervised: false });
		expect(a.events[0]).toMatchObject({ kind: 'assigned', details: { responsibleByDefault: true, transfer: false, from: null } });
		const b = await act((uow) => assign(uow, { incident: { id: inc.id }, to: { staff: { staffNo: 'M1' } }, note: 'G1 on leave' }));
		expect(b).toMatchObject({ assigneeStaffId: staffId.get('M1'), transferCount: 1, supervised: false, status: 'assigned' });
		expect(b.events[0]).toMatchObject({ note: 'G1 on leave', details: { transfer: true, from: { staffId: staffId.get('G1') }, to: { staffId: staffId.get('M1') } } });
		const c = await act((uow) => assign(uow, { incident: { reference: inc.reference }, to: { team: '党员先锋队' } }));
		expect(c).toMatchObject({ assigneeStaffId: null, assigneeTeam: '党员先锋队', transferCount: 2, supervised: false });
		await expect(act((uow) => assign(uow, { incident: { id: inc.id }, to: { team: '党员先锋队' } }))).rejects.toMatchObject({ field: 'Assignee', message: expect.stringContaining('already assigned to team 党员先锋队') });
		const d = await act((uow) => assign(uow, { incident: { id: inc.id }, to: { staff: { id: staffId.get('V1')! } } }));
		expect(d).toMatchObject({ assigneeStaffId: staffId.get('V1'), assigneeTeam: null, transferCount: 3, supervised: true });
		expect(d.events.map((e) => e.kind)).toEqual(['assigned', 'supervision']);
		expect(d.events[1].note).toMatch(/transferred 3 times/);
		// a fourth transfer does not add another supervision entry
		await act((uow) => assign(uow, { incident: { id: inc.id }, to: { staff: { staffNo: 'G1' } } }));
		expect(await eventKinds(db, inc.id)).toEqual(['created', 'assigned', 'assigned', 'assigned', 'assigned', 'supervision', 'assigned']);
		expect((await row(inc.id)).transfer_count).toBe(4);
	});

	it('refuses an unknown assignee, and a default when nobody is posted', async () => {
		const inc = await one(B1);
		await expect(act((uow) => assign(uow, { incident: { id: inc.id }, to: { staff: { staffNo: 'NOPE' } } }))).rejects.toMatchObject({ field: 'Assignee', message: expect.stringContaining('unknown staff member number NOPE') });
		await expect(act((uow) => assign(uow, { incident: { id: inc.id }, to: { team: ' ' } }))).rejects.toMatchObject({ field: 'Team' });
		// nobody is posted under street 2's second community: the district answers, unless the scope hides it
		const lone = await one(B_DISTRICT);
		expect(lone.handlingUnitCode).toBe('370614');
		await expect(act((uow) => assign(uow, { incident: { id: lone.id } }), db.config({ scopeCode: '370614-002-002' }))).rejects.toMatchObject({
			field: 'Assignee', message: expect.stringContaining("within this credential's scope 370614-002-002; name a staff member or a team"),
		});
		expect(await eventKinds(db, lone.id)).toEqual(['created']);
		await expect(act((uow) => assign(uow, { incident: { id: lone.id } }))).resolves.toMatchObject({ assigneeStaffId: staffId.get('D1'), status: 'assigned' });
	});
});

describe('status machine', () => {
	it('moves along the allowed moves and refuses the others with the allowed next statuses', async () => {
		const inc = await one(B1);
		await expect(act((uow) => updateStatus(uow, { incident: { id: inc.id }, status: 'resolved' }))).rejects.toMatchObject({
			field: 'New Status',
			message: 'an incident that is New (新建) cannot become Resolved (已办结) through Update Status; allowed next: Triaged (已研判), Assigned (已派单), In progress (办理中), Rejected (不予受理)',
		});
		await expect(act((uow) => updateStatus(uow, { incident: { id: inc.id }, status: 'assigned' }))).rejects.toMatchObject({ field: 'New Status', message: expect.stringContaining('has no assignee; use Assign') });
		const p = await act((uow) => updateStatus(uow, { incident: { id: inc.id }, status: 'in_progress' }));
		expect(p).toMatchObject({ status: 'in_progress', previousStatus: 'new', resolvedAt: null });
		await expect(act((uow) => updateStatus(uow, { incident: { id: inc.id }, status: 'in_progress' }))).rejects.toMatchObject({ field: 'New Status', message: `incident ${inc.reference} is already In progress (办理中)` });
		await expect(act((uow) => updateStatus(uow, { incident: { id: inc.id }, status: 'rejected', note: 'n' }))).rejects.toMatchObject({
			field: 'New Status', message: expect.stringContaining('allowed next: Resolved (已办结), Assigned (已派单)'),
		});
		const before = Date.now();
		const r = await act((uow) => updateStatus(uow, { incident: { id: inc.id }, status: 'resolved', note: 'rubbish cleared' }));
		expect(r).toMatchObject({ status: 'resolved', previousStatus: 'in_progress' });
		expect(new Date(r.resolvedAt!).getTime()).toBeGreaterThanOrEqual(before - 5_000);
		expect(r.events[0]).toMatchObject({ kind: 'status_changed', fromStatus: 'in_progress', toStatus: 'resolved', note: 'rubbish cleared' });
		await expect(act((uow) => updateStatus(uow, { incident: { id: inc.id }, status: 'closed' }))).rejects.toMatchObject({
			field: 'New Status', message: expect.stringContaining('use Close, which records the satisfaction and the callback'),
		});
		await expect(act((uow) => updateStatus(uow, { incident: { id: inc.id }, status: 'in_progress' }))).rejects.toMatchObject({
			field: 'New Status', message: expect.stringContaining('use Reopen'),
		});
		await expect(act((uow) => updateStatus(uow, { incident: { id: inc.id }, status: 'bogus' as never }))).rejects.toMatchObject({ field: 'New Status', message: expect.stringContaining('is not a status') });
	});

	it('needs a note to reject, and allows nothing after rejection', async () => {
		const inc = await one(B1);
		await expect(act((uow) => updateStatus(uow, { incident: { id: inc.id }, status: 'rejected' }))).rejects.toMatchObject({ field: 'Note', message: 'Note is required but empty' });
		const r = await act((uow) => updateStatus(uow, { incident: { id: inc.id }, status: 'rejected', note: 'not a matter for the grid' }));
		expect(r.status).toBe('rejected');
		await expect(act((uow) => updateStatus(uow, { incident: { id: inc.id }, status: 'triaged' }))).rejects.toMatchObject({
			field: 'New Status', message: 'an incident that is Rejected (不予受理) cannot become Triaged (已研判) through Update Status: no status change is allowed from there',
		});
	});
});

describe('comment', () => {
	it('adds a comment in any status; 1–2000 characters', async () => {
		const inc = await one(B1);
		const c = await act((uow) => comment(uow, { incident: { reference: inc.reference }, text: '已电话联系居民' }));
		expect(c.events).toEqual([expect.objectContaining({ kind: 'commented', note: '已电话联系居民', incidentId: inc.id, reference: inc.reference })]);
		expect(new Date(c.updatedAt).getTime()).toBeGreaterThan(new Date(inc.updatedAt).getTime());
		await expect(act((uow) => comment(uow, { incident: { id: inc.id }, text: 'x'.repeat(2001) }))).rejects.toMatchObject({ field: 'Comment', message: 'Comment is 2001 characters long; at most 2000 are allowed' });
		await expect(act((uow) => comment(uow, { incident: { id: inc.id }, text: '' }))).rejects.toMatchObject({ field: 'Comment' });
		expect(await eventKinds(db, inc.id)).toEqual(['created', 'commented']);
	});
});

describe('escalate', () => {
	it('goes up one level at a time to whoever answers there, with a new due time, and not above the district', async () => {
		const inc = await one(B1, { category: 'sanitation' });
		expect(inc.handlingUnitCode).toBe('370614-001-001-001');
		const sla = slaFor('low', 'sanitation', DEFAULT_SLA_MATRIX);
		const t0 = new Date();
		const e1 = await act((uow) => escalate(uow, { incident: { id: inc.id }, reason: 'grid cannot resolve' }));
		const t1 = new Date();
		expect(e1).toMatchObject({ handlingUnitCode: '370614-001-001', handlingLevel: 3, escalationCount: 1, assigneeStaffId: staffId.get('C1'), status: 'assigned', previousStatus: 'new' });
		expect(new Date(e1.dueAt!).getTime()).toBeGreaterThanOrEqual(addDuration(new Date(t0.getTime() - 1_000), sla).getTime());
		expect(new Date(e1.dueAt!).getTime()).toBeLessThanOrEqual(addDuration(t1, sla).getTime());
		expect(e1.events[0]).toMatchObject({
			kind: 'escalated', note: 'grid cannot resolve',
			details: { fromUnitCode: '370614-001-001-001', toUnitCode: '370614-001-001', fromLevel: 4, toLevel: 3, escalationCount: 1, automatic: false },
		});
		const e2 = await act((uow) => escalate(uow, { incident: { reference: inc.reference }, reason: 'community needs the street' }));
		expect(e2).toMatchObject({ handlingUnitCode: '370614-001', assigneeStaffId: staffId.get('S1'), escalationCount: 2 });
		const e3 = await act((uow) => escalate(uow, { incident: { id: inc.id }, reason: 'district must act' }));
		expect(e3).toMatchObject({ handlingUnitCode: '370614', handlingLevel: 1, assigneeStaffId: staffId.get('D1'), escalationCount: 3 });
		const events = await count('incident_event');
		await expect(act((uow) => escalate(uow, { incident: { id: inc.id }, reason: 'again' }))).rejects.toMatchObject({
			field: 'Incident', message: `cannot escalate above the district: incident ${inc.reference} is already handled by the district 370614 (level 1)`,
		});
		await expect(act((uow) => escalate(uow, { incident: { id: inc.id }, reason: '' }))).rejects.toMatchObject({ field: 'Reason' });
		expect(await count('incident_event')).toBe(events);
		expect((await row(inc.id)).escalation_count).toBe(3);
	});

	it('a credential scoped to a street cannot send an incident above its street', async () => {
		const inc = await one(B1);
		const scoped = db.config({ scopeCode: '370614-001' });
		await act((uow) => escalate(uow, { incident: { id: inc.id }, reason: 'up' }), scoped);
		await act((uow) => escalate(uow, { incident: { id: inc.id }, reason: 'up' }), scoped);
		await expect(act((uow) => escalate(uow, { incident: { id: inc.id }, reason: 'up' }), scoped)).rejects.toMatchObject({
			field: 'Incident', message: expect.stringContaining('the unit above lies outside this credential\'s scope 370614-001'),
		});
		expect((await row(inc.id)).handling_code).toBe('370614-001');
	});
});

describe('reopen and close', () => {
	it('the third reopen puts the case under supervision, once', async () => {
		const inc = await one(B1);
		await act((uow) => updateStatus(uow, { incident: { id: inc.id }, status: 'in_progress' }));
		await expect(act((uow) => reopen(uow, { incident: { id: inc.id }, reason: 'x' }))).rejects.toMatchObject({
			field: 'Incident', message: expect.stringContaining('only Resolved (已办结) or Closed (已关闭) incidents can be reopened'),
		});
		for (let k = 1; k <= 4; k++) {
			await act((uow) => updateStatus(uow, { incident: { id: inc.id }, status: 'resolved' }));
			if (k % 2) await act((uow) => close(uow, { incident: { id: inc.id }, satisfaction: 2, callbackResult: 'not fixed' }));
			const r = await act((uow) => reopen(uow, { incident: { id: inc.id }, reason: `complaint ${k}` }));
			expect(r).toMatchObject({ status: 'in_progress', reopenCount: k, supervised: k >= 3, closedAt: null, resolvedAt: null, satisfaction: null });
			expect(r.events.map((e) => e.kind)).toEqual(k === 3 ? ['reopened', 'supervision'] : ['reopened']);
			expect(r.events[0]).toMatchObject({ fromStatus: k % 2 ? 'closed' : 'resolved', toStatus: 'in_progress', note: `complaint ${k}` });
			expect(new Date(r.dueAt!).getTime()).toBeGreaterThan(Date.now());
		}
		expect((await eventKinds(db, inc.id)).filter((k) => k === 'supervision')).toHaveLength(1);
	});

	it('closes with satisfaction and the callback; satisfaction 7 is refused and nothing is written', async () => {
		const inc = await one(B1);
		await act((uow) => updateStatus(uow, { incident: { id: inc.id }, status: 'in_progress' }));
		const before = await row(inc.id);
		const events = await count('incident_event');
		const audit = await count('audit_log');
		await expect(act((uow) => close(uow, { incident: { id: inc.id }, satisfaction: 7, callbackResult: 'ok' }))).rejects.toMatchObject({
			field: 'Satisfaction', message: 'Satisfaction must be a whole number from 1 to 5, got 7',
		});
		await expect(act((uow) => close(uow, { incident: { id: inc.id }, satisfaction: 4.5, callbackResult: 'ok' }))).rejects.toMatchObject({ field: 'Satisfaction' });
		await expect(act((uow) => close(uow, { incident: { id: inc.id }, satisfaction: 4, callbackResult: '' }))).rejects.toMatchObject({ field: 'Callback Result' });
		expect(await row(inc.id)).toEqual(before);
		expect(await count('incident_event')).toBe(events);
		expect(await count('audit_log')).toBe(audit);
		const c = await act((uow) => close(uow, { incident: { reference: inc.reference }, satisfaction: 5, callbackResult: '居民表示满意' }));
		expect(c).toMatchObject({ status: 'closed', previousStatus: 'in_progress', satisfaction: 5, callbackResult: '居民表示满意' });
		expect(c.closedAt).not.toBeNull();
		expect(c.resolvedAt).not.toBeNull();
		expect(c.events[0]).toMatchObject({ kind: 'closed', details: { satisfaction: 5, callbackResult: '居民表示满意' } });
		await expect(act((uow) => close(uow, { incident: { id: inc.id }, satisfaction: 5, callbackResult: 'again' }))).rejects.toMatchObject({ field: 'Incident', message: expect.stringContaining('is Closed (已关闭)') });
	});
});

describe('timeline', () => {
	it('lists every change of an incident in order with labels, statuses, notes and actors', async () => {
		const inc = await one(B1);
		await act((uow) => triage(uow, { incident: { id: inc.id }, riskLevel: 'medium', reason: 'r1' }));
		await act((uow) => assign(uow, { incident: { id: inc.id } }));
		await act((uow) => comment(uow, { incident: { id: inc.id }, text: 'c1' }));
		await act((uow) => updateStatus(uow, { incident: { id: inc.id }, status: 'in_progress' }));
		await act((uow) => escalate(uow, { incident: { id: inc.id }, reason: 'e1' }));
		await act((uow) => updateStatus(uow, { incident: { id: inc.id }, status: 'resolved' }));
		await act((uow) => close(uow, { incident: { id: inc.id }, satisfaction: 4, callbackResult: 'cb' }));
		const t = await act((uow) => timeline(uow, { incident: { reference: inc.reference } }));
		expect(t.map((e) => [e.kind, e.fromStatus, e.toStatus])).toEqual([
			['created', null, 'new'],
			['triaged', 'new', 'triaged'],
			['assigned', 'triaged', 'assigned'],
			['commented', null, null],
			['status_changed', 'assigned', 'in_progress'],
			['escalated', 'in_progress', 'in_progress'],
			['status_changed', 'in_progress', 'resolved'],
			['closed', 'resolved', 'closed'],
		]);
		expect(t.map((e) => e.note)).toEqual([null, 'r1', null, 'c1', null, 'e1', null, 'cb']);
		expect(t[1].label).toBe('Triaged (研判)');
		for (let k = 1; k < t.length; k++) {
			expect(t[k].eventId).toBeGreaterThan(t[k - 1].eventId);
			expect(new Date(t[k].at).getTime()).toBeGreaterThanOrEqual(new Date(t[k - 1].at).getTime());
		}
		const only = await act((uow) => timeline(uow, { incident: { id: inc.id }, kinds: ['status_changed'] }));
		expect(only.map((e) => e.toStatus)).toEqual(['in_progress', 'resolved']);
		await expect(act((uow) => timeline(uow, { incident: { id: 987654321 } }))).rejects.toMatchObject({ field: 'Incident', message: 'unknown incident #987654321' });
	});
});

describe('search', () => {
	const within = { code: '370614-001-002' };
	let ids: number[] = [];

	beforeAll(async () => {
		// a community of its own for these tests: 30 reports in two grids, varied
		const a = await reportIncidents(db.config(), '370614-001-002-001-0001', 20, { category: 'sanitation' });
		const b = await reportIncidents(db.config(), '370614-001-002-002-0001', 10, { category: 'neighbour_dispute' });
		ids = [...a, ...b].map((r) => r.id);
		// spread creation times over 30 days, one day apart, newest last
		await db.query(`UPDATE grid.incident SET created_at = now() - make_interval(days => (30 - k)::int)
			FROM unnest($1::bigint[]) WITH ORDINALITY AS t(id, k) WHERE incident.id = t.id`, [ids]);
		await db.query(`UPDATE grid.incident SET risk_level = 'high' WHERE id = ANY($1::bigint[])`, [ids.filter((_, k) => k % 5 === 0)]);
		await db.query(`UPDATE grid.incident SET risk_level = 'critical' WHERE id = ANY($1::bigint[])`, [ids.filter((_, k) => k % 7 === 1)]);
		await makeOverdue(db, ids.slice(0, 4));
		await db.query(`UPDATE grid.incident SET status = 'closed', due_at = now() - interval '1 day' WHERE id = $1`, [ids[4]]);
		await act((uow) => assign(uow, { incident: { id: ids[25] }, to: { staff: { staffNo: 'M2' } } }));
		await act((uow) => assign(uow, { incident: { id: ids[26] }, to: { staff: { staffNo: 'M2' } } }));
	});

	const rowsOf = async (filter: (r: Record<string, any>) => boolean) => (await incidentRows(db, ids)).filter(filter)
		.sort((x, y) => new Date(y.created_at).getTime() - new Date(x.created_at).getTime() || Number(y.id) - Number(x.id)).map((r) => Number(r.id));
	const search = (q: Parameters<typeof searchIncidents>[1], config = db.config()) => act((uow) => searchIncidents(uow, q), config);

	it('filters by subtree, status, category, risk, overdue, created window and assignee; newest first', async () => {
		expect((await search({ within, returnAll: true })).map((r) => r.id)).toEqual(await rowsOf(() => true));
		expect((await search({ within: { code: '370614-001-002-002' }, returnAll: true })).map((r) => r.id)).toEqual(await rowsOf((r) => r.category === 'neighbour_dispute'));
		expect((await search({ within, statuses: ['closed'] })).map((r) => r.id)).toEqual([ids[4]]);
		expect((await search({ within, categories: ['neighbour_dispute'], statuses: ['assigned'] })).map((r) => r.id)).toEqual([ids[26], ids[25]]);
		expect((await search({ within, minRisk: 'high', limit: 100 })).map((r) => r.id)).toEqual(await rowsOf((r) => r.risk_level === 'high' || r.risk_level === 'critical'));
		expect((await search({ within, riskLevels: ['critical'] })).map((r) => r.id)).toEqual(await rowsOf((r) => r.risk_level === 'critical'));
		expect((await search({ within, minRisk: 'critical', riskLevels: ['high'] }))).toEqual([]);
		const overdue = await search({ within, overdueOnly: true });
		expect(overdue.map((r) => r.id)).toEqual(ids.slice(0, 4).reverse());
		expect(overdue.every((r) => r.overdue)).toBe(true);
		const from = new Date(Date.now() - 10.5 * 86_400_000);
		const to = new Date(Date.now() - 4.5 * 86_400_000);
		expect((await search({ within, createdFrom: from, createdTo: to })).map((r) => r.id)).toEqual(await rowsOf((r) => new Date(r.created_at) >= from && new Date(r.created_at) < to));
		expect((await search({ within, createdFrom: from, createdTo: to })).length).toBe(6);
		expect((await search({ assignee: { staffNo: 'M2' } })).map((r) => r.id)).toEqual([ids[26], ids[25]]);
		await expect(search({ createdFrom: to, createdTo: from })).rejects.toMatchObject({ field: 'Created To' });
		await expect(search({ statuses: ['open' as never] })).rejects.toMatchObject({ field: 'Status', message: expect.stringContaining('"open" is not known') });
		await expect(search({ within: { code: '370614-009' } })).rejects.toMatchObject({ field: 'Grid Unit' });
	});

	it('pages by limit and offset without gaps or repeats, and returns all', async () => {
		const all = await rowsOf(() => true);
		const pages: number[] = [];
		for (let offset = 0; offset < 40; offset += 7) pages.push(...(await search({ within, limit: 7, offset })).map((r) => r.id));
		expect(pages).toEqual(all);
		expect(await search({ within })).toHaveLength(30);
		expect(await search({ within, returnAll: true, limit: 12 })).toHaveLength(12);
		expect((await search({ within, returnAll: true, offset: 25 })).map((r) => r.id)).toEqual(all.slice(25));
		await expect(search({ within, limit: 0 })).rejects.toMatchObject({ field: 'Limit' });
	});

	it('returns all of more than one internal page in order, several incidents sharing a creation time', async () => {
		const many = await reportIncidents(db.config(), '370614-002-001-002-0001', 1_050, { category: 'supply_need' });
		// one creation time for all of them: the id breaks the tie across page boundaries
		await db.query(`UPDATE grid.incident SET created_at = now() - interval '40 days' WHERE id = ANY($1::bigint[])`, [many.map((r) => r.id)]);
		const found = await search({ within: { code: '370614-002-001-002-0001' }, returnAll: true });
		expect(found.map((r) => r.id)).toEqual(many.map((r) => r.id).sort((x, y) => y - x));
	});
});

describe('scope', () => {
	it('a credential scoped to one street can neither see nor change another street\'s incident', async () => {
		const mine = await one(B2);
		const theirs = await one(B_OTHER);
		const scoped = db.config({ scopeCode: '370614-001' });
		const events = await count('incident_event');
		const got = await act((uow) => getIncidents(uow, [{ id: theirs.id }, { reference: mine.reference }]), scoped);
		expect(!got[0].ok && got[0].error).toMatchObject({ field: 'Incident', message: `unknown incident #${theirs.id} (or it lies outside this credential's scope 370614-001)` });
		expect(valueOf(got[1]).id).toBe(mine.id);
		const changes: Array<(uow: UnitOfWork) => Promise<unknown>> = [
			(uow: UnitOfWork) => comment(uow, { incident: { reference: theirs.reference }, text: 'x' }),
			(uow: UnitOfWork) => triage(uow, { incident: { id: theirs.id }, riskLevel: 'high', reason: 'x' }),
			(uow: UnitOfWork) => assign(uow, { incident: { id: theirs.id }, to: { team: 'x' } }),
			(uow: UnitOfWork) => updateStatus(uow, { incident: { id: theirs.id }, status: 'in_progress' }),
			(uow: UnitOfWork) => escalate(uow, { incident: { id: theirs.id }, reason: 'x' }),
			(uow: UnitOfWork) => timeline(uow, { incident: { id: theirs.id } }),
		];
		for (const change of changes) {
			await expect(act(change, scoped)).rejects.toMatchObject({ field: 'Incident', message: expect.stringContaining('outside this credential\'s scope 370614-001') });
		}
		expect(await count('incident_event')).toBe(events);
		const seen = await act((uow) => searchIncidents(uow, { returnAll: true }), scoped);
		expect(seen.some((r) => r.id === mine.id)).toBe(true);
		expect(seen.some((r) => r.id === theirs.id)).toBe(false);
		expect(seen.every((r) => r.unitCode.startsWith('370614-001-'))).toBe(true);
		// and a change inside the scope works
		await expect(act((uow) => comment(uow, { incident: { id: mine.id }, text: 'ok' }), scoped)).resolves.toMatchObject({ id: mine.id });
	});
});

describe('escalate overdue', () => {
	/** Closes every open incident left by earlier tests so that each test sees only its own overdue ones. */
	const quiet = () => db.query(`UPDATE grid.incident SET due_at = now() + interval '30 days' WHERE status IN ('new','triaged','assigned','in_progress')`);

	it('escalates every overdue open incident one level in a handful of statements; those at the top stay with a new due time', async () => {
		await quiet();
		const grid = await reportIncidents(db.config(), B1, 120, { category: 'sanitation' });
		const grid2 = await reportIncidents(db.config(), B3, 30, { category: 'supply_need' });
		const top = await reportIncidents(db.config(), B_DISTRICT, 5, { category: 'sanitation' });
		const notDue = await reportIncidents(db.config(), B1, 5);
		const resolved = await one(B1);
		await act((uow) => updateStatus(uow, { incident: { id: resolved.id }, status: 'in_progress' }));
		await act((uow) => updateStatus(uow, { incident: { id: resolved.id }, status: 'resolved' }));
		const overdue = [...grid, ...grid2, ...top].map((r) => r.id);
		await makeOverdue(db, [...overdue, resolved.id], 90);
		// two of them have been transferred three times already (and are not yet supervised)
		await db.query(`UPDATE grid.incident SET transfer_count = 3 WHERE id = ANY($1::bigint[])`, [[grid[0].id, top[0].id]]);
		const dueBefore = new Map((await incidentRows(db, notDue.map((r) => r.id))).map((r) => [Number(r.id), new Date(r.due_at).getTime()]));

		let statements = 0;
		const result = await act((uow) => {
			// every statement of the domain goes through trx.raw: count them
			const raw = uow.trx.raw.bind(uow.trx);
			const counting = (...a: Parameters<typeof raw>) => {
				statements++;
				return raw(...a);
			};
			const trx = new Proxy(uow.trx, { get: (t, p) => (p === 'raw' ? counting : Reflect.get(t, p)) });
			return escalateOverdue({ ...uow, trx }, { chunkSize: 100 });
		});
		expect(result).toMatchObject({ processed: 155, escalated: 150, atTop: 5, newlySupervised: 2 });
		// two chunks of lock, who answers (3), names of kept assignees (when any), update and events; plus the clock
		expect(statements).toBeGreaterThanOrEqual(2 * 6 + 1);
		expect(statements).toBeLessThanOrEqual(2 * 7 + 1);
		expect(result.incidents.map((r) => r.id).sort((x, y) => x - y)).toEqual([...overdue].sort((x, y) => x - y));

		const ranAt = new Date(result.ranAt);
		const expectedDue = (risk: 'low', category: string) => addDuration(ranAt, slaFor(risk, category, DEFAULT_SLA_MATRIX)).getTime();
		const rows = new Map((await incidentRows(db, [...overdue, ...notDue.map((r) => r.id), resolved.id])).map((r) => [Number(r.id), r]));
		for (const r of grid) {
			const s = rows.get(r.id)!;
			expect([s.handling_code, s.escalation_count, Number(s.assignee_staff_id), s.status]).toEqual(['370614-001-001', 1, staffId.get('C1'), 'assigned']);
			expect(new Date(s.due_at).getTime()).toBe(expectedDue('low', 'sanitation'));
		}
		for (const r of grid2) {
			const s = rows.get(r.id)!;
			expect([s.handling_code, s.escalation_count, Number(s.assignee_staff_id)]).toEqual(['370614-001-001', 1, staffId.get('C1')]);
			expect(new Date(s.due_at).getTime()).toBe(expectedDue('low', 'supply_need'));
		}
		for (const r of top) {
			const s = rows.get(r.id)!;
			expect([s.handling_code, s.escalation_count]).toEqual(['370614', 0]);
			expect(new Date(s.due_at).getTime()).toBe(expectedDue('low', 'sanitation'));
		}
		for (const r of notDue) expect(new Date(rows.get(r.id)!.due_at).getTime()).toBe(dueBefore.get(r.id));
		expect(rows.get(resolved.id)!).toMatchObject({ status: 'resolved', escalation_count: 0, handling_code: '370614-001-001-001' });
		expect(rows.get(grid[0].id)!.supervised).toBe(true);
		expect(rows.get(top[0].id)!.supervised).toBe(true);
		expect(rows.get(grid[1].id)!.supervised).toBe(false);

		const events = await db.query<{ incident_id: string; kind: string; note: string; details: any; from_status: string; to_status: string }>(
			`SELECT incident_id, kind, note, details, from_status, to_status FROM grid.incident_event
			WHERE incident_id = ANY($1::bigint[]) AND kind IN ('escalated', 'supervision') ORDER BY id`, [[...overdue, resolved.id]]);
		expect(events.filter((e) => e.kind === 'escalated')).toHaveLength(155);
		expect(events.filter((e) => e.kind === 'supervision').map((e) => Number(e.incident_id)).sort()).toEqual([grid[0].id, top[0].id].sort());
		const first = events.find((e) => Number(e.incident_id) === grid[1].id)!;
		expect(first).toMatchObject({ from_status: 'new', to_status: 'assigned', details: { automatic: true, atTop: false, fromUnitCode: '370614-001-001-001', toUnitCode: '370614-001-001', escalationCount: 1 } });
		expect(first.note).toMatch(/^overdue since .*: escalated automatically from 370614-001-001-001 to 370614-001-001$/);
		const atTop = events.find((e) => Number(e.incident_id) === top[1].id)!;
		expect(atTop.details).toMatchObject({ atTop: true, fromUnitCode: '370614', toUnitCode: '370614' });
		expect(atTop.note).toMatch(/already handled by the district 370614, the top of the grid; it stays there with a new due time/);

		// nothing is overdue any more
		expect(await act((uow) => escalateOverdue(uow, {}))).toMatchObject({ processed: 0, incidents: [] });
	});

	it('keeps to the subtree asked for and to the credential\'s scope', async () => {
		await quiet();
		const a = await reportIncidents(db.config(), B1, 3);
		const b = await reportIncidents(db.config(), '370614-001-002-001-0001', 3);
		const c = await reportIncidents(db.config(), B_OTHER, 3);
		await makeOverdue(db, [...a, ...b, ...c].map((r) => r.id));
		const sub = await act((uow) => escalateOverdue(uow, { within: { code: '370614-001-001' } }));
		expect(sub.incidents.map((r) => r.id).sort()).toEqual(a.map((r) => r.id).sort());
		// b is handled by the street (nobody is posted below it): a street-scoped run cannot send it higher
		expect((await incidentRows(db, b.map((r) => r.id))).every((r) => r.handling_code === '370614-001')).toBe(true);
		const scoped = await act((uow) => escalateOverdue(uow, {}), db.config({ scopeCode: '370614-001' }));
		expect(scoped).toMatchObject({ processed: 3, escalated: 0, atTop: 3 });
		expect(scoped.incidents.map((r) => r.id).sort()).toEqual(b.map((r) => r.id).sort());
		expect(scoped.incidents[0]).toMatchObject({ fromUnitCode: '370614-001', toUnitCode: '370614-001' });
		const [note] = await db.query<{ note: string }>(`SELECT note FROM grid.incident_event WHERE incident_id = $1 ORDER BY id DESC LIMIT 1`, [b[0].id]);
		expect(note.note).toMatch(/already handled by 370614-001, the top of this credential's scope 370614-001/);
		expect((await incidentRows(db, c.map((r) => r.id))).every((r) => r.escalation_count === 0 && new Date(r.due_at) < new Date())).toBe(true);
		// unscoped, they go up to the district
		await makeOverdue(db, b.map((r) => r.id));
		const up = await act((uow) => escalateOverdue(uow, { within: { code: '370614-001' } }));
		expect(up).toMatchObject({ processed: 3, escalated: 3 });
		expect(up.incidents.every((r) => r.toUnitCode === '370614' && r.assigneeStaffId === staffId.get('D1'))).toBe(true);
	});

	it('announces a breach nobody noted before replacing its due time, and never announces one twice', async () => {
		await quiet();
		const [unnoted, noted] = await reportIncidents(db.config(), B1, 2, { category: 'sanitation' });
		await makeOverdue(db, [unnoted.id, noted.id], 30);
		await act((uow) => noteSlaBreaches(uow));
		const [{ due }] = await db.query<{ due: string }>(`SELECT due_at::text AS due FROM grid.incident WHERE id = $1`, [unnoted.id]);
		// a new due time for the first one, passed too, that no poll has seen
		await db.query(`UPDATE grid.incident SET due_at = $2::timestamptz - interval '5 minutes' WHERE id = $1`, [unnoted.id, due]);
		await act((uow) => escalateOverdue(uow));
		const kinds = async (id: number) => (await db.query<{ kind: string }>(`SELECT kind FROM grid.incident_event WHERE incident_id = $1 AND kind IN ('sla_breached', 'escalated') ORDER BY id`, [id])).map((k) => k.kind);
		expect(await kinds(unnoted.id)).toEqual(['sla_breached', 'sla_breached', 'escalated']);
		expect(await kinds(noted.id)).toEqual(['sla_breached', 'escalated']);
		// the new due time is not yet passed: the trigger has nothing more to note
		expect(await act((uow) => noteSlaBreaches(uow))).toEqual([]);
	});

	it('two runs at once never escalate one incident twice', async () => {
		await quiet();
		const made = await reportIncidents(db.config(), B1, 400);
		const ids = made.map((r) => r.id);
		await makeOverdue(db, ids);
		// Run A takes 200 and holds its locks until run B has finished: B must skip them.
		let release!: () => void;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		let aDone!: (n: number) => void;
		const aLocked = new Promise<number>((resolve) => {
			aDone = resolve;
		});
		const runA = act(async (uow) => {
			const r = await escalateOverdue(uow, { limit: 200, chunkSize: 64 });
			aDone(r.processed);
			await held;
			return r;
		});
		expect(await aLocked).toBe(200);
		const runB = await act((uow) => escalateOverdue(uow, { chunkSize: 64 }));
		release();
		const resultA = await runA;
		expect(runB.processed).toBe(200);
		const byA = new Set(resultA.incidents.map((r) => r.id));
		expect(runB.incidents.some((r) => byA.has(r.id))).toBe(false);
		// a third run after both finds nothing overdue
		expect((await act((uow) => escalateOverdue(uow, {}))).processed).toBe(0);

		// and freely racing runs over another 600
		const more = (await reportIncidents(db.config(), B3, 600)).map((r) => r.id);
		await makeOverdue(db, more);
		const races = await Promise.all([0, 1, 2].map(() => act((uow) => escalateOverdue(uow, { chunkSize: 50 }))));
		expect(races.reduce((n, r) => n + r.processed, 0)).toBe(600);
		const rows = await incidentRows(db, [...ids, ...more]);
		expect(rows.every((r) => r.escalation_count === 1)).toBe(true);
		const perIncident = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.incident_event WHERE incident_id = ANY($1::bigint[]) AND kind = 'escalated' GROUP BY incident_id`, [[...ids, ...more]]);
		expect(perIncident).toHaveLength(1_000);
		expect(perIncident.every((r) => r.n === 1)).toBe(true);
	});
});
