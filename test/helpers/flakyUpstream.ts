import { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse, createServer } from 'http';
import type { AddressInfo, Socket } from 'net';

/**
 * What the server does with one request. ok: processes it and answers 200. timeout: never answers
 * (the client's timeout ends it). drop: destroys the connection mid-request, before reading the
 * body. lostAnswer: processes it, then destroys the connection before answering, as when the
 * network fails on the way back. hang: accepts the connection and never reads nor answers the
 * request; the socket stays open until the client gives up (or close()). hangAfterProcessing:
 * processes it, then never answers, as an upstream stuck after its commit. trickle: answers 200 with
 * headers and then one byte every 100 ms, never ending the body, so an idle-socket timeout never
 * fires; unprocessed. A status: answers it with the body and headers, unprocessed.
 */
export type Fault =
	| 'ok' | 'timeout' | 'drop' | 'lostAnswer' | 'hang' | 'hangAfterProcessing' | 'trickle'
	| { status: number; body?: unknown; headers?: Record<string, string> };

export type RandomFault = 'http500' | 'timeout' | 'drop' | 'lostAnswer';

export interface ReceivedRequest {
	method: string;
	url: string;
	headers: IncomingHttpHeaders;
	body: Buffer;
	fault: Fault;
	/** Whether the upstream processed it (ok, lostAnswer, hangAfterProcessing). */
	processed: boolean;
	at: number;
}

/**
 * A real HTTP server on 127.0.0.1 for delivery tests and benchmarks: each request takes the next
 * fault of a script, or a random one at a failure rate, and every request is recorded. Processed
 * requests are counted by Idempotency-Key, without deduplication, so that a client sending one
 * export twice shows up as a duplicate; stored() is what an upstream that honours the key would keep.
 */
export class FlakyUpstream {
	readonly requests: ReceivedRequest[] = [];
	/** Idempotency-Key → times processed ('' for requests without one). */
	readonly acknowledged = new Map<string, number>();
	private script: Fault[] = [];
	private failRate = 0;
	private kinds: RandomFault[] = ['http500', 'timeout', 'drop'];
	private random: () => number = Math.random;
	private unkeyed = 0;
	private readonly sockets = new Set<Socket>();
	private readonly server = createServer((req, res) => this.handle(req, res));
	url = '';

	/** The answer to a processed request; DHIS2-like by default. */
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

	/** Fails this share of requests with a random pick of the given kinds (500, timeout, dropped connection by default). */
	failing(rate: number, random: () => number = Math.random, kinds: RandomFault[] = ['http500', 'timeout', 'drop']): this {
		this.failRate = rate;
		this.random = random;
		this.kinds = kinds;
		return this;
	}

	reset(): void {
		this.requests.length = 0;
		this.acknowledged.clear();
		this.script = [];
		this.failRate = 0;
		this.unkeyed = 0;
	}

	/** Keys processed more than once. */
	duplicates(): string[] {
		return [...this.acknowledged].filter(([k, n]) => k !== '' && n > 1).map(([k]) => k);
	}

	/** Deliveries an upstream honouring Idempotency-Key would have stored: one per key, each unkeyed request on its own. */
	stored(): number {
		return [...this.acknowledged.keys()].filter((k) => k !== '').length + this.unkeyed;
	}

	async close(): Promise<void> {
		for (const s of this.sockets) s.destroy();
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}

	private nextFault(): Fault {
		const planned = this.script.shift();
		if (planned) return planned;
		if (this.failRate <= 0 || this.random() >= this.failRate) return 'ok';
		const kind = this.kinds[Math.floor(this.random() * this.kinds.length)];
		return kind === 'http500' ? { status: 500, body: { error: 'upstream busy' } } : kind;
	}

	private process(req: ReceivedRequest): void {
		req.processed = true;
		const key = String(req.headers['idempotency-key'] ?? '');
		if (!key) this.unkeyed++;
		this.acknowledged.set(key, (this.acknowledged.get(key) ?? 0) + 1);
	}

	private handle(req: IncomingMessage, res: ServerResponse) {
		const fault = this.nextFault();
		const received: ReceivedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.alloc(0), fault, processed: false, at: Date.now() };
		this.requests.push(received);
		if (fault === 'drop') {
			req.socket.destroy();
			return;
		}
		if (fault === 'hang') return; // the body is never read: the request sits in the socket
		if (fault === 'trickle') {
			res.writeHead(200, { 'Content-Type': 'application/json' });
			res.write(' ');
			const drip = setInterval(() => res.write(' '), 100);
			res.on('close', () => clearInterval(drip));
			return;
		}
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			received.body = Buffer.concat(chunks);
			if (fault === 'timeout') return; // never answered; the client gives up
			if (fault === 'hangAfterProcessing') {
				this.process(received);
				return;
			}
			if (fault === 'lostAnswer') {
				this.process(received);
				req.socket.destroy();
				return;
			}
			if (fault === 'ok') {
				this.process(received);
				res.writeHead(200, { 'Content-Type': 'application/json' });
				res.end(JSON.stringify(this.okBody(received)));
				return;
			}
			const body = fault.body === undefined ? '' : typeof fault.body === 'string' ? fault.body : JSON.stringify(fault.body);
			res.writeHead(fault.status, { 'Content-Type': typeof fault.body === 'string' ? 'text/plain' : 'application/json', ...fault.headers });
			res.end(body);
		});
	}
}
