/**
 * Incident intake against real PostgreSQL: idempotency keys, routing and the intake queue, risk
 * scoring with resident facts, dedupe with pg_trgm, SLA due times, gap-free references, scope, and
 * eight parallel intakes with repeated keys.
 */
import { closeAllPools } from '../../nodes/shared/db/pool';
import { assignStaff } from '../../nodes/shared/domain/grid/assignments';
import { createStaff } from '../../nodes/shared/domain/grid/staff';
import { DEFAULT_CALENDAR } from '../../nodes/shared/domain/incident/calendar';
import { DEFAULT_CATEGORIES } from '../../nodes/shared/domain/incident/categories';
import { type IntakeResult, createIncidents } from '../../nodes/shared/domain/incident/intake';
import type { IntakePolicy, NewIncident } from '../../nodes/shared/domain/incident/intakeInput';
import { DEFAULT_RISK_RULES } from '../../nodes/shared/domain/incident/risk';
import { DEFAULT_SLA_MATRIX } from '../../nodes/shared/domain/incident/sla';
import { escalate } from '../../nodes/shared/domain/incident/escalation';
import { getIncidents } from '../../nodes/shared/domain/incident/queries';
import { recordObservations, setHealthStatus } from '../../nodes/shared/domain/resident/health';
import { checkResident } from '../../nodes/shared/domain/resident/residentInput';
import { saveResidents } from '../../nodes/shared/domain/resident/residents';
import type { Outcome } from '../../nodes/shared/domain/context';
import { DEFAULT_SEGMENT_WIDTHS } from '../../nodes/shared/validation/gridCode';
import { document } from '../../nodes/shared/validation/idNumber';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { idFor, mobile } from '../helpers/people';
import { run, seedSmallDistrict } from '../helpers/uow';

let db: TestDatabase;
const B1 = '370614-001-001-001-0001';
const B2 = '370614-001-001-001-0002';
const B_OTHER = '370614-002-001-001-0001';
const wang = idFor('370614', '19400101', 123);
const zhang = idFor('370614', '19800202', 224);

const policy: IntakePolicy = {
	categories: DEFAULT_CATEGORIES,
	riskRules: DEFAULT_RISK_RULES,
	sla: DEFAULT_SLA_MATRIX,
	calendar: DEFAULT_CALENDAR,
	dedupeWindowHours: 24,
	dedupeSimilarity: 0.5,
	autoAssign: false,
};

const intake = (inputs: NewIncident[], partial = false, p: Partial<IntakePolicy> = {}, config = db.config()) =>
	run(config, (uow) => createIncidents(uow, inputs, { ...policy, ...p }), partial);
