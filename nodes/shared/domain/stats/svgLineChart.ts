import { attrs, esc, formatPercent, percentValue, px, svgOpen } from './svgMarkup';
import { linear } from './svgScale';

export interface RatePoint {
	/** Short x label, e.g. "11-30". */
	label: string;
	/** 0–1, or null where there is nothing to measure: the line breaks there. */
	rate: number | null;
	tooltip: string;
	/** data-figure of the value printed beside the latest point. */
	figure?: string;
}

export interface RateChartInput {
	id: string;
	title: string;
	desc: string;
	points: RatePoint[];
	color?: string;
	width?: number;
}

const SMALL = 10.5;

/**
 * A rate over time on a fixed 0–100% axis. Null days break the line rather than being drawn as 0,
 * so a quiet day does not look like a failed one; a day between two gaps shows as a lone dot.
 */
export function rateChart(input: RateChartInput): string {
	const width = input.width ?? 480;
	const height = 230;
	const color = input.color ?? '#1c7ed6';
	const [left, right, top, bottom] = [40, width - 52, 12, height - 26];
	const n = input.points.length;
	const x = (i: number) => (n <= 1 ? (left + right) / 2 : left + ((right - left) * i) / (n - 1));
	const y = linear(1, bottom, top);

	const grid = [0, 0.2, 0.4, 0.6, 0.8, 1]
		.map((t) => `<line x1="${left}" x2="${right}" y1="${px(y(t))}" y2="${px(y(t))}" stroke="${t === 0 ? '#9aa5b1' : '#e4e7eb'}"/>` +
			`<text x="${left - 6}" y="${px(y(t) + 3.5)}" text-anchor="end" font-size="${SMALL}" fill="#616e7c">${t * 100}%</text>`)
		.join('');

	// about six date labels whatever the number of days, the last day always among them
	const every = Math.max(1, Math.ceil(n / 6));
	const xLabels = input.points
		.map((p, i) => ((n - 1 - i) % every === 0
			? `<line x1="${px(x(i))}" x2="${px(x(i))}" y1="${bottom}" y2="${bottom + 4}" stroke="#9aa5b1"/>` +
				`<text x="${px(x(i))}" y="${bottom + 16}" text-anchor="middle" font-size="${SMALL}" fill="#616e7c">${esc(p.label)}</text>`
			: ''))
		.join('');

	const runs: Array<Array<{ i: number; rate: number }>> = [];
	let run: Array<{ i: number; rate: number }> = [];
	input.points.forEach((p, i) => {
		if (p.rate === null || !Number.isFinite(p.rate)) {
			if (run.length) runs.push(run);
			run = [];
		} else run.push({ i, rate: Math.min(1, Math.max(0, p.rate)) });
	});
	if (run.length) runs.push(run);

	const lines = runs
		.map((r) => {
			const path = r.map((p, k) => `${k ? 'L' : 'M'}${px(x(p.i))} ${px(y(p.rate))}`).join('');
			const area = `${path}L${px(x(r[r.length - 1].i))} ${bottom}L${px(x(r[0].i))} ${bottom}Z`;
			return (r.length > 1 ? `<path d="${area}" fill="${esc(color)}" fill-opacity="0.08"/>` : '') +
				`<path d="${path}" fill="none" stroke="${esc(color)}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"/>`;
		})
		.join('');
	const dots = input.points
		.map((p, i) => (p.rate === null || !Number.isFinite(p.rate)
			? ''
			: `<circle cx="${px(x(i))}" cy="${px(y(Math.min(1, Math.max(0, p.rate))))}" r="2.8" fill="#fff" stroke="${esc(color)}" stroke-width="1.6"><title>${esc(p.tooltip)}</title></circle>`))
		.join('');

	let latest = '';
	const last = runs.length ? runs[runs.length - 1][runs[runs.length - 1].length - 1] : undefined;
	if (last) {
		const p = input.points[last.i];
		latest = `<text${attrs({ 'data-figure': p.figure, 'data-value': p.figure ? percentValue(p.rate) : undefined })} x="${px(x(last.i) + 6)}" y="${px(y(last.rate) + 4)}" font-size="12" font-weight="600" fill="${esc(color)}">${formatPercent(p.rate)}</text>`;
	}

	return (
		svgOpen(input.id, width, height) +
		`<title id="${esc(input.id)}-title">${esc(input.title)}</title><desc id="${esc(input.id)}-desc">${esc(input.desc)}</desc>` +
		`${grid}${xLabels}${lines}${dots}${latest}</svg>`
	);
}
