import { attrs, esc, fitText, formatCount, px, svgOpen, textWidth } from './svgMarkup';
import { linear, niceTicks } from './svgScale';

/** One coloured piece of a bar; a bar of one segment is a plain bar. */
export interface BarSegment {
	value: number;
	color: string;
	/** Hover text (an SVG <title>), e.g. "钟楼社区 · 新建 New: 12". */
	tooltip: string;
	/** data-figure of the count drawn inside the segment when it fits. */
	figure?: string;
}

export interface BarRow {
	label: string;
	/** A smaller second line under the label, e.g. the English name. */
	sublabel?: string;
	segments: BarSegment[];
	/** data-figure of the total printed after the bar. */
	totalFigure?: string;
}

export interface LegendEntry {
	color: string;
	zh: string;
	en: string;
}

export interface BarChartInput {
	/** Unique on the page; names the title and desc for assistive technology. */
	id: string;
	title: string;
	desc: string;
	rows: BarRow[];
	legend?: LegendEntry[];
	/** viewBox width; the page scales the chart to its column. */
	width?: number;
}

const FONT = 12.5;
const SMALL = 10.5;
const BAR = 16;

/** Legend items laid out left to right, wrapping at the chart width. */
function legendMarkup(entries: LegendEntry[], x0: number, width: number): { svg: string; height: number } {
	if (!entries.length) return { svg: '', height: 0 };
	const line = 18;
	let x = x0;
	let y = 4;
	const parts: string[] = [];
	for (const e of entries) {
		const w = 14 + textWidth(e.zh, SMALL + 0.5) + 4 + textWidth(e.en, SMALL) + 14;
		if (x > x0 && x + w > width) {
			x = x0;
			y += line;
		}
		parts.push(
			`<g transform="translate(${px(x)} ${px(y)})"><rect width="10" height="10" rx="2" fill="${esc(e.color)}"/>` +
			`<text x="14" y="9.5" font-size="${SMALL + 0.5}">${esc(e.zh)}<tspan lang="en" fill="#616e7c" font-size="${SMALL}"> ${esc(e.en)}</tspan></text></g>`,
		);
		x += w;
	}
	return { svg: `<g class="legend">${parts.join('')}</g>`, height: y + line };
}

/**
 * Horizontal bars, stacked when a row has several segments, with the total printed after each
 * bar, vertical grid lines at nice ticks and an optional legend above.
 */
export function barChart(input: BarChartInput): string {
	const width = input.width ?? 480;
	const rows = input.rows;
	const totals = rows.map((r) => r.segments.reduce((s, g) => s + Math.max(0, g.value), 0));
	const { max, ticks } = niceTicks(Math.max(0, ...totals));
	const hasSub = rows.some((r) => r.sublabel);
	const rowH = hasSub ? 34 : 26;
	const labelW = Math.min(width * 0.34, Math.max(40, ...rows.map((r) => Math.max(textWidth(r.label, FONT), textWidth(r.sublabel ?? '', SMALL))))) + 10;
	const totalW = Math.max(textWidth(formatCount(max), FONT), ...totals.map((t) => textWidth(formatCount(t), FONT))) + 10;
	const left = labelW;
	const right = width - totalW;
	const legend = legendMarkup(input.legend ?? [], 4, width - 4);
	const top = legend.height + (legend.height ? 8 : 4);
	const plotH = rows.length * rowH;
	const height = top + plotH + 22;
	const x = linear(max, left, right);

	const grid = ticks
		.map((t) => {
			const gx = px(x(t));
			return `<line x1="${gx}" x2="${gx}" y1="${top}" y2="${top + plotH}" stroke="${t === 0 ? '#9aa5b1' : '#e4e7eb'}"/>` +
				`<text x="${gx}" y="${top + plotH + 15}" text-anchor="middle" font-size="${SMALL}" fill="#616e7c">${formatCount(t)}</text>`;
		})
		.join('');

	const bars = rows
		.map((r, i) => {
			const y = top + i * rowH;
			const barY = y + (rowH - BAR) / 2;
			const mid = y + rowH / 2;
			const label = fitText(r.label, labelW - 10, FONT);
			const labelText = r.sublabel
				? `<text x="${px(left - 8)}" y="${px(mid - 2)}" text-anchor="end" font-size="${FONT}">${esc(label)}</text>` +
					`<text lang="en" x="${px(left - 8)}" y="${px(mid + 11)}" text-anchor="end" font-size="${SMALL}" fill="#616e7c">${esc(fitText(r.sublabel, labelW - 10, SMALL))}</text>`
				: `<text x="${px(left - 8)}" y="${px(mid + 4.5)}" text-anchor="end" font-size="${FONT}">${label !== r.label ? `<title>${esc(r.label)}</title>` : ''}${esc(label)}</text>`;
			let at = 0;
			const segs = r.segments
				.filter((g) => g.value > 0)
				.map((g) => {
					const x0 = x(at);
					at += g.value;
					const w = x(at) - x0;
					const text = formatCount(g.value);
					const inside = g.figure && w >= textWidth(text, SMALL) + 6
						? `<text${attrs({ 'data-figure': g.figure, 'data-value': g.value })} x="${px(x0 + w / 2)}" y="${px(mid + 3.8)}" text-anchor="middle" font-size="${SMALL}" fill="#fff">${text}</text>`
						: '';
					return `<rect x="${px(x0)}" y="${px(barY)}" width="${px(Math.max(w, 0.5))}" height="${BAR}" fill="${esc(g.color)}"><title>${esc(g.tooltip)}</title></rect>${inside}`;
				})
				.join('');
			const total = `<text${attrs({ 'data-figure': r.totalFigure, 'data-value': r.totalFigure ? totals[i] : undefined })} x="${px(x(totals[i]) + 5)}" y="${px(mid + 4.5)}" font-size="${FONT}" font-weight="600">${formatCount(totals[i])}</text>`;
			return `<g class="bar">${labelText}${segs}${total}</g>`;
		})
		.join('');

	return (
		svgOpen(input.id, width, height) +
		`<title id="${esc(input.id)}-title">${esc(input.title)}</title><desc id="${esc(input.id)}-desc">${esc(input.desc)}</desc>` +
		`${legend.svg}${grid}${bars}</svg>`
	);
}
