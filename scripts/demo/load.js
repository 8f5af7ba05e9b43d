// Loads the demo district through the domain core (set-based, audited like any other change):
// the district first, then one transaction per street with its units, staff and posts, so an
// interrupted load resumes where it stopped. A district 370614 that this generator did not create
// is left alone.
const path = require('path');
const { buildDistrict, DISTRICT_CODE } = require('./district');

const DIST = path.join(__dirname, '..', '..', 'dist', 'nodes', 'shared');
const ACTOR = { node: 'Demo district generator' };

function domain() {
	return {
		withUnitOfWork: require(path.join(DIST, 'db', 'unitOfWork')).withUnitOfWork,
		sql: require(path.join(DIST, 'db', 'sql')).sql,
		createUnits: require(path.join(DIST, 'domain', 'grid', 'units')).createUnits,
		createStaff: require(path.join(DIST, 'domain', 'grid', 'staff')).createStaff,
		assignStaff: require(path.join(DIST, 'domain', 'grid', 'assignments')).assignStaff,
	};
}

/** Throws the first rejected input of a batch, naming what it was. */
function expectAllOk(outcomes, inputs, what) {
	const index = outcomes.findIndex((o) => !o.ok);
	if (index < 0) return;
	const error = outcomes[index].error;
	throw new Error(`demo ${what} ${JSON.stringify(inputs[index])} was rejected: ${error.field ? `${error.field}: ` : ''}${error.message}`);
}

const fmt = (n) => n.toLocaleString('en-US');

/** One line that redraws itself on a terminal and prints plain lines elsewhere. */
function progressReporter(out, total) {
	const tty = Boolean(out.isTTY);
	let last = '';
	return {
		/** milestone: worth a line of its own when the output is not a terminal. */
		update(done, text, { final = false, milestone = false } = {}) {
			const share = total ? done / total : 1;
			const width = 24;
			const filled = Math.round(share * width);
			const line = `  [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(share * 100)).padStart(3)}%  ${text}`;
			if (tty) {
				out.write(`\r${line}${' '.repeat(Math.max(0, last.length - line.length))}${final ? '\n' : ''}`);
			} else if (final || milestone) {
				out.write(`${line}\n`);
			}
			last = line;
		},
	};
}

/** Which parts of the demo are in the database, and whether the district there is the demo's. */
async function demoStatus(config, plan) {
	const { withUnitOfWork, sql } = domain();
	const codes = plan.parts.map((p) => p.code);
	return withUnitOfWork(config, { actor: ACTOR }, async (uow) => {
		const { rows } = await sql(
			uow,
			`SELECT u.code, EXISTS (
				SELECT 1 FROM audit_log a
				WHERE a.entity = 'grid_unit' AND a.action = 'insert' AND a.entity_id = u.id::text AND a.actor->>'node' = ?
			) AS ours
			FROM grid_unit u WHERE u.code = ANY(?::text[])`,
			[ACTOR.node, codes],
		);
		const present = new Map(rows.map((r) => [r.code, r.ours]));
		return {
			districtExists: present.has(DISTRICT_CODE),
			districtIsDemo: present.get(DISTRICT_CODE) === true,
			missing: plan.parts.filter((p) => !present.has(p.code)),
		};
	});
}

/**
 * Loads whatever part of the demo district is missing. Returns what happened:
 * { state: 'loaded' | 'present' | 'foreign', summary, ms }.
 */
async function loadDemoDistrict(config, { seed, out = process.stdout, log = console.log } = {}) {
	const started = Date.now();
	const plan = buildDistrict(seed ? { seed } : {});
	const status = await demoStatus(config, plan);
	if (status.districtExists && !status.districtIsDemo) {
		log(`Grid unit ${DISTRICT_CODE} already exists and was not created by the demo generator: not loading the demo district.`);
		return { state: 'foreign', summary: plan.summary, ms: Date.now() - started };
	}
	if (!status.missing.length) {
		return { state: 'present', summary: plan.summary, ms: Date.now() - started };
	}

	const { withUnitOfWork, createUnits, createStaff, assignStaff } = domain();
	const resuming = status.missing.length < plan.parts.length;
	log(`${resuming ? 'Resuming' : 'Loading'} the demo district ${DISTRICT_CODE} ${plan.parts[0].label}: ${fmt(plan.summary.units)} units, ${fmt(plan.summary.staff)} staff, ${fmt(plan.summary.posts)} posts`);
	const total = status.missing.reduce((s, p) => s + p.units.length + p.staff.length + p.posts.length, 0);
	const progress = progressReporter(out, total);
	const counts = { units: 0, staff: 0, posts: 0 };
	let done = 0;
	const show = (label, flags) =>
		progress.update(done, `${fmt(counts.units)} units · ${fmt(counts.staff)} staff · ${fmt(counts.posts)} posts  ${label}`, flags);
	show('');
	for (const part of status.missing) {
		await withUnitOfWork(config, { actor: ACTOR }, async (uow) => {
			expectAllOk(await createUnits(uow, part.units), part.units, 'unit');
			done += part.units.length;
			counts.units += part.units.length;
			show(part.label);
			expectAllOk(await createStaff(uow, part.staff), part.staff, 'staff member');
			done += part.staff.length;
			counts.staff += part.staff.length;
			show(part.label);
			expectAllOk(await assignStaff(uow, part.posts), part.posts, 'post');
			done += part.posts.length;
			counts.posts += part.posts.length;
		});
		show(part.label, { milestone: true });
	}
	show(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`, { final: true });
	return { state: 'loaded', summary: plan.summary, ms: Date.now() - started };
}

module.exports = { loadDemoDistrict, demoStatus, ACTOR };
