// The n8n editor in headless Chromium: logged in with the owner's cookie, the intake template open,
// a screenshot saved as an artifact, and the DOM asked whether each of our nodes shows its own icon
// (an <img> loaded from our package) rather than n8n's placeholder for an unknown node.
const assert = require('assert/strict');
const path = require('path');
const { launchChromium } = require('../lib/chromiumCdp');

const ARTIFACT = path.join(__dirname, '..', '..', 'artifacts', 'editor-intake.png');
const OUR_PREFIX = 'n8n-nodes-grid-governance.';

/** Per canvas node: its name, whether it is our node type, its icon <img> and whether it loaded. */
const CANVAS_NODES = `(() => Array.from(document.querySelectorAll('[data-test-id="canvas-node"]')).map((el) => {
	const img = el.querySelector('img');
	return {
		name: el.getAttribute('data-node-name') || el.textContent.trim(),
		type: el.getAttribute('data-node-type'),
		iconSrc: img ? img.getAttribute('src') : null,
		iconLoaded: img ? img.complete && img.naturalWidth > 0 : false,
		placeholder: Boolean(el.querySelector('[class*="placeholder"], [data-test-id="node-icon-placeholder"]')),
	};
}))()`;

async function editorScreenshot({ check, step, log, cleanups }, setup, workflow) {
	const ours = workflow.nodes.filter((n) => n.type.startsWith(OUR_PREFIX)).map((n) => n.name);
	const browser = await step('Chromium started (DevTools protocol)', () => launchChromium({ cleanups }));
	const { page } = browser;
	// the editor keeps its browser id in localStorage; the auth cookie is bound to that id
	await page.send('Page.addScriptToEvaluateOnNewDocument', {
		source: `try { localStorage.setItem('n8n-browserId', ${JSON.stringify(setup.rest.browserId)}); } catch (e) {}`,
	});
	await page.send('Network.setCookie', { name: 'n8n-auth', value: setup.rest.authToken(), url: setup.baseUrl, httpOnly: true });
	await page.navigate(`${setup.baseUrl}/workflow/${workflow.id}`);
	let nodes = [];
	await check(`the editor opens "${workflow.name}" logged in, with all ${workflow.nodes.filter((n) => !n.type.endsWith('stickyNote')).length} nodes on the canvas`, async () => {
		const expected = workflow.nodes.filter((n) => !n.type.endsWith('stickyNote')).length;
		await page.waitFor(`document.querySelectorAll('[data-test-id="canvas-node"]').length >= ${expected}`, 90_000, 'the canvas nodes');
		// icons load after the nodes appear
		await page.waitFor(`Array.from(document.querySelectorAll('[data-test-id="canvas-node"] img')).every((i) => i.complete)`, 30_000, 'the node icons').catch(() => undefined);
		await new Promise((r) => setTimeout(r, 1500));
		nodes = await page.evaluate(CANVAS_NODES);
		assert.ok(!(await page.evaluate('location.pathname')).includes('/signin'), 'the editor sent us to the sign-in page');
		assert.ok(nodes.length >= expected, `${nodes.length} canvas nodes`);
	});
	await check(`the screenshot is saved as ${path.relative(path.join(__dirname, '..', '..', '..'), ARTIFACT)}`, async () => {
		const bytes = await page.screenshot(ARTIFACT);
		assert.ok(bytes > 20_000, `only ${bytes} bytes`);
		log(`        ${bytes} bytes`);
	});
	await check(`our ${ours.length} nodes render with their own icons (an SVG of our package, loaded), not a placeholder`, () => {
		assert.ok(ours.length > 0, 'the template has none of our nodes');
		for (const name of ours) {
			const n = nodes.find((x) => x.name === name || x.name.startsWith(name));
			assert.ok(n, `node "${name}" is not on the canvas (canvas: ${nodes.map((x) => x.name).join(', ')})`);
			assert.match(n.iconSrc ?? '', /icons\/n8n-nodes-grid-governance\/.+\.svg/, `"${name}": icon ${n.iconSrc}`);
			assert.ok(n.iconLoaded, `"${name}": its icon did not load`);
			assert.equal(n.placeholder, false, `"${name}" shows a placeholder`);
		}
	});
	await browser.close();
}

module.exports = { editorScreenshot, ARTIFACT };
