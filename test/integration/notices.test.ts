import { closeAllPools } from '../../nodes/shared/db/pool';
import { assignStaff } from '../../nodes/shared/domain/grid/assignments';
import { createStaff } from '../../nodes/shared/domain/grid/staff';
import { previewNotice } from '../../nodes/shared/domain/notice/audience';
import { noticeStatus, recordCallbacks, recordOptOuts } from '../../nodes/shared/domain/notice/deliveryLog';
import { type NoticeDraft, checkNotice } from '../../nodes/shared/domain/notice/noticeInput';
import { type NoticeRecord, composeNotices, loadNotice } from '../../nodes/shared/domain/notice/notices';
import { type PrepareInput, type RecipientItem, prepareNotice } from '../../nodes/shared/domain/notice/prepare';
import { type NewResident, checkResident } from '../../nodes/shared/domain/resident/residentInput';
import { saveResidents } from '../../nodes/shared/domain/resident/residents';
import type { UnitOfWork } from '../../nodes/shared/domain/context';
import { FieldError } from '../../nodes/shared/validation/errors';
import { DEFAULT_SEGMENT_WIDTHS } from '../../nodes/shared/validation/gridCode';
import { phone } from '../../nodes/shared/validation/phone';
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { noticeHandlers } from '../../nodes/Notice/actions/notice/operations';
import { runOperation } from '../../nodes/shared/n8n/executeLoop';
import { TEST_KEY, type TestDatabase, createTestDatabase } from '../helpers/db';
import { mobile } from '../helpers/people';
import { run, seedSmallDistrict } from '../helpers/uow';

let db: TestDatabase;
const STREET = '370614-001';
const C1 = '370614-001-001';
const C2 = '370614-001-002';
const G1 = '370614-001-001-001';
const B1 = '370614-001-001-001-0001';
const B2 = '370614-001-001-001-0002';
const B3 = '370614-001-001-002-0001';
const B4 = '370614-001-002-001-0001';
const B_OTHER_STREET = '370614-002-001-001-0001';
const rules = { widths: DEFAULT_SEGMENT_WIDTHS, allowCustomTags: false };
const ids: Record<string, number> = {};
const phones: Record<string, string> = {};

const q = <T = Record<string, unknown>>(text: string, params: unknown[] = []) => db.query<T>(text, params);
const count = async (text: string, params: unknown[] = []) => (await q<{ n: number }>(`SELECT count(*)::int AS n FROM (${text}) x`, params))[0].n;

function draft(extra: Partial<NoticeDraft> = {}): NoticeDraft {
	return checkNotice({
		title: '关于居民信息核对的通知',
		body: '{{name}}您好：请于本周内核对{{building}}住户信息，有疑问请联系网格员{{gridMember}}。',
		category: 'policy',
		channel: 'sms',
		within: { code: STREET },
		target: { reach: 'every', tagMatch: 'all' },
		...extra,
	});
}

async function compose(extra: Partial<NoticeDraft> = {}): Promise<number> {
	const [o] = await run(db.config(), (uow) => composeNotices(uow, [draft(extra)]));
	if (!o.ok || Array.isArray(o.value)) throw new Error('notice not composed');
	return o.value.noticeId;
}

async function prepare(input: PrepareInput): Promise<{ items: RecipientItem[]; summary: Awaited<ReturnType<typeof prepareNotice>> }> {
	const items: RecipientItem[] = [];
	const summary = await run(db.config(), (uow) => prepareNotice(uow, input, (page) => items.push(...page)));
	return { items, summary };
}

const preview = (id: number) => run(db.config(), async (uow: UnitOfWork) => previewNotice(uow, await loadNotice(uow, id)));

