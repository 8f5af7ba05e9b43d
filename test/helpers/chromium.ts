/**
 * Headless Chromium for tests that need a real browser to render a page: the DOM after parsing
 * and a PNG screenshot. No npm dependency; the machine's Chromium (Debian's `chromium` package)
 * runs as a child process with a fresh profile and every network-touching feature off, since
 * the test machines have no network.
 */
import { spawn } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { delimiter, join, resolve } from 'path';
import { pathToFileURL } from 'url';
import { inflateSync } from 'zlib';

const FLAGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--no-default-browser-check',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--disable-dev-shm-usage',
	'--disable-extensions',
	'--mute-audio',
	'--hide-scrollbars',
	'--force-device-scale-factor=1',
];

const isFile = (p: string) => {
	try {
		return statSync(p).isFile();
	} catch {
		return false;
	}
};

/** CHROMIUM_PATH, else /usr/bin/chromium, else chromium-browser or chromium on the PATH. */
export function findChromium(): string | undefined {
	const fromEnv = process.env.CHROMIUM_PATH?.trim();
	if (fromEnv) return isFile(fromEnv) ? fromEnv : undefined;
	if (isFile('/usr/bin/chromium')) return '/usr/bin/chromium';
	for (const name of ['chromium-browser', 'chromium']) {
		for (const dir of (process.env.PATH ?? '').split(delimiter)) {
			if (dir && isFile(join(dir, name))) return join(dir, name);
		}
	}
	return undefined;
}

export interface RenderOptions {
	/** Where to write a PNG of the page as shown in a window of width × height. */
	screenshotPath?: string;
	width?: number;
	height?: number;
	/** Per Chromium run; default 60 s (the first start on a cold machine is slow). */
	timeoutMs?: number;
}

interface RunResult {
	stdout: string;
	stderr: string;
}

/** Runs Chromium once; rejects with its exit status and stderr. */
function run(binary: string, args: string[], timeoutMs: number): Promise<RunResult> {
	return new Promise((resolvePromise, reject) => {
		// its own process group, so that a timeout ends the renderer and GPU helpers with it
		const child = spawn(binary, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
		const out: Buffer[] = [];
		const err: Buffer[] = [];
		let timedOut = false;
		child.stdout.on('data', (b: Buffer) => out.push(b));
		child.stderr.on('data', (b: Buffer) => err.push(b));
		const timer = setTimeout(() => {
			timedOut = true;
			try {
				process.kill(-child.pid!, 'SIGKILL');
			} catch {
				child.kill('SIGKILL');
			}
		}, timeoutMs);
		child.on('error', (e) => {
			clearTimeout(timer);
			reject(new Error(`could not start Chromium at ${binary}: ${e.message}`));
		});
		child.on('close', (code, signal) => {
			clearTimeout(timer);
			const stdout = Buffer.concat(out).toString('utf8');
			const stderr = Buffer.concat(err).toString('utf8');
			if (code === 0 && !timedOut) return resolvePromise({ stdout, stderr });
			const why = timedOut ? `timed out after ${timeoutMs} ms` : `exited with ${code === null ? `signal ${signal}` : `code ${code}`}`;
			reject(new Error(`Chromium ${why}: ${binary} ${args.join(' ')}\n--- stderr ---\n${stderr.trim().split('\n').slice(-40).join('\n')}`));
		});
	});
}

/**
 * Loads the HTML from a temporary file (file://) in headless Chromium and returns the DOM as
 * serialised after rendering; with screenshotPath, a second run writes the PNG. The temporary
 * directory (page and profiles) is removed afterwards, whatever happened.
 */
export async function renderInChromium(html: string, options: RenderOptions = {}): Promise<{ dom: string }> {
	const binary = findChromium();
	if (!binary) throw new Error('Chromium not found: set CHROMIUM_PATH or install Debian\'s chromium package');
	const timeoutMs = options.timeoutMs ?? 60_000;
	const dir = mkdtempSync(join(tmpdir(), 'grid-chromium-'));
	try {
		const page = join(dir, 'page.html');
		writeFileSync(page, html, 'utf8');
		const url = pathToFileURL(page).href;
		const dumped = await run(binary, [...FLAGS, `--user-data-dir=${join(dir, 'profile-dom')}`, '--dump-dom', url], timeoutMs);
		if (!/<html[\s>]/i.test(dumped.stdout)) {
			throw new Error(`Chromium printed no DOM for ${url}\n--- stderr ---\n${dumped.stderr.trim()}`);
		}
		if (options.screenshotPath) {
			const target = resolve(options.screenshotPath);
			rmSync(target, { force: true });
			const size = `${options.width ?? 1280},${options.height ?? 900}`;
			const shot = await run(binary, [...FLAGS, `--user-data-dir=${join(dir, 'profile-shot')}`, `--screenshot=${target}`, `--window-size=${size}`, url], timeoutMs);
			if (!existsSync(target)) throw new Error(`Chromium wrote no screenshot to ${target}\n--- stderr ---\n${shot.stderr.trim()}`);
		}
		return { dom: dumped.stdout };
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

export interface Png {
	width: number;
	height: number;
	/** RGBA of one pixel. */
	pixel(x: number, y: number): [number, number, number, number];
}

/**
 * Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes), so that a test can
 * look at a few pixels without an image library.
 */
export function readPng(path: string): Png {
	const file = readFileSync(path);
	if (file.readUInt32BE(0) !== 0x89504e47) throw new Error(`${path} is not a PNG`);
	let pos = 8;
	let width = 0;
	let height = 0;
	let channels = 0;
	const idat: Buffer[] = [];
	while (pos < file.length) {
		const len = file.readUInt32BE(pos);
		const type = file.toString('latin1', pos + 4, pos + 8);
		const body = file.subarray(pos + 8, pos + 8 + len);
		if (type === 'IHDR') {
			width = body.readUInt32BE(0);
			height = body.readUInt32BE(4);
			const [depth, colour, , , interlace] = [body[8], body[9], body[10], body[11], body[12]];
			if (depth !== 8 || (colour !== 2 && colour !== 6) || interlace !== 0) {
				throw new Error(`${path}: only 8-bit RGB/RGBA non-interlaced PNGs are read (depth ${depth}, colour type ${colour}, interlace ${interlace})`);
			}
			channels = colour === 6 ? 4 : 3;
		} else if (type === 'IDAT') idat.push(body);
		else if (type === 'IEND') break;
		pos += 12 + len;
	}
	const raw = inflateSync(Buffer.concat(idat));
	const stride = width * channels;
	const pixels = Buffer.alloc(height * stride);
	for (let y = 0; y < height; y++) {
		const filter = raw[y * (stride + 1)];
		const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
		for (let i = 0; i < stride; i++) {
			const a = i >= channels ? pixels[y * stride + i - channels] : 0;
			const b = y > 0 ? pixels[(y - 1) * stride + i] : 0;
			const c = y > 0 && i >= channels ? pixels[(y - 1) * stride + i - channels] : 0;
			let v = line[i];
			if (filter === 1) v += a;
			else if (filter === 2) v += b;
			else if (filter === 3) v += (a + b) >> 1;
			else if (filter === 4) {
				const p = a + b - c;
				const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
				v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
			}
			pixels[y * stride + i] = v & 0xff;
		}
	}
	return {
		width,
		height,
		pixel(x, y) {
			const o = y * stride + x * channels;
			return [pixels[o], pixels[o + 1], pixels[o + 2], channels === 4 ? pixels[o + 3] : 255];
		},
	};
}
