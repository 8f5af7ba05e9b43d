#!/usr/bin/env node
// End-to-end check with the real n8n CLI (npm run test:e2e).
//
// Starts PostgreSQL (the server in E2E_DATABASE_URL or GRID_TEST_DATABASE_URL when set, else an
// embedded one), creates fresh databases for n8n and for the governance data, loads the built
// package into a temporary n8n user folder the way n8n loads community packages, imports a
// credential and the workflows in fixtures/, runs them with `n8n execute`, and checks their output
// and the rows (and audit rows) in PostgreSQL. Then the shipped templates (templates-e2e.js), and
// last `npm start` from an empty data folder (suites/npmStart.js). Everything it created is removed
// at the end. Prints "N passed, N failed" last and exits non-zero on any failure.
const assert = require('assert/strict');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const vm = require('vm');
const lib = require('../../scripts/lib/n8n');
const { startEmbeddedPostgres, freePort } = require('../../scripts/lib/embeddedPostgres');

const { runTemplateSuites, TIMEOUT_MS: TEMPLATES_TIMEOUT_MS } = require('./templates-e2e');
const { createReport } = require('./lib/report');
const { npmStart } = require('./suites/npmStart');

const FIXTURES = path.join(__dirname, 'fixtures');
const OVERALL_TIMEOUT_MS = 10 * 60_000 + TEMPLATES_TIMEOUT_MS + 15 * 60_000;
/** What the template suites reuse from the fixture run: the PostgreSQL server. */
const shared = { adminUrl: null };
const CREDENTIAL_ID = 'gridE2eCred00001';

const report = createReport({ title: 'End-to-end check with n8n', timeoutMs: OVERALL_TIMEOUT_MS });
const { check, step, log } = report;

function readFixture(file) {
	return JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8'));
}

/** The items a Code node of a fixture returns: the input the expectations are built from. */
function codeNodeItems(workflow, nodeName) {
	const node = workflow.nodes.find((n) => n.name === nodeName);
	const items = vm.runInNewContext(`(function () {\n${node.parameters.jsCode}\n})()`, {});
	// through JSON, so the values are plain objects of this context, not of the sandbox
	return JSON.parse(JSON.stringify(items)).map((item) => item.json);
}

function nodeParameters(workflow, nodeName) {
	return workflow.nodes.find((n) => n.name === nodeName).parameters;
}

const levelOf = (code) => code.split('-').length;
const parentOf = (code) => (code.includes('-') ? code.slice(0, code.lastIndexOf('-')) : null);
const maskMobile = (phone) => `${phone.slice(0, 3)}****${phone.slice(7)}`;

/** Items of a node's first output with their pairing, from an execution record. */
function outputItems(execution, nodeName) {
	const run = execution.data.resultData.runData[nodeName]?.[0];
	assert.ok(run, `node "${nodeName}" did not run`);
	return run.data?.main?.[0] ?? [];
}

function main() {
	// the nodes in fixture workflows, then the shipped templates, regular and queue mode (templates-e2e.js),
	// on the PostgreSQL server the first part started; last, npm start on a server of its own
	return report.run(
		(ctx) => run(ctx.cleanups),
		async (ctx) => {
			if (shared.adminUrl) await runTemplateSuites(ctx, shared.adminUrl);
		},
		npmStart,
	);
}

