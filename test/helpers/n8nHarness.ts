/**
 * An in-process n8n: loads this package's BUILT nodes from dist/ through n8n-core's package loader (as
 * n8n loads a community package), plus a few n8n-nodes-base nodes, and runs workflow JSON with n8n-core's
 * WorkflowExecute, credentials supplied in-process by type.
 *
 *   const harness = await getHarness();
 *   const result = await harness.runWorkflow(workflowJson, {
 *     credentials: { gridGovernancePostgres: gridCredentials(db.config()) },
 *     inputItems: [{ code: '370614', name: '蓬莱区' }],   // becomes the trigger's output
 *   });
 *   result.output('Grid')            // [{ json, pairedItem }]
 *   result.node('Grid').error         // the error n8n recorded, if the node failed
 *   result.node('Grid').thrown        // the Error instance the node threw
 *
 * One harness per process (getHarness) serves any number of executions, sequential or concurrent; the
 * Grid node's connection pools live in the loaded dist modules and are reused across executions, as in a
 * long-running n8n process. closeGridPools() ends them (tests' afterAll, bench end).
 *
 * Used by test/workflows (through ts-jest) and by bench/ (through bench/lib/tsRequire.js).
 */
import { existsSync, readFileSync } from 'fs';
import path from 'path';
import { randomUUID } from 'crypto';
import { ExecutionLifecycleHooks, WorkflowExecute } from 'n8n-core';
import {
	type ExecutionError,
	type ExecutionStatus,
	type IConnections,
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type INode,
	type INodeParameters,
	type INodeExecutionData,
	type IPairedItemData,
	type IPinData,
	type IRun,
	type ITaskData,
	type IWorkflowBase,
	type IWorkflowExecuteAdditionalData,
	type IWorkflowSettings,
	type WorkflowExecuteMode,
	Workflow,
} from 'n8n-workflow';
import { type LogLevel, type PreparedContainer, prepareContainer } from './harness/container';
import { type CredentialsByType, HarnessCredentialsHelper } from './harness/credentialsHelper';
import { DEFAULT_BASE_NODES, type ExecutionCapture, HarnessNodeTypes, executionCapture } from './harness/nodeTypes';

export type { CredentialsByType } from './harness/credentialsHelper';
export { DEFAULT_BASE_NODES } from './harness/nodeTypes';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const GRID_NODE_TYPE = 'n8n-nodes-grid-governance.grid';

/** A node as it appears in workflow JSON; id, position and typeVersion may be left out. */
export type WorkflowNodeJson = Omit<INode, 'id' | 'position' | 'typeVersion' | 'parameters'> &
	Partial<Pick<INode, 'id' | 'position' | 'typeVersion' | 'parameters'>>;

/** Workflow JSON as the editor exports it (only nodes and connections are required). */
export interface WorkflowJson {
	id?: string;
	name?: string;
	nodes: WorkflowNodeJson[];
	connections: IConnections;
	settings?: IWorkflowSettings;
	pinData?: IPinData;
}

export interface RunOptions {
	/** Decrypted credential data by credential type; nodes that need a type get it automatically. */
	credentials?: CredentialsByType;
	/**
	 * Items to feed in as the output of `inputNode` (default: the workflow's start node, i.e. its
	 * trigger). Plain objects become `{ json }`. The arrays are used as given, not copied.
	 */
	inputItems?: readonly object[];
	inputNode?: string;
	/** 'manual' (default, like the editor's Execute Workflow), 'trigger', 'integrated', … */
	mode?: WorkflowExecuteMode;
	executionId?: string;
}

export interface OutputItem extends INodeExecutionData {
	pairedItem?: IPairedItemData | IPairedItemData[] | number;
}

export interface NodeRunResult {
	status: ExecutionStatus | undefined;
	/** Items of the first (main) output. */
	items: OutputItem[];
	/** Items of every output (error output included when the node has one). */
	outputs: OutputItem[][];
	/** What n8n recorded for a failed node: a plain copy of the error (name, message, description, context). */
	error?: ExecutionError;
	/** The Error instance the node's execute() threw, when it threw one. */
	thrown?: Error;
	executionTime: number;
}

