import type {
	IDataObject,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IPollFunctions,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { withUnitOfWork } from '../shared/db/unitOfWork';
import type { Actor } from '../shared/domain/context';
import {
	type FeedEvent,
	type FeedFilter,
	type FeedTopic,
	checkFilter,
	latestEvents,
	noteSlaBreaches,
	parseCursor,
	readFeed,
	startFeed,
} from '../shared/domain/incident/feed';
import type { RiskLevel } from '../shared/domain/incident/risk';
import {
	type TaskFeedEvent,
	type TaskFeedFilter,
	type TaskFeedTopic,
	isTaskFeedTopic,
	latestTaskEvents,
	readTaskFeed,
	startTaskFeed,
} from '../shared/domain/task/feed';
import { CREDENTIAL_NAME, configFromCredential } from '../shared/n8n/credentials';
import { unitLocator } from '../shared/n8n/descriptions';
import { toNodeError } from '../shared/n8n/errors';
import { credentialTest, listSearch } from '../shared/n8n/methods';
import { FieldError } from '../shared/validation/errors';
import { withinParam } from './parameters';

/** Events a manual test run shows: the latest ones that match, whatever the cursor says. */
const MANUAL_SAMPLE = 10;
const DEFAULT_MAX_EVENTS = 500;

interface TriggerOptions {
	includeLastHours?: number;
	maxEventsPerPoll?: number;
	includeDuplicates?: boolean;
}

/** What the node keeps between polls, in the workflow's static data. */
interface FeedState extends IDataObject {
	/** The incident stream's cursor (the name it has always had, so activated workflows carry on). */
	cursor?: { tx: string; id: string };
	since?: string;
	taskCursor?: { tx: string; id: string };
	taskSince?: string;
}

function toItems(events: Array<FeedEvent | TaskFeedEvent>): INodeExecutionData[] {
	// the two timelines are separate sequences; together they come out in time order
	return [...events].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0)).map((e) => ({ json: e as unknown as IDataObject }));
}

