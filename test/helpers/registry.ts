/**
 * A district-sized registry for scale tests: a five-level grid created through the domain
 * (createUnits), then households and residents generated set-based in SQL (one INSERT … SELECT each,
 * loaded like a restore: see bulkLoad), with realistic shapes:
 * residents imported building by building (ids follow the grid), rare attention tags, a few hundred
 * people in quarantine, most people normal.
 *
 * Generated residents carry stand-in hashes (sha256 of a label, not the credential's HMAC): they are
 * for plans and counts, not for lookups by a real document number. Residents that a test must find
 * by document or phone are added with saveResidents on top.
 */
import type { RawUnit } from '../../nodes/shared/domain/grid/unitInput';
import { createUnits } from '../../nodes/shared/domain/grid/units';
import type { TestDatabase } from './db';
import { run, units } from './uow';

export interface GridShape {
	streets: number;
	communitiesPerStreet: number;
	gridsPerCommunity: number;
	buildingsPerGrid: number;
}

/** Penglai-like proportions: 10 streets × 10 communities × 4 grids × 10 buildings = 4,000 buildings. */
export const DISTRICT_SHAPE: GridShape = { streets: 10, communitiesPerStreet: 10, gridsPerCommunity: 4, buildingsPerGrid: 10 };

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** Units of a district 370614 of the given shape, parents first. */
export function districtUnits(shape: GridShape): RawUnit[] {
	const out: RawUnit[] = [{ code: '370614', name: '蓬莱区' }];
	for (let s = 1; s <= shape.streets; s++) {
		const sc = `370614-${pad(s, 3)}`;
		out.push({ code: sc, name: `街道${s}`, parentCode: '370614' });
		for (let c = 1; c <= shape.communitiesPerStreet; c++) {
			const cc = `${sc}-${pad(c, 3)}`;
			out.push({ code: cc, name: `社区${s}-${c}`, parentCode: sc });
			for (let g = 1; g <= shape.gridsPerCommunity; g++) {
				const gc = `${cc}-${pad(g, 3)}`;
				out.push({ code: gc, name: `网格${s}-${c}-${g}`, parentCode: cc, plannedHouseholds: 400 });
				for (let b = 1; b <= shape.buildingsPerGrid; b++) out.push({ code: `${gc}-${pad(b, 4)}`, name: `${b}号楼`, parentCode: gc });
			}
		}
	}
	return out;
}

export interface RegistryOptions {
	residents: number;
	shape?: GridShape;
	/** Mean persons per household (default 2.5). */
	householdSize?: number;
}

export interface RegistryStats {
	units: number;
	buildings: number;
	households: number;
	residents: number;
	ms: { units: number; households: number; residents: number; analyze: number };
}

/**
 * Loads a table the way a restore does, in one transaction: its secondary indexes are dropped and
 * rebuilt afterwards from their own catalog definitions (pg_get_indexdef), and triggers (the
 * statement-level audit, foreign-key checks) are skipped with session_replication_role = replica.
 * The generated rows are consistent by construction; what the planner sees afterwards is exactly the
 * schema the migrations made. Needs the superuser login the tests use.
 */
async function bulkLoad(db: TestDatabase, table: string, insert: string, args: unknown[]): Promise<void> {
	await db.query('BEGIN');
	try {
		await db.query(`SET LOCAL session_replication_role = replica`);
		await db.query(`SET LOCAL maintenance_work_mem = '128MB'`);
		const indexes = await db.query<{ name: string; def: string }>(`
			SELECT c.relname AS name, pg_get_indexdef(c.oid) AS def
			FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
			WHERE x.indrelid = $1::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)`,
		[`grid.${table}`]);
		for (const { name } of indexes) await db.query(`DROP INDEX grid."${name}"`);
		await db.query(insert, args);
		for (const { def } of indexes) await db.query(def);
		await db.query('COMMIT');
	} catch (error) {
		await db.query('ROLLBACK');
		throw error;
	}
}

/**
 * Builds the grid and the registry in an empty test database (the first unit of work migrates it),
 * then ANALYZEs. Pseudo-random choices come from hashint4, so every run generates the same registry.
 */
