// The shipped templates (workflows/*.json) made ready for one n8n: stable ids, the credentials of that
// n8n in place of the placeholders, and the example endpoints (https://….example.gov.cn/…) pointed at a
// local stand-in when one is given. `npm start` imports them this way; the e2e tests can too.
const fs = require('fs');
const path = require('path');
const { stableId } = require('./n8n');

const TEMPLATE_DIR = path.resolve(__dirname, '..', '..', 'workflows');
/** Templates that `npm start` publishes (activates) at once: they answer webhooks and react to the demo. */
const ACTIVE_ON_START = ['incident-intake.json', 'high-risk-escalation.json', 'dashboard.json'];
const EXAMPLE_ORIGIN = /https:\/\/([a-z0-9-]+)\.example\.gov\.cn/g;

function loadTemplates(dir = TEMPLATE_DIR) {
	if (!fs.existsSync(dir)) return [];
	return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
		.map((file) => ({ file, workflow: JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) }));
}

/** Every string in a value, rewritten by fn (objects and arrays walked, other values kept). */
function mapStrings(value, fn) {
	if (typeof value === 'string') return fn(value);
	if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn));
	if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn)]));
	return value;
}

/**
 * A copy of the template ready to import:
 *   credentials  { [credentialType]: { id, name } } put on every node that references that type
 *   standIn      base URL of a local stand-in: https://sms-gateway.example.gov.cn/api/send becomes
 *                <standIn>/sms-gateway/api/send (in parameters, Settings values and expressions alike)
 */
function prepareTemplate({ file, workflow }, { credentials = {}, standIn } = {}) {
	const copy = structuredClone(workflow);
	copy.id = copy.id || stableId(`template:${file}`);
	for (const node of copy.nodes ?? []) {
		for (const type of Object.keys(node.credentials ?? {})) {
			if (credentials[type]) node.credentials[type] = { ...credentials[type] };
		}
		if (standIn) node.parameters = mapStrings(node.parameters ?? {}, (s) => s.replace(EXAMPLE_ORIGIN, (_, host) => `${standIn}/${host}`));
	}
	return copy;
}

module.exports = { TEMPLATE_DIR, ACTIVE_ON_START, loadTemplates, prepareTemplate };
