/**
 * The README's benchmark table must be the one `npm run bench` rendered from a real, complete run: the
 * table between the README's markers equals the rendering of bench/results/suite.json, and every row of
 * suite.json equals what the suite's summaries make of the detailed results measured in that run.
 */
import { readFileSync } from 'fs';
import path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { BENCHMARKS, SUITE_FILE, summarize, renderTable, renderCaption } = require(path.join(ROOT, 'bench', 'lib', 'suite.js'));

interface SuiteBenchmark { id: string; detail: { date?: string; measuredAt?: string } }
interface Suite { date: string; quick: boolean; totalSeconds: number; benchmarks: SuiteBenchmark[]; rows: unknown[] }

const suite = JSON.parse(readFileSync(SUITE_FILE, 'utf8')) as Suite;
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

describe('README benchmark table', () => {
	it('comes from a complete run at full size', () => {
		expect(suite.quick).toBe(false);
		expect(suite.benchmarks.map((b) => b.id)).toEqual(BENCHMARKS.map((b: { id: string }) => b.id));
		const end = Date.parse(suite.date);
		const start = end - suite.totalSeconds * 1000;
		for (const b of suite.benchmarks) {
			const measured = Date.parse(b.detail.date ?? b.detail.measuredAt ?? '');
			expect({ id: b.id, inRun: measured >= start - 1000 && measured <= end }).toEqual({ id: b.id, inRun: true });
		}
	});

	it('has rows that are the summaries of the detailed results of that run', () => {
		const expected = suite.benchmarks.flatMap((b) => summarize(b.id, b.detail));
		expect(suite.rows).toEqual(expected);
		expect(suite.rows.length).toBeGreaterThanOrEqual(BENCHMARKS.length);
	});

	it('is in the README exactly as rendered', () => {
		const match = /<!-- bench-suite:start -->\n([\s\S]*?)\n<!-- bench-suite:end -->/.exec(readme);
		expect(match).not.toBeNull();
		expect(match![1].trim()).toBe(`${renderTable(suite)}\n\n${renderCaption(suite)}`);
	});
});
