/** Linear scales and "nice" axis ticks (1, 2, 2.5 or 5 times a power of ten) for the SVG charts. */

export interface Ticks {
	/** The axis end: the first tick at or above the largest value. */
	max: number;
	ticks: number[];
}

/**
 * Ticks from 0 to at least `max`, about `count` intervals. With `integer` the step is a whole
 * number, since half a resident is not a tick anyone wants to read.
 */
export function niceTicks(max: number, count = 5, integer = true): Ticks {
	if (!Number.isFinite(max) || max <= 0) return { max: 1, ticks: [0, 1] };
	const raw = max / Math.max(1, count);
	const power = Math.pow(10, Math.floor(Math.log10(raw)));
	const steps = [1, 2, 2.5, 5, 10].map((m) => m * power).filter((s) => !integer || Number.isInteger(s));
	const step = Math.max(integer ? 1 : 0, steps.find((s) => s >= raw - 1e-12) ?? 10 * power);
	const end = Math.ceil(max / step - 1e-9) * step;
	const ticks: number[] = [];
	for (let i = 0; i * step <= end + step / 1e6; i++) ticks.push(Number((i * step).toPrecision(12)));
	return { max: end, ticks };
}

/** Maps [0, domainMax] onto [from, to]. */
export function linear(domainMax: number, from: number, to: number): (v: number) => number {
	const span = domainMax > 0 ? domainMax : 1;
	return (v) => from + ((to - from) * v) / span;
}