export interface WorkflowRunResult {
	executionId: string;
	status: ExecutionStatus;
	/** The execution's error (the failing node's error), if any. */
	error?: ExecutionError;
	/** Name of the node that failed the execution, if any. */
	failedNode?: string;
	/** Every run of every node that ran, by node name. */
	nodes: Record<string, NodeRunResult[]>;
	/** The run of a node; throws when the node did not run. */
	node(name: string, runIndex?: number): NodeRunResult;
	/** The first output's items of a node's run; throws when the node did not run. */
	output(name: string, runIndex?: number): OutputItem[];
	/** What WorkflowExecute returned, untouched. */
	run: IRun;
}

export interface HarnessOptions {
	/** Package root whose package.json `n8n` section lists the built files (default: this project). */
	packageRoot?: string;
	/** n8n-nodes-base node types to make available (default: DEFAULT_BASE_NODES). */
	baseNodes?: string[];
	/** Print n8n's log lines from this level up (default: silent; GRID_HARNESS_LOG overrides). */
	logLevel?: LogLevel;
}

/** The harness runs what dist/ holds: `npm test` builds first; after editing nodes/, run `npm run build`. */
function checkBuilt(root: string) {
	const pkg = require(path.join(root, 'package.json')) as { n8n?: { nodes?: string[]; credentials?: string[] } };
	const files = [...(pkg.n8n?.nodes ?? []), ...(pkg.n8n?.credentials ?? [])];
	if (!files.length) throw new Error(`${root}/package.json lists no n8n nodes or credentials`);
	const missing = files.filter((f) => !existsSync(path.join(root, f)));
	if (missing.length) throw new Error(`The built package is missing ${missing.join(', ')}: run \`npm run build\` first`);
}

function toItem(item: object): INodeExecutionData {
	const maybe = item as INodeExecutionData;
	return maybe && typeof maybe.json === 'object' && maybe.json !== null && !Array.isArray(maybe.json) ? maybe : { json: item as IDataObject };
}

let executionCounter = 0;

export class N8nHarness {
	private constructor(
		readonly root: string,
		readonly nodeTypes: HarnessNodeTypes,
		readonly container: PreparedContainer,
	) {}

	static async create(options: HarnessOptions = {}): Promise<N8nHarness> {
		const root = path.resolve(options.packageRoot ?? PROJECT_ROOT);
		checkBuilt(root);
		const container = prepareContainer((process.env.GRID_HARNESS_LOG as LogLevel | undefined) ?? options.logLevel ?? 'silent');
		const baseDir = path.dirname(require.resolve('n8n-nodes-base/package.json'));
		const nodeTypes = await HarnessNodeTypes.load([
			{ directory: root },
			{ directory: baseDir, includeNodes: options.baseNodes ?? DEFAULT_BASE_NODES },
		]);
		return new N8nHarness(root, nodeTypes, container);
	}

	/** The built (dist) module of this package at a path relative to dist/, e.g. 'nodes/shared/db/pool'. */
	distModule<T = Record<string, unknown>>(relative: string): T {
		return require(path.join(this.root, 'dist', relative)) as T;
	}

	/** Ends the Grid node's pools of this process (the ones the workflows used). */
	async closeGridPools(): Promise<void> {
		await this.distModule<{ closeAllPools: () => Promise<void> }>('nodes/shared/db/pool').closeAllPools();
	}

	/** The workflow's nodes as n8n stores them: ids, positions, type versions and credential references filled in. */
	prepareNodes(workflow: WorkflowJson, credentials: CredentialsByType): INode[] {
		return workflow.nodes.map((raw, k) => {
			const node = structuredClone(raw) as INode;
			node.id ??= randomUUID();
			node.position ??= [k * 220, 0];
			node.parameters ??= {};
			if (!this.nodeTypes.has(node.type)) {
				throw new Error(`Node "${node.name}" has type "${node.type}", which the harness has not loaded (loaded: ${this.nodeTypes.knownNames().join(', ')})`);
			}
			if (node.typeVersion === undefined) {
				const type = this.nodeTypes.getByName(node.type);
				node.typeVersion = 'nodeVersions' in type ? type.currentVersion : Math.max(...[type.description.version].flat());
			}
			// Give the node every credential type it declares that the test supplies (n8n stores an id
			// reference here; the harness's helper answers by type, so any id will do).
			const declared = this.nodeTypes.getByNameAndVersion(node.type, node.typeVersion).description.credentials ?? [];
			for (const { name } of declared) {
				if (credentials[name] && !node.credentials?.[name]) {
					node.credentials = { ...(node.credentials ?? {}), [name]: { id: `harness-${name}`, name: `Harness ${name}` } };
				}
			}
			return node;
		});
	}