export class GridTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Grid Trigger',
		name: 'gridTrigger',
		icon: 'file:gridTrigger.svg',
		group: ['trigger'],
		version: 1,
		subtitle: '={{($parameter["events"] || []).join(", ")}}',
		description: 'Starts a workflow when incidents are reported, escalated, breach their SLA or change status, and when tasks go overdue or are completed',
		defaults: { name: 'Grid Trigger' },
		polling: true,
		inputs: [],
		outputs: ['main'],
		credentials: [{ name: 'gridGovernancePostgres', required: true, testedBy: 'gridGovernancePostgresConnectionTest' }],
		properties: [
			{
				displayName: 'Events',
				name: 'events',
				type: 'multiOptions',
				required: true,
				default: ['incident.created'],
				description:
					'Which incident and task timeline events start the workflow; each event comes out once as its own item',
				options: [
					{
						name: 'Incident Escalated',
						value: 'incident.escalated',
						description: 'An incident was escalated up the grid (上报升级)',
					},
					{
						name: 'New Incident',
						value: 'incident.created',
						description: 'An incident was reported and accepted (受理), at or above the minimum risk',
					},
					{
						name: 'SLA Breached',
						value: 'incident.slaBreached',
						description: 'An open incident passed its due time (超时); noted once per due time, so a new due time can breach again',
					},
					{
						name: 'Status Changed',
						value: 'incident.statusChanged',
						description: 'An incident moved to another status: triaged, assigned, in progress, resolved, closed, reopened, rejected',
					},
					{
						name: 'Task Completed',
						value: 'task.completed',
						description: 'A task was completed with its outcome (完成)',
					},
					{
						name: 'Task Overdue',
						value: 'task.overdue',
						description: 'An overdue task was taken back by Expire Overdue, or escalated as an incident after too many attempts (超时)',
					},
				],
			},
			{
				displayName: 'Minimum Risk',
				name: 'minRisk',
				type: 'options',
				default: 'low',
				displayOptions: { show: { events: ['incident.created'] } },
				description: 'New incidents whose risk level at intake is below this are left out; the other events are not filtered by risk',
				options: [
					{ name: 'Low (低) — All New Incidents', value: 'low' },
					{ name: 'Medium (中) and Above', value: 'medium' },
					{ name: 'High (高) and Above', value: 'high' },
					{ name: 'Critical (紧急) Only', value: 'critical' },
				],
			},
			{
				...unitLocator(
					'withinUnit',
					'Within Unit',
					'Only events of incidents owned by this unit or any unit below it, e.g. a street. Leave empty for everything the credential may see.',
				),
				required: false,
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				options: [
					{
						displayName: 'Include Duplicate Reports',
						name: 'includeDuplicates',
						type: 'boolean',
						default: false,
						description: 'Whether reports that intake matched to an open incident (重复件) also count as new incidents',
					},
					{
						displayName: 'Include Last N Hours',
						name: 'includeLastHours',
						type: 'number',
						typeOptions: { minValue: 0, maxValue: 720 },
						default: 0,
						description:
							'On the first poll after activation, also deliver the events of this many past hours. 0 starts from now. Has no effect once the trigger has polled.',
					},
					{
						displayName: 'Max Events Per Poll',
						name: 'maxEventsPerPoll',
						type: 'number',
						typeOptions: { minValue: 1, maxValue: 10000 },
						default: DEFAULT_MAX_EVENTS,
						description: 'Max number of events one poll delivers; the rest follow on the next polls, in order, none skipped',
					},
				],
			},
		],
	};

	methods = { listSearch, credentialTest };

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const node = this.getNode();
		try {
			const config = configFromCredential(await this.getCredentials(CREDENTIAL_NAME));
			const actor: Actor = { node: node.name };
			const workflowId = this.getWorkflow().id;
			if (workflowId) actor.workflowId = String(workflowId);

			const selected = this.getNodeParameter('events', []) as Array<FeedTopic | TaskFeedTopic>;
			if (!selected.length) throw new NodeOperationError(node, 'Select at least one event to trigger on');
			const topics = selected.filter((t): t is FeedTopic => !isTaskFeedTopic(t));
			const taskTopics = selected.filter(isTaskFeedTopic);
			const options = this.getNodeParameter('options', {}) as TriggerOptions;
			const within = withinParam(this, config.segmentWidths);
			const taskFilter: TaskFeedFilter = { topics: taskTopics, within };
			const filter: FeedFilter | undefined = !topics.length ? undefined : checkFilter({
				topics,
				minRisk: topics.includes('incident.created') ? (this.getNodeParameter('minRisk', 'low') as RiskLevel) : undefined,
				within,
				includeDuplicates: options.includeDuplicates === true,
			});

			// Breaches are noted and committed first, so that this very poll can deliver them.
			if (topics.includes('incident.slaBreached')) {
				await withUnitOfWork(config, { actor }, (uow) => noteSlaBreaches(uow));
			}

			if (this.getMode() === 'manual') {
				const sample = await withUnitOfWork(config, { actor }, async (uow) => [
					...(filter ? await latestEvents(uow, filter, MANUAL_SAMPLE) : []),
					...(taskTopics.length ? await latestTaskEvents(uow, taskFilter, MANUAL_SAMPLE) : []),
				]);
				return sample.length ? [toItems(sample)] : null;
			}

			const state = this.getWorkflowStaticData('node') as FeedState;
			const stored = parseCursor(state.cursor);
			const limit = Math.max(1, Math.floor(Number(options.maxEventsPerPoll ?? DEFAULT_MAX_EVENTS)) || DEFAULT_MAX_EVENTS);
			const storedTask = parseCursor(state.taskCursor);
			const [page, taskPage] = await withUnitOfWork(config, { actor }, async (uow) => {
				const incidents = filter
					? await readFeed(uow, filter, stored
						? { cursor: stored, since: typeof state.since === 'string' ? state.since : undefined }
						: await startFeed(uow, filter, Number(options.includeLastHours ?? 0)), limit)
					: undefined;
				const tasks = taskTopics.length
					? await readTaskFeed(uow, taskFilter, storedTask
						? { cursor: storedTask, since: typeof state.taskSince === 'string' ? state.taskSince : undefined }
						: await startTaskFeed(uow, taskFilter, Number(options.includeLastHours ?? 0)), limit)
					: undefined;
				return [incidents, tasks] as const;
			});
			// n8n saves static data when the poll's items are handed to the execution, so the cursors move
			// with the items they cover; a poll that finds nothing only moves them in memory.
			if (page) {
				state.cursor = { tx: page.cursor.tx, id: page.cursor.id };
				if (page.since) state.since = page.since;
				else delete state.since;
			}
			if (taskPage) {
				state.taskCursor = { tx: taskPage.cursor.tx, id: taskPage.cursor.id };
				if (taskPage.since) state.taskSince = taskPage.since;
				else delete state.taskSince;
			}
			const events = [...(page?.events ?? []), ...(taskPage?.events ?? [])];
			return events.length ? [toItems(events)] : null;
		} catch (error) {
			if (error instanceof FieldError) {
				throw new NodeOperationError(node, error.message, {
					description: `Fix the "${error.field}" parameter of the trigger and test it again; the cursor has not moved.`,
				});
			}
			throw toNodeError(node, error);
		}
	}
}
