/**
 * Reading the dashboard's figures back out of its HTML (as rendered, or as Chromium dumped it)
 * and working out, from the DashboardData alone, which figures it must show and how. The
 * expectations repeat the page's rules (which keys, which formats) independently of the renderer,
 * so a test compares two derivations from the input, never the output with itself.
 */
import type { DashboardData } from '../../nodes/shared/domain/stats/dashboardTypes';

export interface FigureOccurrence {
	key: string;
	/** data-value: the raw number (or ISO instant), "" where there is none. */
	value: string;
	/** The visible text. */
	text: string;
	tag: string;
}

export interface ExpectedFigure {
	value: string;
	text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

export function unescapeHtml(text: string): string {
	return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, name: string) => {
		if (name[0] === '#') return String.fromCodePoint(name[1].toLowerCase() === 'x' ? parseInt(name.slice(2), 16) : Number(name.slice(1)));
		return ENTITIES[name.toLowerCase()] ?? all;
	});
}

/** Every element carrying data-figure; the page keeps them leaf elements holding only text. */
export function readFigures(dom: string): FigureOccurrence[] {
	const out: FigureOccurrence[] = [];
	const element = /<([a-zA-Z][\w-]*)(\s[^>]*?)>([^<]*)<\/\1>/g;
	let m: RegExpExecArray | null;
	while ((m = element.exec(dom))) {
		const attrs = m[2];
		const key = /\sdata-figure="([^"]*)"/.exec(attrs);
		if (!key) continue;
		const value = /\sdata-value="([^"]*)"/.exec(attrs);
		out.push({ key: unescapeHtml(key[1]), value: value ? unescapeHtml(value[1]) : '', text: unescapeHtml(m[3]).trim(), tag: m[1].toLowerCase() });
	}
	const all = (dom.match(/\sdata-figure="/g) ?? []).length;
	if (all !== out.length) throw new Error(`${all - out.length} data-figure element(s) hold markup rather than plain text`);
	return out;
}

/** data-figure → data-value. A key shown twice (chart and table) must carry one value. */
export function figuresOf(dom: string): Map<string, string> {
	const map = new Map<string, string>();
	for (const f of readFigures(dom)) {
		const seen = map.get(f.key);
		if (seen !== undefined && seen !== f.value) throw new Error(`figure ${f.key} is shown as ${seen} and as ${f.value}`);
		map.set(f.key, f.value);
	}
	return map;
}

const INCIDENT_STATUS_KEYS = ['new', 'triaged', 'assigned', 'in_progress', 'resolved', 'closed', 'rejected', 'duplicate'];
const HEALTH_KEYS = ['normal', 'symptomatic', 'home_quarantine', 'central_quarantine', 'confirmed', 'recovered', 'deceased'];

const grouped = new Intl.NumberFormat('en-US', { useGrouping: true, maximumFractionDigits: 20 });
const countText = (n: number) => grouped.format(n);
const pct = (rate: number | null) => (rate === null ? '' : (Math.round(rate * 1000) / 10).toFixed(1));
const pctText = (rate: number | null) => (rate === null ? '—' : `${pct(rate)}%`);

function overdueText(minutes: number): string {
	const days = Math.floor(minutes / 1440);
	const hours = Math.floor((minutes % 1440) / 60);
	const mins = minutes % 60;
	if (days > 0) return hours > 0 ? `${days} 天 ${hours} h` : `${days} 天`;
	if (hours > 0) return mins > 0 ? `${hours} h ${mins} min` : `${hours} h`;
	return `${mins} min`;
}

/** "2026-11-28 14:30" in a zone; the Swedish locale writes dates the ISO way. */
function localText(iso: string, timezone: string): string {
	return new Intl.DateTimeFormat('sv-SE', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
		.format(new Date(iso));
}

/** The figures the page must show for the data, with their data-value and visible text. */
export function expectedFigures(data: DashboardData): Map<string, ExpectedFigure> {
	const out = new Map<string, ExpectedFigure>();
	const count = (key: string, n: number) => out.set(key, { value: String(n), text: countText(n) });
	const t = data.totals;
	count('totals.incidentsOpen', t.incidentsOpen);
	count('totals.incidentsOverdue', t.incidentsOverdue);
	out.set('totals.onTimeRate30d', { value: pct(t.onTimeRate30d), text: pctText(t.onTimeRate30d) });
	count('totals.residents', t.residents);
	count('totals.tasksDone', t.tasksDone);

	const statuses = new Set(INCIDENT_STATUS_KEYS);
	for (const row of data.incidentsByStatus) for (const s of Object.keys(row.counts)) statuses.add(s);
	for (const row of data.incidentsByStatus) {
		let total = 0;
		for (const s of statuses) {
			const n = row.counts[s] ?? 0;
			total += n;
			count(`incidents.${row.unitCode}.${s}`, n);
		}
		count(`incidents.${row.unitCode}.total`, total);
	}

	for (const day of data.slaDaily) {
		out.set(`sla.${day.date}`, { value: pct(day.rate), text: pctText(day.rate) });
		count(`sla.${day.date}.resolvedOnTime`, day.resolvedOnTime);
		count(`sla.${day.date}.resolvedWithDue`, day.resolvedWithDue);
	}

	const health = Object.keys(data.healthStatus);
	if (health.length) for (const k of new Set([...HEALTH_KEYS, ...health])) count(`health.${k}`, data.healthStatus[k] ?? 0);
	for (const [k, n] of Object.entries(data.tasksDoneByKind)) count(`tasks.${k}`, n);

	for (const o of data.topOverdue) {
		out.set(`overdue.${o.reference}`, { value: String(o.overdueMinutes), text: overdueText(o.overdueMinutes) });
		out.set(`overdue.${o.reference}.dueAt`, { value: o.dueAt, text: localText(o.dueAt, data.timezone) });
	}
	return out;
}

/**
 * Differences between the figures in a page and those the data calls for: missing, unexpected,
 * or shown with another value or text. Empty when the page is right.
 */
export function checkFigures(dom: string, data: DashboardData): string[] {
	const expected = expectedFigures(data);
	const problems: string[] = [];
	const seen = new Set<string>();
	for (const f of readFigures(dom)) {
		seen.add(f.key);
		const e = expected.get(f.key);
		if (!e) {
			problems.push(`unexpected figure ${f.key} = ${JSON.stringify(f.value)}`);
			continue;
		}
		if (f.value !== e.value) problems.push(`${f.key} (<${f.tag}>): data-value ${JSON.stringify(f.value)}, expected ${JSON.stringify(e.value)}`);
		if (f.text !== e.text) problems.push(`${f.key} (<${f.tag}>): shows ${JSON.stringify(f.text)}, expected ${JSON.stringify(e.text)}`);
	}
	for (const key of expected.keys()) if (!seen.has(key)) problems.push(`figure ${key} is missing`);
	return problems;
}

/**
 * A street of Penglai district (370614) on 2026-11-30: six communities, a month of SLA figures
 * with two days on which nothing due was resolved, a custom task kind and a custom category.
 */
export function penglaiDashboardFixture(): DashboardData {
	const communities: Array<[string, string, Record<string, number>]> = [
		['370614-001-001', '钟楼社区', { new: 4, triaged: 3, assigned: 7, in_progress: 12, resolved: 1186, closed: 348, rejected: 9, duplicate: 27 }],
		['370614-001-002', '蓬莱阁社区', { new: 1, triaged: 0, assigned: 5, in_progress: 6, resolved: 642, closed: 211, rejected: 4, duplicate: 15 }],
		['370614-001-003', '西关社区', { new: 6, triaged: 2, assigned: 3, in_progress: 9, resolved: 903, closed: 402, rejected: 12, duplicate: 31 }],
		['370614-001-004', '画河社区', { new: 0, triaged: 1, assigned: 2, in_progress: 3, resolved: 377, closed: 96, rejected: 2, duplicate: 8 }],
		['370614-001-005', '北关社区', { new: 2, triaged: 0, assigned: 1, in_progress: 4, resolved: 515, closed: 160, rejected: 3, duplicate: 11 }],
		['370614-001-006', '南王社区（含新区安置小区）', { new: 0, assigned: 0, in_progress: 2, resolved: 128, closed: 44, rejected: 1 }],
	];
	const slaDaily = Array.from({ length: 30 }, (_, i) => {
		const date = `2026-11-${String(i + 1).padStart(2, '0')}`;
		if (i === 7 || i === 21) return { date, resolvedWithDue: 0, resolvedOnTime: 0, rate: null };
		const resolvedWithDue = 40 + ((i * 37) % 45);
		const resolvedOnTime = resolvedWithDue - ((i * 7) % 9) - (i > 24 ? 6 : 0);
		return { date, resolvedWithDue, resolvedOnTime, rate: resolvedOnTime / resolvedWithDue };
	});
	const healthStatus = { normal: 48213, symptomatic: 37, home_quarantine: 1204, central_quarantine: 86, confirmed: 5, recovered: 312, deceased: 2 };
	const tasksDoneByKind = {
		temperature_check: 2846, door_survey: 1530, checkpoint_shift: 420, quarantine_followup: 388,
		supply_delivery: 377, errand: 214, disinfection: 96, verification: 58, flood_patrol: 12,
	};
	const overdue: Array<[string, string, string, number, number, string]> = [
		['PL2026110300017', 'quarantine_breach', 'critical', 0, 9125, 'in_progress'],
		['PL2026111200042', 'safety_hazard', 'high', 2, 4320, 'assigned'],
		['PL2026112000105', 'supply_need', 'medium', 1, 2880, 'in_progress'],
		['PL2026112500233', 'sanitation', 'low', 3, 1500, 'assigned'],
		['PL2026112800311', 'illegal_parking', 'medium', 0, 335, 'triaged'],
		['PL2026112900358', 'neighbour_dispute', 'low', 4, 200, 'new'],
		['PL2026113000402', 'medical_need', 'high', 5, 45, 'assigned'],
	];
	const generatedAt = '2026-11-30T10:05:00.000Z';
	const rows = communities.map(([unitCode, unitName, counts]) => ({ unitCode, unitName, counts }));
	const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
	const open = ['new', 'triaged', 'assigned', 'in_progress'];
	const withDue = sum(slaDaily.map((d) => d.resolvedWithDue));
	return {
		unit: { code: '370614-001', name: '登州街道', level: 2 },
		generatedAt,
		timezone: 'Asia/Shanghai',
		periodLabel: '2026-11-01 – 2026-11-30',
		incidentsByStatus: rows,
		slaDaily,
		healthStatus,
		tasksDoneByKind,
		topOverdue: overdue.map(([reference, category, riskLevel, unit, overdueMinutes, status]) => ({
			reference, category, riskLevel, unitName: communities[unit][1], overdueMinutes, status,
			dueAt: new Date(Date.parse(generatedAt) - overdueMinutes * 60_000).toISOString(),
		})),
		totals: {
			incidentsOpen: sum(rows.map((r) => sum(open.map((s) => r.counts[s] ?? 0)))),
			incidentsOverdue: 23,
			onTimeRate30d: sum(slaDaily.map((d) => d.resolvedOnTime)) / withDue,
			residents: sum(Object.values(healthStatus)),
			tasksDone: sum(Object.values(tasksDoneByKind)),
		},
	};
}
