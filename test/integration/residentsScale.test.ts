/**
 * Search on a district-sized registry (170,000 residents): the subtree, tag and status filters must
 * be answered from an index. The plans are those of the exact statement searchResidents sends,
 * captured from the transaction and EXPLAINed in the same unit of work, i.e. as the application role
 * with row-level security in force, after ANALYZE. Nothing here switches plan types off.
 */
import { closeAllPools } from '../../nodes/shared/db/pool';
import type { UnitOfWork } from '../../nodes/shared/domain/context';
import { checkResident } from '../../nodes/shared/domain/resident/residentInput';
import { saveResidents } from '../../nodes/shared/domain/resident/residents';
import { type ResidentSearch, searchResidents } from '../../nodes/shared/domain/resident/search';
import { DEFAULT_SEGMENT_WIDTHS } from '../../nodes/shared/validation/gridCode';
import { idNumber } from '../../nodes/shared/validation/idNumber';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { idFor, mobile } from '../helpers/people';
import { type RegistryStats, buildRegistry } from '../helpers/registry';
import { run } from '../helpers/uow';

const RESIDENTS = 170_000;
const STREET = '370614-003';
const COMMUNITY = `${STREET}-004`;

const REAL = [0, 1, 2].map((k) => ({
	name: `欧阳${k}`, documentNumber: idFor('370614', '19850101', 401 + 2 * k), phone: mobile(90_000 + k), buildingCode: `${COMMUNITY}-002-0003`, roomNo: `8${k}1`,
}));

let db: TestDatabase;
let stats: RegistryStats;

beforeAll(async () => {
	db = await createTestDatabase('residents_scale');
	stats = await buildRegistry(db, { residents: RESIDENTS });
	// three residents registered the real way (keyed hashes), found by document and phone below
	const saved = await run(db.config(), (uow) => saveResidents(uow, REAL.map((r) => checkResident(r, { widths: DEFAULT_SEGMENT_WIDTHS, allowCustomTags: false })),
		{ mode: 'create', matchPhoneAndName: false, storeFullDocument: false }));
	if (!saved.every((o) => o.ok)) throw new Error(`saveResidents refused: ${JSON.stringify(saved)}`);
	console.log(`[residentsScale] registry: ${stats.units} units, ${stats.households} households, ${stats.residents} residents; ms ${JSON.stringify(stats.ms)}`);
}, 150_000);

afterAll(async () => {
	await closeAllPools();
	await db?.drop();
});

interface PlanNode {
	'Node Type': string;
	'Relation Name'?: string;
	'Index Name'?: string;
	Plans?: PlanNode[];
}

interface Explained {
	sql: string;
	found: number;
	/** "Index Scan resident_status_idx", "Seq Scan grid_unit", … for every node of the plan. */
	scans: string[];
	text: string;
}

function walk(node: PlanNode, out: string[] = []): string[] {
	if (node['Index Name']) out.push(`${node['Node Type']} ${node['Index Name']}`);
	else if (node['Relation Name']) out.push(`${node['Node Type']} ${node['Relation Name']}`);
	for (const child of node.Plans ?? []) walk(child, out);
	return out;
}

/**
 * Runs searchResidents, captures the statement it sends for the first page and EXPLAINs that very
 * statement (text and bindings) in the same transaction.
 */
async function explainSearch(filters: Partial<ResidentSearch>, scopeCode?: string): Promise<Explained> {
	const q: ResidentSearch = { tagMatch: 'all', includeInactive: false, includeUnregistered: false, reveal: false, ...filters };
	return run(db.config(scopeCode ? { scopeCode } : {}), async (uow: UnitOfWork) => {
		const sent: Array<{ sql: string; bindings: unknown[] }> = [];
		const listen = (d: { sql: string; bindings?: unknown[] }) => sent.push({ sql: d.sql, bindings: d.bindings ?? [] });
		const emitter = uow.trx as unknown as NodeJS.EventEmitter;
		emitter.on('query', listen);
		let found: number;
		try {
			found = (await searchResidents(uow, q)).length;
		} finally {
			emitter.off('query', listen);
		}
		const page = sent.find((s) => /\bFROM resident r\b[\s\S]*ORDER BY r\.id LIMIT/.test(s.sql));
		if (!page) throw new Error(`searchResidents sent no paged SELECT; it sent:\n${sent.map((s) => s.sql).join('\n---\n')}`);
		// knex reports the statement with $n placeholders; raw() takes ? placeholders in order
		const order: number[] = [];
		const text = page.sql.replace(/\$(\d+)/g, (_m, n: string) => {
			order.push(Number(n) - 1);
			return '?';
		});
		const bindings = order.map((k) => page.bindings[k]);
		const json = await uow.trx.raw(`EXPLAIN (FORMAT JSON) ${text}`, bindings as never);
		const plain = await uow.trx.raw(`EXPLAIN ${text}`, bindings as never);
		return {
			sql: page.sql,
			found,
			scans: walk((json.rows[0]['QUERY PLAN'] as Array<{ Plan: PlanNode }>)[0].Plan),
			text: (plain.rows as Array<{ 'QUERY PLAN': string }>).map((r) => r['QUERY PLAN']).join('\n'),
		};
	});
}

