/**
 * Text-format parsers for the types whose global pg parsers other nodes in the same n8n process
 * replace (n8n's Postgres node swaps the timestamp parsers for its own when it first connects). Our
 * pools must not depend on what ran before them, so these parse PostgreSQL's output themselves.
 */

// DateStyle ISO output: 2026-11-26 19:44:28.123456+08, offsets possibly with minutes and seconds
const TIMESTAMP = /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d{1,6})?(?:([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?)?( BC)?$/;

/** timestamptz / timestamp text → ISO 8601 in UTC; values outside the Date range (infinity, BC) stay text. */
export function timestampToIso(value: string, withZone: boolean): string {
	const m = TIMESTAMP.exec(value);
	if (!m || m[12]) return value;
	const ms = m[7] ? Number(m[7].slice(1).padEnd(3, '0').slice(0, 3)) : 0;
	const parts = [Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms] as const;
	let t: number;
	if (withZone || m[8]) {
		const d = new Date(0);
		d.setUTCFullYear(parts[0], parts[1], parts[2]);
		d.setUTCHours(parts[3], parts[4], parts[5], parts[6]);
		t = d.getTime();
		if (m[8]) {
			const offset = (Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0)) * 1000;
			t -= m[8] === '+' ? offset : -offset;
		}
	} else {
		// a timestamp without zone is read in the process's zone, as pg does by default
		const d = new Date(0);
		d.setFullYear(parts[0], parts[1], parts[2]);
		d.setHours(parts[3], parts[4], parts[5], parts[6]);
		t = d.getTime();
	}
	return Number.isFinite(t) ? new Date(t).toISOString() : value;
}

/** int8 → number when it is exact, else the decimal text. */
export function bigintValue(value: string): number | string {
	const n = Number(value);
	return Number.isSafeInteger(n) ? n : value;
}

/** int8[] text ({1,2,NULL}) → numbers (or text when not exact); one dimension, as we only store those. */
export function bigintArray(value: string): Array<number | string | null> {
	const inner = value.replace(/^\{|\}$/g, '');
	if (!inner) return [];
	return inner.split(',').map((x) => (x === 'NULL' ? null : bigintValue(x)));
}
