import { DEFAULT_CATEGORIES } from '../incident/categories';
import { RISK_LEVEL_LABELS } from '../incident/risk';
import { INCIDENT_STATUSES } from '../incident/vocabulary';
import { HEALTH_STATUSES } from '../resident/vocabulary';
import { TASK_KINDS } from '../task/vocabulary';
import { FieldError, describeValue } from '../../validation/errors';
import type { DashboardData, DashboardOptions, IncidentStatusRow } from './dashboardTypes';
import { type BarRow, barChart } from './svgBarChart';
import { rateChart } from './svgLineChart';
import { attrs, esc, formatCount, formatPercent, percentValue } from './svgMarkup';
import { HEALTH_COLORS, RATE_COLOR, RISK_COLORS, STATUS_COLORS, TASK_COLOR, colorOf } from './svgPalette';

/**
 * The dashboard page: one self-contained HTML document for a "Respond to Webhook" node. It loads
 * nothing (a strict Content-Security-Policy says so), runs no script and draws its charts as inline
 * SVG, so it works on an intranet without internet access. Every figure it shows carries
 * data-figure (what it is) and data-value (the raw number), which tests read back.
 */

interface Label {
	zh: string;
	en: string;
}

const has = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

/** "Home quarantine (居家隔离)", the vocabularies' form, into its two languages. */
function split(text: string): Label {
	const m = /^(.*\S)\s*\((.+)\)$/.exec(text);
	return m ? { en: m[1], zh: m[2] } : { en: text, zh: text };
}

function vocabLabel(vocab: Readonly<Record<string, string>>, key: string): Label | undefined {
	return has(vocab, key) ? split(vocab[key]) : undefined;
}

function categoryOf(code: string): Label | undefined {
	const c = DEFAULT_CATEGORIES.find((x) => x.code === code);
	return c && { zh: c.zh, en: c.en };
}

/** Both languages marked up; a key no vocabulary knows is shown as it is. */
function labelHtml(label: Label | undefined, key: string): string {
	if (!label) return `<span class="key">${esc(key)}</span>`;
	return `<span lang="zh-CN">${esc(label.zh)}</span> <span lang="en" class="en">${esc(label.en)}</span>`;
}

const labelText = (label: Label | undefined, key: string) => (label ? `${label.zh} ${label.en}` : key);
/** Fixed page labels only: not escaped. */
const bi = (zh: string, en: string) => `<span lang="zh-CN">${zh}</span> <span lang="en">${en}</span>`;

const LEVELS: Record<number, Label> = {
	1: { zh: '区', en: 'District' },
	2: { zh: '街道', en: 'Street' },
	3: { zh: '社区', en: 'Community' },
	4: { zh: '基础网格', en: 'Base grid' },
	5: { zh: '楼栋院落', en: 'Building' },
};

const NO_DATA = `<p class="empty">${bi('暂无数据', 'No data')}</p>`;

/** Local wall-clock time "2026-11-28 14:30" in the dashboard's zone. */
function localTimeFormat(timezone: string): (iso: string) => string {
	let format: Intl.DateTimeFormat;
	try {
		format = new Intl.DateTimeFormat('en-US', {
			timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
		});
	} catch {
		throw new FieldError('Time Zone', `Time Zone ${describeValue(timezone)} is not an IANA time zone; use one such as Asia/Shanghai`);
	}
	return (iso) => {
		const t = new Date(iso);
		if (Number.isNaN(t.getTime())) return iso;
		const p = Object.fromEntries(format.formatToParts(t).map((x) => [x.type, x.value]));
		return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
	};
}

/** "45 min", "3 h 20 min", "2 天", "1 天 5 h": days are what a supervisor reads at a glance. */
export function formatOverdue(minutes: number): string {
	const m = Math.max(0, Math.floor(minutes));
	if (m < 60) return `${m} min`;
	if (m < 1440) return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
	const hours = Math.floor((m % 1440) / 60);
	return `${Math.floor(m / 1440)} 天${hours ? ` ${hours} h` : ''}`;
}