	/** What n8n hands a running workflow besides the workflow itself: credentials, hooks and base URLs. */
	additionalData(credentials: CredentialsByType, hooks: ExecutionLifecycleHooks, executionId?: string): IWorkflowExecuteAdditionalData {
		return {
			credentialsHelper: new HarnessCredentialsHelper(credentials, this.nodeTypes),
			hooks,
			executionId,
			currentNodeExecutionIndex: 0,
			restApiUrl: 'http://localhost:5678/rest',
			instanceBaseUrl: 'http://localhost:5678/',
			formWaitingBaseUrl: 'http://localhost:5678/form-waiting',
			webhookBaseUrl: 'http://localhost:5678/webhook',
			webhookWaitingBaseUrl: 'http://localhost:5678/webhook-waiting',
			webhookTestBaseUrl: 'http://localhost:5678/webhook-test',
			variables: {},
			userId: 'harness-user',
			executeWorkflow: async () => {
				throw new Error('The harness does not run sub-workflows');
			},
			getRunExecutionData: async () => undefined,
			logAiEvent: () => undefined,
			startRunnerTask: async () => {
				throw new Error('The harness has no task runner; the Code node runs in its in-process sandbox');
			},
		} as unknown as IWorkflowExecuteAdditionalData;
	}

	/** Runs the workflow to the end and returns what every node put out. Never throws for node errors. */
	async runWorkflow(workflow: WorkflowJson, options: RunOptions = {}): Promise<WorkflowRunResult> {
		const credentials = options.credentials ?? {};
		const mode = options.mode ?? 'manual';
		const executionId = options.executionId ?? `harness-${process.pid}-${++executionCounter}`;
		const nodes = this.prepareNodes(workflow, credentials);
		const workflowId = workflow.id ?? 'harness-workflow';
		const wf = new Workflow({
			id: workflowId,
			name: workflow.name ?? 'Harness workflow',
			nodes,
			connections: workflow.connections,
			active: false,
			nodeTypes: this.nodeTypes,
			settings: { executionOrder: 'v1', ...(workflow.settings ?? {}) },
		});

		let pinData: IPinData | undefined = workflow.pinData;
		if (options.inputItems) {
			const target = options.inputNode ?? wf.getStartNode()?.name;
			if (!target || !wf.getNode(target)) throw new Error(`No node "${options.inputNode ?? '(start node)'}" to feed the input items to`);
			pinData = { ...(pinData ?? {}), [target]: options.inputItems.map(toItem) };
		}

		const workflowData: IWorkflowBase = {
			id: workflowId,
			name: wf.name ?? '',
			active: false,
			isArchived: false,
			activeVersionId: null,
			createdAt: new Date(),
			updatedAt: new Date(),
			nodes,
			connections: workflow.connections,
			settings: wf.settings,
		};
		const hooks = new ExecutionLifecycleHooks(mode, executionId, workflowData);
		const additionalData = this.additionalData(credentials, hooks, executionId);

		const capture: ExecutionCapture = { thrown: new Map() };
		const run = await executionCapture.run(capture, () =>
			new WorkflowExecute(additionalData, mode).run({ workflow: wf, pinData }),
		);
		return toResult(executionId, run, capture);
	}
}

