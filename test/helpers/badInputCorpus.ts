/**
 * The bad-input corpus (test/fixtures/bad-input/*.json) and what running it needs: loading and
 * checking the files, a digest of every table of the schema, and the item layouts of the runs.
 *
 * A corpus file holds one node's operations. Each operation states the node parameters (reading the
 * item through expressions where the operation takes parameters), good items that must be written,
 * how to find what they wrote, and the cases: a bad item, the field its error must name, and
 * optionally a pattern the message must match.
 */
import { readFileSync, readdirSync } from 'fs';
import path from 'path';
import type { IDataObject, INodeParameters } from 'n8n-workflow';
import type { TestDatabase } from './db';

export const CORPUS_DIR = path.resolve(__dirname, '..', 'fixtures', 'bad-input');

export interface BadCase {
	/** Unique within the corpus, e.g. grid.unit.bulkImport.code-number. */
	id: string;
	/** What is wrong with the item, in words. */
	about: string;
	item: IDataObject;
	/** The field the error must name: the item key for item-field operations, else the parameter's label. */
	field: string;
	/** A regular expression the message must match (case-insensitive), if the field alone says too little. */
	message?: string;
}

export interface CorpusOperation {
	resource: string;
	operation: string;
	parameters: INodeParameters;
	/** How the node behaves under Continue On Fail in the batch run. */
	onError: 'continueRegularOutput' | 'continueErrorOutput';
	/** Items the batch run must write (or, for reads, answer). The first also goes with each case when Continue On Fail is off. */
	good: IDataObject[];
	/**
	 * SQL returning one row per row the good items wrote, with the good item's `field` value (a dotted
	 * path into the item) as `v`;
	 * the values must equal the good items' values exactly (hostile but valid text is stored verbatim).
	 * Absent for operations that write nothing.
	 */
	written?: { sql: string; field: string };
	cases: BadCase[];
}

export interface CorpusFile {
	node: string;
	nodeType: string;
	operations: CorpusOperation[];
}

/** Expands the values JSON cannot hold literally: {"$repeat": ["x", 100000]}, {"$number": "NaN"}. */
function expand(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(expand);
	if (value && typeof value === 'object') {
		const o = value as Record<string, unknown>;
		const keys = Object.keys(o);
		if (keys.length === 1 && keys[0] === '$repeat') {
			const [s, n] = o.$repeat as [string, number];
			return s.repeat(n);
		}
		if (keys.length === 1 && keys[0] === '$number') return Number(o.$number);
		return Object.fromEntries(keys.map((k) => [k, expand(o[k])]));
	}
	return value;
}

export function loadCorpus(): CorpusFile[] {
	const files = readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.json')).sort();
	const ids = new Set<string>();
	return files.map((f) => {
		const file = expand(JSON.parse(readFileSync(path.join(CORPUS_DIR, f), 'utf8'))) as CorpusFile;
		for (const op of file.operations) {
			if (!op.good.length) throw new Error(`${f}: ${op.resource}.${op.operation} has no good items`);
			for (const c of op.cases) {
				if (!c.id || !c.field || !c.item || ids.has(c.id)) throw new Error(`${f}: case ${c.id} lacks an id, item or field, or repeats an id`);
				ids.add(c.id);
			}
		}
		return file;
	});
}

/** Row count and a digest of the rows of every table of the schema, by table name. */
export async function snapshot(db: TestDatabase, schema = 'grid'): Promise<Record<string, string>> {
	const tables = await db.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = $1 ORDER BY 1`, [schema]);
	const out: Record<string, string> = {};
	for (const { t } of tables) {
		const [r] = await db.query<{ n: number; d: string | null }>(
			`SELECT count(*)::int AS n, md5(string_agg(md5(x::text), '' ORDER BY md5(x::text))) AS d FROM "${schema}"."${t}" x`,
		);
		out[t] = `${r.n}:${r.d ?? ''}`;
	}
	return out;
}

/**
 * The batch run's layout: good and bad items interleaved, a good item first and last and between
 * every few bad ones, so that Continue On Fail has good neighbours on both sides of each failure.
 */
export function interleave(good: IDataObject[], bad: BadCase[]): Array<{ item: IDataObject; good?: IDataObject; bad?: BadCase }> {
	const out: Array<{ item: IDataObject; good?: IDataObject; bad?: BadCase }> = [];
	const every = Math.max(1, Math.ceil(bad.length / Math.max(1, good.length - 1)));
	let g = 0;
	bad.forEach((c, k) => {
		if (k % every === 0 && g < good.length) out.push({ item: good[g], good: good[g++] });
		out.push({ item: c.item, bad: c });
	});
	while (g < good.length) out.push({ item: good[g], good: good[g++] });
	return out;
}
