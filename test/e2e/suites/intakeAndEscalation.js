// Incident intake through to escalation, and the dashboard, in real n8n: a report POSTed to the
// intake webhook is answered with its reference and due time; a high-risk one reaches the
// escalation workflow, whose notification (to the messaging stand-in) carries the Wait node's
// resume link; with no acknowledgment in time the incident goes one level up; an acknowledgment
// through the link starts work on it.
const assert = require('assert/strict');
const { until } = require('../lib/standIns');
const { acknowledge, incidentReport, postJson, resumeLinkIn, webhookPath } = require('../lib/flows');
const { nodesOfType, setSettings, settingsOf } = require('../lib/templates');

const HIGH_RISK = { category: 'medical_need', description: '独居老人突发昏迷，呼吸困难，需要急救' };

/** Sets the escalation template's acknowledgment timeout (a Settings value) to the given seconds. */
function escalationSettings(workflow, { ackSeconds }) {
	const settings = settingsOf(workflow);
	const name = Object.keys(settings).find((k) => /ack|timeout|wait/i.test(k) && typeof settings[k] === 'number');
	if (!name) throw new Error(`high-risk-escalation.json: no numeric acknowledgment timeout in Settings (${Object.keys(settings).join(', ')})`);
	const value = /minute/i.test(name) ? ackSeconds / 60 : /hour/i.test(name) ? ackSeconds / 3600 : ackSeconds;
	setSettings(workflow, { [name]: value });
	return { name, value };
}

/** The notifications the escalation template sent about one incident. */
function notificationsAbout(recorder, reference) {
	return recorder.to('/high-risk-escalation/').filter((r) => r.text.includes(reference));
}

/** The reference and due time in an intake answer. */
function intakeAnswer(res) {
	const body = res.json ?? {};
	const reference = body.reference ?? body.incident?.reference;
	const due = Object.entries(body).find(([k, v]) => /due|expect/i.test(k) && typeof v === 'string' && !Number.isNaN(Date.parse(v)));
	return { reference, due: due?.[1], body };
}

async function fileReport(setup, intake, report) {
	const res = await postJson(setup.webhook(webhookPath(intake)), report, { 'idempotency-key': report.idempotencyKey });
	return { ...intakeAnswer(res), status: res.status, text: res.text };
}

const incidentRow = async (setup, reference) => (await setup.sql(
	`SELECT i.status, i.risk_level, i.escalation_count, h.level AS handling_level, h.code AS handling_code
	FROM grid.incident i JOIN grid.grid_unit h ON h.id = i.handling_unit_id WHERE i.reference = $1`, [reference]))[0];

async function intakeToEscalation({ check }, setup, recorder, intake, escalation) {
	const building = '370614-002-001-001-0001';
	let first;
	let second;
	await check('intake: a high-risk report POSTed to the webhook is answered with its reference and due time, and stored once (SQL)', async () => {
		first = await fileReport(setup, intake, incidentReport({ key: 'e2e-esc-1', unitCode: building, ...HIGH_RISK }));
		assert.equal(first.status, 200, first.text);
		assert.match(first.reference ?? '', /^INC-\d{8}-\d{6}$/, first.text);
		assert.ok(first.due, `no due time in ${first.text}`);
		const row = await incidentRow(setup, first.reference);
		assert.ok(['high', 'critical'].includes(row.risk_level), row.risk_level);
		assert.equal(row.escalation_count, 0);
		const again = await fileReport(setup, intake, incidentReport({ key: 'e2e-esc-1', unitCode: building, ...HIGH_RISK }));
		assert.equal(again.reference, first.reference, 'a repeated key must return the first incident');
		const [{ n }] = await setup.sql(`SELECT count(*)::int AS n FROM grid.incident WHERE idempotency_key = 'e2e-esc-1'`);
		assert.equal(n, 1);
	});
	if (!first?.reference) return;
	let notice;
	await check('escalation: the messaging stand-in is notified of the high-risk incident, with the Wait node\'s resume link', async () => {
		notice = await until(() => notificationsAbout(recorder, first.reference)[0], 60_000, `a notification about ${first.reference}`);
		assert.match(resumeLinkIn(notice) ?? '', new RegExp(`^${setup.baseUrl}/webhook-waiting/\\d+`));
	});
	// the second incident is acknowledged while the first one's timeout runs out
	await check('escalation: a second incident acknowledged through its resume link moves to in_progress (SQL)', async () => {
		second = await fileReport(setup, intake, incidentReport({ key: 'e2e-esc-2', unitCode: '370614-002-002-001-0001', ...HIGH_RISK }));
		assert.match(second.reference ?? '', /^INC-/, second.text);
		const note = await until(() => notificationsAbout(recorder, second.reference)[0], 60_000, `a notification about ${second.reference}`);
		await acknowledge(resumeLinkIn(note));
		const row = await until(async () => {
			const r = await incidentRow(setup, second.reference);
			return r.status === 'in_progress' ? r : false;
		}, 30_000, `${second.reference} to be in progress`);
		assert.equal(row.escalation_count, 0, 'acknowledged in time: not escalated');
	});
	if (!notice) return;
	await check('escalation: with no acknowledgment within the (5 s) timeout the incident goes one level up (SQL) and the next level is notified', async () => {
		const before = await incidentRow(setup, first.reference);
		// n8n's wait tracker looks for timed-out waits once a minute
		const after = await until(async () => {
			const r = await incidentRow(setup, first.reference);
			return r.escalation_count > 0 ? r : false;
		}, 100_000, `${first.reference} to escalate`);
		assert.equal(after.handling_level, before.handling_level - 1);
		assert.equal(before.handling_code.startsWith(after.handling_code), true, 'escalated to its own ancestor');
		await until(() => notificationsAbout(recorder, first.reference).length >= 2, 30_000, 'the notification of the next level');
	});
}

async function dashboardPage({ check }, setup, dashboard) {
	await check('dashboard: the GET webhook answers with the HTML page of the district\'s figures', async () => {
		const res = await fetch(setup.webhook(webhookPath(dashboard, 'GET')));
		const html = await res.text();
		assert.equal(res.status, 200, html.slice(0, 500));
		assert.match(res.headers.get('content-type') ?? '', /text\/html/);
		assert.match(html, /^<!DOCTYPE html>/i);
		assert.ok(html.includes('蓬莱区') || html.includes('370614'), 'the district is not named');
		const communities = setup.seeded.units.filter((u) => u.code.split('-').length === 3);
		const [{ n }] = await setup.sql(`SELECT count(*)::int AS n FROM grid.incident`);
		assert.ok(communities.some((c) => html.includes(c.name)) || html.includes(String(n)), 'no figures of the district');
	});
}

module.exports = { intakeToEscalation, dashboardPage, escalationSettings, fileReport, notificationsAbout, incidentRow, HIGH_RISK, nodesOfType };
