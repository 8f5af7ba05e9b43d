/**
 * Text helpers shared by the dashboard page and its SVG charts: escaping, number formats and a
 * width estimate. The page runs no script, so text cannot be measured at display time; charts lay
 * out labels with the estimate instead and leave generous margins.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for element content and double- or single-quoted attributes alike. */
export function esc(value: unknown): string {
	return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Renders attributes, skipping undefined ones; values are escaped. */
export function attrs(list: Record<string, string | number | undefined>): string {
	return Object.entries(list)
		.filter(([, v]) => v !== undefined)
		.map(([k, v]) => ` ${k}="${esc(v)}"`)
		.join('');
}

/** Integers with thousands separators: 12345 → "12,345". Non-finite values show as "—". */
export function formatCount(n: number): string {
	if (!Number.isFinite(n)) return '—';
	const sign = n < 0 ? '-' : '';
	const [whole, frac] = String(Math.abs(n)).split('.');
	const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
	return sign + grouped + (frac ? `.${frac}` : '');
}

/** A 0–1 rate as a percentage with one decimal, "93.3", or "" for null. */
export function percentValue(rate: number | null): string {
	if (rate === null || !Number.isFinite(rate)) return '';
	return (Math.round(rate * 1000) / 10).toFixed(1);
}

/** A 0–1 rate as shown: "93.3%", or "—" for null. */
export function formatPercent(rate: number | null): string {
	const v = percentValue(rate);
	return v === '' ? '—' : `${v}%`;
}

/**
 * Estimated advance width of text in pixels. CJK and full-width forms take 1 em; Latin widths
 * follow the wider common fallbacks (DejaVu Sans, Segoe UI), so a label is more often too roomy
 * than cut off.
 */
export function textWidth(text: string, fontSize: number): number {
	let em = 0;
	for (const ch of text) {
		const cp = ch.codePointAt(0)!;
		if (cp >= 0x2e80 && cp <= 0xffdc && !(cp >= 0xd800 && cp <= 0xdfff)) em += 1;
		else if (/[A-Z]/.test(ch)) em += 0.72;
		else if (/[0-9]/.test(ch)) em += 0.64;
		else if (/[ fijlrt.,:;'|!()\-]/.test(ch)) em += 0.36;
		else em += 0.62;
	}
	return em * fontSize;
}

/** Shortens text to fit a width, ending in "…"; the full text belongs in a <title>. */
export function fitText(text: string, maxWidth: number, fontSize: number): string {
	if (textWidth(text, fontSize) <= maxWidth) return text;
	const chars = [...text];
	while (chars.length > 1 && textWidth(chars.join('') + '…', fontSize) > maxWidth) chars.pop();
	return chars.join('') + '…';
}

/** Rounds coordinates so the markup stays short and stable. */
export function px(n: number): string {
	return String(Math.round(n * 10) / 10);
}

/**
 * The opening tag of a chart: an image to assistive technology, named by its <title> and <desc>.
 * No xmlns: inline SVG in HTML needs none, and the page then holds no address at all.
 */
export function svgOpen(id: string, width: number, height: number): string {
	return `<svg role="img" aria-labelledby="${esc(id)}-title" aria-describedby="${esc(id)}-desc" viewBox="0 0 ${px(width)} ${px(height)}" width="${px(width)}" height="${px(height)}">`;
}
