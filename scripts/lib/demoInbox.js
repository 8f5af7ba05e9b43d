// The demo's stand-in for the systems a district would connect the templates to: the messaging
// gateway that tells staff and volunteers what to do (/sms-gateway/…, /messages) and the higher-level
// system that receives exports and verification results (any other path). It answers every request
// with 200 and prints one line per request in the `npm start` terminal, so that a newcomer sees the
// escalation notice, with its acknowledgment link, arrive. GET / lists what it received as JSON.
const http = require('http');

const MAX_KEPT = 200;
const MAX_BODY = 5 * 1024 * 1024;

/** The most telling text of a message body, on one line. */
function summary(body) {
	if (body && typeof body === 'object') {
		const text = body.text ?? body.message ?? body.content ?? body.msg?.content ?? body.markdown?.content ?? body.subject;
		const to = body.to ?? body.recipient ?? body.staffName ?? body.name;
		const parts = [to ? `to ${typeof to === 'object' ? JSON.stringify(to) : to}` : '', text ? String(text) : ''];
		const shown = parts.filter(Boolean).join(': ');
		if (shown) return shown;
		if (Array.isArray(body.dataValues)) return `DHIS2 dataValueSet, ${body.dataValues.length} values`;
		if (body.resourceType) return `FHIR ${body.resourceType}${Array.isArray(body.entry) ? `, ${body.entry.length} entries` : ''}`;
	}
	return typeof body === 'string' ? body : JSON.stringify(body);
}

/**
 * Starts the inbox on `port` (0: any free port) and resolves to { url, port, received, close }.
 * `print(line)` shows each request; received holds the last 200 as { at, method, path, body }.
 */
function startDemoInbox({ port = 0, print = (line) => process.stdout.write(`${line}\n`) } = {}) {
	const received = [];
	const server = http.createServer((req, res) => {
		if (req.method === 'GET' && (req.url === '/' || req.url === '/messages')) {
			res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
			res.end(JSON.stringify(received, null, 2));
			return;
		}
		const chunks = [];
		let size = 0;
		req.on('data', (chunk) => {
			size += chunk.length;
			if (size <= MAX_BODY) chunks.push(chunk);
		});
		req.on('end', () => {
			const raw = Buffer.concat(chunks).toString('utf8');
			let body = raw;
			try {
				body = raw ? JSON.parse(raw) : null;
			} catch {
				// form posts and CSV stay text
			}
			received.push({ at: new Date().toISOString(), method: req.method, path: req.url, body });
			if (received.length > MAX_KEPT) received.shift();
			const kind = /^\/(sms-gateway|messages|wecom|im)\b/.test(req.url) ? 'message' : 'upstream';
			const line = summary(body).replace(/\s+/g, ' ').slice(0, 400);
			print(`  [demo ${kind}] ${req.method} ${req.url}  ${line}`);
			res.writeHead(200, { 'content-type': 'application/json' });
			// a DHIS2-shaped answer satisfies the export delivery's import-summary check
			res.end(JSON.stringify({ ok: true, status: 'OK', importCount: { imported: 0, updated: 0, ignored: 0, deleted: 0 } }));
		});
	});
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, '127.0.0.1', () => {
			const actual = server.address().port;
			resolve({
				port: actual,
				url: `http://127.0.0.1:${actual}`,
				received,
				close: () => new Promise((done) => server.close(() => done())),
			});
		});
	});
}

module.exports = { startDemoInbox };
