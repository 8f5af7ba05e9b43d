// Volunteer dispatch through to acceptance and daily reporting through to delivery, in real n8n
// with the templates activated: the dispatch starts from its Grid Trigger when a task appears, the
// volunteer's accept link is n8n's Wait resume URL; the daily report runs from its Schedule trigger
// (started now through the REST API, twice, as a retried morning would) and is delivered once.
const assert = require('assert/strict');
const { until } = require('../lib/standIns');
const { acknowledge, runFromTrigger } = require('../lib/flows');
const { createErrands, mobile } = require('../lib/seed');
const { nodesOfType, settingsOf } = require('../lib/templates');

async function dispatchToAcceptance({ check }, setup, recorder, template) {
	const offers = () => recorder.to('/volunteer-dispatch/messagingUrl');
	let taskId;
	let offer;
	await check('volunteer dispatch: a new errand is offered to the nearest volunteer, with accept and decline links', async () => {
		[taskId] = await createErrands(setup.config, ['e2e 代购药品 buy medicine']);
		offer = await until(() => offers().find((r) => r.json?.taskId === taskId), 60_000, 'the offer of the new task');
		// the seeded volunteer 甲 lives in the task's building, 乙 next door
		assert.equal(offer.json.to, mobile(1));
		assert.match(offer.json.acceptUrl, new RegExp(`^${setup.baseUrl}/webhook-waiting/\\d+\\?answer=accept$`));
		assert.match(offer.json.declineUrl, /\/webhook-waiting\/\d+\?answer=decline$/);
		const [row] = await setup.sql(`SELECT status, assignee_volunteer_id::int AS v FROM grid.task WHERE id = $1`, [taskId]);
		assert.deepEqual(row, { status: 'assigned', v: offer.json.volunteerId });
	});
	if (!offer) return;
	await check('volunteer dispatch: the accept link resumes the waiting execution and the task is accepted (SQL)', async () => {
		await acknowledge(offer.json.acceptUrl);
		const row = await until(async () => {
			const [r] = await setup.sql(`SELECT t.status, v.volunteer_no FROM grid.task t JOIN grid.volunteer v ON v.id = t.assignee_volunteer_id WHERE t.id = $1`, [taskId]);
			return r?.status === 'accepted' ? r : false;
		}, 30_000, 'the task to be accepted');
		assert.equal(row.volunteer_no, 'E2E-V-1');
		const events = await setup.sql(`SELECT kind FROM grid.task_event WHERE task_id = $1 ORDER BY id`, [taskId]);
		assert.deepEqual(events.map((e) => e.kind), ['created', 'assigned', 'accepted']);
		assert.equal(offers().filter((r) => r.json?.taskId === taskId).length, 1, 'offered once');
	});
}

/** Yesterday's date in Asia/Shanghai, the period the 08:00 report covers. */
function yesterdayInShanghai() {
	const [y, m, d] = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' })
		.format(new Date()).split('-').map(Number);
	return new Date(Date.UTC(y, m - 1, d - 1)).toISOString().slice(0, 10);
}

async function dailyReportingToDelivery({ check }, setup, recorder, smtp, template) {
	const trigger = nodesOfType(template, '.scheduleTrigger')[0];
	const settings = settingsOf(template);
	const period = yesterdayInShanghai().replace(/-/g, '');
	const communities = setup.seeded.units.filter((u) => u.code.split('-').length === 3).map((u) => u.code).sort();
	const runs = [];
	await check(`daily reporting: started twice from "${trigger?.name}" (as a retried morning would), both executions succeed`, async () => {
		assert.ok(trigger, 'no Schedule trigger');
		runs.push(await runFromTrigger(setup, template.id, trigger.name));
		runs.push(await runFromTrigger(setup, template.id, trigger.name));
		assert.deepEqual(runs.map((r) => r.status), ['success', 'success']);
	});
	await check(`daily reporting: the higher-level system received exactly one DHIS2 export, of ${period} for the ${communities.length} communities`, async () => {
		const exports = recorder.to('/upstream');
		assert.equal(exports.length, 1, `${exports.length} deliveries`);
		const body = exports[0].json;
		assert.equal(body.dataSet, 'GRID_DAILY');
		assert.equal(body.period, period);
		const orgUnits = [...new Set(body.dataValues.map((v) => v.orgUnit))].sort();
		assert.deepEqual(orgUnits.filter((c) => c !== '370614'), communities);
		const [ledger] = await setup.sql(`SELECT count(*)::int AS n, min(status) AS status, max(attempts) AS attempts FROM grid.export_batch`);
		assert.deepEqual(ledger, { n: 1, status: 'acknowledged', attempts: 1 });
	});
	await check('daily reporting: the street office got the CSV by mail on each run; the duty officer got no alert', () => {
		const mails = smtp.mails.filter((m) => m.to.includes(settings.streetOfficeEmail));
		assert.equal(mails.length, runs.length);
		for (const m of mails) assert.ok(m.raw.includes(`GRID_DAILY_370614_${period}.csv`), 'the CSV attachment is missing');
		assert.deepEqual(recorder.to('/daily-reporting/').map((r) => r.path), []);
	});
}

module.exports = { dispatchToAcceptance, dailyReportingToDelivery, yesterdayInShanghai };