beforeAll(async () => {
	db = await createTestDatabase('notices');
	await seedSmallDistrict(db.config());
	// [name, building, room, birth year, phone?, tags]
	const people: Array<[string, string, string, number, boolean, string[]]> = [
		['张三丰', B1, '101', 1960, true, []],
		['张小', B1, '101', 2016, false, ['child']],
		['李四', B1, '101', 1985, true, []],
		['王五', B1, '102', 1950, false, ['elderly_living_alone']],
		['赵六', B2, '201', 1990, true, []],
		['赵七', B2, '201', 1992, true, []],
		['孙八', B3, '301', 1970, true, []],
		['周九', B4, '101', 1980, true, []],
		['吴十', B_OTHER_STREET, '101', 1980, true, []],
	];
	const outcomes = await run(db.config(), (uow) => saveResidents(uow,
		people.map(([name, building, room, birthYear, hasPhone, tags], k) => {
			if (hasPhone) phones[name] = mobile(1000 + k);
			return checkResident({ name, buildingCode: building, unitNo: '1', roomNo: room, birthYear, tags, ...(hasPhone ? { phone: phones[name] } : {}) }, rules) as NewResident;
		}),
		{ mode: 'create', matchPhoneAndName: false, storeFullDocument: false }));
	outcomes.forEach((o, k) => {
		if (!o.ok || Array.isArray(o.value)) throw new Error(`resident ${people[k][0]} not created`);
		ids[people[k][0]] = o.value.id;
	});
	const staff = await run(db.config(), (uow) => createStaff(uow, [
		{ name: '李芳', unit: { code: G1 }, staffNo: 'GM-1', phone: phone('13905350001', 'Phone') },
		{ name: '陈建国', unit: { code: B1 }, staffNo: 'GA-1', phone: phone('13905350002', 'Phone') },
	]));
	if (staff.some((s) => !s.ok)) throw new Error('staff not created');
	const posts = await run(db.config(), (uow) => assignStaff(uow, [
		{ staff: { staffNo: 'GM-1' }, unit: { code: G1 }, role: 'grid_member', validFrom: new Date('2020-01-01T00:00:00Z') },
		{ staff: { staffNo: 'GA-1' }, unit: { code: B1 }, role: 'grid_assistant', validFrom: new Date('2020-01-01T00:00:00Z') },
	]));
	if (posts.some((p) => !p.ok)) throw new Error('posts not created');
	const opt = await run(db.config(), (uow) => recordOptOuts(uow, [{ residentId: ids['孙八'], categories: ['policy'], optOut: true, reason: '不需要' }]));
	expect(opt[0]).toEqual({ ok: true, value: { residentId: ids['孙八'], optedOut: ['policy'] } });
});

afterAll(async () => {
	await closeAllPools();
	await db.drop();
});

describe('compose', () => {
	it('stores a notice with its target, audited', async () => {
		const [o] = await run(db.config(), (uow) => composeNotices(uow, [draft({ target: { reach: 'household', tagMatch: 'any', tags: ['child'], minAge: 0 } })]));
		expect(o.ok).toBe(true);
		const rec = (o as { value: NoticeRecord }).value;
		expect(rec).toMatchObject({ category: 'policy', categoryLabel: 'Policy (政策通知)', channel: 'sms', unitCode: STREET, target: { reach: 'household', tagMatch: 'any', tags: ['child'], minAge: 0 } });
		expect(await count(`SELECT 1 FROM grid.audit_log WHERE entity = 'notice' AND action = 'insert' AND entity_id = $1`, [String(rec.noticeId)])).toBe(1);
	});

	it('refuses an unknown unit and writes nothing', async () => {
		const before = await count(`SELECT 1 FROM grid.notice`);
		const outcomes = await run(db.config(), (uow) => composeNotices(uow, [draft(), draft({ within: { code: '370614-009' } })]));
		expect(outcomes[0].ok).toBe(true);
		expect(outcomes[1]).toMatchObject({ ok: false, error: { field: 'Within Unit' } });
		expect(await count(`SELECT 1 FROM grid.notice`)).toBe(before);
	});
});

describe('preview', () => {
	it('counts recipients per community, leaving out opt-outs and people outside the subtree', async () => {
		const p = await preview(await compose());
		// community 1: 张三丰 李四 赵六 赵七 have phones, 张小 王五 do not, 孙八 opted out of policy notices
		expect(p.communities).toEqual([
			{ communityCode: C1, communityName: '社区1-1', recipients: 6, reachable: 4, notReachable: 2, optedOut: 1, alreadyPrepared: 0 },
			{ communityCode: C2, communityName: '社区1-2', recipients: 1, reachable: 1, notReachable: 0, optedOut: 0, alreadyPrepared: 0 },
		]);
		expect(p).toMatchObject({ recipients: 7, reachable: 5, notReachable: 2, optedOut: 1 });
	});

	it('gives a target that matches nobody as zero recipients with a clear message, not an error', async () => {
		const id = await compose({ target: { reach: 'every', tagMatch: 'all', tags: ['pregnant'] } });
		const p = await preview(id);
		expect(p).toMatchObject({ recipients: 0, communities: [] });
		expect(p.message).toMatch(/matches nobody in 370614-001 .*0 recipients/);
		const { items, summary } = await prepare({ noticeId: id, includePhone: false });
		expect(items).toEqual([]);
		expect(summary).toMatchObject({ prepared: 0, notReachable: 0, more: false });
	});

	it('ignores opt-outs for urgent health alerts', async () => {
		const p = await preview(await compose({ category: 'health_alert', within: { code: B3 } }));
		expect(p).toMatchObject({ recipients: 1, reachable: 1, optedOut: 0 });
	});
});

