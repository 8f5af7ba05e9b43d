/** A count from a database row: missing or null is zero. */
export const count = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/** part / whole to four decimals, or null when there is nothing to divide by. */
export const ratio = (part: number, whole: number): number | null => (whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : null);

/** sum / n to two decimals, or null when n is zero. */
export const average = (sum: number, n: number): number | null => (n ? Math.round((sum / n) * 100) / 100 : null);
