/**
 * What n8n-core 2.8's dependency-injection container must hold before WorkflowExecute can run a
 * workflow outside the n8n server. Found by reading node_modules/n8n-core/dist:
 *
 * - `Logger` (@n8n/backend-common): taken by DirectoryLoader's constructor, by every node execution
 *   context (`this.logger`) and by the error reporter. Left alone, the container would build the real
 *   winston logger from GlobalConfig and print to the console; we register a small collecting logger and
 *   hand it to n8n-workflow's LoggerProxy as well (WorkflowExecute logs through the proxy).
 * - `InstanceSettings` (n8n-core): every NodeExecutionContext reads it in its constructor (instanceId,
 *   HMAC secret for signed URLs); `Cipher` (credentials, execution context) reads its encryption key. The
 *   real class reads and writes `~/.n8n/config`; we register a plain object with the same fields, whose
 *   folder is a throw-away directory under the OS temp dir, so nothing outside it is touched.
 * - `ErrorReporter` (n8n-core): WorkflowExecute reports every node error (its `cause`) to it. The real
 *   one logs through the logger and may start Sentry; we register a collector.
 * - `BinaryDataConfig` (n8n-core): `convertBinaryData` looks it up after every node run, even when the
 *   workflow carries no binary data. The real one needs StorageConfig and InstanceSettings' folder
 *   migration; we register `{ mode: 'default' }` (in-memory binary data, as in n8n's own unit tests).
 * - `TaskRunnersConfig` (@n8n/config): the Code node asks it whether to send JavaScript to a task runner.
 *   There is no runner in-process, so the harness switches `enabled` off and the Code node uses its
 *   in-process sandbox.
 * - `SSHClientsManager` (n8n-core, not exported from its index): every execution context takes it from
 *   the container for its SSH-tunnel helpers, and its constructor starts a 60 s interval that keeps the
 *   process alive; the harness builds it up front and unrefs that timer.
 * - Built on demand by the container without help: `ExecutionContextService`,
 *   `ExecutionContextHookRegistry`, `Cipher`, `TriggersAndPollers` (the Manual Trigger in manual mode).
 *
 * Everything here is process-wide (the container is a module singleton), so it is done once.
 */
import { randomBytes, createHash } from 'crypto';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import path from 'path';
import { BinaryDataConfig, ErrorReporter, InstanceSettings } from 'n8n-core';
import { LoggerProxy } from 'n8n-workflow';

export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';
const LEVELS: LogLevel[] = ['silent', 'error', 'warn', 'info', 'debug'];

export interface LogEntry {
	level: Exclude<LogLevel, 'silent'>;
	message: string;
	meta?: unknown;
}

/** A logger with the shape n8n's Logger exposes; keeps the last entries and prints from `printLevel` up. */
export class HarnessLogger {
	readonly entries: LogEntry[] = [];

	constructor(public printLevel: LogLevel = 'silent', private readonly keep = 500) {}

	private log(level: LogEntry['level'], message: string, meta?: unknown) {
		this.entries.push({ level, message, meta });
		if (this.entries.length > this.keep) this.entries.splice(0, this.entries.length - this.keep);
		if (LEVELS.indexOf(level) <= LEVELS.indexOf(this.printLevel)) {
			process.stderr.write(`[n8n ${level}] ${message}\n`);
		}
	}

	error = (message: string, meta?: unknown) => this.log('error', message, meta);
	warn = (message: string, meta?: unknown) => this.log('warn', message, meta);
	info = (message: string, meta?: unknown) => this.log('info', message, meta);
	debug = (message: string, meta?: unknown) => this.log('debug', message, meta);
	verbose = (message: string, meta?: unknown) => this.log('debug', message, meta);
	scoped = () => this;
}

/** The errors WorkflowExecute reports while nodes fail (n8n would send them to Sentry or the log). */
export class HarnessErrorReporter {
	readonly reported: unknown[] = [];

	error = (error: unknown) => {
		this.reported.push(error);
		if (this.reported.length > 200) this.reported.shift();
	};
	warn = (_warning: unknown) => undefined;
	info = (_message: unknown) => undefined;
	init = async () => undefined;
	shutdown = async () => undefined;
}