/** Fails with the statement and its whole plan when a wanted index is missing or resident is read in full. */
function expectIndexes(e: Explained, wanted: Array<string | RegExp>) {
	const uses = (w: string | RegExp) => e.scans.some((s) => (typeof w === 'string' ? s.endsWith(` ${w}`) : w.test(s)));
	const problems = [
		...wanted.filter((w) => !uses(w)).map((w) => `the plan does not use ${String(w)}`),
		...(e.scans.includes('Seq Scan resident') ? ['the plan reads resident sequentially'] : []),
	];
	if (problems.length) throw new Error(`${problems.join('; ')}\n\nstatement:\n${e.sql}\n\nplan:\n${e.text}`);
	expect(problems).toEqual([]);
}

/** Residents a search should find, counted directly (as the admin login, without the search's SQL). */
const count = async (where: string) =>
	(await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM grid.resident r JOIN grid.grid_unit b ON b.id = r.unit_id WHERE r.active AND r.registered AND ${where}`))[0].n;

const inSubtree = (code: string) => `b.path LIKE (SELECT path FROM grid.grid_unit WHERE code = '${code}') || '%'`;

describe('a registry of 170,000 residents', () => {
	it('has realistic selectivity: a community is ~1%, rare tags and quarantine a few hundred', async () => {
		expect(stats.residents).toBe(RESIDENTS);
		const community = await count(inSubtree(COMMUNITY));
		expect(community).toBeGreaterThan(RESIDENTS * 0.005);
		expect(community).toBeLessThan(RESIDENTS * 0.02);
		const returned = await count(`'returned_from_risk_area' = ANY(r.tags)`);
		expect(returned).toBeGreaterThan(50);
		expect(returned).toBeLessThan(500);
		const quarantined = await count(`r.health_status IN ('home_quarantine', 'central_quarantine')`);
		expect(quarantined).toBeGreaterThan(200);
		expect(quarantined).toBeLessThan(1_000);
	});
});

describe.each([
	['the default limit of 50', 50, undefined],
	['Return All (pages of 1,000)', undefined, undefined],
	['a credential scoped to a street', 50, STREET],
])('search plans with %s', (_label, limit, scope) => {
	const expectFound = async (e: Explained, where: string) => {
		const expected = await count(scope ? `${where} AND ${inSubtree(scope)}` : where);
		expect(expected).toBeGreaterThan(0);
		expect(e.found).toBe(limit === undefined ? expected : Math.min(limit, expected));
	};

	it('answers a community subtree from the grid path index and resident_unit_idx', async () => {
		const e = await explainSearch({ within: { code: COMMUNITY }, limit }, scope);
		expectIndexes(e, [/ grid_unit_(level_)?path_idx$/, 'resident_unit_idx']);
		await expectFound(e, inSubtree(COMMUNITY));
	});

	it('answers a rare tag from the resident_tag index', async () => {
		const e = await explainSearch({ tags: ['returned_from_risk_area'], limit }, scope);
		expectIndexes(e, ['resident_tag_pkey']);
		await expectFound(e, `r.tags @> '{returned_from_risk_area}'`);
	});

	it('answers the quarantine statuses from resident_status_idx', async () => {
		const e = await explainSearch({ statuses: ['home_quarantine', 'central_quarantine'], limit }, scope);
		expectIndexes(e, ['resident_status_idx']);
		await expectFound(e, `r.health_status IN ('home_quarantine', 'central_quarantine')`);
	});
});

describe('plans of the other filters on the registry (default limit)', () => {
	it('answers a name prefix from resident_name_idx', async () => {
		const e = await explainSearch({ namePrefix: '王伟', limit: 50 });
		expectIndexes(e, ['resident_name_idx']);
		expect(e.found).toBe(Math.min(50, await count(`r.name LIKE '王伟%'`)));
	});

	it('answers a document number from resident_doc_unique', async () => {
		const e = await explainSearch({ document: { type: 'id_card', ...idNumber(REAL[1].documentNumber, 'x') }, limit: 50 });
		expectIndexes(e, ['resident_doc_unique']);
		expect(e.found).toBe(1);
	});

	it('answers a phone from resident_phone_idx', async () => {
		const e = await explainSearch({ phone: REAL[2].phone, limit: 50 });
		expectIndexes(e, ['resident_phone_idx']);
		expect(e.found).toBe(1);
	});

	it('answers "quarantine ends within 3 days" from resident_quarantine_idx or resident_status_idx', async () => {
		const e = await explainSearch({ quarantineEndsWithinDays: 3, limit: 50 });
		expectIndexes(e, [/ resident_(quarantine|status)_idx$/]);
		const expected = await count(`r.health_status IN ('home_quarantine', 'central_quarantine') AND r.quarantine_ends_at <= now() + interval '3 days'`);
		expect(e.found).toBe(Math.min(50, expected));
	});
});