/** A cell (or any element) holding one figure, its raw value beside the formatted text. */
function figure(tag: string, key: string, value: string | number, text: string, extra: Record<string, string> = {}): string {
	return `<${tag}${attrs({ ...extra, 'data-figure': key, 'data-value': value })}>${esc(text)}</${tag}>`;
}

const count = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) ? n : 0);

function panel(id: string, zh: string, en: string, body: string, wide = false): string {
	return `<section class="panel${wide ? ' wide' : ''}" aria-labelledby="${id}-h"><h2 id="${id}-h">${bi(zh, en)}</h2>${body}</section>`;
}

function dataTable(caption: string, head: string, rows: string[], open = false, cls = ''): string {
	return `<details class="data"${open ? ' open' : ''}><summary>${bi('数据表', 'Data table')}</summary>` +
		`<div class="scroll"><table${cls ? ` class="${cls}"` : ''}><caption class="sr">${caption}</caption><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></div></details>`;
}

function cards(data: DashboardData): string {
	const t = data.totals;
	const card = (key: string, zh: string, en: string, value: string | number, text: string, tone = '') =>
		`<div class="card${tone}"><div class="k">${bi(zh, en)}</div>${figure('div', `totals.${key}`, value, text, { class: 'v' })}</div>`;
	const rate = t.onTimeRate30d;
	return `<section class="cards" aria-label="总览 Overview">` +
		card('incidentsOpen', '未办结事件', 'Open incidents', count(t.incidentsOpen), formatCount(count(t.incidentsOpen))) +
		card('incidentsOverdue', '超时事件', 'Overdue incidents', count(t.incidentsOverdue), formatCount(count(t.incidentsOverdue)), count(t.incidentsOverdue) > 0 ? ' bad' : '') +
		card('onTimeRate30d', '按时办结率（30天）', 'On-time rate, 30 days', percentValue(rate), formatPercent(rate)) +
		card('residents', '在册居民', 'Residents', count(t.residents), formatCount(count(t.residents))) +
		card('tasksDone', '已完成任务', 'Tasks done', count(t.tasksDone), formatCount(count(t.tasksDone))) +
		`</section>`;
}

/** Known statuses in their workflow order, then any others found in the rows. */
function statusesOf(rows: IncidentStatusRow[]): string[] {
	const known = Object.keys(INCIDENT_STATUSES);
	const extra = new Set<string>();
	for (const r of rows) for (const k of Object.keys(r.counts ?? {})) if (!known.includes(k)) extra.add(k);
	return [...known, ...[...extra].sort()];
}

