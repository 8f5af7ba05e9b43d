// What the template runs share: the intake request a district's app would send, the intake
// webhook's URL, the resume link in a notification, and n8n executions awaited through its database.
const { nodesOfType } = require('./templates');
const { until } = require('./standIns');
const { jsonOrUndefined } = require('../../../scripts/lib/n8n');

/** The POST webhook of a template (its first one) and the path n8n serves it under. */
function webhookPath(workflow, method = 'POST') {
	const hook = nodesOfType(workflow, '.webhook').find((n) => (n.parameters.httpMethod ?? 'GET') === method);
	if (!hook) throw new Error(`"${workflow.name}" has no ${method} webhook`);
	return hook.parameters.path;
}

/** A report as JSON, the way a resident app or hotline system posts it to the intake webhook. */
function incidentReport({ key, category, description, unitCode, source = 'resident', phone }) {
	return { idempotencyKey: key, source, category, description, unitCode, ...(phone ? { reporterPhone: phone } : {}) };
}

async function postJson(url, body, headers = {}) {
	const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
	const text = await res.text();
	return { status: res.status, text, json: jsonOrUndefined(text) };
}

/** The first n8n resume link (…/webhook-waiting/<execution id>…) in a notification. */
function resumeLinkIn(request) {
	const m = /(https?:\/\/[^\s"'<>]+\/webhook-waiting\/\d+[^\s"'<>]*)/.exec(request.text);
	return m ? m[1] : null;
}

/** Calls a resume link until n8n takes it (it answers 409/404 while the execution is not yet waiting). */
async function acknowledge(link, timeoutMs = 30_000) {
	return until(async () => {
		const res = await fetch(link).catch(() => null);
		if (!res) return false;
		const text = await res.text();
		return res.ok ? { status: res.status, text } : false;
	}, timeoutMs, `n8n to accept the acknowledgment link ${link}`);
}

/** Waits until an n8n execution has finished (success or error), reading n8n's own database. */
async function executionDone(setup, executionId, timeoutMs = 60_000) {
	return until(async () => {
		const [row] = await setup.n8nSql(`SELECT id, status, mode, finished FROM execution_entity WHERE id = $1`, [executionId]);
		return row && ['success', 'error', 'crashed', 'canceled'].includes(row.status) ? row : false;
	}, timeoutMs, `execution ${executionId} to finish`);
}

/**
 * Runs an activated workflow now from its named trigger, as the editor's "Execute workflow" button
 * does (POST /rest/workflows/:id/run); resolves to the finished execution's row.
 */
async function runFromTrigger(setup, workflowId, triggerName) {
	const workflowData = await setup.rest.request('GET', `/workflows/${workflowId}`);
	const { executionId } = await setup.rest.request('POST', `/workflows/${workflowId}/run`, { workflowData, triggerToStartFrom: { name: triggerName } });
	if (!executionId) throw new Error('n8n started no execution');
	return executionDone(setup, executionId);
}

module.exports = { webhookPath, incidentReport, postJson, resumeLinkIn, acknowledge, executionDone, runFromTrigger };
