/**
 * The dashboard as a browser shows it: Debian's Chromium renders the page from a file, with its
 * Content-Security-Policy in force; the figures read from the rendered DOM must be the fixture's,
 * and screenshots land in test/artifacts/ for a person to look at.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

import { renderDashboard } from '../../nodes/shared/domain/stats/dashboard';
import { findChromium, readPng, renderInChromium } from '../helpers/chromium';
import { checkFigures, expectedFigures, penglaiDashboardFixture, readFigures } from '../helpers/dashboardDom';

const chromium = findChromium();
const maybe = chromium ? test : test.skip;
if (!chromium) {
	const env = process.env.CHROMIUM_PATH?.trim();
	console.warn(`Chromium not found: skipping the dashboard rendering test; install Debian's chromium package${env ? ` (CHROMIUM_PATH=${env} is not a file)` : ''}`);
}

const ARTIFACTS = join(__dirname, '..', 'artifacts');

describe('dashboard in Chromium', () => {
	maybe('shows the fixture figures, with styles applied, at desktop and phone widths', async () => {
		mkdirSync(ARTIFACTS, { recursive: true });
		const data = penglaiDashboardFixture();
		const html = renderDashboard(data);

		const desktop = join(ARTIFACTS, 'dashboard.png');
		const { dom } = await renderInChromium(html, { screenshotPath: desktop, width: 1280, height: 900 });

		// the parser kept every chart and figure: nothing was dropped or moved out of its element
		expect(checkFigures(dom, data)).toEqual([]);
		expect(readFigures(dom).length).toBeGreaterThanOrEqual(expectedFigures(data).size);
		expect(dom.match(/<svg\b[^>]*\brole="img"/g)?.length).toBe(4);
		expect(dom).toContain('<title id="chart-sla-title">');

		const png = readPng(desktop);
		expect([png.width, png.height]).toEqual([1280, 900]);
		// the header band is drawn in #12355b, so the inline style was allowed by the page's CSP
		const [r, g, b] = png.pixel(5, 5);
		expect([r, g, b]).toEqual([0x12, 0x35, 0x5b]);

		// a whole-page view and a phone-width view, for a person to review
		await renderInChromium(html, { screenshotPath: join(ARTIFACTS, 'dashboard-full.png'), width: 1280, height: 1500 });
		const phone = join(ARTIFACTS, 'dashboard-phone.png');
		await renderInChromium(html, { screenshotPath: phone, width: 390, height: 2600 });
		expect(readPng(phone).width).toBe(390);
	});
});

describe('renderInChromium when the browser fails', () => {
	let dir: string;
	const saved = process.env.CHROMIUM_PATH;
	beforeEach(() => {
		dir = mkdtempSync(join(tmpdir(), 'grid-fake-chromium-'));
	});
	afterEach(() => {
		if (saved === undefined) delete process.env.CHROMIUM_PATH;
		else process.env.CHROMIUM_PATH = saved;
		rmSync(dir, { recursive: true, force: true });
	});

	/** A stand-in browser: a shell script that prints its arguments to stderr, then does `body`. */
	function fakeBrowser(body: string): void {
		const path = join(dir, 'chromium');
		writeFileSync(path, `#!/bin/sh\necho "args: $*" >&2\n${body}\n`);
		chmodSync(path, 0o755);
		process.env.CHROMIUM_PATH = path;
	}

	const profileOf = (message: string) => /--user-data-dir=(\S+)/.exec(message)?.[1];

	test('an exit with an error reports the code and stderr, and the temporary profile is gone', async () => {
		fakeBrowser('echo "cannot open display" >&2; exit 3');
		const error: Error = await renderInChromium('<!DOCTYPE html><html></html>').catch((e) => e);
		expect(error.message).toMatch(/^Chromium exited with code 3: /);
		expect(error.message).toContain('cannot open display');
		expect(error.message).toContain('--headless');
		expect(error.message).toContain('--disable-background-networking');
		const profile = profileOf(error.message)!;
		expect(profile).toMatch(/grid-chromium-/);
		expect(existsSync(join(profile, '..'))).toBe(false);
	});

	test('a browser that hangs is stopped at the timeout, children included', async () => {
		const marker = join(dir, 'child-still-running');
		// the child outlives its parent's kill only if the process group is not ended
		fakeBrowser(`(sleep 2; touch ${marker}) & sleep 30`);
		const error: Error = await renderInChromium('<html></html>', { timeoutMs: 500 }).catch((e) => e);
		expect(error.message).toMatch(/^Chromium timed out after 500 ms/);
		await new Promise((r) => setTimeout(r, 2500));
		expect(existsSync(marker)).toBe(false);
	});

	test('printing no DOM is an error too', async () => {
		fakeBrowser('exit 0');
		await expect(renderInChromium('<html></html>')).rejects.toThrow(/Chromium printed no DOM for file:\/\//);
	});
});