function incidentsPanel(data: DashboardData): string {
	const rows = data.incidentsByStatus ?? [];
	const title = ['各社区事件状态', 'Incidents by status per community'] as const;
	if (!rows.length) return panel('incidents', ...title, NO_DATA, true);
	const statuses = statusesOf(rows);
	const known = Object.keys(INCIDENT_STATUSES);
	const colors = new Map(statuses.map((s, i) => [s, colorOf(STATUS_COLORS, s, i - known.length)]));
	const label = (s: string) => vocabLabel(INCIDENT_STATUSES, s);
	const totals = rows.map((r) => statuses.reduce((sum, s) => sum + count(r.counts?.[s]), 0));
	const all = totals.reduce((a, b) => a + b, 0);

	let chart = NO_DATA;
	if (all > 0) {
		const used = statuses.filter((s) => rows.some((r) => count(r.counts?.[s]) > 0));
		const bars: BarRow[] = rows.map((r) => ({
			label: r.unitName || r.unitCode,
			totalFigure: `incidents.${r.unitCode}.total`,
			segments: used.map((s) => ({
				value: count(r.counts?.[s]),
				color: colors.get(s)!,
				tooltip: `${r.unitName} (${r.unitCode}) · ${labelText(label(s), s)}: ${formatCount(count(r.counts?.[s]))}`,
				figure: `incidents.${r.unitCode}.${s}`,
			})),
		}));
		const top = rows[totals.indexOf(Math.max(...totals))];
		chart = barChart({
			id: 'chart-incidents',
			title: `${title[0]} ${title[1]}`,
			desc: `${rows.length} 个单元共 ${formatCount(all)} 件事件，按状态堆叠；最多：${top.unitName}。` +
				`${formatCount(all)} incidents in ${rows.length} units, stacked by status; most in ${top.unitName} (${formatCount(Math.max(...totals))}).`,
			rows: bars,
			legend: used.map((s) => ({ color: colors.get(s)!, zh: label(s)?.zh ?? s, en: label(s)?.en ?? '' })),
		});
	}
	const head = `<tr><th scope="col">${bi('单元', 'Unit')}</th>` +
		statuses.map((s) => `<th scope="col" class="st"><i class="sw" style="background:${colors.get(s)}"></i>${labelHtml(label(s), s)}</th>`).join('') +
		`<th scope="col">${bi('合计', 'Total')}</th></tr>`;
	const body = rows.map((r, i) =>
		`<tr><th scope="row" title="${esc(r.unitCode)}">${esc(r.unitName || r.unitCode)}</th>` +
		statuses.map((s) => figure('td', `incidents.${r.unitCode}.${s}`, count(r.counts?.[s]), formatCount(count(r.counts?.[s])))).join('') +
		figure('td', `incidents.${r.unitCode}.total`, totals[i], formatCount(totals[i]), { class: 'sum' }) + '</tr>');
	return panel('incidents', ...title, `<div class="split"><div>${chart}</div><div>${dataTable(bi(...title), head, body, true, 'matrix')}</div></div>`, true);
}

function slaPanel(data: DashboardData): string {
	const days = data.slaDaily ?? [];
	const title = ['近30天按时办结率', 'On-time resolution, last 30 days'] as const;
	if (!days.length) return panel('sla', ...title, NO_DATA);
	const measured = days.filter((d) => d.rate !== null && Number.isFinite(d.rate));
	let chart = NO_DATA;
	if (measured.length) {
		const rates = measured.map((d) => d.rate as number);
		const latest = measured[measured.length - 1];
		const gaps = days.length - measured.length;
		chart = rateChart({
			id: 'chart-sla',
			title: `${title[0]} ${title[1]}`,
			desc: `${days[0].date} 至 ${days[days.length - 1].date}，按时办结率 ${formatPercent(Math.min(...rates))}–${formatPercent(Math.max(...rates))}，` +
				`最近 ${latest.date} 为 ${formatPercent(latest.rate)}${gaps ? `；${gaps} 天无到期办结` : ''}。` +
				`On-time rate from ${days[0].date} to ${days[days.length - 1].date} ranged ${formatPercent(Math.min(...rates))}–${formatPercent(Math.max(...rates))}; ` +
				`latest ${formatPercent(latest.rate)} on ${latest.date}${gaps ? `; ${gaps} days with nothing due resolved (gaps in the line)` : ''}.`,
			points: days.map((d) => ({
				label: d.date.slice(5),
				rate: d.rate,
				tooltip: `${d.date}: ${formatPercent(d.rate)} (${formatCount(count(d.resolvedOnTime))}/${formatCount(count(d.resolvedWithDue))})`,
				figure: `sla.${d.date}`,
			})),
			color: RATE_COLOR,
		});
	}
	const head = `<tr><th scope="col">${bi('日期', 'Date')}</th><th scope="col">${bi('按时办结', 'On time')}</th>` +
		`<th scope="col">${bi('到期办结', 'Resolved with due time')}</th><th scope="col">${bi('按时率', 'Rate')}</th></tr>`;
	const body = days.map((d) =>
		`<tr><th scope="row">${esc(d.date)}</th>` +
		figure('td', `sla.${d.date}.resolvedOnTime`, count(d.resolvedOnTime), formatCount(count(d.resolvedOnTime))) +
		figure('td', `sla.${d.date}.resolvedWithDue`, count(d.resolvedWithDue), formatCount(count(d.resolvedWithDue))) +
		figure('td', `sla.${d.date}`, percentValue(d.rate), formatPercent(d.rate)) + '</tr>');
	return panel('sla', ...title, chart + dataTable(bi(...title), head, body));
}

