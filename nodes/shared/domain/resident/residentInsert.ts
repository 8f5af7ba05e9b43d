import { sql } from '../../db/sql';
import type { UnitOfWork } from '../context';
import type { ProtectedDocument, ProtectedPhone } from '../protect';
import { arrayColumn, generatedColumn, split, splitArray, textColumn } from './columnText';
import type { NewResident } from './residentInput';

/** What a resident's row holds besides its id and placement: known once the item is checked and protected. */
export interface ResidentIdentity {
	r: NewResident;
	doc: ProtectedDocument;
	phone: ProtectedPhone;
}

/** Where the rows of a chunk go: per row its id, household (or null) and building. */
export interface Placed {
	ids: number[];
	householdIds: Array<number | null>;
	unitIds: number[];
}

type Value = string | number | null | undefined;

interface Column {
	column: string;
	sqlType: string;
	value: (x: ResidentIdentity) => Value;
	/** Text that came from a person (or is cut from what they typed): checked for the separators. */
	typed?: boolean;
}

const IDENTITY: Column[] = [
	{ column: 'name', sqlType: 'text', value: (x) => x.r.name, typed: true },
	{ column: 'doc_type', sqlType: 'text', value: (x) => x.doc.type },
	{ column: 'doc_hash', sqlType: 'text', value: (x) => x.doc.hash },
	{ column: 'doc_masked', sqlType: 'text', value: (x) => x.doc.masked, typed: true },
	{ column: 'doc_last4', sqlType: 'text', value: (x) => x.doc.last4, typed: true },
	{ column: 'doc_enc', sqlType: 'text', value: (x) => x.doc.enc },
	{ column: 'phone_hash', sqlType: 'text', value: (x) => x.phone.hash },
	{ column: 'phone_enc', sqlType: 'text', value: (x) => x.phone.enc },
	{ column: 'phone_masked', sqlType: 'text', value: (x) => x.phone.masked },
	{ column: 'birth_year', sqlType: 'smallint', value: (x) => x.r.birthYear },
	{ column: 'sex', sqlType: 'char(1)', value: (x) => x.r.sex },
	{ column: 'relation', sqlType: 'text', value: (x) => x.r.relation, typed: true },
	{ column: 'health_status', sqlType: 'text', value: (x) => x.r.healthStatus },
	{ column: 'quarantine_ends_at', sqlType: 'timestamptz', value: (x) => x.r.quarantineEndsAt?.toISOString() },
];

const NAMES = ['id', 'household_id', 'unit_id', ...IDENTITY.map((c) => c.column)];

const INSERT = `INSERT INTO resident (${NAMES.join(', ')}, tags)
	SELECT ${NAMES.map((n) => `t.${n}`).join(', ')}, ${splitArray('t.tags')}
	FROM unnest(${split('bigint')}, ${split('bigint')}, ${split('bigint')}, ${IDENTITY.map((c) => split(c.sqlType)).join(', ')}, ${split()})
		AS t(${NAMES.join(', ')}, tags)`;

const HISTORY = `INSERT INTO health_status_history (resident_id, unit_id, status, reason, started_at, quarantine_ends_at)
	SELECT r.id, r.unit_id, r.health_status, 'registered with this status', now(), r.quarantine_ends_at
	FROM resident r WHERE r.id = ANY(string_to_array(?, chr(31))::bigint[])`;

/**
 * The identity columns of a chunk's rows, encoded as texts (columnText.ts). The import encodes them
 * ahead, while the database still works on the chunk before; only ids and placement wait for it.
 * With `between`, it is awaited after each column: encoding stays in short steps, so that replies and
 * large statements in flight keep moving meanwhile.
 */
export async function encodeIdentity(rows: readonly ResidentIdentity[], between?: () => Promise<void>): Promise<string[]> {
	const params: string[] = [];
	for (const c of IDENTITY) {
		const values = rows.map(c.value);
		params.push(c.typed ? textColumn(values, c.column) : generatedColumn(values));
		if (between) await between();
	}
	params.push(arrayColumn(rows.map((x) => x.r.tags), 'tags'));
	return params;
}

/** Resolves on the next turn of the event loop, after pending I/O (a statement being written, a reply). */
export function nextTurn(): Promise<void> {
	return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Inserts one chunk of residents in one statement (the audit and tag triggers run once for it), and
 * the health status history of those registered as anything but normal.
 */
export async function insertResidents(uow: UnitOfWork, placed: Placed, identity: string[], flaggedIds: number[]): Promise<void> {
	await sql(uow, INSERT, [generatedColumn(placed.ids), generatedColumn(placed.householdIds), generatedColumn(placed.unitIds), ...identity]);
	if (flaggedIds.length) await sql(uow, HISTORY, [generatedColumn(flaggedIds)]);
}

/**
 * Allocates ids up front so rows written from unnest map back to their items without relying on
 * order. One row comes back: the range when the ids are consecutive (as they are unless another
 * session draws from the sequence at the same moment), else every id as one text. Also returns the
 * transaction's now(), which every row written in it carries.
 */
export async function allocateIds(uow: UnitOfWork, n: number): Promise<{ ids: number[]; now: string }> {
	const { rows: [row] } = await sql<{ now: string; first: number | null; last: number | null; ids: string | null }>(uow,
		`WITH s AS MATERIALIZED (SELECT nextval('resident_id_seq') AS v FROM generate_series(1, ?)),
			r AS (SELECT min(v) AS first, max(v) AS last, count(*) AS n FROM s)
		SELECT now() AS now, r.first, r.last,
			CASE WHEN r.last - r.first + 1 <> r.n THEN (SELECT string_agg(v::text, ',') FROM s) END AS ids
		FROM r`, [n]);
	if (row.ids) return { ids: row.ids.split(',').map(Number), now: row.now };
	const ids = new Array<number>(row.first === null ? 0 : row.last! - row.first + 1);
	for (let k = 0; k < ids.length; k++) ids[k] = row.first! + k;
	return { ids, now: row.now };
}
