/**
 * Polling triggers as an active n8n workflow runs them, in-process, on the harness's loaded packages.
 *
 * n8n-core's own ActiveWorkflows activates the workflow: it builds a PollContext (mode 'trigger') for
 * each polling node, runs the first poll at once and registers the node's Poll Times as cron jobs with
 * the ScheduledTaskManager. The only stand-in is that manager: instead of a clock it keeps the jobs'
 * tick functions, and `tick()` fires them, so a test decides when "a minute has passed".
 *
 * What the n8n server adds around ActiveWorkflows is mirrored from its ActiveWorkflowManager
 * (n8n/dist/active-workflow-manager.js): on every emit it saves the workflow's static data (when
 * changed) and starts an execution whose trigger node receives the emitted items (WorkflowExecute in
 * mode 'trigger', node execution stack seeded with the data); on deactivation it saves static data
 * again. `saved` is what the database would hold, so a restart is `activate(..., { staticData: saved })`.
 *
 *   const active = await activatePolling(harness, workflowJson, { credentials });
 *   await active.tick();                    // one cron tick: poll, and run the workflow if it emitted
 *   active.executions[0].output('NoOp')     // items that reached a node
 *   await active.deactivate();
 */
import { randomUUID } from 'crypto';
import { ActiveWorkflows, ExecutionLifecycleHooks, PollContext, WorkflowExecute } from 'n8n-core';
import {
	type IDataObject,
	type INode,
	type INodeExecutionData,
	type IRun,
	type IWorkflowBase,
	type WorkflowActivateMode,
	Workflow,
	createRunExecutionData,
} from 'n8n-workflow';
import type { CredentialsByType } from './harness/credentialsHelper';
import type { N8nHarness, WorkflowJson } from './n8nHarness';

type Tick = () => Promise<void> | void;

/** Stands in for n8n-core's ScheduledTaskManager: records cron registrations instead of starting timers. */
class ManualCron {
	readonly byWorkflow = new Map<string, Array<{ expression: string; onTick: Tick }>>();

	registerCron(ctx: { workflowId: string; expression: string }, onTick: Tick) {
		const list = this.byWorkflow.get(ctx.workflowId) ?? [];
		list.push({ expression: ctx.expression, onTick });
		this.byWorkflow.set(ctx.workflowId, list);
	}

	deregisterCrons(workflowId: string) {
		this.byWorkflow.delete(workflowId);
	}

	deregisterAllCrons() {
		this.byWorkflow.clear();
	}
}

let cron: ManualCron | undefined;

function activeWorkflows(harness: N8nHarness): ActiveWorkflows {
	const { Container } = harness.container;
	if (!cron) {
		cron = new ManualCron();
		// ScheduledTaskManager is not exported from n8n-core's index; take the class the very module
		// ActiveWorkflows imports, so that the container hands our stand-in to it.
		const { ScheduledTaskManager } = require('n8n-core/dist/execution-engine/scheduled-task-manager') as {
			ScheduledTaskManager: new (...args: never[]) => unknown;
		};
		Container.set(ScheduledTaskManager, cron);
	}
	return Container.get(ActiveWorkflows as unknown as new (...args: never[]) => ActiveWorkflows);
}

/** One execution started by an emit. */
export interface PollExecution {
	executionId: string;
	run: IRun;
	/** The first output's items of a node; [] when the node did not run. */
	output(nodeName: string): INodeExecutionData[];
	/** The emitted items, as the trigger node passed them on. */
	emitted: INodeExecutionData[][];
}

export interface ActivePolling {
	workflow: Workflow;
	/** The workflow's static data as n8n would have stored it (saved on emit and on deactivation). */
	saved: IDataObject;
	executions: PollExecution[];
	/** Errors the poll reported through emitError (n8n would record an error execution). */
	errors: Error[];
	/** Fires the registered cron jobs once and waits for the polls and the executions they started. */
	tick(): Promise<PollExecution[]>;
	deactivate(): Promise<void>;
}

export interface ActivateOptions {
	credentials: CredentialsByType;
	/** Static data to start from, e.g. `saved` of an earlier activation (a restart). */
	staticData?: IDataObject;
	/** 'activate' when a user switches the workflow on (default), 'init' when n8n starts up. */
	activation?: WorkflowActivateMode;
	workflowId?: string;
}