interface CountPanel {
	id: string;
	prefix: string;
	title: readonly [string, string];
	column: readonly [string, string];
	/** Rows in display order with their label and colour. */
	rows: Array<{ key: string; value: number; label: Label | undefined; color: string }>;
}

/** Bars of one count per key (health statuses, task kinds) and the matching table. */
function countPanel(p: CountPanel): string {
	if (!p.rows.length) return panel(p.id, ...p.title, NO_DATA);
	const all = p.rows.reduce((s, r) => s + r.value, 0);
	let chart = NO_DATA;
	if (all > 0) {
		const top = p.rows.reduce((a, b) => (b.value > a.value ? b : a));
		chart = barChart({
			id: `chart-${p.id}`,
			title: `${p.title[0]} ${p.title[1]}`,
			desc: `共 ${formatCount(all)}，最多：${labelText(top.label, top.key)} ${formatCount(top.value)}。` +
				`${formatCount(all)} in all over ${p.rows.length} groups; largest ${labelText(top.label, top.key)} with ${formatCount(top.value)}.`,
			rows: p.rows.map((r) => ({
				label: r.label?.zh ?? r.key,
				sublabel: r.label?.en,
				totalFigure: `${p.prefix}.${r.key}`,
				segments: [{ value: r.value, color: r.color, tooltip: `${labelText(r.label, r.key)}: ${formatCount(r.value)}` }],
			})),
		});
	}
	const head = `<tr><th scope="col">${bi(...p.column)}</th><th scope="col">${bi('数量', 'Count')}</th></tr>`;
	const body = p.rows.map((r) =>
		`<tr><th scope="row"><i class="sw" style="background:${r.color}"></i>${labelHtml(r.label, r.key)}</th>` +
		figure('td', `${p.prefix}.${r.key}`, r.value, formatCount(r.value)) + '</tr>');
	return panel(p.id, ...p.title, chart + dataTable(bi(...p.title), head, body));
}

function healthPanel(data: DashboardData): string {
	const given = data.healthStatus ?? {};
	const keys = Object.keys(given);
	const known = Object.keys(HEALTH_STATUSES);
	// every known status once there are any figures: a zero "confirmed" is news too
	const order = keys.length ? [...known, ...keys.filter((k) => !known.includes(k)).sort()] : [];
	return countPanel({
		id: 'health', prefix: 'health', title: ['居民健康状态', 'Residents by health status'], column: ['健康状态', 'Health status'],
		rows: order.map((k, i) => ({ key: k, value: count(given[k]), label: vocabLabel(HEALTH_STATUSES, k), color: colorOf(HEALTH_COLORS, k, i - known.length) })),
	});
}

function tasksPanel(data: DashboardData): string {
	const given = data.tasksDoneByKind ?? {};
	const known = Object.keys(TASK_KINDS);
	const rank = (k: string) => (known.includes(k) ? known.indexOf(k) : known.length);
	const keys = Object.keys(given).sort((a, b) => count(given[b]) - count(given[a]) || rank(a) - rank(b) || a.localeCompare(b));
	return countPanel({
		id: 'tasks', prefix: 'tasks', title: ['各类任务完成数', 'Tasks done by kind'], column: ['任务类型', 'Task kind'],
		rows: keys.map((k) => ({ key: k, value: count(given[k]), label: vocabLabel(TASK_KINDS, k), color: TASK_COLOR })),
	});
}

