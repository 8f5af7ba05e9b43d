// Headless Debian Chromium driven through the DevTools protocol (a WebSocket from the `ws` package),
// because the CLI's --screenshot cannot log in: here the page gets n8n's auth cookie and the browser
// id that cookie is bound to before it loads.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const WebSocket = require('ws');
const { freePort } = require('../../../scripts/lib/embeddedPostgres');

function findChromium() {
	const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
	return candidates.find((p) => fs.existsSync(p));
}

async function getJson(url, timeoutMs) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		try {
			const res = await fetch(url);
			if (res.ok) return await res.json();
		} catch {
			// not listening yet
		}
		if (Date.now() > deadline) throw new Error(`no answer from ${url}`);
		await new Promise((r) => setTimeout(r, 200));
	}
}

/** Starts Chromium with a fresh profile; resolves to { page, close }. Registers its own cleanup. */
async function launchChromium({ cleanups, width = 1600, height = 1000 }) {
	const binary = findChromium();
	if (!binary) throw new Error('Chromium not found (install Debian chromium or set CHROMIUM_PATH)');
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'grid-e2e-chromium-'));
	const port = await freePort(0);
	const child = spawn(binary, [
		'--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
		'--no-default-browser-check', '--disable-background-networking', '--disable-component-update',
		'--disable-sync', '--disable-extensions', '--hide-scrollbars', '--force-device-scale-factor=1',
		`--window-size=${width},${height}`, `--user-data-dir=${profile}`, `--remote-debugging-port=${port}`,
		'--remote-debugging-address=127.0.0.1', 'about:blank',
	], { stdio: 'ignore', detached: true });
	let closed = false;
	const close = async () => {
		if (closed) return;
		closed = true;
		try {
			process.kill(-child.pid, 'SIGKILL');
		} catch {
			// already gone
		}
		await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', r)));
		fs.rmSync(profile, { recursive: true, force: true });
	};
	cleanups.push(close);
	const targets = await getJson(`http://127.0.0.1:${port}/json/list`, 30_000);
	const target = targets.find((t) => t.type === 'page');
	if (!target) throw new Error('Chromium opened no page');
	const ws = new WebSocket(target.webSocketDebuggerUrl, { perMessageDeflate: false });
	await new Promise((resolve, reject) => {
		ws.once('open', resolve);
		ws.once('error', reject);
	});
	let nextId = 1;
	const pending = new Map();
	ws.on('message', (data) => {
		const msg = JSON.parse(data.toString());
		if (msg.id && pending.has(msg.id)) {
			const { resolve, reject } = pending.get(msg.id);
			pending.delete(msg.id);
			if (msg.error) reject(new Error(`${msg.error.message} (${msg.error.code})`));
			else resolve(msg.result);
		}
	});
	const send = (method, params = {}) => new Promise((resolve, reject) => {
		const id = nextId++;
		pending.set(id, { resolve, reject });
		ws.send(JSON.stringify({ id, method, params }));
	});
	/** The value of a page expression (awaited when it is a promise). */
	const evaluate = async (expression) => {
		const r = await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
		if (r.exceptionDetails) throw new Error(`page script failed: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
		return r.result.value;
	};
	const waitFor = async (expression, timeoutMs, what) => {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const value = await evaluate(expression).catch(() => undefined);
			if (value) return value;
			if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
			await new Promise((r) => setTimeout(r, 300));
		}
	};
	const screenshot = async (file) => {
		const { data } = await send('Page.captureScreenshot', { format: 'png' });
		fs.mkdirSync(path.dirname(file), { recursive: true });
		fs.writeFileSync(file, Buffer.from(data, 'base64'));
		return fs.statSync(file).size;
	};
	await send('Page.enable');
	await send('Network.enable');
	await send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
	return {
		page: { send, evaluate, waitFor, screenshot, navigate: (url) => send('Page.navigate', { url }) },
		close: async () => {
			ws.close();
			await close();
		},
	};
}

module.exports = { launchChromium, findChromium };