export async function buildRegistry(db: TestDatabase, opts: RegistryOptions): Promise<RegistryStats> {
	const shape = opts.shape ?? DISTRICT_SHAPE;
	const n = opts.residents;
	const households = Math.ceil(n / (opts.householdSize ?? 2.5));
	const t0 = Date.now();
	const outcomes = await run(db.config(), (uow) => createUnits(uow, units(districtUnits(shape))));
	const bad = outcomes.find((o) => !o.ok);
	if (bad && !bad.ok) throw bad.error;
	const t1 = Date.now();

	// Households spread evenly over the buildings in code order (explicit, contiguous ids), two
	// entrances per building, rooms numbered floor by floor. Arithmetic only: no join per row.
	const [{ hbase }] = await db.query<{ hbase: number }>(`SELECT coalesce(max(id), 0)::int AS hbase FROM grid.household`);
	await bulkLoad(db, 'household', `
		WITH b AS (SELECT array_agg(id ORDER BY code) AS ids, count(*)::int AS nb FROM grid.grid_unit WHERE level = 5),
		h AS (SELECT g, b.ids[1 + (g::bigint * b.nb) / $1::int] AS unit_id, g - ((((g::bigint * b.nb) / $1::int) * $1::int + b.nb - 1) / b.nb) AS k
			FROM generate_series(0, $1::int - 1) g CROSS JOIN b)
		INSERT INTO grid.household (id, unit_id, unit_no, room_no)
		SELECT $2::int + 1 + g, unit_id, (1 + k % 2)::text, ((k / 2) / 4 + 1)::text || lpad(((k / 2) % 4 + 1)::text, 2, '0')
		FROM h`, [households, hbase]);
	await db.query(`SELECT setval('grid.household_id_seq', (SELECT max(id) FROM grid.household))`);
	const t2 = Date.now();

	// Residents: person i lives in household i*H/n; r1..r6 are independent pseudo-random draws.
	await bulkLoad(db, 'resident', `
		WITH b AS (SELECT array_agg(id ORDER BY code) AS ids, count(*)::int AS nb FROM grid.grid_unit WHERE level = 5),
		base AS (SELECT coalesce(max(id), 0) AS id FROM grid.resident),
		p AS (
			SELECT i, $3::int + 1 + (i::bigint * $2::int) / $1::int AS household_id,
				b.ids[1 + (((i::bigint * $2::int) / $1::int) * b.nb) / $2::int] AS unit_id,
				1930 + abs(hashint4(i * 7 + 1)) % 94 AS birth_year,
				abs(hashint4(i * 7 + 2)) % 1000 AS r1,
				abs(hashint4(i * 7 + 3)) % 1000 AS r2,
				abs(hashint4(i * 7 + 4)) % 1000 AS r3,
				abs(hashint4(i * 7 + 5)) % 10000 AS r4,
				abs(hashint4(i * 7 + 6)) % 10000 AS r5,
				abs(hashint4(i * 7 + 7)) % 10000 AS r6
			FROM generate_series(0, $1::int - 1) i CROSS JOIN b
		)
		INSERT INTO grid.resident (id, household_id, unit_id, name, doc_type, doc_hash, doc_masked, doc_last4,
			phone_hash, phone_masked, birth_year, sex, tags, health_status, health_since, quarantine_ends_at, active, inactive_reason)
		SELECT base.id + 1 + i, household_id, unit_id,
			(ARRAY['王','李','张','刘','陈','杨','赵','黄','周','吴','徐','孙','胡','朱','高','林','何','郭','马','罗','梁','宋','郑','谢','韩','唐','冯','于','董','萧','程','曹','袁','邓','许','傅','沈','曾','彭','吕'])[1 + i % 40]
				|| (ARRAY['伟','芳','娜','敏','静','丽','强','磊','军','洋','勇','艳','杰','娟','涛','明','超','秀英','霞','平','刚','桂英'])[1 + (i / 40) % 22]
				|| CASE WHEN i % 3 = 0 THEN '' ELSE (ARRAY['华','玲','峰','建','文','海','红','国'])[1 + (i / 880) % 8] END,
			'id_card', encode(sha256(('doc-' || i)::bytea), 'hex'), '370614********' || lpad((i % 10000)::text, 4, '0'), lpad((i % 10000)::text, 4, '0'),
			CASE WHEN r1 < 850 THEN encode(sha256(('phone-' || i)::bytea), 'hex') END,
			CASE WHEN r1 < 850 THEN '138****' || lpad((i % 10000)::text, 4, '0') END,
			birth_year, CASE WHEN i % 2 = 0 THEN 'F' ELSE 'M' END,
			array_remove(ARRAY[
				CASE WHEN birth_year <= 1955 AND r2 < 100 THEN 'elderly_living_alone' END,
				CASE WHEN r3 < 15 THEN 'disabled' END,
				CASE WHEN r2 >= 900 THEN 'chronic_illness' END,
				CASE WHEN i % 2 = 0 AND birth_year BETWEEN 1985 AND 2002 AND r3 >= 970 THEN 'pregnant' END,
				CASE WHEN birth_year >= 2012 THEN 'child' END,
				CASE WHEN r4 < 30 THEN 'key_population' END,
				CASE WHEN r5 < 10 THEN 'returned_from_risk_area' END
			], NULL),
			CASE WHEN r6 < 18 THEN 'home_quarantine' WHEN r6 < 27 THEN 'central_quarantine' WHEN r6 < 30 THEN 'symptomatic'
				WHEN r6 < 31 THEN 'confirmed' WHEN r6 < 43 THEN 'recovered' WHEN r6 < 44 THEN 'deceased' ELSE 'normal' END,
			now() - make_interval(days => r6 % 10),
			CASE WHEN r6 < 27 THEN now() + make_interval(days => 1 + r6 % 14) END,
			r6 <> 43, CASE WHEN r6 = 43 THEN 'deceased' END
		FROM p CROSS JOIN base`, [n, households, hbase]);
	await db.query(`SELECT setval('grid.resident_id_seq', (SELECT max(id) FROM grid.resident))`);
	// the tag index table is kept by a trigger, which the restore-style load skipped
	await db.query(`INSERT INTO grid.resident_tag (tag, resident_id, unit_id)
		SELECT DISTINCT t.tag, r.id, r.unit_id FROM grid.resident r CROSS JOIN unnest(r.tags) AS t(tag) ON CONFLICT DO NOTHING`);
	const t3 = Date.now();
	await db.query(`ANALYZE grid.grid_unit, grid.household, grid.resident, grid.resident_tag`);
	const t4 = Date.now();
	const [c] = await db.query<{ units: number; buildings: number; households: number; residents: number }>(`
		SELECT (SELECT count(*)::int FROM grid.grid_unit) AS units, (SELECT count(*)::int FROM grid.grid_unit WHERE level = 5) AS buildings,
			(SELECT count(*)::int FROM grid.household) AS households, (SELECT count(*)::int FROM grid.resident) AS residents`);
	return { ...c, ms: { units: t1 - t0, households: t2 - t1, residents: t3 - t2, analyze: t4 - t3 } };
}