const value = (o: Outcome<IntakeResult>): IntakeResult => {
	if (!o.ok) throw o.error;
	return o.value as IntakeResult;
};
const count = async (table: string) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.${table}`))[0].n;

beforeAll(async () => {
	db = await createTestDatabase('incident_intake');
	await seedSmallDistrict(db.config());
	await db.query(`UPDATE grid.grid_unit SET address = '蓬莱区钟楼北路12号' WHERE code = $1`, [B2]);
	await run(db.config(), async (uow) => {
		await createStaff(uow, [{ name: '网格长甲', unit: { code: '370614-001-001' }, staffNo: 'G1' }]);
		await assignStaff(uow, [{ staff: { staffNo: 'G1' }, unit: { code: '370614-001-001-001' }, role: 'grid_head' }]);
		const rules = { widths: DEFAULT_SEGMENT_WIDTHS, allowCustomTags: false };
		const saved = await saveResidents(uow, [
			checkResident({ name: '王大爷', documentNumber: wang, phone: mobile(1), buildingCode: B1, roomNo: '101', tags: 'elderly_living_alone' }, rules),
			checkResident({ name: '张三', documentNumber: zhang, buildingCode: B_OTHER, roomNo: '201' }, rules),
		], { mode: 'create', matchPhoneAndName: false, storeFullDocument: false });
		if (!saved.every((o) => o.ok)) throw new Error('seed failed');
	});
});

afterAll(async () => {
	await closeAllPools();
	await db.drop();
});

describe('intake', () => {
	it('routes a report about a unit, scores it, sets an SLA due time and a public reference', async () => {
		const before = Date.now();
		const [o] = await intake([{ source: 'hotline', category: 'sanitation', description: '楼道垃圾堆积三天无人清理', location: { unit: { code: B1 } } }]);
		const r = value(o);
		expect(r.reference).toMatch(/^INC-\d{8}-\d{6}$/);
		expect(r).toMatchObject({ unitCode: B1, locationCode: B1, status: 'new', riskLevel: 'low', repeatedRequest: false, isDuplicate: false, routingNote: null });
		// the base grid's grid head answers for the building
		expect(r.handlingUnitCode).toBe('370614-001-001-001');
		// low risk: three working days, so later than two calendar days from now
		expect(new Date(r.dueAt!).getTime()).toBeGreaterThan(before + 2 * 86_400_000);
		const events = await db.query<{ kind: string; to_status: string }>(`SELECT kind, to_status FROM grid.incident_event WHERE incident_id = $1`, [r.id]);
		expect(events).toEqual([{ kind: 'created', to_status: 'new' }]);
	});

	it('returns the first incident for a repeated idempotency key and writes nothing; a different payload is an error', async () => {
		const report: NewIncident = { idempotencyKey: 'hotline-20261126-1', source: 'hotline', category: 'supply_need', description: '家中缺米缺油', location: { unit: { code: B1 } } };
		const first = value((await intake([report]))[0]);
		const incidents = await count('incident');
		const events = await count('incident_event');
		const again = value((await intake([{ ...report }]))[0]);
		expect(again).toMatchObject({ id: first.id, reference: first.reference, repeatedRequest: true });
		expect(await count('incident')).toBe(incidents);
		expect(await count('incident_event')).toBe(events);
		await expect(intake([{ ...report, description: '家中缺药' }])).resolves.toEqual([
			expect.objectContaining({ ok: false, error: expect.objectContaining({ field: 'Idempotency Key', message: expect.stringContaining(`already used for incident ${first.reference} with a different payload`) }) }),
		]);
		// within one batch: the repeat returns the first item's incident
		const both = await intake([{ ...report, idempotencyKey: 'batch-key' }, { ...report, idempotencyKey: 'batch-key' }]);
		expect(value(both[1])).toMatchObject({ id: value(both[0]).id, repeatedRequest: true });
	});

	it('scores with the resident: an elderly person living alone with a recent fever', async () => {
		await run(db.config(), (uow) => recordObservations(uow, [{ resident: { document: document('id_card', wang, 'Document') }, temperatureC: 38.6, symptoms: [], source: 'door_visit' }]));
		const r = value((await intake([{ source: 'staff', category: 'vulnerable_resident_help', description: 'needs someone to buy medicine', resident: { document: document('id_card', wang, 'Document') } }]))[0]);
		expect(r.unitCode).toBe(B1);
		expect(r.residentId).not.toBeNull();
		expect(['high', 'critical']).toContain(r.riskLevel);
		expect(r.riskReasons.join(' ')).toMatch(/elderly|独居/i);
		// high and critical run on clock time: due within two hours
		expect(new Date(r.dueAt!).getTime() - Date.now()).toBeLessThanOrEqual(2 * 3_600_000);
	});

	it('a confirmed resident reporting fever is critical', async () => {
		await run(db.config(), (uow) => setHealthStatus(uow, { resident: { document: document('id_card', zhang, 'Document') }, status: 'confirmed', reason: 'test result' }));
		const r = value((await intake([{ source: 'resident', category: 'fever_symptoms', description: '发烧39度', resident: { document: document('id_card', zhang, 'Document') } }]))[0]);
		expect(r.riskLevel).toBe('critical');
		expect(r.unitCode).toBe(B_OTHER);
	});

	it('marks a similar report of the same unit and category as a duplicate and counts it on the original', async () => {
		const text = '3号楼东侧路灯不亮，晚上很危险';
		const [a] = await intake([{ source: 'resident', category: 'safety_hazard', description: text, location: { unit: { code: B2 } } }]);
		const original = value(a);
		const [b, c] = await intake([
			{ source: 'resident', category: 'safety_hazard', description: `${text}！`, location: { unit: { code: B2 } } },
			{ source: 'resident', category: 'safety_hazard', description: '电梯困人', location: { unit: { code: B2 } } },
		]);
		expect(value(b)).toMatchObject({ isDuplicate: true, status: 'duplicate', duplicateOf: original.reference, original: { id: original.id, reference: original.reference } });
		expect(value(c)).toMatchObject({ isDuplicate: false, status: 'new' });
		const [row] = await db.query<{ report_count: number }>(`SELECT report_count FROM grid.incident WHERE id = $1`, [original.id]);
		expect(row.report_count).toBe(2);
		const kinds = await db.query<{ kind: string }>(`SELECT kind FROM grid.incident_event WHERE incident_id = $1 ORDER BY id`, [original.id]);
		expect(kinds.map((k) => k.kind)).toEqual(['created', 'repeated_report']);
		// two similar reports in one batch: the second repeats the first
		const [d, e] = await intake([
			{ source: 'resident', category: 'neighbour_dispute', description: '楼上装修噪音太大影响休息', location: { unit: { code: B2 } } },
			{ source: 'resident', category: 'neighbour_dispute', description: '楼上装修噪音太大影响休息了', location: { unit: { code: B2 } } },
		]);
		expect(value(e)).toMatchObject({ isDuplicate: true, original: { id: value(d).id } });
	});

	it('resolves an address to its unit, and sends what cannot be routed to a community intake queue with the reason', async () => {
		const [a, b, c] = await intake([
			{ source: 'hotline', category: 'sanitation', description: '门口垃圾桶满了', location: { address: '蓬莱区钟楼北路12号3单元' } },
			{ source: 'hotline', category: 'sanitation', description: '某处有垃圾', location: { address: '不存在的路1号' } },
			{ source: 'hotline', category: 'sanitation', description: '街道办门口积水', location: { unit: { code: '370614-002' } } },
		]);
		expect(value(a)).toMatchObject({ unitCode: B2, routingNote: null });
		expect(value(b)).toMatchObject({ unitCode: '370614-001-001', locationCode: null });
		expect(value(b).routingNote).toMatch(/address matches no registered unit; sent to the intake queue of community 370614-001-001/);
		expect(value(c)).toMatchObject({ unitCode: '370614-002-001', locationCode: '370614-002' });
		expect(value(c).routingNote).toMatch(/is a street/);
	});

	it('rejects an unknown unit and a resident outside the scope, writing nothing', async () => {
		const before = await count('incident');
		const outcomes = await intake([
			{ source: 'staff', category: 'sanitation', description: 'ok', location: { unit: { code: B1 } } },
			{ source: 'staff', category: 'sanitation', description: 'x', location: { unit: { code: '370614-009-009' } } },
		]);
		// without partial writes the good item is not written either
		expect(outcomes[0]).toEqual({ ok: true, value: [] });
		expect(!outcomes[1].ok && outcomes[1].error).toMatchObject({ field: 'Grid Unit', message: expect.stringContaining('unknown grid unit 370614-009-009') });
		const scoped = db.config({ scopeCode: '370614-001' });
		const [o] = await intake([{ source: 'staff', category: 'fever_symptoms', description: 'fever', resident: { document: document('id_card', zhang, 'Document') } }], false, {}, scoped);
		expect(!o.ok && o.error).toMatchObject({ field: 'Resident', message: expect.stringContaining('outside this credential') });
		expect(await count('incident')).toBe(before);
		// with partial writes the good item is written and the bad one reported
		const partial = await intake([
			{ source: 'staff', category: 'sanitation', description: 'ok now', location: { unit: { code: B1 } } },
			{ source: 'staff', category: 'sanitation', description: 'x', location: { unit: { code: '370614-009-009' } } },
		], true);
		expect(partial[0].ok).toBe(true);
		expect(partial[1].ok).toBe(false);
		expect(await count('incident')).toBe(before + 1);
	});

	it('eight parallel intakes of 10,000 items with 20% repeated keys: one incident per key, gap-free references, nothing lost', async () => {
		const keys = Array.from({ length: 8_000 }, (_, k) => `par-${k}`);
		// 2,000 repeats spread over the executions, so that the same key races across transactions
		const all = [...keys, ...keys.slice(0, 2_000)].map((key, n) => ({ key, n }));
		const executions = Array.from({ length: 8 }, (_, e) => all.filter((x) => x.n % 8 === e));
		const buildings = [B1, B2, '370614-001-002-001-0001', '370614-002-001-001-0001'];
		const report = (key: string): NewIncident => {
			const k = Number(key.slice(4));
			return { idempotencyKey: key, source: 'open311', category: 'sanitation', description: `report ${key} about item ${k * 7919}`, location: { unit: { code: buildings[k % 4] } } };
		};
		const before = await count('incident');
		const results = await Promise.all(executions.map(async (batch) => {
			const out: IntakeResult[] = [];
			for (let start = 0; start < batch.length; start += 250) {
				const outcomes = await intake(batch.slice(start, start + 250).map((x) => report(x.key)), false, { dedupeWindowHours: 0 });
				out.push(...outcomes.map(value));
			}
			return out;
		}));
		const flat = results.flat();
		expect(flat).toHaveLength(10_000);
		const idByKey = new Map<string, number>();
		for (const r of flat) {
			const seen = idByKey.get(r.idempotencyKey!);
			if (seen !== undefined) expect(r.id).toBe(seen);
			idByKey.set(r.idempotencyKey!, r.id);
		}
		expect(idByKey.size).toBe(8_000);
		expect(flat.filter((r) => r.repeatedRequest)).toHaveLength(2_000);
		expect(await count('incident')).toBe(before + 8_000);
		const rows = await db.query<{ reference: string }>(`SELECT reference FROM grid.incident`);
		const byDay = new Map<string, number[]>();
		for (const { reference } of rows) {
			const [, day, no] = /^INC-(\d{8})-(\d+)$/.exec(reference)!;
			byDay.set(day, [...(byDay.get(day) ?? []), Number(no)]);
		}
		for (const numbers of byDay.values()) {
			numbers.sort((a, b) => a - b);
			expect(numbers[0]).toBe(1);
			expect(numbers[numbers.length - 1]).toBe(numbers.length);
			expect(new Set(numbers).size).toBe(numbers.length);
		}
		const [dupKeys] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT idempotency_key FROM grid.incident WHERE idempotency_key LIKE 'par-%' GROUP BY 1 HAVING count(*) > 1) d`);
		expect(dupKeys.n).toBe(0);
	}, 180_000);

	it('a scoped credential still sees its incident after it was escalated above its scope', async () => {
		const r = value((await intake([{ source: 'staff', category: 'safety_hazard', description: '外墙脱落', location: { unit: { code: B1 } } }]))[0]);
		await run(db.config(), (uow) => escalate(uow, { incident: { id: r.id }, reason: '需街道协调' }));
		await run(db.config(), (uow) => escalate(uow, { incident: { id: r.id }, reason: '需区级协调' }));
		const [seen] = await run(db.config({ scopeCode: '370614-001-001' }), (uow) => getIncidents(uow, [{ id: r.id }]));
		expect(seen.ok && seen.value).toMatchObject({ id: r.id, unitCode: B1, handlingUnitCode: null, handlingLevel: null });
	});
});
