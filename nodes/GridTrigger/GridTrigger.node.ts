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
import { type GridFeedEvent, type StreamsRequest, latestOfStreams, readStreams } from '../shared/domain/eventFeed';
import { type FeedStart, parseCursor, parseSnapshot } from '../shared/domain/feedCursor';
import { type FeedFilter, type FeedTopic, checkFilter, noteSlaBreaches } from '../shared/domain/incident/feed';
import type { RiskLevel } from '../shared/domain/incident/risk';
import { type TaskFeedFilter, type TaskFeedTopic, checkTaskFilter, isTaskFeedTopic } from '../shared/domain/task/feed';
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

/**
 * What the node keeps between polls, in the workflow's static data: one cursor per stream. The
 * incident stream keeps the names it has always had (cursor, since), so activated workflows carry on.
 */
interface FeedState extends IDataObject {
	cursor?: { tx: string; id: string };
	since?: string;
	before?: string;
	taskCursor?: { tx: string; id: string };
	taskSince?: string;
	taskBefore?: string;
}

const KEYS = {
	incidents: { cursor: 'cursor', since: 'since', before: 'before' },
	tasks: { cursor: 'taskCursor', since: 'taskSince', before: 'taskBefore' },
} as const;

function storedStart(state: FeedState, stream: keyof typeof KEYS): FeedStart | undefined {
	const k = KEYS[stream];
	const cursor = parseCursor(state[k.cursor]);
	if (!cursor) return undefined;
	const start: FeedStart = { cursor };
	const since = state[k.since];
	if (typeof since === 'string') start.since = since;
	const before = parseSnapshot(state[k.before]);
	if (before) start.before = before;
	return start;
}

function store(state: FeedState, stream: keyof typeof KEYS, end: FeedStart | undefined): void {
	if (!end) return;
	const k = KEYS[stream];
	state[k.cursor] = { tx: end.cursor.tx, id: end.cursor.id };
	if (end.since) state[k.since] = end.since;
	else delete state[k.since];
	if (end.before) state[k.before] = end.before;
	else delete state[k.before];
}

function toItems(events: GridFeedEvent[]): INodeExecutionData[] {
	return events.map((e) => ({ json: e as unknown as IDataObject }));
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
					'Which incident and task timeline events start the workflow; each event comes out once as its own item, in the order the changes were committed',
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
						name: 'New Task',
						value: 'task.created',
						description: 'A task was created (派发), by the Task node or a campaign',
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
						description: 'A task passed its due time before it was started (超时): Expire Overdue (Task node, e.g. on a schedule) took it back to open, or escalated it as an incident after too many attempts',
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
					'Only events of incidents owned by, and tasks of, this unit or any unit below it, e.g. a street. Leave empty for everything the credential may see.',
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
							'On the first poll after activation, also deliver the events of this many past hours. 0 starts from now. Has no effect once the trigger has polled (task events selected later start from their own first poll).',
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
			const filter: FeedFilter | undefined = !topics.length ? undefined : checkFilter({
				topics,
				minRisk: topics.includes('incident.created') ? (this.getNodeParameter('minRisk', 'low') as RiskLevel) : undefined,
				within,
				includeDuplicates: options.includeDuplicates === true,
			});
			const taskFilter: TaskFeedFilter | undefined = !taskTopics.length ? undefined : checkTaskFilter({ topics: taskTopics, within });

			// Breaches are noted and committed first, so that this very poll can deliver them.
			if (topics.includes('incident.slaBreached')) {
				await withUnitOfWork(config, { actor }, (uow) => noteSlaBreaches(uow));
			}

			if (this.getMode() === 'manual') {
				const sample = await withUnitOfWork(config, { actor }, (uow) =>
					latestOfStreams(uow, { incidents: filter, tasks: taskFilter }, MANUAL_SAMPLE));
				return sample.length ? [toItems(sample)] : null;
			}

			const state = this.getWorkflowStaticData('node') as FeedState;
			const limit = Math.max(1, Math.floor(Number(options.maxEventsPerPoll ?? DEFAULT_MAX_EVENTS)) || DEFAULT_MAX_EVENTS);
			const request: StreamsRequest = { sinceHours: Number(options.includeLastHours ?? 0) };
			if (filter) request.incidents = { filter, start: storedStart(state, 'incidents') };
			if (taskFilter) request.tasks = { filter: taskFilter, start: storedStart(state, 'tasks') };
			const page = await withUnitOfWork(config, { actor }, (uow) => readStreams(uow, request, limit));
			// n8n saves static data when the poll's items are handed to the execution, so the cursors move
			// with the items they cover; a poll that finds nothing only moves them in memory.
			store(state, 'incidents', page.incidents);
			store(state, 'tasks', page.tasks);
			return page.events.length ? [toItems(page.events)] : null;
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
