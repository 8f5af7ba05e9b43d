// Loopback stand-ins for the systems the templates talk to: an HTTP server that records every
// request (the messaging gateway, the higher-level system, the duty officer's alert endpoint) and a
// minimal SMTP server (the street office's mailbox). The tests read what arrived from them.
const http = require('http');
const net = require('net');

/** Resolves once `predicate()` holds, polling every 200 ms; rejects with `what` after timeoutMs. */
async function until(predicate, timeoutMs, what) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await predicate();
		if (value) return value;
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 200));
	}
}

/** Records { at, method, path, headers, text, json } for each request and answers 200 {"ok":true}. */
async function startHttpRecorder() {
	const requests = [];
	const server = http.createServer((req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			const text = Buffer.concat(chunks).toString('utf8');
			let json;
			try {
				json = text ? JSON.parse(text) : undefined;
			} catch {
				json = undefined;
			}
			requests.push({ at: Date.now(), method: req.method, path: req.url, headers: req.headers, text, json });
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end('{"ok":true}');
		});
	});
	server.keepAliveTimeout = 1000;
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${server.address().port}`;
	return {
		url,
		requests,
		/** The requests whose path starts with prefix. */
		to: (prefix) => requests.filter((r) => r.path.startsWith(prefix)),
		close: () => new Promise((resolve) => {
			server.closeAllConnections?.();
			server.close(() => resolve());
		}),
	};
}

/** Just enough SMTP (no TLS, no auth) for nodemailer to hand over a message; keeps envelope and text. */
async function startSmtpRecorder() {
	const mails = [];
	const sockets = new Set();
	const server = net.createServer((socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
		socket.on('error', () => undefined);
		const say = (line) => socket.write(`${line}\r\n`);
		let pending = '';
		let data = null;
		let envelope = { from: '', to: [] };
		say('220 e2e-smtp ready');
		socket.on('data', (chunk) => {
			pending += chunk.toString('utf8');
			for (;;) {
				if (data !== null) {
					const end = pending.indexOf('\r\n.\r\n');
					if (end < 0) return;
					mails.push({ ...envelope, raw: pending.slice(0, end) });
					pending = pending.slice(end + 5);
					data = null;
					envelope = { from: '', to: [] };
					say('250 accepted');
					continue;
				}
				const eol = pending.indexOf('\r\n');
				if (eol < 0) return;
				const line = pending.slice(0, eol);
				pending = pending.slice(eol + 2);
				const verb = line.slice(0, 4).toUpperCase();
				if (verb === 'EHLO' || verb === 'HELO') say('250 e2e-smtp');
				else if (verb === 'MAIL') (envelope.from = line.replace(/^MAIL FROM:\s*/i, '').replace(/[<>]/g, '').split(' ')[0]), say('250 ok');
				else if (verb === 'RCPT') envelope.to.push(line.replace(/^RCPT TO:\s*/i, '').replace(/[<>]/g, '').split(' ')[0]), say('250 ok');
				else if (verb === 'DATA') (data = ''), say('354 go ahead');
				else if (verb === 'QUIT') say('221 bye'), socket.end();
				else say('250 ok');
			}
		});
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	const port = server.address().port;
	return {
		port,
		mails,
		/** The data of n8n's `smtp` credential type pointing here. */
		credentialData: { user: '', password: '', host: '127.0.0.1', port, secure: false, disableStartTls: true, hostName: '' },
		close: () => new Promise((resolve) => {
			for (const s of sockets) s.destroy();
			server.close(() => resolve());
		}),
	};
}

module.exports = { until, startHttpRecorder, startSmtpRecorder };
