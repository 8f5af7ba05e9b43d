/**
 * A loopback SMTP stand-in for the templates' Send Email nodes: it speaks just enough SMTP (no TLS,
 * no auth) for nodemailer to hand over a message, and keeps every message's envelope and raw text,
 * so that a test can read the recipients and the attachments that went out.
 */
import { type Server, type Socket, createServer } from 'net';
import type { AddressInfo } from 'net';

export interface ReceivedMail {
	from: string;
	to: string[];
	/** The message as sent: headers and MIME body. */
	raw: string;
}

export class SmtpStandIn {
	readonly mails: ReceivedMail[] = [];
	port = 0;
	private readonly sockets = new Set<Socket>();
	private readonly server: Server = createServer((socket) => this.session(socket));

	async start(): Promise<this> {
		await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
		this.port = (this.server.address() as AddressInfo).port;
		return this;
	}

	/** Credential data of n8n's `smtp` credential type pointing here. */
	credential() {
		return { user: '', password: '', host: '127.0.0.1', port: this.port, secure: false, disableStartTls: true, hostName: '' };
	}

	async close(): Promise<void> {
		for (const s of this.sockets) s.destroy();
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}

	private session(socket: Socket) {
		this.sockets.add(socket);
		socket.on('close', () => this.sockets.delete(socket));
		let buffer = '';
		let inData = false;
		let mail: ReceivedMail = { from: '', to: [], raw: '' };
		const reply = (line: string) => socket.write(`${line}\r\n`);
		reply('220 smtp-stand-in ready');
		socket.on('data', (chunk: Buffer) => {
			buffer += chunk.toString('utf8');
			for (;;) {
				if (inData) {
					const end = buffer.indexOf('\r\n.\r\n');
					if (end < 0) return;
					mail.raw = buffer.slice(0, end).replace(/^\.\./gm, '.');
					buffer = buffer.slice(end + 5);
					inData = false;
					this.mails.push(mail);
					mail = { from: '', to: [], raw: '' };
					reply('250 queued');
					continue;
				}
				const eol = buffer.indexOf('\r\n');
				if (eol < 0) return;
				const line = buffer.slice(0, eol);
				buffer = buffer.slice(eol + 2);
				const verb = line.slice(0, 4).toUpperCase();
				if (verb === 'EHLO' || verb === 'HELO') reply('250 smtp-stand-in');
				else if (verb === 'MAIL') { mail.from = line.replace(/^MAIL FROM:\s*/i, '').replace(/[<>]/g, '').split(' ')[0]; reply('250 ok'); }
				else if (verb === 'RCPT') { mail.to.push(line.replace(/^RCPT TO:\s*/i, '').replace(/[<>]/g, '').split(' ')[0]); reply('250 ok'); }
				else if (verb === 'DATA') { inData = true; reply('354 end with <CRLF>.<CRLF>'); }
				else if (verb === 'QUIT') { reply('221 bye'); socket.end(); return; }
				else reply('250 ok');
			}
		});
	}
}
