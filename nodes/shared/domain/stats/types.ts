import type { Period } from './period';

/** Counts of one slice of incidents (all, one category, one risk level) in a period. */
export interface IncidentCounts {
	/** Reports received in the period, duplicates included. */
	created: number;
	/** Cases closed with a callback in the period. */
	closed: number;
	/** Cases whose due time fell in the period (and has passed) without their being resolved by then. */
	overdue: number;
	/** Distinct cases escalated at least once in the period. */
	escalated: number;
}

/**
 * The figures of one unit for one period. Every count is additive: the rows of one level add up
 * exactly to their parent's row. Rates, averages and quantiles are derived from the additive parts
 * they sit beside (onTime / resolvedWithDue, satisfactionSum / satisfactionCount) and are not summed.
 */
export interface RollupRow {
	unitId: number;
	unitCode: string;
	unitName: string;
	level: number;
	/**
	 * Set on the row of a unit above the breakdown level that has figures of its own (a case in a
	 * community's intake queue when broken down by base grid): without it the rows would not add up.
	 */
	direct?: boolean;
	residents: {
		/** Active residents now (the registry is a snapshot, not a history). */
		total: number;
		byHealthStatus: Record<string, number>;
		byTag: Record<string, number>;
	};
	health: {
		observations: number;
		fevers: number;
		quarantinesStarted: number;
		quarantinesEnded: number;
	};
	incidents: IncidentCounts & {
		byCategory: Record<string, IncidentCounts>;
		byRisk: Record<string, IncidentCounts>;
		/** Cases resolved in the period that had a due time, and of those the ones resolved by it. */
		resolvedWithDue: number;
		resolvedOnTime: number;
		onTimeRate: number | null;
		/** Minutes from report to resolution of the cases resolved in the period. */
		handlingMinutesMedian: number | null;
		handlingMinutesP90: number | null;
		duplicates: number;
		duplicateRate: number | null;
		satisfactionCount: number;
		satisfactionSum: number;
		satisfactionAverage: number | null;
	};
	tasks: {
		created: number;
		done: number;
		createdByKind: Record<string, number>;
		doneByKind: Record<string, number>;
		doneWithDue: number;
		doneOnTime: number;
		onTimeRate: number | null;
	};
	volunteers: {
		/** Tasks done by volunteers in the period. */
		tasksDone: number;
		/** Whole seconds from start (or assignment) to completion, summed: additive and exact. */
		seconds: number;
		hours: number;
	};
}

/** A rollup: one row per unit at the breakdown level under the chosen unit, and their total. */
export interface Rollup {
	unit: { id: number; code: string; name: string; level: number };
	period: Period;
	byLevel: number;
	/** When the figures were computed (resident counts are as of this moment). */
	computedAt: string;
	rows: RollupRow[];
	/** The chosen unit's own row: the sum of `rows` for counts. */
	total: RollupRow;
}