let executionCounter = 0;

/** Activates a workflow whose start is a polling trigger, as n8n does when the workflow is switched on. */
export async function activatePolling(harness: N8nHarness, json: WorkflowJson, options: ActivateOptions): Promise<ActivePolling> {
	const { credentials } = options;
	const workflowId = options.workflowId ?? json.id ?? `poll-${randomUUID()}`;
	const nodes = harness.prepareNodes(json, credentials);
	const workflowData: IWorkflowBase = {
		id: workflowId,
		name: json.name ?? 'Polling workflow',
		active: true,
		isArchived: false,
		activeVersionId: null,
		createdAt: new Date(),
		updatedAt: new Date(),
		nodes,
		connections: json.connections,
		settings: { executionOrder: 'v1', ...(json.settings ?? {}) },
		staticData: structuredClone(options.staticData ?? {}),
	};
	const workflow = new Workflow({
		id: workflowId,
		name: workflowData.name,
		nodes: structuredClone(nodes),
		connections: json.connections,
		active: true,
		nodeTypes: harness.nodeTypes,
		staticData: structuredClone(options.staticData ?? {}),
		settings: workflowData.settings,
	});

	const state: ActivePolling = {
		workflow,
		saved: structuredClone(options.staticData ?? {}),
		executions: [],
		errors: [],
		tick: async () => {
			const before = state.executions.length;
			for (const job of cron?.byWorkflow.get(workflowId) ?? []) await job.onTick();
			await Promise.all(pending.splice(0));
			return state.executions.slice(before);
		},
		deactivate: async () => {
			await Promise.all(pending.splice(0));
			await manager.remove(workflowId);
			saveStaticData();
		},
	};
	const pending: Array<Promise<void>> = [];

	// as WorkflowStaticDataService.saveStaticData: only when the data changed
	const saveStaticData = () => {
		const data = workflow.staticData as IDataObject & { __dataChanged?: boolean };
		if (data.__dataChanged === true) {
			state.saved = JSON.parse(JSON.stringify(data)) as IDataObject;
			data.__dataChanged = false;
		}
	};

	// as WorkflowExecutionService.runWorkflow + WorkflowRunner for an execution a poll started
	const execute = async (node: INode, data: INodeExecutionData[][]) => {
		const executionId = `poll-${process.pid}-${++executionCounter}`;
		const runWorkflow = new Workflow({
			id: workflowId,
			name: workflowData.name,
			nodes: structuredClone(nodes),
			connections: json.connections,
			active: true,
			nodeTypes: harness.nodeTypes,
			staticData: structuredClone(state.saved),
			settings: workflowData.settings,
		});
		const hooks = new ExecutionLifecycleHooks('trigger', executionId, workflowData);
		const runData = createRunExecutionData({
			executionData: { nodeExecutionStack: [{ node: runWorkflow.getNode(node.name)!, data: { main: data }, source: null }] },
		});
		const run = await new WorkflowExecute(harness.additionalData(credentials, hooks, executionId), 'trigger', runData)
			.processRunExecutionData(runWorkflow);
		const runs = run.data.resultData.runData ?? {};
		state.executions.push({
			executionId,
			run,
			emitted: data,
			output: (name) => ((runs[name]?.[0]?.data?.main?.[0] ?? []) as INodeExecutionData[]),
		});
	};

	const activationHooks = new ExecutionLifecycleHooks('trigger', `activation-${workflowId}`, workflowData);
	const additionalData = harness.additionalData(credentials, activationHooks);
	const manager = activeWorkflows(harness);
	await manager.add(
		workflowId,
		workflow,
		additionalData,
		'trigger',
		options.activation ?? 'activate',
		() => {
			throw new Error('The poll harness runs polling triggers only');
		},
		(wf, node, data, mode, activation) =>
			new PollContext(wf, node, data, mode, activation,
				(emitted) => {
					saveStaticData();
					pending.push(execute(node, emitted));
				},
				(error) => {
					state.errors.push(error);
				}),
	);
	await Promise.all(pending.splice(0));
	return state;
}