interface DiContainer {
	get<T>(type: new (...args: never[]) => T): T;
	set<T>(type: new (...args: never[]) => T, instance: T): void;
}

// @n8n/di, @n8n/backend-common and @n8n/config are n8n-core's and n8n-nodes-base's own dependencies:
// resolve them from there, so the harness uses the very instances those packages use. (Resolve, then
// require through our own require: under jest that keeps them in the test file's module registry.)
function requireFrom(pkg: string, id: string): unknown {
	const dir = path.dirname(require.resolve(`${pkg}/package.json`));
	return require(require.resolve(id, { paths: [dir] }));
}
const fromCore = (id: string) => requireFrom('n8n-core', id);
const fromBase = (id: string) => requireFrom('n8n-nodes-base', id);

export interface PreparedContainer {
	Container: DiContainer;
	logger: HarnessLogger;
	errorReporter: HarnessErrorReporter;
	n8nFolder: string;
}

let prepared: PreparedContainer | undefined;

export function prepareContainer(printLevel: LogLevel = 'silent'): PreparedContainer {
	if (prepared) {
		prepared.logger.printLevel = printLevel;
		return prepared;
	}
	const { Container } = fromCore('@n8n/di') as { Container: DiContainer };
	const { Logger } = fromCore('@n8n/backend-common') as { Logger: new (...args: never[]) => unknown };

	const logger = new HarnessLogger(printLevel);
	Container.set(Logger, logger);
	LoggerProxy.init(logger as unknown as Parameters<typeof LoggerProxy.init>[0]);

	// under the test run's own folder when jest's global setup made one (its teardown removes it)
	const n8nFolder = mkdtempSync(path.join(process.env.GRID_HARNESS_TMP ?? tmpdir(), 'grid-n8n-harness-'));
	// nothing of this folder outlives the process (jest workers and bench runs leave no litter in /tmp)
	process.once('exit', () => rmSync(n8nFolder, { recursive: true, force: true }));
	const encryptionKey = randomBytes(24).toString('base64');
	const instanceSettings = {
		n8nFolder,
		staticCacheDir: path.join(n8nFolder, 'cache'),
		customExtensionDir: path.join(n8nFolder, 'custom'),
		nodesDownloadDir: path.join(n8nFolder, 'nodes'),
		encryptionKey,
		instanceId: createHash('sha256').update(encryptionKey).digest('hex'),
		hmacSignatureSecret: createHash('sha256').update(`hmac:${encryptionKey}`).digest('hex'),
		hostId: `main-harness-${process.pid}`,
		instanceType: 'main',
		instanceRole: 'leader',
		isLeader: true,
		isFollower: false,
		isWorker: false,
		isMultiMain: false,
		isSingleMain: true,
		fsStorageMigrated: true,
		markFsStorageMigrated: () => undefined,
		update: () => undefined,
	};
	Container.set(InstanceSettings, instanceSettings as unknown as InstanceSettings);

	const errorReporter = new HarnessErrorReporter();
	Container.set(ErrorReporter, errorReporter as unknown as ErrorReporter);

	Container.set(BinaryDataConfig, { mode: 'default', availableModes: ['default'] } as unknown as BinaryDataConfig);

	const { TaskRunnersConfig } = fromBase('@n8n/config') as { TaskRunnersConfig: new (...args: never[]) => { enabled: boolean } };
	Container.get(TaskRunnersConfig).enabled = false;

	// Every node execution context builds its SSH-tunnel helpers, which takes the SSH clients manager
	// from the container; its constructor starts a 60 s cleanup interval that would keep a test or bench
	// process alive after the last execution. Build it now and let the interval not hold the process.
	const { SSHClientsManager } = fromCore('n8n-core/dist/execution-engine/ssh-clients-manager') as {
		SSHClientsManager: new (...args: never[]) => { cleanupTimer?: NodeJS.Timeout };
	};
	Container.get(SSHClientsManager).cleanupTimer?.unref();

	prepared = { Container, logger, errorReporter, n8nFolder };
	return prepared;
}
