import { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse, createServer } from 'http';
import type { AddressInfo, Socket } from 'net';

/** What the server does with one request. */
export type Fault = 'ok' | 'timeout' | 'drop' | { status: number; body?: unknown; headers?: Record<string, string> };

export interface ReceivedRequest {
	url: string;
	headers: IncomingHttpHeaders;
	body: Buffer;
	fault: Fault;
	at: number;
}

/**
 * A real HTTP server on 127.0.0.1 for delivery tests: each request takes the next fault of a script
 * (or a random one at a failure rate), and the server records every request and counts the ones it
 * acknowledged (answered 2xx) by Idempotency-Key. A 'timeout' holds the request unanswered; 'drop'
 * destroys the connection mid-request.
 */
export class FlakyUpstream {
	readonly requests: ReceivedRequest[] = [];
	/** Idempotency-Key → times acknowledged. */
	readonly acknowledged = new Map<string, number>();
	private script: Fault[] = [];
	private failRate = 0;
	private random: () => number = Math.random;
	private readonly sockets = new Set<Socket>();
	private readonly server = createServer((req, res) => this.handle(req, res));
	url = '';

	/** The answer to an acknowledged request; DHIS2-like by default. */
	okBody: (req: ReceivedRequest) => unknown = () => ({ status: 'SUCCESS', importCount: { imported: 1, updated: 0, ignored: 0, deleted: 0 } });

	async start(): Promise<this> {
		this.server.on('connection', (s) => {
			this.sockets.add(s);
			s.on('close', () => this.sockets.delete(s));
		});
		await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
		this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
		return this;
	}

	/** The next requests get these faults, in order; after them, the failure rate applies. */
	plan(...faults: Fault[]): this {
		this.script.push(...faults);
		return this;
	}

	/** Fails this share of requests with a random mix of 500, timeout and dropped connection. */
	failing(rate: number, random: () => number = Math.random): this {
		this.failRate = rate;
		this.random = random;
		return this;
	}

	reset(): void {
		this.requests.length = 0;
		this.acknowledged.clear();
		this.script = [];
		this.failRate = 0;
	}

	/** Keys acknowledged more than once. */
	duplicates(): string[] {
		return [...this.acknowledged].filter(([, n]) => n > 1).map(([k]) => k);
	}

	async close(): Promise<void> {
		for (const s of this.sockets) s.destroy();
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}

	private nextFault(): Fault {
		const planned = this.script.shift();
		if (planned) return planned;
		if (this.random() >= this.failRate) return 'ok';
		const kind = Math.floor(this.random() * 3);
		return kind === 0 ? { status: 500, body: { error: 'upstream busy' } } : kind === 1 ? 'timeout' : 'drop';
	}

	private handle(req: IncomingMessage, res: ServerResponse) {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const fault = this.nextFault();
			const received: ReceivedRequest = { url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), fault, at: Date.now() };
			this.requests.push(received);
			if (fault === 'timeout') return; // never answered; the client gives up
			if (fault === 'drop') {
				req.socket.destroy();
				return;
			}
			if (fault === 'ok') {
				const key = String(req.headers['idempotency-key'] ?? '');
				this.acknowledged.set(key, (this.acknowledged.get(key) ?? 0) + 1);
				res.writeHead(200, { 'Content-Type': 'application/json' });
				res.end(JSON.stringify(this.okBody(received)));
				return;
			}
			res.writeHead(fault.status, { 'Content-Type': 'application/json', ...fault.headers });
			res.end(fault.body === undefined ? '' : typeof fault.body === 'string' ? fault.body : JSON.stringify(fault.body));
		});
	}
}
