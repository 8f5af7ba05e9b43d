/**
 * The dashboard page as text: self-contained (nothing to fetch, no script), escaped, and showing
 * exactly the figures of its input. Expected figures are derived from the input data by
 * test/helpers/dashboardDom.ts, never read from the page under test.
 */
import { renderDashboard, formatOverdue } from '../../nodes/shared/domain/stats/dashboard';
import type { DashboardData } from '../../nodes/shared/domain/stats/dashboardTypes';
import { niceTicks } from '../../nodes/shared/domain/stats/svgScale';
import { FieldError } from '../../nodes/shared/validation/errors';
import { checkFigures, expectedFigures, figuresOf, penglaiDashboardFixture, readFigures } from '../helpers/dashboardDom';

const CSP = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`;

function emptyData(): DashboardData {
	return {
		unit: { code: '370614', name: '蓬莱区', level: 1 },
		generatedAt: '2026-11-30T16:30:00Z',
		timezone: 'Asia/Shanghai',
		periodLabel: '2026-11-01 – 2026-11-30',
		incidentsByStatus: [],
		slaDaily: [],
		healthStatus: {},
		tasksDoneByKind: {},
		topOverdue: [],
		totals: { incidentsOpen: 0, incidentsOverdue: 0, onTimeRate30d: null, residents: 0, tasksDone: 0 },
	};
}

const HOSTILE = '<script>alert("x")</script>';

function hostileData(): DashboardData {
	const data = penglaiDashboardFixture();
	data.unit.name = `${HOSTILE}街道`;
	data.periodLabel = '<img src=x onerror=alert(1)>';
	data.incidentsByStatus[0].unitName = HOSTILE;
	data.incidentsByStatus[1].unitCode = '370614-001-002"><b>bold</b>';
	data.incidentsByStatus[2].counts['<i>custom</i>'] = 3;
	data.topOverdue[0].reference = 'PL<1>&"2"';
	data.topOverdue[1].category = '<svg onload=alert(1)>';
	data.topOverdue[2].unitName = "O'Brien & <Sons>";
	data.tasksDoneByKind['</style><script>x()</script>'] = 4;
	data.healthStatus['"onmouseover="alert(1)'] = 1;
	return data;
}

describe('renderDashboard: a self-contained page', () => {
	const html = renderDashboard(penglaiDashboardFixture());

	test('carries the strict Content-Security-Policy, a viewport and bilingual language marks', () => {
		expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
		expect(html).toContain(CSP);
		expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
		expect(html).toContain('<html lang="zh-CN">');
		expect(html).toContain('<h2 id="incidents-h"><span lang="zh-CN">各社区事件状态</span> <span lang="en">Incidents by status per community</span></h2>');
		expect((html.match(/lang="en"/g) ?? []).length).toBeGreaterThan(20);
	});

	test('references nothing outside itself and runs no script', () => {
		expect(html).not.toMatch(/\b(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?\/\//i);
		expect(html).not.toMatch(/https?:/i);
		expect(html).not.toMatch(/@import/i);
		expect(html).not.toMatch(/url\s*\(/i);
		expect(html).not.toMatch(/<(?:script|link|img|iframe|object|embed|base|form)\b/i);
		expect(html).not.toMatch(/\son[a-z]+\s*=/i);
		expect(html).not.toMatch(/javascript:/i);
	});

	test('uses the system font stack only', () => {
		expect(html).not.toMatch(/@font-face/i);
		expect(html).toMatch(/font:14px\/1\.5 system-ui,/);
	});

	test('draws four charts, each an image with a title and a description, each beside a data table', () => {
		const svgs = html.match(/<svg\b[^>]*>[\s\S]*?<\/svg>/g) ?? [];
		expect(svgs).toHaveLength(4);
		for (const svg of svgs) {
			const open = /<svg\b([^>]*)>/.exec(svg)![1];
			expect(open).toContain('role="img"');
			const titleId = /aria-labelledby="([^"]+)"/.exec(open)![1];
			const descId = /aria-describedby="([^"]+)"/.exec(open)![1];
			expect(svg).toMatch(new RegExp(`<title id="${titleId}">[^<]+</title>`));
			expect(svg).toMatch(new RegExp(`<desc id="${descId}">[^<]+</desc>`));
		}
		// a table per chart, plus the overdue table
		expect((html.match(/<table\b/g) ?? []).length).toBe(5);
		// the legend names every status present in the fixture
		expect(svgs[0]).toContain('已办结<tspan lang="en" fill="#616e7c" font-size="10.5"> Resolved</tspan>');
	});

	test('breaks the SLA line at days with no rate instead of drawing them as 0%', () => {
		const data = penglaiDashboardFixture();
		const sla = (renderDashboard(data).match(/<svg\b[^>]*aria-labelledby="chart-sla-title"[\s\S]*?<\/svg>/) ?? [''])[0];
		// one run of days between each pair of gaps: the fixture has two null days inside the month
		const runs = data.slaDaily.reduce<number[][]>((acc, d, i) => {
			if (d.rate === null) acc.push([]);
			else acc[acc.length - 1].push(i);
			return acc;
		}, [[]]).filter((r) => r.length);
		expect(runs).toHaveLength(3);
		expect((sla.match(/<path d="M[^"]*" fill="none"/g) ?? []).length).toBe(runs.length);
		expect((sla.match(/<circle\b/g) ?? []).length).toBe(data.slaDaily.filter((d) => d.rate !== null).length);
		for (const t of ['0%', '20%', '40%', '60%', '80%', '100%']) expect(sla).toContain(`>${t}</text>`);
	});
});

describe('renderDashboard: figures', () => {
	test('every figure shown equals the input data, in data-value and in its visible text', () => {
		const data = penglaiDashboardFixture();
		const html = renderDashboard(data);
		expect(checkFigures(html, data)).toEqual([]);
		// the checker is not vacuous: every expected figure is there and some show twice (chart and table)
		const expected = expectedFigures(data);
		expect(expected.size).toBe(5 + 6 * 9 + 30 * 3 + 7 + 9 + 7 * 2);
		expect(readFigures(html).length).toBeGreaterThan(expected.size);
	});

	test('the checker notices a wrong, a mislabelled and a missing figure', () => {
		const data = penglaiDashboardFixture();
		const html = renderDashboard(data);
		const tampered = html
			.replace('data-figure="health.home_quarantine" data-value="1204">1,204<', 'data-figure="health.home_quarantine" data-value="1205">1,204<')
			.replace('data-figure="totals.residents" data-value="49859">49,859<', 'data-figure="totals.residents" data-value="49859">49859<')
			.replace(/<td data-figure="tasks\.errand"[^>]*>[^<]*<\/td>/, '<td></td>')
			.replace(/<text data-figure="tasks\.errand"[^>]*>[^<]*<\/text>/, '<text></text>');
		expect(tampered).not.toBe(html);
		expect(checkFigures(tampered, data)).toEqual([
			'totals.residents (<div>): shows "49859", expected "49,859"',
			'health.home_quarantine (<td>): data-value "1205", expected "1204"',
			'figure tasks.errand is missing',
		]);
	});

	test('figures worked out by hand from the fixture', () => {
		const figures = figuresOf(renderDashboard(penglaiDashboardFixture()));
		// 钟楼社区: 4 + 3 + 7 + 12 + 1186 + 348 + 9 + 27
		expect(figures.get('incidents.370614-001-001.total')).toBe('1596');
		// 南王社区 has no "triaged" key: shown as 0
		expect(figures.get('incidents.370614-001-006.triaged')).toBe('0');
		expect(figures.get('health.home_quarantine')).toBe('1204');
		expect(figures.get('tasks.flood_patrol')).toBe('12');
		// 2026-11-08 has nothing due resolved
		expect(figures.get('sla.2026-11-08')).toBe('');
		// 2026-11-02: 40 + 37 = 77 due, 77 - 7 = 70 on time → 90.909…% → 90.9
		expect(figures.get('sla.2026-11-02')).toBe('90.9');
		// PL2026112800311 is 335 min overdue, due 2026-11-30 10:05Z − 335 min = 04:30Z = 12:30 in Shanghai
		expect(figures.get('overdue.PL2026112800311')).toBe('335');
		const html = renderDashboard(penglaiDashboardFixture());
		expect(html).toContain('data-figure="overdue.PL2026112800311.dueAt" data-value="2026-11-30T04:30:00.000Z">2026-11-30 12:30<');
		expect(html).toContain('data-figure="overdue.PL2026112800311" data-value="335">5 h 35 min<');
		expect(html).toContain('data-figure="totals.residents" data-value="49859">49,859<');
		expect(html).toContain('data-figure="health.normal" data-value="48213">48,213<');
	});

	test('overdue durations read as hours and minutes, then days', () => {
		expect(formatOverdue(0)).toBe('0 min');
		expect(formatOverdue(45)).toBe('45 min');
		expect(formatOverdue(60)).toBe('1 h');
		expect(formatOverdue(200)).toBe('3 h 20 min');
		expect(formatOverdue(1439)).toBe('23 h 59 min');
		expect(formatOverdue(1500)).toBe('1 天 1 h');
		expect(formatOverdue(2880)).toBe('2 天');
		expect(formatOverdue(-5)).toBe('0 min');
	});

	test('custom categories, kinds and statuses show their key', () => {
		const data = penglaiDashboardFixture();
		data.incidentsByStatus[0].counts.suspended = 2;
		const html = renderDashboard(data);
		expect(html).toContain('<span class="key">illegal_parking</span>');
		expect(html).toContain('<span class="key">flood_patrol</span>');
		expect(html).toContain('<span class="key">suspended</span>');
		expect(checkFigures(html, data)).toEqual([]);
		expect(figuresOf(html).get('incidents.370614-001-002.suspended')).toBe('0');
		// known keys get both languages
		expect(html).toContain('<span lang="zh-CN">违反隔离</span> <span lang="en" class="en">Quarantine breach</span>');
		expect(html).toContain('<span lang="zh-CN">居家隔离</span> <span lang="en" class="en">Home quarantine</span>');
		expect(html).toContain('<span lang="zh-CN">体温检测</span> <span lang="en" class="en">Temperature check</span>');
	});
});

describe('renderDashboard: hostile text', () => {
	const data = hostileData();
	const html = renderDashboard(data, { title: '</title><script>alert(2)</script>' });

	test('names from users show as text, never as markup', () => {
		expect(html).not.toMatch(/<script/i);
		expect(html).not.toMatch(/<img/i);
		expect(html).not.toMatch(/<b>bold/);
		expect(html).not.toMatch(/<i>custom/);
		expect(html).not.toMatch(/<svg onload/i);
		// no event-handler attribute in any tag (escaped text may well read "onerror=")
		expect(html).not.toMatch(/<[a-z][^>]*\son[a-z]+\s*=/i);
		expect(html).not.toMatch(/<\/style><script>/);
		expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
		expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
		expect(html).toContain('O&#39;Brien &amp; &lt;Sons&gt;');
		expect(html).toContain('<h1>&lt;/title&gt;&lt;script&gt;alert(2)&lt;/script&gt;</h1>');
		// the page title stayed inside <title>, and the style sheet is the page's own
		expect(html).toMatch(/<title>&lt;\/title&gt;&lt;script&gt;alert\(2\)&lt;\/script&gt; · &lt;script&gt;[^<]*<\/title><style>/);
		expect(html.match(/<style>/g)).toHaveLength(1);
		expect(html.match(/<\/style>/g)).toHaveLength(1);
	});

	test('hostile keys survive the round trip through data-figure attributes', () => {
		expect(checkFigures(html, data)).toEqual([]);
		const figures = figuresOf(html);
		expect(figures.get('incidents.370614-001-002"><b>bold</b>.total')).toBe(String(Object.values(data.incidentsByStatus[1].counts).reduce((a, b) => a + b, 0)));
		expect(figures.get('overdue.PL<1>&"2"')).toBe(String(data.topOverdue[0].overdueMinutes));
		expect(figures.get('tasks.</style><script>x()</script>')).toBe('4');
	});
});

describe('renderDashboard: empty and odd data', () => {
	test('empty data shows "暂无数据 No data" in every panel and no chart', () => {
		const data = emptyData();
		const html = renderDashboard(data);
		expect(html).toContain(CSP);
		expect(html).not.toContain('<svg');
		expect((html.match(/<p class="empty"><span lang="zh-CN">暂无数据<\/span> <span lang="en">No data<\/span><\/p>/g) ?? []).length).toBe(5);
		expect(checkFigures(html, data)).toEqual([]);
		expect(figuresOf(html).get('totals.onTimeRate30d')).toBe('');
		expect(html).toContain('data-figure="totals.onTimeRate30d" data-value="">—<');
		expect(html).not.toMatch(/NaN|undefined|Infinity/);
	});

	test('rows of zeros and days without a rate keep their tables but draw no broken chart', () => {
		const data = emptyData();
		data.incidentsByStatus = [{ unitCode: '370614-001', unitName: '登州街道', counts: {} }];
		data.slaDaily = [{ date: '2026-11-30', resolvedWithDue: 0, resolvedOnTime: 0, rate: null }];
		data.healthStatus = { normal: 0 };
		data.tasksDoneByKind = { errand: 0 };
		const html = renderDashboard(data);
		expect(html).not.toContain('<svg');
		expect((html.match(/暂无数据/g) ?? []).length).toBe(5);
		expect(checkFigures(html, data)).toEqual([]);
		expect(html).not.toMatch(/NaN|undefined|Infinity/);
	});

	test('a single day and a single unit still draw', () => {
		const data = emptyData();
		data.incidentsByStatus = [{ unitCode: '370614-001', unitName: '登州街道', counts: { new: 1 } }];
		data.slaDaily = [{ date: '2026-11-30', resolvedWithDue: 3, resolvedOnTime: 2, rate: 2 / 3 }];
		const html = renderDashboard(data);
		expect((html.match(/<svg\b/g) ?? []).length).toBe(2);
		expect(checkFigures(html, data)).toEqual([]);
		expect(figuresOf(html).get('sla.2026-11-30')).toBe('66.7');
		expect(html).not.toMatch(/NaN|undefined|Infinity/);
	});

	test('local times follow the time zone given', () => {
		const data = penglaiDashboardFixture();
		data.timezone = 'Europe/Berlin';
		const html = renderDashboard(data);
		expect(checkFigures(html, data)).toEqual([]);
		// 10:05Z on 30 November is 11:05 in Berlin (CET, UTC+1)
		expect(html).toContain('<time datetime="2026-11-30T10:05:00.000Z">2026-11-30 11:05</time>');
	});

	test('an unknown time zone is an error naming the field', () => {
		const data = penglaiDashboardFixture();
		data.timezone = 'Mars/Olympus_Mons';
		expect(() => renderDashboard(data)).toThrow(FieldError);
		expect(() => renderDashboard(data)).toThrow(/Time Zone "Mars\/Olympus_Mons" is not an IANA time zone/);
	});
});

describe('niceTicks', () => {
	test.each([
		[1596, 2000, 500],
		[48213, 50000, 10000],
		[12, 15, 5],
		[7, 8, 2],
		[3, 3, 1],
		[1, 1, 1],
		[1250, 1250, 250],
	])('max %d ends the axis at %d in steps of %d', (max, end, step) => {
		const t = niceTicks(max);
		expect(t.max).toBe(end);
		expect(t.ticks[1] - t.ticks[0]).toBe(step);
		expect(t.ticks[0]).toBe(0);
		expect(t.ticks[t.ticks.length - 1]).toBe(end);
		expect(t.ticks.length).toBeLessThanOrEqual(8);
	});

	test('zero and nonsense give a unit axis rather than dividing by zero', () => {
		expect(niceTicks(0)).toEqual({ max: 1, ticks: [0, 1] });
		expect(niceTicks(Number.NaN)).toEqual({ max: 1, ticks: [0, 1] });
	});
});
