import { closeAllPools } from '../../nodes/shared/db/pool';
import { mintToken, newNonce } from '../../nodes/shared/domain/consultation/token';
import { deriveKeys } from '../../nodes/shared/domain/personalData';
import type { NewConsultation } from '../../nodes/shared/domain/consultation/consultationInput';
import { createConsultation, getConsultation } from '../../nodes/shared/domain/consultation/consultations';
import { type Invitation, issueInvitations } from '../../nodes/shared/domain/consultation/invitations';
import { type ConsultationResponse, respond } from '../../nodes/shared/domain/consultation/responses';
import { closeConsultation, tallyConsultation } from '../../nodes/shared/domain/consultation/tally';
import { type NewResident, checkResident } from '../../nodes/shared/domain/resident/residentInput';
import { saveResidents } from '../../nodes/shared/domain/resident/residents';
import { runOperation } from '../../nodes/shared/n8n/executeLoop';
import { FieldError } from '../../nodes/shared/validation/errors';
import { consultationDescription, consultationHandlers, consultationOperations } from '../../nodes/Notice/actions/consultation/operations';
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { DEFAULT_SEGMENT_WIDTHS } from '../../nodes/shared/validation/gridCode';
import { TEST_KEY, type TestDatabase, createTestDatabase } from '../helpers/db';
import { run, seedSmallDistrict } from '../helpers/uow';

let db: TestDatabase;
const STREET = '370614-001';
const COMMUNITY = '370614-001-001';
const rules = { widths: DEFAULT_SEGMENT_WIDTHS, allowCustomTags: false };
const HOUR = 3_600_000;
const NOW = new Date();
const THIS_YEAR = NOW.getUTCFullYear();

// name, building, room, birth year: the electorate every expectation below is computed from
const PEOPLE: Array<[string, string, string, number]> = [
	['甲', '370614-001-001-001-0001', '101', 1980],
	['乙', '370614-001-001-001-0001', '101', 1985],
	['童', '370614-001-001-001-0001', '101', THIS_YEAR - 10],
	['丙', '370614-001-001-001-0001', '102', 1970],
	['丁', '370614-001-001-001-0002', '201', 1990],
	// 18 this year: an adult; 17 this year: not
	['成', '370614-001-001-001-0002', '201', THIS_YEAR - 18],
	['未', '370614-001-001-001-0002', '202', THIS_YEAR - 17],
	['戊', '370614-001-001-002-0001', '301', 1975],
	['己', '370614-001-002-001-0001', '401', 1960],
	// another street: outside every consultation below
	['庚', '370614-002-001-001-0001', '501', 1960],
];
const ids: Record<string, number> = {};
const nameOf = new Map<number, string>();
const gridOf = (building: string) => building.split('-').slice(0, 4).join('-');
const communityOf = (building: string) => building.split('-').slice(0, 3).join('-');

const q = <T = Record<string, unknown>>(text: string, params: unknown[] = []) => db.query<T>(text, params);
const count = async (text: string, params: unknown[] = []) => (await q<{ n: number }>(`SELECT count(*)::int AS n FROM (${text}) x`, params))[0].n;

function consultation(extra: Partial<NewConsultation> = {}): NewConsultation {
	return {
		question: '是否同意在小区内增设电动车充电桩？',
		background: '居民反映充电难，社区拟在空地增设充电桩。',
		scope: { code: STREET },
		choiceKind: 'single',
		options: [{ code: 'A', label: '同意' }, { code: 'B', label: '不同意' }, { code: 'C', label: '无所谓' }],
		opensAt: new Date(NOW.getTime() - HOUR),
		closesAt: new Date(NOW.getTime() + 24 * HOUR),
		electorate: 'adult',
		allowChange: false,
		...extra,
	};
}

const issue = (consultationId: number, extra = {}) =>
	run(db.config(), (uow) => issueInvitations(uow, { consultationId, linkBase: 'https://n8n.example.org/webhook/consult', ...extra }));
const answer = (inputs: ConsultationResponse[], partial = false, now?: Date) =>
	run(db.config(), (uow) => respond(uow, inputs, now ? { now } : {}), partial);
