/**
 * Staff performance (考核督办) from real case handling through the incident lifecycle: assignments and
 * sign-for, transfers away, resolutions against the due time, reopens, ratings and supervision flags,
 * per staff member and per unit.
 */
import { closeAllPools } from '../../nodes/shared/db/pool';
import type { UnitOfWork } from '../../nodes/shared/domain/context';
import { assignStaff } from '../../nodes/shared/domain/grid/assignments';
import { createStaff } from '../../nodes/shared/domain/grid/staff';
import { assign, close, reopen, updateStatus } from '../../nodes/shared/domain/incident/lifecycle';
import { staffPerformance } from '../../nodes/shared/domain/stats/performance';
import { localToday, periodOf } from '../../nodes/shared/domain/stats/period';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { reportIncidents, valueOf } from '../helpers/incidents';
import { run, seedSmallDistrict } from '../helpers/uow';

let db: TestDatabase;
const B1 = '370614-001-001-001-0001';
const B2 = '370614-001-002-001-0001';
const TZ = 'Asia/Shanghai';
const act = <T>(fn: (uow: UnitOfWork) => Promise<T>) => run(db.config({ timezone: TZ }), fn);
const today = () => periodOf({ type: 'day', date: localToday(TZ) }, TZ);

async function report(unit: string, category: string) {
	const [inc] = await reportIncidents(db.config(), unit, 1, { category, description: `${category} report at ${unit}` });
	return inc;
}

async function handle(id: number, staffNo: string, then: Array<'start' | 'resolve' | ['close', number] | 'reopen'>) {
	await act((uow) => assign(uow, { incident: { id }, to: { staff: { staffNo } } }));
	for (const step of then) {
		if (step === 'start') await act((uow) => updateStatus(uow, { incident: { id }, status: 'in_progress' }));
		else if (step === 'resolve') await act((uow) => updateStatus(uow, { incident: { id }, status: 'resolved' }));
		else if (step === 'reopen') await act((uow) => reopen(uow, { incident: { id }, reason: '居民不满意，重新办理' }));
		else await act((uow) => close(uow, { incident: { id }, satisfaction: step[1], callbackResult: '已回访' }));
	}
}

beforeAll(async () => {
	db = await createTestDatabase('staff_performance');
	await seedSmallDistrict(db.config());
	await act(async (uow) => {
		const posts: Array<[string, string, string]> = [['G1', '网格长甲', '370614-001-001-001'], ['M1', '网格员甲', '370614-001-001-001'], ['G3', '网格长丙', '370614-001-002-001']];
		(await createStaff(uow, posts.map(([no, name, unit]) => ({ name, unit: { code: unit }, staffNo: no })))).forEach(valueOf);
		(await assignStaff(uow, posts.map(([no, , unit], k) => ({ staff: { staffNo: no }, unit: { code: unit }, role: k === 1 ? 'grid_member' : 'grid_head' })))).forEach(valueOf);
	});
	// G1: case A handled and rated 4; case B taken, then transferred to M1 unsigned
	const a = await report(B1, 'sanitation');
	await handle(a.id, 'G1', ['start', 'resolve', ['close', 4]]);
	const b = await report(B1, 'safety_hazard');
	await handle(b.id, 'G1', []);
	await act((uow) => assign(uow, { incident: { id: b.id }, to: { staff: { staffNo: 'M1' } } }));
	// M1: case C rated 2; case D resolved, closed, then reopened for redoing
	const c = await report(B1, 'neighbour_dispute');
	await handle(c.id, 'M1', ['start', 'resolve', ['close', 2]]);
	const d = await report(B1, 'medical_need');
	await handle(d.id, 'M1', ['start', 'resolve', ['close', 1], 'reopen']);
	// G3 in the other community: one case signed for and still in hand
	const e = await report(B2, 'sanitation');
	await handle(e.id, 'G3', ['start']);
});

afterAll(async () => {
	await closeAllPools();
	await db.drop();
});

describe('staff performance', () => {
	it('counts each staff member\'s assignments, sign-for, resolutions, transfers, redos and ratings', async () => {
		const rows = await act((uow) => staffPerformance(uow, { unit: { code: '370614' }, period: today(), groupBy: 'staff', signForMinutes: 60 }));
		const by = new Map(rows.map((r) => [r.staffNo, r]));
		expect(by.get('G1')).toMatchObject({
			staffName: '网格长甲', unitCode: '370614-001-001-001',
			assignments: 2, signedFor: 1, signedOnTime: 1, signForRate: 0.5,
			resolved: 1, resolvedWithDue: 1, resolvedOnTime: 1, onTimeRate: 1,
			reopens: 0, transfers: 1, satisfactionCount: 1, satisfactionAverage: 4, supervisionFlags: 0,
		});
		// D was reopened, so only C stands as resolved and rated; B came to M1 and was never signed for
		expect(by.get('M1')).toMatchObject({
			assignments: 3, signedFor: 2, signedOnTime: 2,
			resolved: 1, resolvedOnTime: 1, reopens: 1, transfers: 0, satisfactionCount: 1, satisfactionAverage: 2,
		});
		expect(by.get('G3')).toMatchObject({ assignments: 1, signedFor: 1, resolved: 0, onTimeRate: null });
	});

	it('holds a sign-for limit: none of the cases was signed for in the same instant as it was assigned', async () => {
		const rows = await act((uow) => staffPerformance(uow, { unit: { code: '370614' }, period: today(), groupBy: 'staff', signForMinutes: 0 }));
		expect(rows.reduce((s, r) => s + r.signedOnTime, 0)).toBe(0);
		expect(rows.reduce((s, r) => s + r.signedFor, 0)).toBe(4);
	});

	it('sums the same facts per unit, and keeps to the subtree asked for', async () => {
		const units = await act((uow) => staffPerformance(uow, { unit: { code: '370614' }, period: today(), groupBy: 'unit', byLevel: 3, signForMinutes: 60 }));
		expect(units.map((u) => [u.unitCode, u.assignments, u.transfers, u.reopens])).toEqual([
			['370614-001-001', 5, 1, 1],
			['370614-001-002', 1, 0, 0],
		]);
		const one = await act((uow) => staffPerformance(uow, { unit: { code: '370614-001-002' }, period: today(), groupBy: 'staff', signForMinutes: 60 }));
		expect(one.map((r) => r.staffNo)).toEqual(['G3']);
	});

	it('finds nothing in another period', async () => {
		const rows = await act((uow) => staffPerformance(uow, { unit: { code: '370614' }, period: periodOf({ type: 'month', date: '2025-01-10' }, TZ), groupBy: 'staff', signForMinutes: 60 }));
		expect(rows).toEqual([]);
	});
});
