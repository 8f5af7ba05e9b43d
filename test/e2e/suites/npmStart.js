// The README's first command, `npm start`, as a newcomer runs it, in a data folder of its own:
// embedded PostgreSQL initialised, the whole demo district loaded, n8n started with both credentials
// and the templates. The curl line it prints files an incident whose answer carries its reference and
// due time, the stand-in then prints the escalation notice with its acknowledgment link, and Ctrl-C
// stops n8n and PostgreSQL. (`npm install` is what CI's `npm ci` has just done.)
const assert = require('assert/strict');
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { freePort } = require('../../../scripts/lib/embeddedPostgres');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const READY_MS = 8 * 60_000;
/** The escalation trigger polls every minute; its notice goes out on the next poll after intake. */
const NOTICE_MS = 3 * 60_000;
const STOP_MS = 90_000;

/** Runs `npm start`'s script and keeps what it prints; waitFor(re) resolves to the first match. */
function startProduct(env) {
	const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.js')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
	let output = '';
	let exited = null;
	const listeners = new Set();
	const feed = (chunk) => {
		output += chunk.toString('utf8');
		for (const l of listeners) l();
	};
	child.stdout.on('data', feed);
	child.stderr.on('data', feed);
	const closed = new Promise((resolve) => child.on('exit', (code, signal) => {
		exited = { code, signal };
		for (const l of listeners) l();
		resolve(exited);
	}));
	return {
		child,
		output: () => output,
		closed,
		waitFor(re, ms) {
			return new Promise((resolve, reject) => {
				const listener = () => {
					const m = re.exec(output);
					if (m) finish(() => resolve(m));
					else if (exited) finish(() => reject(new Error(`npm start exited (${exited.signal ?? `code ${exited.code}`}) before printing ${re}:\n${output.slice(-3000)}`)));
				};
				const timer = setTimeout(() => finish(() => reject(new Error(`npm start did not print ${re} within ${ms / 1000} s:\n${output.slice(-3000)}`))), ms);
				const finish = (then) => {
					clearTimeout(timer);
					listeners.delete(listener);
					then();
				};
				listeners.add(listener);
				listener();
			});
		},
	};
}

async function npmStart(ctx) {
	const { check, step, log, cleanups } = ctx;
	log('\n  npm start (the README\'s first command) from an empty data folder');
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'grid-e2e-start-'));
	const env = { ...process.env, GRID_DATA_DIR: dataDir, N8N_PORT: String(await freePort(0)) };
	delete env.DATABASE_URL; // the embedded server, as on a fresh machine
	const product = startProduct(env);
	cleanups.push(async () => {
		if (product.child.exitCode === null && product.child.signalCode === null) {
			product.child.kill('SIGINT');
			const stopped = await Promise.race([product.closed, new Promise((r) => setTimeout(() => r(null), STOP_MS))]);
			if (!stopped) product.child.kill('SIGKILL'); // its worker stops n8n and PostgreSQL when the channel closes
		}
		fs.rmSync(dataDir, { recursive: true, force: true });
	});

	const ready = await step('npm start: PostgreSQL initialised, demo district loaded, n8n started, banner printed', () =>
		product.waitFor(/\n {2}ready in +([\d.]+) s[\s\S]*?curl -s -X POST (\S+) -H 'content-type: application\/json' \\\n\s*-d '(.*)'/, READY_MS));
	log(`    (ready in ${ready[1]} s)`);
	await check('the banner shows the demo district of the paper: 5 streets, 11 communities, about 4,400 buildings and 170,000 residents', () => {
		const out = product.output();
		assert.match(out, /1 district · 5 streets · 11 communities · 2\d\d base grids · 4,\d{3} buildings/);
		const residents = Number(/people\s+[\d,]+ households · ([\d,]+) residents/.exec(out)?.[1].replace(/,/g, ''));
		assert.ok(residents > 150_000 && residents < 190_000, `residents: ${residents}`);
	});
	await check('the curl line is printed only once n8n has activated the intake, escalation and dashboard workflows', () => {
		const out = product.output();
		const banner = out.search(/\n {2}ready in/);
		for (const name of ['Incident intake', 'High-risk escalation', 'Dashboard']) {
			const activated = out.indexOf(`Activated workflow "${name}`);
			assert.ok(activated >= 0 && activated < banner, `"${name}" activated ${activated < 0 ? 'never' : 'after the banner'}`);
		}
	});

	const [, , url, body] = ready;
	let reference;
	await check('the printed curl line files an incident: the answer carries its reference and due time', async () => {
		const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
		const answer = await res.json();
		assert.equal(res.status, 200, JSON.stringify(answer));
		assert.match(answer.reference, /^INC-\d{8}-\d{6}$/);
		assert.ok(!Number.isNaN(Date.parse(answer.dueAt)), `dueAt: ${answer.dueAt}`);
		assert.equal(answer.riskLevel, 'high');
		reference = answer.reference;
	});
	if (reference) {
		await check('the stand-in prints the escalation notice for it, with the acknowledgment link', async () => {
			const escaped = reference.replace(/[-]/g, '\\-');
			await product.waitFor(new RegExp(`\\[demo message\\][^\\n]*${escaped}[^\\n]*/webhook-waiting/\\d+`), NOTICE_MS);
		});
	}

	await check('Ctrl-C stops n8n and PostgreSQL and exits 0', async () => {
		product.child.kill('SIGINT');
		const stopped = await Promise.race([product.closed, new Promise((r) => setTimeout(() => r(null), STOP_MS))]);
		assert.ok(stopped, `npm start did not stop within ${STOP_MS / 1000} s`);
		assert.equal(stopped.code, 0, product.output().slice(-2000));
		assert.match(product.output(), /Stopping PostgreSQL…\nStopped\./);
	});
}

module.exports = { npmStart };

if (require.main === module) {
	const { createReport } = require('../lib/report');
	void createReport({ title: 'npm start check', timeoutMs: READY_MS + NOTICE_MS + 2 * STOP_MS }).run(npmStart);
}
