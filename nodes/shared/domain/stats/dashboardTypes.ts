/**
 * The figures behind the HTML dashboard. Plain data, so that the page can be rendered from a
 * rollup, from a test fixture or from JSON a user pins in the editor.
 *
 * Rates are fractions between 0 and 1 (as RollupRow.onTimeRate); the page shows them as percentages.
 */
export interface DashboardData {
	unit: { code: string; name: string; level: number };
	/** When the figures were computed, an ISO 8601 instant. */
	generatedAt: string;
	/** IANA zone in which times are shown, e.g. Asia/Shanghai. */
	timezone: string;
	/** Shown as given, e.g. "2026-11-01 – 2026-11-30". */
	periodLabel: string;
	/** One row per community (or per child unit), counts per incident status. */
	incidentsByStatus: IncidentStatusRow[];
	/** The last 30 local days, oldest first. */
	slaDaily: SlaDay[];
	/** Residents per health status. */
	healthStatus: Record<string, number>;
	/** Tasks done in the period per task kind. */
	tasksDoneByKind: Record<string, number>;
	/** The most overdue open incidents, most overdue first. */
	topOverdue: OverdueIncident[];
	totals: DashboardTotals;
}

export interface IncidentStatusRow {
	unitCode: string;
	unitName: string;
	counts: Record<string, number>;
}

export interface SlaDay {
	/** Local date, YYYY-MM-DD. */
	date: string;
	resolvedWithDue: number;
	resolvedOnTime: number;
	/** resolvedOnTime / resolvedWithDue, or null on a day with nothing resolved that had a due time. */
	rate: number | null;
}

export interface OverdueIncident {
	reference: string;
	/** Category code; custom codes are shown as they are. */
	category: string;
	riskLevel: string;
	unitName: string;
	/** ISO 8601 instant. */
	dueAt: string;
	overdueMinutes: number;
	status: string;
}

export interface DashboardTotals {
	incidentsOpen: number;
	incidentsOverdue: number;
	/** Fraction 0–1 over the last 30 days, or null when nothing with a due time was resolved. */
	onTimeRate30d: number | null;
	residents: number;
	tasksDone: number;
}

export interface DashboardOptions {
	/** Page title; default "网格化管理数据看板 Grid governance dashboard". */
	title?: string;
}