function toResult(executionId: string, run: IRun, capture: ExecutionCapture): WorkflowRunResult {
	const nodes: Record<string, NodeRunResult[]> = {};
	const runData = run.data.resultData.runData ?? {};
	for (const [name, tasks] of Object.entries(runData)) {
		const thrown = capture.thrown.get(name) ?? [];
		nodes[name] = (tasks as ITaskData[]).map((task, i) => {
			const outputs = ((task.data?.main ?? []) as Array<INodeExecutionData[] | null>).map((o) => (o ?? []) as OutputItem[]);
			return {
				status: task.executionStatus,
				items: outputs[0] ?? [],
				outputs,
				error: task.error,
				thrown: task.error ? thrown[Math.min(i, thrown.length - 1)] : undefined,
				executionTime: task.executionTime,
			};
		});
	}
	const error = run.data.resultData.error;
	const nodeRun = (name: string, runIndex = 0) => {
		const r = nodes[name]?.[runIndex];
		if (!r) throw new Error(`Node "${name}" has no run ${runIndex} (ran: ${Object.keys(nodes).join(', ') || 'nothing'})${error ? `; execution error: ${error.message}` : ''}`);
		return r;
	};
	return {
		executionId,
		status: run.status,
		error,
		failedNode: error ? run.data.resultData.lastNodeExecuted : undefined,
		nodes,
		node: nodeRun,
		output: (name, runIndex = 0) => nodeRun(name, runIndex).items,
		run,
	};
}

let shared: Promise<N8nHarness> | undefined;

/** The process's harness, created on first use with the given options (later options are ignored). */
export function getHarness(options?: HarnessOptions): Promise<N8nHarness> {
	shared ??= N8nHarness.create(options).catch((error) => {
		shared = undefined;
		throw error;
	});
	return shared;
}

/** Shorthand: runs a workflow on the process's harness. */
export async function runWorkflow(workflow: WorkflowJson, options?: RunOptions): Promise<WorkflowRunResult> {
	return (await getHarness()).runWorkflow(workflow, options);
}

/** Reads workflow JSON as exported from the n8n editor (or written by hand) from a file. */
/** A manual trigger feeding one node of `type` called `name`: the shape most node tests run. */
export function singleNodeWorkflow(type: string, name: string, parameters: INodeParameters, settings: Partial<WorkflowNodeJson> = {}): WorkflowJson {
	return {
		nodes: [
			{ name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {} },
			{ name, type, typeVersion: 1, parameters, ...settings },
		],
		connections: { Start: { main: [[{ node: name, type: 'main', index: 0 }]] } },
	};
}

export function loadWorkflowFile(file: string): WorkflowJson {
	const workflow = JSON.parse(readFileSync(file, 'utf8')) as WorkflowJson;
	if (!Array.isArray(workflow.nodes) || typeof workflow.connections !== 'object') {
		throw new Error(`${file} is not workflow JSON (needs "nodes" and "connections")`);
	}
	return workflow;
}

/** Grid Governance Postgres credential data for a connection (e.g. TestDatabase.config()). */
export function gridCredentials(c: {
	host: string;
	port: number;
	database: string;
	user: string;
	password: string;
	personalDataKey: string;
	schema?: string;
	maxConnections?: number;
	scopeCode?: string;
	timezone?: string;
	segmentWidths?: number[];
}): ICredentialDataDecryptedObject {
	return {
		host: c.host,
		port: c.port,
		database: c.database,
		user: c.user,
		password: c.password,
		ssl: 'disable',
		schema: c.schema ?? 'grid',
		maxConnections: c.maxConnections ?? 5,
		personalDataKey: c.personalDataKey,
		scopeCode: c.scopeCode ?? '',
		timezone: c.timezone ?? 'Asia/Shanghai',
		segmentWidths: (c.segmentWidths ?? [3, 3, 3, 4]).join(','),
	};
}

/** Credential data for n8n's own Postgres node (type `postgres`) from a postgres:// URL. */
export function postgresCredentials(url: string, maxConnections = 5): ICredentialDataDecryptedObject {
	const u = new URL(url);
	return {
		host: decodeURIComponent(u.hostname) || '127.0.0.1',
		port: u.port ? Number(u.port) : 5432,
		database: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres',
		user: decodeURIComponent(u.username) || 'postgres',
		password: decodeURIComponent(u.password),
		ssl: 'disable',
		allowUnauthorizedCerts: false,
		sshTunnel: false,
		maxConnections,
	};
}
