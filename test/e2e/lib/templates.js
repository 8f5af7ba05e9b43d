// The shipped templates as the tests import them: read from workflows/, with the values a user
// would adapt (the Settings node's endpoints and timeouts) pointed at the loopback stand-ins, and
// with their polling made faster than a user would choose, so that a run takes seconds, not minutes.
const fs = require('fs');
const path = require('path');

// E2E_TEMPLATES_DIR: try the suites on other template files (e.g. a template being written)
const DIR = process.env.E2E_TEMPLATES_DIR || path.join(__dirname, '..', '..', '..', 'workflows');

/** The eight templates issue 7 ships, besides those of earlier issues. */
const EXPECTED = [
	'incident-intake.json', 'high-risk-escalation.json', 'temperature-campaign.json', 'dashboard.json',
	'volunteer-dispatch.json', 'daily-reporting.json', 'verification-list.json', 'needs-to-deliveries.json',
];

function loadTemplates() {
	return fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()
		.map((file) => ({ file, workflow: JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')) }));
}

const nodesOfType = (wf, suffix) => wf.nodes.filter((n) => n.type.endsWith(suffix));
const nodeNamed = (wf, name) => wf.nodes.find((n) => n.name === name);

/** Sets the named values of the Settings node (a Set node); returns the names it did not find. */
function setSettings(wf, values) {
	const node = nodeNamed(wf, 'Settings');
	const list = node?.parameters?.assignments?.assignments ?? [];
	const missing = [];
	for (const [name, value] of Object.entries(values)) {
		const a = list.find((x) => x.name === name);
		if (a) a.value = value;
		else missing.push(name);
	}
	return missing;
}

function settingsOf(wf) {
	const list = nodeNamed(wf, 'Settings')?.parameters?.assignments?.assignments ?? [];
	return Object.fromEntries(list.map((a) => [a.name, a.value]));
}

/**
 * Grid Trigger nodes poll every 10 s instead of every minute: a custom cron expression with a
 * seconds field (n8n refuses only a '*' there).
 */
function fastPolls(wf) {
	for (const n of nodesOfType(wf, '.gridTrigger')) {
		n.parameters.pollTimes = { item: [{ mode: 'custom', cronExpression: '5,15,25,35,45,55 * * * * *' }] };
	}
	return wf;
}

/** Every URL-looking Settings value (http…) is sent to the recorder, under /<tag>/<settingName>. */
function pointUrlsAt(wf, baseUrl, tag) {
	const values = {};
	for (const [name, value] of Object.entries(settingsOf(wf))) {
		if (typeof value === 'string' && /^https?:\/\//.test(value)) values[name] = `${baseUrl}/${tag}/${name}`;
	}
	setSettings(wf, values);
	return values;
}

module.exports = { EXPECTED, loadTemplates, nodesOfType, nodeNamed, setSettings, settingsOf, fastPolls, pointUrlsAt };