async function run(cleanups) {
	log('End-to-end check: the Grid, Incident, Task and Volunteer nodes in real n8n');

	await step('package built', () => lib.ensureBuilt(log));

	// PostgreSQL: a given server, or an embedded one of our own
	const givenUrl = process.env.E2E_DATABASE_URL || process.env.GRID_TEST_DATABASE_URL;
	const adminUrl = await step(givenUrl ? `PostgreSQL at ${lib.redact(givenUrl)}` : 'embedded PostgreSQL started', async () => {
		if (givenUrl) return givenUrl;
		const server = await startEmbeddedPostgres({ purpose: 'test' });
		cleanups.push(() => server.stop());
		return server.url;
	});
	shared.adminUrl = adminUrl;
	const suffix = crypto.randomBytes(4).toString('hex');
	const gridDb = `grid_e2e_${suffix}`;
	const n8nDb = `n8n_e2e_${suffix}`;
	await step(`databases ${gridDb} and ${n8nDb} created`, async () => {
		cleanups.push(() => lib.dropDatabases(adminUrl, [gridDb, n8nDb]));
		await lib.createDatabases(adminUrl, [gridDb, n8nDb]);
	});
	const gridUrl = lib.withDatabase(adminUrl, gridDb);
	const n8nDbUrl = lib.withDatabase(adminUrl, n8nDb);

	// n8n with a user folder of its own and the package installed in it
	const userFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'grid-e2e-n8n-'));
	cleanups.push(() => fs.rmSync(userFolder, { recursive: true, force: true }));
	lib.installPackageLink(userFolder);
	const env = lib.n8nEnv({ userFolder, n8nDbUrl, port: await freePort(0), brokerPort: await freePort(0) });

	const db = lib.parseDbUrl(gridUrl);
	const credential = {
		id: CREDENTIAL_ID,
		name: 'Grid e2e',
		type: 'gridGovernancePostgres',
		data: {
			host: db.host, port: db.port, database: db.database, user: db.user, password: db.password,
			ssl: 'disable', schema: 'grid', maxConnections: 3,
			personalDataKey: crypto.randomBytes(24).toString('base64url'),
			scopeCode: '', timezone: 'Asia/Shanghai', segmentWidths: '3,3,3,4',
		},
	};
	const credentialFile = path.join(userFolder, 'credential.json');
	fs.writeFileSync(credentialFile, JSON.stringify([credential]), { mode: 0o600 });

	await step('n8n import:credentials (first command migrates n8n\'s database)', async () => {
		const r = await lib.runN8n(['import:credentials', `--input=${credentialFile}`], env);
		assert.equal(r.code, 0, `exit code ${r.code}\n${r.stdout}\n${r.stderr}`);
		assert.match(r.stdout + r.stderr, /Successfully imported 1 credential/);
	});
	await step('n8n import:workflow of the fixtures', async () => {
		const r = await lib.runN8n(['import:workflow', '--separate', `--input=${FIXTURES}`], env);
		assert.equal(r.code, 0, `exit code ${r.code}\n${r.stdout}\n${r.stderr}`);
		const count = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).length;
		assert.match(r.stdout + r.stderr, new RegExp(`Successfully imported ${count} workflows?`));
	});

	const sql = (text, params) => lib.withClient(gridUrl, async (c) => (await c.query(text, params)).rows);

	// ------------------------------------------------------------------------------------------
	// The main workflow: import units, create and post a grid head, list buildings, find who answers
	const good = readFixture('grid-e2e.workflow.json');
	const units = codeNodeItems(good, 'Units');
	const head = nodeParameters(good, 'Create Grid Head');
	const headUnit = nodeParameters(good, 'Post Grid Head').unit.value;
	log(`\n  workflow "${good.name}"`);
	const goodRun = await step(`n8n execute --id ${good.id}`, () => lib.runN8n(['execute', `--id=${good.id}`, '--rawOutput'], env));
	const execution = lib.parseExecution(goodRun.stdout);

	await check('execution succeeded (exit code 0, status success)', () => {
		assert.equal(goodRun.code, 0, `exit code ${goodRun.code}\n${goodRun.stdout.slice(-3000)}\n${goodRun.stderr.slice(-2000)}`);
		assert.ok(execution, 'no execution record in the output');
		assert.equal(execution.status, 'success');
		assert.equal(execution.data.resultData.error, undefined);
	});
	if (!execution) return;

	await check('Import Many: one output item per unit, paired, with the level its code implies', () => {
		const items = outputItems(execution, 'Import Units');
		assert.equal(items.length, units.length);
		items.forEach((item, i) => {
			assert.deepEqual(item.pairedItem, { item: i });
			assert.equal(item.json.code, units[i].code);
			assert.equal(item.json.name, units[i].name);
			assert.equal(item.json.level, levelOf(units[i].code));
			assert.equal(item.json.parentCode, parentOf(units[i].code));
			assert.equal(item.json.plannedHouseholds ?? null, units[i].plannedHouseholds ?? null);
			assert.equal(item.json.active, true);
		});
	});
	await check('Staff Create: the grid head comes out with the phone masked', () => {
		const [staff] = lib.nodeOutput(execution, 'Create Grid Head');
		assert.equal(staff.name, head.name);
		assert.equal(staff.staffNo, head.additionalFields.staffNo);
		assert.equal(staff.unitCode, head.unit.value);
		assert.equal(staff.phone, maskMobile(head.additionalFields.phone));
		assert.equal(staff.phoneRevealed, false);
	});
	await check('Staff Assign: posted as grid head of the base grid', () => {
		const [post] = lib.nodeOutput(execution, 'Post Grid Head');
		assert.equal(post.role, 'grid_head');
		assert.equal(post.unitCode, headUnit);
		assert.equal(post.staffName, head.name);
		assert.equal(post.validTo, null);
	});
	const buildings = units.filter((u) => levelOf(u.code) === 5).map((u) => u.code).sort();
	await check('Get Many with a level filter: exactly the buildings, all level 5', () => {
		const listed = lib.nodeOutput(execution, 'List Buildings');
		assert.deepEqual(listed.map((u) => u.code).sort(), buildings);
		for (const u of listed) assert.equal(u.level, 5);
	});
	await check('Find Responsible: the grid head answers for her buildings; elsewhere nobody, and it says so', () => {
		const answers = outputItems(execution, 'Find Responsible');
		assert.equal(answers.length, buildings.length);
		for (const { json: a, pairedItem } of answers) {
			assert.ok(buildings.includes(a.unitCode), `unexpected unit ${a.unitCode}`);
			assert.equal(typeof pairedItem.item, 'number');
			assert.equal(a.vacant, true, `${a.unitCode}: no grid assistant is posted, so the answer must walk up`);
			assert.equal(a.vacancies[0].code, a.unitCode);
			if (parentOf(a.unitCode) === headUnit) {
				assert.equal(a.answeredByCode, headUnit);
				assert.equal(a.role, 'grid_head');
				assert.deepEqual(a.staff.map((s) => s.name), [head.name]);
				assert.equal(a.staff[0].phone, maskMobile(head.additionalFields.phone));
			} else {
				assert.equal(a.answeredByCode, null);
				assert.deepEqual(a.staff, []);
				assert.deepEqual(a.vacancies.map((v) => v.code), [a.unitCode, parentOf(a.unitCode), ...[3, 2, 1].map((l) => a.unitCode.split('-').slice(0, l).join('-'))]);
				assert.match(a.message, /No one holds a responsible post/);
			}
		}
	});

	await check('SQL: the units are stored as a tree with consistent materialized paths', async () => {
		const rows = await sql(
			`SELECT u.id, u.code, u.level, u.path, p.code AS parent_code, p.path AS parent_path
			FROM grid.grid_unit u LEFT JOIN grid.grid_unit p ON p.id = u.parent_id ORDER BY u.code`,
		);
		assert.deepEqual(rows.map((r) => r.code), units.map((u) => u.code).sort());
		for (const r of rows) {
			assert.equal(r.level, levelOf(r.code));
			assert.equal(r.parent_code, parentOf(r.code));
			assert.equal(r.path, `${r.parent_path ?? '/'}${r.id}/`);
		}
	});
	await check('SQL: every insert is audited with the workflow, execution and node as actor', async () => {
		const rows = await sql(
			`SELECT entity, actor->>'node' AS node, actor->>'workflowId' AS workflow, actor->>'executionId' AS execution, count(*)::int AS n
			FROM grid.audit_log WHERE action = 'insert' AND entity <> 'settings' GROUP BY 1, 2, 3, 4 ORDER BY 1`,
		);
		const byEntity = Object.fromEntries(rows.map((r) => [r.entity, r]));
		assert.deepEqual(Object.keys(byEntity).sort(), ['grid_assignment', 'grid_unit', 'staff']);
		assert.equal(byEntity.grid_unit.n, units.length);
		assert.equal(byEntity.grid_unit.node, 'Import Units');
		assert.equal(byEntity.staff.n, 1);
		assert.equal(byEntity.staff.node, 'Create Grid Head');
		assert.equal(byEntity.grid_assignment.n, 1);
		assert.equal(byEntity.grid_assignment.node, 'Post Grid Head');
		for (const r of rows) {
			assert.equal(r.workflow, good.id);
			assert.match(r.execution ?? '', /^\d+$/, `${r.entity}: execution id missing from the audit actor`);
		}
		assert.equal(new Set(rows.map((r) => r.execution)).size, 1, 'all rows come from one execution');
	});
	await check('SQL: the phone is encrypted at rest and kept out of the audit log', async () => {
		const phone = head.additionalFields.phone;
		const [staff] = await sql(`SELECT phone_enc, phone_hash, phone_masked FROM grid.staff WHERE staff_no = $1`, [head.additionalFields.staffNo]);
		assert.ok(staff.phone_enc && !staff.phone_enc.includes(phone));
		assert.ok(staff.phone_hash && !staff.phone_hash.includes(phone));
		assert.equal(staff.phone_masked, maskMobile(phone));
		const [{ n }] = await sql(`SELECT count(*)::int AS n FROM grid.audit_log WHERE details::text LIKE $1 OR details ? 'phone_enc' OR details ? 'phone_hash'`, [`%${phone}%`]);
		assert.equal(n, 0);
	});

	// ------------------------------------------------------------------------------------------
	// Bad input: the execution fails naming item and field, and nothing of the batch is written
	for (const [file, expectField, expectText] of [
		['grid-e2e-bad-item.workflow.json', 'code', /is malformed/],
		['grid-e2e-bad-parent.workflow.json', 'parentCode', /unknown parent code/],
	]) {
		const workflow = readFixture(file);
		const items = codeNodeItems(workflow, 'Units');
		// the bad item, found from the input: a malformed code, or a parent that exists nowhere
		const existing = new Set([...units.map((u) => u.code), ...items.map((u) => u.code)]);
		const badIndex = items.findIndex((u) => !/^\d{6}(-\d{3}){0,3}(-\d{4})?$/.test(u.code) || (u.parentCode && !existing.has(u.parentCode)));
		log(`\n  workflow "${workflow.name}"`);
		const r = await step(`n8n execute --id ${workflow.id}`, () => lib.runN8n(['execute', `--id=${workflow.id}`, '--rawOutput'], env));
		const failed = lib.parseExecution(r.stdout);
		await check(`${file}: the execution fails (non-zero exit code, status error)`, () => {
			assert.notEqual(r.code, 0, 'the execution succeeded');
			assert.ok(failed, `no execution record in the output\n${r.stdout.slice(-2000)}`);
			assert.equal(failed.status, 'error');
			assert.equal(failed.data.resultData.lastNodeExecuted, 'Import Units');
		});
		await check(`${file}: the message names item ${badIndex} and field "${expectField}"`, () => {
			const error = failed?.data?.resultData?.error;
			assert.ok(error, 'no error in the execution record');
			assert.ok(error.message.startsWith(`Item ${badIndex}, field "${expectField}": `), `message was: ${error.message}`);
			assert.match(error.message, expectText);
			assert.ok(error.message.includes(items[badIndex].code) || error.message.includes(items[badIndex].parentCode), 'the message names the offending value');
			assert.equal(error.context?.itemIndex, badIndex);
			assert.equal(error.node?.name, 'Import Units');
			assert.ok((r.stdout + r.stderr).includes(`Item ${badIndex}, field "${expectField}"`), 'the CLI output shows the message');
		});
		await check(`${file}: nothing of the batch was written`, async () => {
			const rows = await sql(`SELECT code FROM grid.grid_unit WHERE code = ANY($1::text[])`, [items.map((u) => u.code)]);
			assert.deepEqual(rows, []);
			const [{ n }] = await sql(`SELECT count(*)::int AS n FROM grid.grid_unit`);
			assert.equal(n, units.length);
		});
	}

	// ------------------------------------------------------------------------------------------
	// The Incident node: reports taken in from items, a retried report, high risk escalated, its timeline
	const incidentWf = readFixture('incident-e2e.workflow.json');
	log(`\n  workflow "${incidentWf.name}"`);
	const incidentRun = await step(`n8n execute --id ${incidentWf.id}`, () => lib.runN8n(['execute', `--id=${incidentWf.id}`, '--rawOutput'], env));
	const incidentExecution = lib.parseExecution(incidentRun.stdout);
	await check('execution succeeded (exit code 0, status success)', () => {
		assert.equal(incidentRun.code, 0, `exit code ${incidentRun.code}\n${incidentRun.stdout.slice(-3000)}\n${incidentRun.stderr.slice(-2000)}`);
		assert.equal(incidentExecution?.status, 'success');
	});
	if (incidentExecution) {
		const taken = outputItems(incidentExecution, 'Take In Reports');
		await check('Create Many: three items paired to the reports; the retried key returns the first incident', () => {
			assert.deepEqual(taken.map((i) => i.pairedItem), [{ item: 0 }, { item: 1 }, { item: 2 }]);
			assert.match(taken[0].json.reference, /^INC-\d{8}-\d{6}$/);
			assert.equal(taken[2].json.id, taken[0].json.id);
			assert.deepEqual(taken.map((i) => i.json.repeatedRequest), [false, false, true]);
			assert.equal(taken[0].json.reporter.phone, '139****0001');
		});
		await check('the report of a person in a coma is high or critical risk and was escalated one level', () => {
			assert.ok(['high', 'critical'].includes(taken[1].json.riskLevel), `risk ${taken[1].json.riskLevel}`);
			const escalated = outputItems(incidentExecution, 'Escalate');
			assert.equal(escalated.length, 1);
			assert.equal(escalated[0].json.reference, taken[1].json.reference);
			assert.equal(escalated[0].json.handlingLevel, taken[1].json.handlingLevel - 1);
		});
		await check('Timeline: created, then escalated', () => {
			assert.deepEqual(outputItems(incidentExecution, 'Timeline').map((i) => i.json.kind), ['created', 'escalated']);
		});
		await check('SQL: two incidents, gap-free references, the phone encrypted, every change audited', async () => {
			const rows = await sql(`SELECT reference, reporter_phone_enc, reporter_phone_masked FROM grid.incident ORDER BY reference`);
			assert.equal(rows.length, 2);
			assert.deepEqual(rows.map((r) => Number(r.reference.slice(-6))), [1, 2]);
			assert.ok(!JSON.stringify(rows).includes('13905350001'));
			const [{ n }] = await sql(`SELECT count(*)::int AS n FROM grid.audit_log WHERE entity = 'incident'`);
			assert.equal(n, 3); // two inserts and one update (the escalation)
		});
	}

	// ------------------------------------------------------------------------------------------
	// The Volunteer and Task nodes: volunteers imported, an errand created, dispatch picks who can do it
	const dispatchWf = readFixture('dispatch-e2e.workflow.json');
	log(`\n  workflow "${dispatchWf.name}"`);
	const dispatchRun = await step(`n8n execute --id ${dispatchWf.id}`, () => lib.runN8n(['execute', `--id=${dispatchWf.id}`, '--rawOutput'], env));
	const dispatchExecution = lib.parseExecution(dispatchRun.stdout);
	await check('execution succeeded (exit code 0, status success)', () => {
		assert.equal(dispatchRun.code, 0, `exit code ${dispatchRun.code}\n${dispatchRun.stdout.slice(-3000)}\n${dispatchRun.stderr.slice(-2000)}`);
		assert.equal(dispatchExecution?.status, 'success');
	});
	if (dispatchExecution) {
		await check('Import Many: two volunteers, the phone masked', () => {
			const imported = outputItems(dispatchExecution, 'Import Volunteers');
			assert.deepEqual(imported.map((i) => i.json.volunteerNo), ['E2E-V-1', 'E2E-V-2']);
			assert.equal(imported[0].json.phone, '139****0021');
		});
		await check('Dispatch: the errand goes to the volunteer who can deliver, with the reasons', () => {
			const [outcome] = outputItems(dispatchExecution, 'Dispatch');
			assert.equal(outcome.json.result, 'assigned');
			assert.equal(outcome.json.volunteerNo, 'E2E-V-1');
			assert.ok(outcome.json.reasons.length > 0);
		});
		await check('SQL: the task is assigned once and the volunteer\'s load is one', async () => {
			const [task] = await sql(`SELECT t.status, v.volunteer_no, v.current_load FROM grid.task t JOIN grid.volunteer v ON v.id = t.assignee_volunteer_id`);
			assert.deepEqual(task, { status: 'assigned', volunteer_no: 'E2E-V-1', current_load: 1 });
			const [{ n }] = await sql(`SELECT count(*)::int AS n FROM grid.task_event WHERE kind = 'assigned'`);
			assert.equal(n, 1);
		});
	}

	// ------------------------------------------------------------------------------------------
	// The Grid Statistics node: today's rollup by community, a CSV export of it, the dashboard page
	const statsWf = readFixture('statistics-e2e.workflow.json');
	log(`\n  workflow "${statsWf.name}"`);
	const statsRun = await step(`n8n execute --id ${statsWf.id}`, () => lib.runN8n(['execute', `--id=${statsWf.id}`, '--rawOutput'], env));
	const statsExecution = lib.parseExecution(statsRun.stdout);
	await check('execution succeeded (exit code 0, status success)', () => {
		assert.equal(statsRun.code, 0, `exit code ${statsRun.code}\n${statsRun.stdout.slice(-3000)}\n${statsRun.stderr.slice(-2000)}`);
		assert.equal(statsExecution?.status, 'success');
	});
	if (statsExecution) {
		await check('Rollup: one row per community, then the district total, which counts today\'s incidents', async () => {
			const rows = outputItems(statsExecution, 'Rollup');
			const [{ n }] = await sql(`SELECT count(*)::int AS n FROM grid.incident WHERE (created_at AT TIME ZONE 'Asia/Shanghai')::date = (now() AT TIME ZONE 'Asia/Shanghai')::date`);
			const total = rows[rows.length - 1].json;
			assert.equal(total.total, true);
			assert.equal(total.unitCode, '370614');
			assert.equal(total.incidents.created, n);
			assert.equal(rows.slice(0, -1).reduce((s, r) => s + r.json.incidents.created, 0), n);
		});
		await check('Export: a CSV file with a byte-order mark and the daily dataset\'s codes', () => {
			const [out] = outputItems(statsExecution, 'Export CSV');
			assert.equal(out.json.format, 'csv');
			assert.match(out.json.fileName, /^GRID_DAILY_370614_\d{8}\.csv$/);
			assert.ok(out.json.content.startsWith('\uFEFF'));
			assert.match(out.json.content, /incidents_created/);
			assert.match(out.binary.data.mimeType, /^text\/csv/);
		});
		await check('Dashboard: a self-contained HTML page', () => {
			const [out] = outputItems(statsExecution, 'Dashboard');
			assert.match(out.json.html, /^<!DOCTYPE html>/);
			assert.doesNotMatch(out.json.html, /(src|href)="https?:/);
			assert.equal(out.binary.data.fileName, 'dashboard.html');
		});
	}

	await check('n8n recorded the six executions with their outcomes', async () => {
		const rows = await lib.withClient(n8nDbUrl, async (c) => (await c.query(`SELECT "workflowId" AS workflow, status, mode FROM execution_entity ORDER BY id`)).rows);
		assert.deepEqual(rows, [
			{ workflow: good.id, status: 'success', mode: 'cli' },
			{ workflow: readFixture('grid-e2e-bad-item.workflow.json').id, status: 'error', mode: 'cli' },
			{ workflow: readFixture('grid-e2e-bad-parent.workflow.json').id, status: 'error', mode: 'cli' },
			{ workflow: incidentWf.id, status: 'success', mode: 'cli' },
			{ workflow: dispatchWf.id, status: 'success', mode: 'cli' },
			{ workflow: statsWf.id, status: 'success', mode: 'cli' },
		]);
	});
	log('');
}

main();