describe('prepare', () => {
	let noticeId: number;
	const first: RecipientItem[] = [];

	it('prepares up to the cap, in pages, with phones revealed and audited, and logs those without a phone', async () => {
		noticeId = await compose();
		const { items, summary } = await prepare({ noticeId, includePhone: true, maxRecipients: 3, pageSize: 2 });
		first.push(...items);
		// in id order: 张三丰, (张小: no phone), 李四, (王五: no phone), 赵六 — then the cap stops before 赵七
		expect(items.map((i) => i.recipientId)).toEqual([ids['张三丰'], ids['李四'], ids['赵六']]);
		expect(summary).toMatchObject({ prepared: 3, notReachable: 2, more: true });
		const [a] = items;
		expect(a).toMatchObject({
			noticeId, recipientKind: 'resident', channel: 'sms', to: phones['张三丰'], maskedPhone: `${phones['张三丰'].slice(0, 3)}****${phones['张三丰'].slice(7)}`,
			text: '张*丰您好：请于本周内核对1号楼住户信息，有疑问请联系网格员李芳。', title: '关于居民信息核对的通知', category: 'policy', unitCode: B1, buildingName: '1号楼', segments: 1,
		});
		expect(a.messageId).toMatch(/^ntc_[A-Za-z0-9_-]{22}$/);
		expect(new Set(items.map((i) => i.messageId)).size).toBe(3);
		const reveals = await q<{ entity_id: string; details: { messageId: string } }>(
			`SELECT entity_id, details FROM grid.audit_log WHERE action = 'reveal' AND entity = 'resident' AND (details->>'noticeId')::int = $1 ORDER BY id`, [noticeId]);
		expect(reveals.map((r) => Number(r.entity_id))).toEqual(items.map((i) => i.recipientId));
		expect(reveals.map((r) => r.details.messageId)).toEqual(items.map((i) => i.messageId));
		const log = await q<{ resident_id: number; status: string; reason: string | null }>(
			`SELECT resident_id::int, status, reason FROM grid.notice_recipient WHERE notice_id = $1 ORDER BY resident_id`, [noticeId]);
		expect(log).toEqual([
			{ resident_id: ids['张三丰'], status: 'prepared', reason: null },
			{ resident_id: ids['张小'], status: 'not_reachable', reason: 'no phone on file' },
			{ resident_id: ids['李四'], status: 'prepared', reason: null },
			{ resident_id: ids['王五'], status: 'not_reachable', reason: 'no phone on file' },
			{ resident_id: ids['赵六'], status: 'prepared', reason: null },
		]);
	});

	it('the next run prepares the rest, without phones when not asked, and a third run prepares nobody', async () => {
		const { items, summary } = await prepare({ noticeId, includePhone: false, maxRecipients: 3, pageSize: 2 });
		expect(items.map((i) => i.recipientId)).toEqual([ids['赵七'], ids['周九']]);
		expect(items.every((i) => !('to' in i))).toBe(true);
		expect(summary).toMatchObject({ prepared: 2, notReachable: 0, more: false });
		const again = await prepare({ noticeId, includePhone: true, maxRecipients: 1000 });
		expect(again.items).toEqual([]);
		expect(again.summary.prepared).toBe(0);
		expect(await count(`SELECT 1 FROM grid.notice_recipient WHERE notice_id = $1`, [noticeId])).toBe(7);
		expect(await count(`SELECT 1 FROM grid.notice_recipient WHERE notice_id = $1 AND resident_id = $2`, [noticeId, ids['孙八']])).toBe(0);
		// no reveal without Include Phone
		expect(await count(`SELECT 1 FROM grid.audit_log WHERE action = 'reveal' AND (details->>'noticeId')::int = $1`, [noticeId])).toBe(3);
		const p = await preview(noticeId);
		expect(p.alreadyPrepared).toBe(7);
	});

	it('takes callbacks set-based, refuses unknown message ids without writing, and reports the status per community', async () => {
		const [m1, m2, m3] = first.map((i) => i.messageId);
		const bad = await run(db.config(), (uow) => recordCallbacks(uow, [
			{ messageId: m1, status: 'delivered' },
			{ messageId: 'ntc_forged', status: 'delivered' },
		]));
		expect(bad[1].ok).toBe(false);
		const err = (bad[1] as { error: FieldError }).error;
		expect(err.field).toBe('Message ID');
		expect(err.message).toMatch(/unknown message id "ntc_forged"/);
		expect(await count(`SELECT 1 FROM grid.notice_recipient WHERE notice_id = $1 AND status = 'delivered'`, [noticeId])).toBe(0);

		const t = new Date('2030-01-01T08:00:00Z');
		const ok = await run(db.config(), (uow) => recordCallbacks(uow, [
			{ messageId: m1, status: 'delivered', at: t },
			{ messageId: m2, status: 'failed', reason: '空号', at: t },
			{ messageId: m3, status: 'delivered', at: t },
			// an older callback for m3 arriving late does not undo the delivery
			{ messageId: m3, status: 'failed', reason: 'timeout', at: new Date('2030-01-01T07:00:00Z') },
		]));
		expect(ok.map((o) => (o.ok ? (o.value as { applied: boolean }).applied : null))).toEqual([true, true, true, false]);
		const late = await run(db.config(), (uow) => recordCallbacks(uow, [{ messageId: m3, status: 'failed', at: new Date('2030-01-01T07:30:00Z') }]));
		expect(late[0]).toMatchObject({ ok: true, value: { applied: false } });

		const s = await run(db.config(), (uow) => noticeStatus(uow, noticeId));
		expect(s.communities).toEqual([
			{ communityCode: C1, communityName: '社区1-1', sent: 4, pending: 1, delivered: 2, failed: 1, notReachable: 2 },
			{ communityCode: C2, communityName: '社区1-2', sent: 1, pending: 1, delivered: 0, failed: 0, notReachable: 0 },
		]);
		expect(s.totals).toEqual({ sent: 5, pending: 2, delivered: 2, failed: 1, notReachable: 2 });
		expect(s.failureReasons).toEqual([{ reason: '空号', count: 1 }]);
	});

	it('refuses a callback for a message that went to nobody', async () => {
		const [row] = await q<{ message_id: string }>(`SELECT message_id FROM grid.notice_recipient WHERE notice_id = $1 AND status = 'not_reachable' LIMIT 1`, [noticeId]);
		const [o] = await run(db.config(), (uow) => recordCallbacks(uow, [{ messageId: row.message_id, status: 'delivered' }]));
		expect(o).toMatchObject({ ok: false, error: { field: 'Message ID' } });
	});

	it('refuses an expired notice', async () => {
		const id = await compose({ validFrom: new Date('2020-01-01T00:00:00Z'), validUntil: new Date('2020-02-01T00:00:00Z') });
		await expect(prepare({ noticeId: id, includePhone: false })).rejects.toThrow(/expired at 2020-02-01/);
		expect(await count(`SELECT 1 FROM grid.notice_recipient WHERE notice_id = $1`, [id])).toBe(0);
	});
});