/** Four two-line columns, so that the table fits half the page beside the tasks chart. */
function overduePanel(data: DashboardData, localTime: (iso: string) => string): string {
	const rows = data.topOverdue ?? [];
	const title = ['超时事件（最久在前）', 'Top overdue incidents'] as const;
	if (!rows.length) return panel('overdue', ...title, NO_DATA);
	const th = (zh1: string, zh2: string, en: string, cls = 'txt') => `<th scope="col" class="${cls}"><span lang="zh-CN">${zh1} / ${zh2}</span> <span lang="en">${en}</span></th>`;
	const head = `<tr>${th('编号', '类别', 'Reference / category')}${th('风险', '状态', 'Risk / status')}` +
		`<th scope="col" class="txt">${bi('所属单元', 'Unit')}</th>${th('办理时限', '已超时', 'Due / overdue by', 'num')}</tr>`;
	const body = rows.map((r) => {
		const riskColor = colorOf(RISK_COLORS, r.riskLevel, 6);
		return '<tr>' +
			`<th scope="row" class="txt"><span class="ref">${esc(r.reference)}</span><span class="line">${labelHtml(categoryOf(r.category), r.category)}</span></th>` +
			`<td class="txt"><span class="badge" style="border-color:${riskColor};color:${riskColor}">${labelHtml(vocabLabel(RISK_LEVEL_LABELS, r.riskLevel), r.riskLevel)}</span>` +
			`<span class="line">${labelHtml(vocabLabel(INCIDENT_STATUSES, r.status), r.status)}</span></td>` +
			`<td class="txt unit">${esc(r.unitName)}</td>` +
			`<td>${figure('span', `overdue.${r.reference}.dueAt`, r.dueAt, localTime(r.dueAt), { class: 'line due' })}` +
			`${figure('span', `overdue.${r.reference}`, count(r.overdueMinutes), formatOverdue(count(r.overdueMinutes)), { class: 'line late' })}</td></tr>`;
	});
	const table = `<div class="scroll"><table class="overdue"><caption class="sr">${bi(...title)}</caption><thead>${head}</thead><tbody>${body.join('')}</tbody></table></div>`;
	return panel('overdue', ...title, table);
}

export function renderDashboard(data: DashboardData, options: DashboardOptions = {}): string {
	const localTime = localTimeFormat(data.timezone);
	const custom = options.title?.trim();
	const h1 = custom ? esc(custom) : bi('网格化管理数据看板', 'Grid governance dashboard');
	const pageTitle = `${custom || '网格化管理数据看板 Grid governance dashboard'} · ${data.unit.name}`;
	const level = LEVELS[data.unit.level];
	const header = `<header class="top"><div class="wrap"><h1>${h1}</h1><p class="meta">` +
		`<strong class="unit">${esc(data.unit.name)}</strong> <span class="code">${esc(data.unit.code)}</span>` +
		(level ? ` <span class="lvl">${labelHtml(level, '')}</span>` : '') +
		`<span class="sep">·</span>${bi('统计周期', 'Period')} <span class="period">${esc(data.periodLabel)}</span>` +
		`<span class="sep">·</span>${bi('生成于', 'Generated')} <time datetime="${esc(data.generatedAt)}">${esc(localTime(data.generatedAt))}</time> <span class="tz">${esc(data.timezone)}</span>` +
		`</p></div></header>`;
	return '<!DOCTYPE html>\n' +
		'<html lang="zh-CN"><head><meta charset="utf-8">' +
		`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">` +
		'<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer"><meta name="color-scheme" content="light">' +
		`<title>${esc(pageTitle)}</title><style>${DASHBOARD_CSS}</style></head><body>` +
		header +
		`<main class="wrap">${cards(data)}<div class="panels">` +
		incidentsPanel(data) + slaPanel(data) + healthPanel(data) + tasksPanel(data) + overduePanel(data, localTime) +
		`</div></main><footer class="wrap">${bi('本页不含脚本，不加载任何外部资源。', 'This page runs no scripts and loads nothing from elsewhere.')}</footer>` +
		'</body></html>\n';
}

/**
 * System fonts only (the page may not fetch any): the CJK families cover Windows, macOS, Android
 * and Linux desktops. Charts scale with their column; tables scroll sideways on a phone rather
 * than squeeze their numbers.
 */
