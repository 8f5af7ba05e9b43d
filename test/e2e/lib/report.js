// The check/step bookkeeping of a standalone end-to-end script, as run-e2e.js keeps it: each check
// prints "ok" or "FAIL", a failed setup step stops the run, and finish() runs every cleanup (even
// after a failure, a timeout or Ctrl-C), then prints "N passed, N failed" and sets the exit code.

/**
 * check(name, fn) records "ok" or "FAIL" and goes on; step(name, fn) is a setup step whose failure is
 * reported and stops the run (it throws an error marked `reported`).
 */
function checkers(results, log) {
	async function check(name, fn) {
		try {
			await fn();
			results.push({ name, ok: true });
			log(`  ok    ${name}`);
		} catch (error) {
			results.push({ name, ok: false });
			log(`  FAIL  ${name}\n        ${String(error.message).split('\n').join('\n        ')}`);
		}
	}

	async function step(name, fn) {
		const t = Date.now();
		try {
			const value = await fn();
			log(`  ..    ${name} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
			return value;
		} catch (error) {
			results.push({ name, ok: false });
			log(`  FAIL  ${name}\n        ${String(error.message).split('\n').join('\n        ')}`);
			throw Object.assign(new Error(`setup step failed: ${name}`), { reported: true });
		}
	}

	return { check, step };
}

function createReport({ title, timeoutMs }) {
	const results = [];
	const cleanups = [];
	const log = (line = '') => process.stdout.write(`${line}\n`);
	const started = Date.now();

	const { check, step } = checkers(results, log);

	let finished = false;
	async function finish() {
		if (finished) return;
		finished = true;
		for (const fn of cleanups.reverse()) {
			try {
				await fn();
			} catch (error) {
				log(`  (cleanup: ${error.message})`);
			}
		}
		const passed = results.filter((r) => r.ok).length;
		const failed = results.length - passed;
		log(`\n${title} finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
		log(`${passed} passed, ${failed} failed`);
		process.exitCode = failed || !passed ? 1 : 0;
	}

	/**
	 * Runs each body(ctx) in turn under one watchdog and signal handling, then finish(). A body that
	 * fails counts as a failed check and the next one still runs (its own checks say what it needs).
	 */
	async function run(...bodies) {
		const watchdog = setTimeout(() => {
			log(`\n${title} did not finish within ${timeoutMs / 60_000} minutes`);
			results.push({ name: 'finishes in time', ok: false });
			void finish().then(() => process.exit(1));
		}, timeoutMs);
		const onSignal = (signal) => {
			log(`\nInterrupted (${signal}); cleaning up`);
			results.push({ name: 'not interrupted', ok: false });
			void finish().then(() => process.exit(130));
		};
		process.once('SIGINT', onSignal);
		process.once('SIGTERM', onSignal);
		try {
			for (const body of bodies) {
				try {
					await body({ check, step, log, cleanups, results });
				} catch (error) {
					if (!error.reported) {
						results.push({ name: 'run', ok: false });
						log(`  FAIL  ${error.stack || error.message}`);
					}
				}
			}
		} finally {
			clearTimeout(watchdog);
		}
		await finish();
	}

	return { run, check, step, log, cleanups, results };
}

module.exports = { checkers, createReport };