describe('parallel workers', () => {
	it('two executions preparing the same notice at once never prepare anyone twice', async () => {
		const id = await compose({ category: 'supply' });
		const [a, b] = await Promise.all([prepare({ noticeId: id, includePhone: false, pageSize: 2 }), prepare({ noticeId: id, includePhone: false, pageSize: 3 })]);
		const got = [...a.items, ...b.items].map((i) => i.recipientId).sort((x, y) => x - y);
		// the six residents with a phone in the street, 孙八 included (he opted out of policy notices only)
		expect(got).toEqual([ids['张三丰'], ids['李四'], ids['赵六'], ids['赵七'], ids['孙八'], ids['周九']].sort((x, y) => x - y));
		expect(await count(`SELECT 1 FROM grid.notice_recipient WHERE notice_id = $1 AND status = 'prepared'`, [id])).toBe(6);
	});
});

describe('reach', () => {
	it('one contact per household: the lowest-id adult with a phone stands for the matching child', async () => {
		const id = await compose({ target: { reach: 'household', tagMatch: 'all', tags: ['child'] } });
		const { items } = await prepare({ noticeId: id, includePhone: false });
		expect(items.map((i) => i.recipientId)).toEqual([ids['张三丰']]);
	});

	it('one contact per household over the whole community', async () => {
		const id = await compose({ category: 'supply', within: { code: C1 }, target: { reach: 'household', tagMatch: 'all' } });
		const p = await preview(id);
		// households 101 (张三丰), 102 (王五, no phone), 201 (赵六), 301 (孙八)
		expect(p).toMatchObject({ recipients: 4, reachable: 3, notReachable: 1 });
		const { items, summary } = await prepare({ noticeId: id, includePhone: false, pageSize: 3 });
		expect(items.map((i) => i.recipientId)).toEqual([ids['张三丰'], ids['赵六'], ids['孙八']]);
		expect(summary).toMatchObject({ prepared: 3, notReachable: 1 });
		expect((await prepare({ noticeId: id, includePhone: false, pageSize: 3 })).items).toEqual([]);
	});

	it("the building's grid assistant, or whoever answers for the building, passes it on", async () => {
		const id = await compose({ within: { code: G1 }, target: { reach: 'gridAssistant', tagMatch: 'all' } });
		const p = await preview(id);
		expect(p).toMatchObject({ recipients: 2, reachable: 2 });
		const { items } = await prepare({ noticeId: id, includePhone: true });
		expect(items.map((i) => [i.recipientKind, i.unitCode, i.to, i.text.slice(0, 3)])).toEqual([
			['staff', B1, '13905350002', '陈*国'],
			// no assistant in building 2: the grid member answers for it
			['staff', B2, '13905350001', '李*您'],
		]);
		expect(await count(`SELECT 1 FROM grid.audit_log WHERE action = 'reveal' AND entity = 'staff' AND (details->>'noticeId')::int = $1`, [id])).toBe(2);
		expect((await prepare({ noticeId: id, includePhone: true })).items).toEqual([]);
	});
});