const tokenOf = (invitations: Invitation[], name: string) => {
	const inv = invitations.find((i) => i.residentId === ids[name]);
	if (!inv) throw new Error(`no invitation for ${name}`);
	return inv.token;
};
const errorsOf = (outcomes: Array<{ ok: true } | { ok: false; error: FieldError }>) =>
	outcomes.flatMap((o, i) => (o.ok ? [] : [{ i, field: o.error.field, message: o.error.message }]));

/** A forged token: a valid one with its signature's first character changed. */
function forge(token: string): string {
	const [body, mac] = token.split('.');
	return `${body}.${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`;
}

beforeAll(async () => {
	db = await createTestDatabase('consultations');
	await seedSmallDistrict(db.config());
	const outcomes = await run(db.config(), (uow) => saveResidents(uow,
		PEOPLE.map(([name, building, room, birthYear]) => checkResident({ name, buildingCode: building, unitNo: '1', roomNo: room, birthYear }, rules) as NewResident),
		{ mode: 'create', matchPhoneAndName: false, storeFullDocument: false }));
	outcomes.forEach((o, k) => {
		if (!o.ok || Array.isArray(o.value)) throw new Error(`resident ${PEOPLE[k][0]} not created`);
		ids[PEOPLE[k][0]] = o.value.id;
		nameOf.set(o.value.id, PEOPLE[k][0]);
	});
});

afterAll(async () => {
	await closeAllPools();
	await db.drop();
});

describe('creating a consultation', () => {
	it('refuses one that closes before it opens, naming the field, and writes nothing', async () => {
		const before = await count(`SELECT 1 FROM grid.consultation`);
		const c = consultation({ closesAt: new Date(NOW.getTime() - 2 * HOUR) });
		await expect(run(db.config(), (uow) => createConsultation(uow, c))).rejects.toMatchObject({ name: 'FieldError', field: 'Closes At', message: expect.stringMatching(/cannot close before it opens/) });
		expect(await count(`SELECT 1 FROM grid.consultation`)).toBe(before);
	});

	it('refuses options that repeat a code, and a choice without options', async () => {
		await expect(run(db.config(), (uow) => createConsultation(uow, consultation({ options: [{ code: 'A', label: 'x' }, { code: 'A', label: 'y' }] }))))
			.rejects.toMatchObject({ field: 'Options' });
		await expect(run(db.config(), (uow) => createConsultation(uow, consultation({ options: [] })))).rejects.toMatchObject({ field: 'Options' });
	});

	it('stores the question, scope, choice, window and electorate and audits the creation', async () => {
		const c = await run(db.config(), (uow) => createConsultation(uow, consultation()));
		expect(c).toMatchObject({ scope: { code: STREET, level: 2 }, choiceKind: 'single', electorate: 'adult', allowChange: false, status: 'open', closedAt: null });
		expect(c.options.map((o) => o.code)).toEqual(['A', 'B', 'C']);
		expect(await count(`SELECT 1 FROM grid.audit_log WHERE entity = 'consultation' AND entity_id = $1 AND action = 'insert'`, [String(c.id)])).toBe(1);
	});
});

