import { ADULT_AGE, type Electorate } from './consultationInput';

/** The calendar year of an instant in a time zone. */
export function yearIn(at: Date, timezone: string): number {
	return Number(new Intl.DateTimeFormat('en-US', { timeZone: timezone, year: 'numeric' }).format(at));
}

/**
 * Who may answer, as a FROM … WHERE clause giving v.id (household or resident) and v.unit_id (the
 * building), over a stretch of the path index. Bindings: path low, path high, then for adults the
 * latest birth year that counts as adult. Adults are those who turn 18 in the year the consultation
 * opens or earlier (the registry keeps birth years only) and are registered, active residents.
 */
export function electorateFrom(electorate: Electorate): string {
	return electorate === 'household'
		? `FROM household v JOIN grid_unit b ON b.id = v.unit_id WHERE b.path >= ? AND b.path < ? AND v.active`
		: `FROM resident v JOIN grid_unit b ON b.id = v.unit_id
			WHERE b.path >= ? AND b.path < ? AND v.active AND v.registered AND v.birth_year <= ?`;
}

export function electorateBindings(electorate: Electorate, lo: string, hi: string, opensAt: Date, timezone: string): unknown[] {
	return electorate === 'household' ? [lo, hi] : [lo, hi, yearIn(opensAt, timezone) - ADULT_AGE];
}

/** The invitation column naming the voter. */
export const voterColumn = (electorate: Electorate) => (electorate === 'household' ? 'household_id' : 'resident_id');