/** A minimal n8n context: items' parameters by name (dotted names reach into collections). */
function ctx(params: Array<Record<string, unknown>>, continueOnFail = false): IExecuteFunctions {
	const c = db.config();
	return {
		getInputData: () => params.map(() => ({ json: {} })),
		continueOnFail: () => continueOnFail,
		getNode: () => ({ id: 'n', name: 'Notice', type: 'gridNotice', typeVersion: 1, position: [0, 0], parameters: {} }),
		getCredentials: async () => ({ host: c.host, port: c.port, database: c.database, user: c.user, password: c.password, personalDataKey: TEST_KEY }),
		getNodeParameter: (name: string, i: number, fallback?: unknown) => {
			const v = name.split('.').reduce<any>((o, k) => o?.[k], params[i]);
			return v === undefined ? fallback : v;
		},
		getWorkflow: () => ({ id: 'wf-notice' }),
		getExecutionId: () => 'ex-notice',
	} as unknown as IExecuteFunctions;
}

describe('through the execute loop', () => {
	const good = { noticeTitle: '停水通知', noticeBody: '{{name}}您好：{{building}}明日9点至12点停水。', noticeCategory: 'service_change', noticeChannel: 'sms', noticeUnit: { mode: 'code', value: C1 }, noticeReach: 'every' };

	it('names the field and the item of bad input and writes nothing', async () => {
		const before = await count(`SELECT 1 FROM grid.notice`);
		const cases: Array<[Record<string, unknown>, RegExp]> = [
			[{ ...good, noticeBody: '' }, /Body is empty/],
			[{ ...good, noticeBody: '通'.repeat(300) }, /needs 5 SMS segments \(300 characters/],
			[{ ...good, noticeBody: '{{room}}您好' }, /\{\{room\}\}, which does not exist/],
		];
		for (const [bad, message] of cases) {
			const error = await runOperation(ctx([good, bad]), noticeHandlers.compose).then(() => undefined, (e: Error & { context?: { itemIndex?: number } }) => e);
			expect(error?.message).toMatch(message);
			expect(error?.message).toMatch(/item 1|Item 1|\[item 1\]/i);
			expect(error?.context?.itemIndex).toBe(1);
		}
		expect(await count(`SELECT 1 FROM grid.notice`)).toBe(before);
	});

	it('with Continue On Fail writes the good items and returns the bad ones as error items', async () => {
		const out = await runOperation(ctx([good, { ...good, noticeBody: '' }], true), noticeHandlers.compose);
		expect(out.map((o: INodeExecutionData) => o.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(out[0].json).toMatchObject({ title: '停水通知', category: 'service_change' });
		expect(out[1].json).toMatchObject({ field: 'Body', itemIndex: 1 });
	});

	it('prepares one paired item per recipient and previews with a per-community count', async () => {
		const [made] = await runOperation(ctx([good]), noticeHandlers.compose);
		const noticeId = made.json.noticeId as number;
		const [pv] = await runOperation(ctx([{ noticeId }]), noticeHandlers.preview);
		expect(pv.json).toMatchObject({ recipients: 7, reachable: 5 });
		const items = await runOperation(ctx([{ noticeId, noticeIncludePhone: false, noticeMaxRecipients: 10 }]), noticeHandlers.prepare);
		expect(items).toHaveLength(5);
		expect(items.every((i: INodeExecutionData) => (i.pairedItem as { item: number }).item === 0 && !('to' in i.json))).toBe(true);
		expect(items[0].json.text).toBe('张*丰您好：1号楼明日9点至12点停水。');
		expect(await runOperation(ctx([{ noticeId, noticeMaxRecipients: 10 }]), noticeHandlers.prepare)).toEqual([]);
		const cb = await runOperation(ctx([{ callbackMessageId: items[0].json.messageId, callbackStatus: 'DELIVRD', callbackAt: '2030-01-01T08:00:00Z' }]), noticeHandlers.recordCallbacks);
		expect(cb[0].json).toMatchObject({ status: 'delivered', applied: true });
		const [st] = await runOperation(ctx([{ noticeId }]), noticeHandlers.status);
		expect(st.json).toMatchObject({ totals: { sent: 5, delivered: 1, pending: 4, notReachable: 2 } });
	});
});

describe('scope', () => {
	it('a credential scoped to a community sees, previews and prepares only inside it', async () => {
		const scoped = db.config({ scopeCode: C2 });
		const outside = await compose();
		await expect(run(scoped, (uow) => loadNotice(uow, outside))).rejects.toMatchObject({ field: 'Notice ID' });
		const [o] = await run(scoped, (uow) => composeNotices(uow, [draft({ within: { code: C2 } })]));
		const id = (o as { value: { noticeId: number } }).value.noticeId;
		const p = await run(scoped, async (uow) => previewNotice(uow, await loadNotice(uow, id)));
		expect(p).toMatchObject({ recipients: 1, communities: [{ communityCode: C2 }] });
		const items: RecipientItem[] = [];
		await run(scoped, (uow) => prepareNotice(uow, { noticeId: id, includePhone: true }, (page) => items.push(...page)));
		expect(items.map((i) => [i.recipientId, i.to])).toEqual([[ids['周九'], phones['周九']]]);
		const s = await run(scoped, (uow) => noticeStatus(uow, id));
		expect(s.totals).toMatchObject({ sent: 1, pending: 1 });
	});
});

describe('opt-outs', () => {
	it('records and takes back opt-outs; an unknown resident fails and nothing is written', async () => {
		const bad = await run(db.config(), (uow) => recordOptOuts(uow, [
			{ residentId: ids['周九'], categories: ['supply'], optOut: true },
			{ residentId: 99_999_999, categories: ['supply'], optOut: true },
		]));
		expect(bad[1]).toMatchObject({ ok: false, error: { field: 'Resident ID' } });
		expect(await count(`SELECT 1 FROM grid.notice_opt_out WHERE resident_id = $1`, [ids['周九']])).toBe(0);
		const back = await run(db.config(), (uow) => recordOptOuts(uow, [{ residentId: ids['孙八'], categories: ['policy'], optOut: false }]));
		expect(back[0]).toEqual({ ok: true, value: { residentId: ids['孙八'], optedOut: [] } });
		await run(db.config(), (uow) => recordOptOuts(uow, [{ residentId: ids['孙八'], categories: ['policy'], optOut: true }]));
	});
});
