#!/usr/bin/env node
// The shipped templates in real n8n 2.8 (issue 7) and a killed queue-mode worker (issue 8).
//
// Part 1, `n8n start` (regular mode): every workflows/*.json imported with the CLI and activated
// through the REST API after the owner is set up; then driven as a district would drive them:
// intake → escalation through the webhook (a timeout escalates, an acknowledgment starts work),
// dispatch → acceptance, daily reporting → delivery, the dashboard page; and the editor opened in
// headless Chromium for a screenshot (test/artifacts/editor-intake.png).
// Part 2, queue mode: one main and two workers on the machine's Redis; 1,000 intake requests over
// 20 connections (plus repeats of some keys), every escalation fired; then both workers SIGKILLed
// while an escalation waits, and after a worker is started again the escalation still happens.
//
// Run alone with `node test/e2e/templates-e2e.js` (E2E_DATABASE_URL / GRID_TEST_DATABASE_URL, else
// embedded PostgreSQL); run-e2e.js runs it after its own checks. Loopback stand-ins take the
// messages, exports and mail. Everything it starts or creates is removed at the end.
const assert = require('assert/strict');
const lib = require('../../scripts/lib/n8n');
const { startEmbeddedPostgres } = require('../../scripts/lib/embeddedPostgres');
const { createReport } = require('./lib/report');
const { startSetup } = require('./lib/n8nSetup');
const { startHttpRecorder, startSmtpRecorder } = require('./lib/standIns');
const { loadTemplates, fastPolls, pointUrlsAt } = require('./lib/templates');
const { templateImports, isTrigger } = require('./suites/templateImports');
const { dispatchToAcceptance, dailyReportingToDelivery } = require('./suites/dispatchAndReporting');
const { intakeToEscalation, dashboardPage, escalationSettings } = require('./suites/intakeAndEscalation');
const { editorScreenshot } = require('./suites/editorScreenshot');
const { queueMode } = require('./suites/queueMode');

const TIMEOUT_MS = 12 * 60_000;

/** The templates with the values a user adapts pointed at the stand-ins. */
function preparedTemplates(recorderUrl, { ackSeconds }) {
	return loadTemplates().map(({ file, workflow }) => {
		fastPolls(workflow);
		pointUrlsAt(workflow, recorderUrl, file.replace(/\.json$/, ''));
		let problem;
		try {
			if (file === 'high-risk-escalation.json') escalationSettings(workflow, { ackSeconds });
		} catch (error) {
			problem = error; // reported by the checks that need the setting
		}
		return { file, workflow, problem, activate: workflow.nodes.some(isTrigger) };
	});
}

const byFile = (templates, file) => templates.find((t) => t.file === file)?.workflow;

async function regularMode(ctx, adminUrl) {
	const { check, step, log, cleanups } = ctx;
	log('\n  real n8n (n8n start): the templates imported, activated and driven through their webhooks');
	const recorder = await startHttpRecorder();
	cleanups.push(recorder.close);
	const smtp = await startSmtpRecorder();
	cleanups.push(smtp.close);
	const templates = preparedTemplates(recorder.url, { ackSeconds: 5 });
	const setup = await step('n8n start with the package, the credentials and every template imported; owner set up; templates activated', () =>
		startSetup({ name: 'tpl', adminUrl, cleanups, log, templates, upstreamUrl: `${recorder.url}/upstream`, smtp: smtp.credentialData }));
	try {
		await templateImports(ctx, setup, templates);
		const intake = byFile(templates, 'incident-intake.json');
		const escalation = byFile(templates, 'high-risk-escalation.json');
		// the escalation's timeout waits for n8n's wait tracker (up to a minute): the rest runs meanwhile
		const escalating = intake && escalation
			? intakeToEscalation(ctx, setup, recorder, intake, escalation)
			: check('incident intake → escalation (templates present)', () => {
				throw new Error('workflows/incident-intake.json or workflows/high-risk-escalation.json is missing');
			});
		const dispatch = byFile(templates, 'volunteer-dispatch.json');
		if (dispatch) await dispatchToAcceptance(ctx, setup, recorder, dispatch);
		const reporting = byFile(templates, 'daily-reporting.json');
		if (reporting) await dailyReportingToDelivery(ctx, setup, recorder, smtp, reporting);
		const dashboard = byFile(templates, 'dashboard.json');
		if (dashboard) await dashboardPage(ctx, setup, dashboard);
		else await check('the dashboard (template present)', () => assert.fail('workflows/dashboard.json is missing'));
		if (intake) await editorScreenshot(ctx, setup, intake);
		else await check('editor screenshot of the intake template', () => assert.fail('workflows/incident-intake.json is missing'));
		await escalating;
	} catch (error) {
		if (!error.reported) throw error;
	} finally {
		if (process.env.E2E_VERBOSE === '1') log(setup.logs());
		await setup.stopAll();
	}
}

/** Both parts; a failed setup step of one (already reported) does not stop the other. */
async function runTemplateSuites(ctx, adminUrl) {
	const parts = [
		['regular mode', () => regularMode(ctx, adminUrl)],
		['queue mode', () => queueMode(ctx, adminUrl, { preparedTemplates, byFile })],
	];
	for (const [name, part] of parts) {
		const started = Date.now();
		try {
			await part();
		} catch (error) {
			if (!error.reported) {
				await ctx.check(`${name} ran to the end`, () => {
					throw error;
				});
			}
		}
		ctx.log(`\n  (${name} took ${((Date.now() - started) / 1000).toFixed(0)} s)`);
	}
}

if (require.main === module) {
	const report = createReport({ title: 'End-to-end check of the templates with n8n', timeoutMs: TIMEOUT_MS });
	void report.run(async (ctx) => {
		ctx.log('End-to-end check: the shipped templates in real n8n, regular and queue mode');
		await ctx.step('package built', () => lib.ensureBuilt(ctx.log));
		const givenUrl = process.env.E2E_DATABASE_URL || process.env.GRID_TEST_DATABASE_URL;
		const adminUrl = await ctx.step(givenUrl ? `PostgreSQL at ${lib.redact(givenUrl)}` : 'embedded PostgreSQL started', async () => {
			if (givenUrl) return givenUrl;
			const server = await startEmbeddedPostgres({ purpose: 'test' });
			ctx.cleanups.push(() => server.stop());
			return server.url;
		});
		await runTemplateSuites(ctx, adminUrl);
	});
}

module.exports = { runTemplateSuites, TIMEOUT_MS };