const DASHBOARD_CSS = `
:root{--ink:#1f2933;--muted:#616e7c;--line:#e4e7eb;--bg:#f3f5f8;--card:#fff;--accent:#1c7ed6;--bad:#c92a2a}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 system-ui,-apple-system,"Segoe UI","PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei",Roboto,"Helvetica Neue",Arial,sans-serif}
.wrap{max-width:1240px;margin:0 auto;padding:0 20px}
.top{background:#12355b;color:#fff;padding:18px 0 16px}
.top h1{margin:0 0 4px;font-size:22px;font-weight:650;letter-spacing:.02em}
.top h1 [lang=en]{font-weight:400;opacity:.75;font-size:.8em}
.meta{margin:0;color:#d3e0ee;font-size:13px}
.meta .unit{color:#fff;font-size:15px}
.meta .code,.meta .tz{font-family:ui-monospace,"SFMono-Regular",Consolas,"DejaVu Sans Mono",monospace;font-size:12px;opacity:.85}
.meta .sep{margin:0 8px;opacity:.6}
.meta .en{color:inherit}
main.wrap{padding-top:16px;padding-bottom:8px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px}
.card{background:var(--card);border:1px solid var(--line);border-left:4px solid var(--accent);border-radius:8px;padding:10px 14px;display:flex;flex-direction:column;justify-content:space-between}
.card.bad{border-left-color:var(--bad)}
.card .k{color:var(--muted);font-size:12.5px;line-height:1.35}
.card .v{font-size:28px;font-weight:650;line-height:1.2;margin-top:4px;font-variant-numeric:tabular-nums}
.card.bad .v{color:var(--bad)}
.panels{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr));gap:16px;margin-top:16px;align-items:start}
.panel{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 16px;min-width:0}
.panel.wide{grid-column:1/-1}
.split{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,480px),1fr));gap:12px 24px;align-items:start}
.split details.data{margin-top:0}
@media (min-width:1100px){.split{grid-template-columns:minmax(0,5fr) minmax(0,7fr)}}
.matrix tbody th{min-width:7.5em}
.panel h2{margin:0 0 10px;font-size:16px;font-weight:650}
.panel h2 [lang=en],.en{color:var(--muted);font-weight:400}
h2 [lang=en]{font-size:13px}
.en{font-size:.88em}
svg{display:block;width:100%;height:auto;font-family:inherit;fill:var(--ink)}
.empty{margin:0;padding:28px 12px;text-align:center;color:var(--muted);border:1px dashed var(--line);border-radius:6px}
details.data{margin-top:10px}
details.data summary{cursor:pointer;color:var(--muted);font-size:12.5px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:12.5px;font-variant-numeric:tabular-nums}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:right;vertical-align:top}
thead th{font-weight:600;color:var(--muted);font-size:11.5px;line-height:1.3;vertical-align:bottom}
thead th [lang=en]{display:block;font-weight:400}
thead th.st{white-space:nowrap}
th:first-child,.txt{text-align:left}
tbody th{font-weight:500;min-width:6em}
td.sum{font-weight:650}
.sw{display:inline-block;width:9px;height:9px;border-radius:2px;margin-right:4px;vertical-align:baseline}
.overdue td,.overdue th{padding:5px 8px}
.overdue .line{display:block;white-space:nowrap}
.overdue .ref{display:block;font-family:ui-monospace,"SFMono-Regular",Consolas,"DejaVu Sans Mono",monospace;font-size:12px;font-weight:600}
.overdue tbody th{font-weight:400}
.overdue .due{color:var(--muted)}
.overdue .unit{min-width:5em}
.late{color:var(--bad);font-weight:650}
.badge{display:inline-block;border:1px solid;border-radius:10px;padding:0 7px;font-size:11.5px;line-height:1.5}
.badge .en{color:inherit}
.key{font-family:ui-monospace,"SFMono-Regular",Consolas,"DejaVu Sans Mono",monospace;font-size:.92em}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
footer.wrap{color:var(--muted);font-size:12px;padding-top:8px;padding-bottom:24px}
@media (max-width:600px){.wrap{padding:0 10px}.top h1{font-size:18px}.card .v{font-size:22px}.panel{padding:12px 10px}.meta .sep{margin:0 4px}}
@media print{body{background:#fff}.panel,.card{break-inside:avoid}}
`;