describe('an adult-resident consultation of a street, no changes allowed', () => {
	let cid: number;
	let invitations: Invitation[];
	const adultsInScope = PEOPLE.filter(([, b, , y]) => b.startsWith(`${STREET}-`) && THIS_YEAR - y >= 18);
	// who answers what: every adult in scope except 成
	const answers: Record<string, string> = { 甲: 'A', 乙: 'B', 丙: 'A', 丁: 'C', 戊: 'A', 己: 'B' };

	beforeAll(async () => {
		cid = (await run(db.config(), (uow) => createConsultation(uow, consultation()))).id;
	});

	it('issues one invitation per adult resident of the scope, with a signed token and a link, storing only a hash', async () => {
		invitations = await issue(cid, { pageSize: 3 });
		expect(invitations.map((i) => nameOf.get(i.residentId!)).sort()).toEqual(adultsInScope.map((p) => p[0]).sort());
		for (const inv of invitations) {
			expect(inv.link).toBe(`https://n8n.example.org/webhook/consult?token=${encodeURIComponent(inv.token)}`);
			expect(inv.token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
		}
		expect(new Set(invitations.map((i) => i.token)).size).toBe(invitations.length);
		const stored = await q<{ nonce_hash: string }>(`SELECT nonce_hash FROM grid.consultation_invitation WHERE consultation_id = $1`, [cid]);
		expect(stored).toHaveLength(adultsInScope.length);
		for (const s of stored) expect(invitations.some((i) => i.token.includes(s.nonce_hash))).toBe(false);
	});

	it('issues none twice when run again', async () => {
		expect(await issue(cid)).toEqual([]);
		expect(await count(`SELECT 1 FROM grid.consultation_invitation WHERE consultation_id = $1`, [cid])).toBe(adultsInScope.length);
	});

	it('refuses a whole batch with a forged token or a choice not offered, naming field and item, and writes nothing', async () => {
		const batch: ConsultationResponse[] = [
			{ token: tokenOf(invitations, '甲'), choices: ['A'] },
			{ token: forge(tokenOf(invitations, '乙')), choices: ['B'] },
			{ token: tokenOf(invitations, '丙'), choices: ['D'] },
			{ token: tokenOf(invitations, '丁'), choices: ['A', 'B'] },
		];
		const outcomes = await answer(batch);
		expect(errorsOf(outcomes)).toEqual([
			{ i: 1, field: 'Token', message: expect.stringMatching(/forged/) },
			{ i: 2, field: 'Choice', message: expect.stringMatching(/"D" is not offered; the options are A, B, C/) },
			{ i: 3, field: 'Choice', message: expect.stringMatching(/single choice/) },
		]);
		expect(await count(`SELECT 1 FROM grid.consultation_response WHERE consultation_id = $1`, [cid])).toBe(0);
	});

	it('refuses a token signed with another key, one naming another invitation, and a malformed one', async () => {
		const [body, mac] = tokenOf(invitations, '甲').split('.');
		const payload = Buffer.from(body, 'base64url').toString();
		const other = Buffer.from(payload.replace(/^(\d+)\.(\d+)\./, (_, c, i) => `${c}.${Number(i) + 1}.`)).toString('base64url');
		const inv = invitations.find((i) => i.residentId === ids['甲'])!;
		const otherKey = mintToken(deriveKeys('another-personal-data-key-42'), { consultationId: cid, invitationId: inv.invitationId, nonce: newNonce() });
		const outcomes = await answer([{ token: `${other}.${mac}`, choices: ['A'] }, { token: 'not-a-token', choices: ['A'] }, { token: otherKey, choices: ['A'] }], true);
		expect(errorsOf(outcomes)).toEqual([
			{ i: 0, field: 'Token', message: expect.stringMatching(/invalid signature/) },
			{ i: 1, field: 'Token', message: expect.stringMatching(/malformed/) },
			{ i: 2, field: 'Token', message: expect.stringMatching(/invalid signature/) },
		]);
		expect(await count(`SELECT 1 FROM grid.consultation_response WHERE consultation_id = $1`, [cid])).toBe(0);
	});

	it('with Continue On Fail writes the good responses and reports the bad ones', async () => {
		const good = Object.entries(answers).map(([name, code]) => ({ token: tokenOf(invitations, name), choices: [code] }));
		const outcomes = await answer([...good.slice(0, 3), { token: forge(tokenOf(invitations, '成')), choices: ['A'] }, ...good.slice(3)], true);
		expect(errorsOf(outcomes)).toEqual([{ i: 3, field: 'Token', message: expect.stringMatching(/forged/) }]);
		expect(outcomes.filter((o) => o.ok && !Array.isArray(o.value))).toHaveLength(good.length);
		expect(await count(`SELECT 1 FROM grid.consultation_response WHERE consultation_id = $1`, [cid])).toBe(good.length);
		const receipt = outcomes[0].ok ? outcomes[0].value : null;
		expect(receipt).toMatchObject({ consultationId: cid, accepted: true, replaced: false });
	});

	it('refuses a reused token with a clear message and keeps the first answer', async () => {
		const outcomes = await answer([{ token: tokenOf(invitations, '甲'), choices: ['B'] }]);
		expect(errorsOf(outcomes)).toEqual([{ i: 0, field: 'Token', message: expect.stringMatching(/already used.*does not allow changing/) }]);
		const [r] = await q<{ choices: string[]; revision: number }>(
			`SELECT x.choices, x.revision FROM grid.consultation_response x JOIN grid.consultation_invitation i ON i.id = x.invitation_id WHERE i.resident_id = $1 AND i.consultation_id = $2`, [ids['甲'], cid]);
		expect(r).toEqual({ choices: [answers['甲']], revision: 1 });
	});

	it('refuses a response outside the window: too late (expired token) and too early', async () => {
		const late = await answer([{ token: tokenOf(invitations, '成'), choices: ['A'] }], false, new Date(NOW.getTime() + 25 * HOUR));
		expect(errorsOf(late)).toEqual([{ i: 0, field: 'Token', message: expect.stringMatching(/too late, the token has expired/) }]);
		const early = await answer([{ token: tokenOf(invitations, '成'), choices: ['A'] }], false, new Date(NOW.getTime() - 2 * HOUR));
		expect(errorsOf(early)).toEqual([{ i: 0, field: 'Token', message: expect.stringMatching(/too early/) }]);
	});

	it('tallies per community and per base grid with turnout, computed only from counts', async () => {
		const expected = (keyOf: (building: string) => string) => {
			const rows = new Map<string, { eligible: number; responded: number; counts: Record<string, number> }>();
			for (const [name, building] of adultsInScope) {
				const k = keyOf(building);
				const r = rows.get(k) ?? { eligible: 0, responded: 0, counts: { A: 0, B: 0, C: 0 } };
				r.eligible++;
				if (answers[name]) {
					r.responded++;
					r.counts[answers[name]]++;
				}
				rows.set(k, r);
			}
			return rows;
		};
		for (const [level, keyOf] of [[3, communityOf], [4, gridOf]] as const) {
			const t = await run(db.config(), (uow) => tallyConsultation(uow, { consultationId: cid, byLevel: level }));
			const want = expected(keyOf);
			for (const row of t.rows) {
				const w = want.get(row.unitCode) ?? { eligible: 0, responded: 0, counts: { A: 0, B: 0, C: 0 } };
				expect({ unit: row.unitCode, eligible: row.eligible, invited: row.invited, responded: row.responded, counts: row.counts })
					.toEqual({ unit: row.unitCode, eligible: w.eligible, invited: w.eligible, responded: w.responded, counts: w.counts });
				expect(row.turnout).toBe(w.eligible ? Math.round((w.responded / w.eligible) * 10_000) / 10_000 : null);
			}
			expect(t.rows.map((r) => r.unitCode).sort()).toEqual(expect.arrayContaining([...want.keys()].sort()));
			const answered = Object.values(answers);
			expect(t.total).toMatchObject({
				unitCode: STREET, eligible: adultsInScope.length, invited: adultsInScope.length, responded: answered.length,
				counts: { A: answered.filter((a) => a === 'A').length, B: answered.filter((a) => a === 'B').length, C: answered.filter((a) => a === 'C').length },
			});
			// aggregate only: no invitation, household or resident in what the tally says
			expect(JSON.stringify(t)).not.toMatch(/invitation|resident|household|token/i);
		}
	});

	it('refuses a tally broken down above the scope', async () => {
		await expect(run(db.config(), (uow) => tallyConsultation(uow, { consultationId: cid, byLevel: 1 }))).rejects.toMatchObject({ field: 'Break Down By' });
	});

	it('refuses a token whose resident has left the electorate', async () => {
		await q(`UPDATE grid.resident SET active = false, inactive_reason = 'moved_out' WHERE id = $1`, [ids['成']]);
		try {
			const outcomes = await answer([{ token: tokenOf(invitations, '成'), choices: ['A'] }]);
			expect(errorsOf(outcomes)).toEqual([{ i: 0, field: 'Token', message: expect.stringMatching(/left the electorate/) }]);
		} finally {
			await q(`UPDATE grid.resident SET active = true, inactive_reason = NULL WHERE id = $1`, [ids['成']]);
		}
	});

	it('does not close before Closes At unless told to; closing freezes the result and writes the result record once', async () => {
		await expect(run(db.config(), (uow) => closeConsultation(uow, { consultationId: cid, byLevel: 4 }))).rejects.toMatchObject({ field: 'Close Early' });
		const closed = await run(db.config(), (uow) => closeConsultation(uow, { consultationId: cid, byLevel: 4, closeEarly: true }));
		expect(closed.closedNow).toBe(true);
		expect(closed.total.responded).toBe(Object.keys(answers).length);
		const [stored] = await q<{ rows: unknown[]; total: { responded: number }; by_level: number }>(`SELECT rows, total, by_level FROM grid.consultation_result WHERE consultation_id = $1`, [cid]);
		expect(stored.by_level).toBe(4);
		expect(stored.rows).toEqual(JSON.parse(JSON.stringify(closed.rows)));
		expect(stored.total.responded).toBe(Object.keys(answers).length);

		const after = await answer([{ token: tokenOf(invitations, '成'), choices: ['A'] }]);
		expect(errorsOf(after)).toEqual([{ i: 0, field: 'Token', message: expect.stringMatching(/is closed/) }]);
		await expect(issue(cid)).rejects.toMatchObject({ field: 'Consultation ID' });

		const again = await run(db.config(), (uow) => closeConsultation(uow, { consultationId: cid, byLevel: 3 }));
		expect(again.closedNow).toBe(false);
		expect(again.rows).toEqual(stored.rows);
		expect((await run(db.config(), (uow) => getConsultation(uow, { id: cid }))).status).toBe('closed');
		expect(await count(`SELECT 1 FROM grid.consultation_result WHERE consultation_id = $1`, [cid])).toBe(1);
	});
});

describe('a per-household, multiple-choice consultation of a community that allows changes', () => {
	let cid: number;
	let invitations: Invitation[];
	const householdsInScope = [...new Set(PEOPLE.filter(([, b]) => b.startsWith(`${COMMUNITY}-`)).map(([, b, r]) => `${b}/${r}`))];

	beforeAll(async () => {
		cid = (await run(db.config(), (uow) => createConsultation(uow, consultation({
			scope: { code: COMMUNITY }, electorate: 'household', allowChange: true, choiceKind: 'multiple',
		})))).id;
		invitations = await issue(cid);
	});

	it('issues one invitation per household of the community', async () => {
		expect(invitations).toHaveLength(householdsInScope.length);
		expect(invitations.every((i) => i.householdId !== null && i.residentId === null)).toBe(true);
	});

	it('replaces an answer given again with the same token, also within one batch', async () => {
		const [t1, t2] = invitations.map((i) => i.token);
		const first = await answer([{ token: t1, choices: ['A', 'B'] }, { token: t2, choices: ['C'] }]);
		expect(errorsOf(first)).toEqual([]);
		const second = await answer([{ token: t1, choices: ['B', 'C'] }, { token: t2, choices: ['A'] }, { token: t2, choices: ['B'] }]);
		expect(second.map((o) => (o.ok && !Array.isArray(o.value) ? o.value.replaced : null))).toEqual([true, true, true]);
		const t = await run(db.config(), (uow) => tallyConsultation(uow, { consultationId: cid, byLevel: 4 }));
		// household 1 now says B and C, household 2 says B
		expect(t.total).toMatchObject({ eligible: householdsInScope.length, invited: householdsInScope.length, responded: 2, counts: { A: 0, B: 2, C: 1 } });
		const revisions = await q<{ revision: number }>(`SELECT revision FROM grid.consultation_response WHERE consultation_id = $1 ORDER BY invitation_id`, [cid]);
		expect(revisions.map((r) => r.revision)).toEqual([2, 2]);
	});

	it('refuses a choice not offered even among offered ones', async () => {
		const outcomes = await answer([{ token: invitations[2].token, choices: ['A', 'Z'] }]);
		expect(errorsOf(outcomes)).toEqual([{ i: 0, field: 'Choice', message: expect.stringMatching(/"Z" is not offered/) }]);
	});

	it('refuses correctly signed tokens that do not match the stored invitation: another consultation, a wrong nonce', async () => {
		// as if the signing key had leaked: the signature holds, the database still says no
		const keys = deriveKeys(TEST_KEY);
		const inv = invitations[3];
		const otherConsultation = mintToken(keys, { consultationId: cid - 1, invitationId: inv.invitationId, nonce: newNonce() });
		const wrongNonce = mintToken(keys, { consultationId: cid, invitationId: inv.invitationId, nonce: newNonce() });
		const outcomes = await answer([{ token: otherConsultation, choices: ['A'] }, { token: wrongNonce, choices: ['A'] }], true);
		expect(errorsOf(outcomes)).toEqual([
			{ i: 0, field: 'Token', message: expect.stringMatching(/does not match an invitation of this consultation/) },
			{ i: 1, field: 'Token', message: expect.stringMatching(/does not match an invitation of this consultation/) },
		]);
		expect(await count(`SELECT 1 FROM grid.consultation_response WHERE invitation_id = $1`, [inv.invitationId])).toBe(0);
	});
});

describe('a free-text consultation', () => {
	it('takes non-empty answers within the length limit and counts them without showing them', async () => {
		const c = await run(db.config(), (uow) => createConsultation(uow, consultation({
			scope: { code: '370614-001-001-002' }, choiceKind: 'free_text', options: [], maxTextLength: 10,
		})));
		const [inv] = await issue(c.id);
		expect(nameOf.get(inv.residentId!)).toBe('戊');
		const bad = await answer([{ token: inv.token, choices: [], text: '  ' }, { token: inv.token, choices: [], text: '这是一条非常非常长的意见建议' }], true);
		expect(errorsOf(bad)).toEqual([
			{ i: 0, field: 'Answer Text', message: expect.stringMatching(/required/) },
			{ i: 1, field: 'Answer Text', message: expect.stringMatching(/at most 10/) },
		]);
		expect(errorsOf(await answer([{ token: inv.token, choices: [], text: '多设几个' }]))).toEqual([]);
		const t = await run(db.config(), (uow) => tallyConsultation(uow, { consultationId: c.id, byLevel: 0 }));
		expect(t.total).toMatchObject({ eligible: 1, invited: 1, responded: 1, turnout: 1, counts: {} });
		expect(JSON.stringify(t)).not.toContain('多设几个');
	});
});

describe('scope', () => {
	it('hides a consultation from a credential scoped to another street', async () => {
		const c = await run(db.config(), (uow) => createConsultation(uow, consultation()));
		await expect(run(db.config({ scopeCode: '370614-002' }), (uow) => getConsultation(uow, { id: c.id }))).rejects.toMatchObject({ field: 'Consultation ID' });
		expect((await run(db.config({ scopeCode: STREET }), (uow) => getConsultation(uow, { id: c.id }))).id).toBe(c.id);
	});
});

/**
 * A stand-in for n8n's execute context: per-item parameter values (as expressions would give them),
 * the credential built from the test database, and Continue On Fail.
 */
function context(params: Array<Record<string, unknown>>, continueOnFail = false): IExecuteFunctions {
	const c = db.config();
	const credential = {
		host: c.host, port: c.port, database: c.database, user: c.user, password: c.password, ssl: 'disable', schema: c.schema,
		maxConnections: 2, personalDataKey: c.personalDataKey, scopeCode: '', timezone: c.timezone, segmentWidths: c.segmentWidths.join(','),
	};
	return {
		getInputData: () => params.map((p) => ({ json: p })) as INodeExecutionData[],
		continueOnFail: () => continueOnFail,
		getNode: () => ({ name: 'Consultation', type: 'n8n-nodes-grid-governance.notice', typeVersion: 1, position: [0, 0], parameters: {}, id: 'n1' }),
		getCredentials: async () => credential,
		getNodeParameter: (name: string, i: number, fallback?: unknown) => (name in params[i] ? params[i][name] : fallback),
		getWorkflow: () => ({ id: 'wf-consultation' }),
		getExecutionId: () => 'ex-consultation',
	} as unknown as IExecuteFunctions;
}

describe('the Consultation operations through the execute loop', () => {
	it('describe every parameter for the consultation resource and list operations alphabetically', () => {
		expect(consultationOperations.map((o) => o.name)).toEqual([...consultationOperations.map((o) => o.name)].sort());
		expect(Object.keys(consultationHandlers).sort()).toEqual(consultationOperations.map((o) => o.value).sort());
		for (const p of consultationDescription) {
			expect(p.displayOptions?.show?.resource).toEqual(['consultation']);
			expect((p.displayOptions?.show?.operation as string[]).every((o) => o in consultationHandlers)).toBe(true);
			expect(p.description).toBeTruthy();
		}
	});

	it('create refuses closing before opening as an error naming the field and the item', async () => {
		const base = {
			question: '是否同意？', background: '', consultationScope: { __rl: true, mode: 'code', value: STREET }, choiceKind: 'single',
			choiceOptions: { option: [{ code: 'A', label: '同意' }, { code: 'B', label: '不同意' }] }, electorate: 'household', allowChange: false,
		};
		const items = [
			{ ...base, opensAt: '2030-03-01T08:00:00+08:00', closesAt: '2030-03-08T08:00:00+08:00' },
			{ ...base, opensAt: '2030-03-08T08:00:00+08:00', closesAt: '2030-03-01T08:00:00+08:00' },
		];
		const before = await count(`SELECT 1 FROM grid.consultation`);
		await expect(runOperation(context(items), consultationHandlers.create)).rejects.toMatchObject({ message: expect.stringMatching(/Closes At/), context: { itemIndex: 1 } });
		expect(await count(`SELECT 1 FROM grid.consultation`)).toBe(before);
		const out = await runOperation(context(items, true), consultationHandlers.create);
		expect(out[0].json).toMatchObject({ question: '是否同意？', opensAt: '2030-03-01T00:00:00.000Z' });
		expect(out[1]).toMatchObject({ json: { field: 'Closes At', itemIndex: 1 }, pairedItem: { item: 1 } });
	});

	it('issues invitations as items with link, then takes a batch of responses: a bad item stops the batch, Continue On Fail writes the good ones', async () => {
		const c = await run(db.config(), (uow) => createConsultation(uow, consultation({ scope: { code: COMMUNITY }, electorate: 'household' })));
		const invited = await runOperation(context([{ consultationId: c.id, responseLinkBase: 'https://n8n.example.org/webhook/consult', maxInvitations: 0 }]), consultationHandlers.issueInvitations);
		expect(invited.length).toBe(await count(`SELECT 1 FROM grid.household h JOIN grid.grid_unit b ON b.id = h.unit_id WHERE b.code LIKE $1 AND h.active`, [`${COMMUNITY}-%`]));
		expect(invited.every((x) => String(x.json.link).startsWith('https://n8n.example.org/webhook/consult?token=') && (x.pairedItem as { item: number }).item === 0)).toBe(true);
		await expect(runOperation(context([{ consultationId: c.id, responseLinkBase: 'ftp://x' }]), consultationHandlers.issueInvitations))
			.rejects.toMatchObject({ message: expect.stringMatching(/Response Link Base/) });

		const tokens = invited.map((x) => String(x.json.token));
		const batch = [
			{ token: tokens[0], choice: 'A' },
			{ token: forge(tokens[1]), choice: 'B' },
			{ token: tokens[2], choice: 'Z' },
			{ token: tokens[3], choice: ['B'] },
			{ token: tokens[0], choice: 'C' },
		];
		await expect(runOperation(context(batch), consultationHandlers.respond)).rejects.toMatchObject({ message: expect.stringMatching(/forged/), context: { itemIndex: 1 } });
		expect(await count(`SELECT 1 FROM grid.consultation_response WHERE consultation_id = $1`, [c.id])).toBe(0);

		const out = await runOperation(context(batch, true), consultationHandlers.respond);
		expect(out.map((o) => [(o.pairedItem as { item: number }).item, o.json.field ?? 'ok'])).toEqual([[0, 'ok'], [1, 'Token'], [2, 'Choice'], [3, 'ok'], [4, 'Token']]);
		expect(out[4].json.error).toMatch(/already used by an earlier item of this batch/);
		expect(await count(`SELECT 1 FROM grid.consultation_response WHERE consultation_id = $1`, [c.id])).toBe(2);

		const [t] = await runOperation(context([{ consultationId: c.id, breakdownLevel: 3, splitRows: false }]), consultationHandlers.tally);
		expect(t.json.total).toMatchObject({ invited: tokens.length, responded: 2, counts: { A: 1, B: 1, C: 0 } });
		const split = await runOperation(context([{ consultationId: c.id, breakdownLevel: 4, splitRows: true }]), consultationHandlers.tally);
		expect(split[split.length - 1].json).toMatchObject({ isTotal: true, responded: 2 });
		expect(split.slice(0, -1).reduce((n, x) => n + Number(x.json.responded), 0)).toBe(2);

		const [closed] = await runOperation(context([{ consultationId: c.id, breakdownLevel: 4, closeEarly: true }]), consultationHandlers.close);
		expect(closed.json).toMatchObject({ closedNow: true, total: { responded: 2 } });
	});
});
