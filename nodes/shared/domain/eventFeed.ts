import type { UnitOfWork } from './context';
import { type FeedCursor, type FeedStart, type StreamPage, checkLimit, compareTx, feedBoundary, nextStart } from './feedCursor';
import { type FeedEvent, type FeedFilter, latestPositioned, readFeed, startFeed } from './incident/feed';
import { type TaskFeedEvent, type TaskFeedFilter, latestTaskEvents, readTaskFeed, startTaskFeed } from './task/feed';

/**
 * The Grid Trigger's feed over both timelines: the incident stream and the task stream, each with
 * its own (tx, id) cursor, read below one commit-safe boundary and merged by transaction id (which
 * both timelines share), incident events first within one transaction, so that a poll puts events
 * out in the order their transactions ended before the boundary. A merged page holds at most `limit`
 * events; a stream whose events were cut off resumes after the last one it delivered.
 */
export type GridFeedEvent = FeedEvent | TaskFeedEvent;

export interface StreamsRequest {
	/** Read the incident stream from `start`, or from a new start when there is none yet. */
	incidents?: { filter: FeedFilter; start?: FeedStart };
	tasks?: { filter: TaskFeedFilter; start?: FeedStart };
	/** Where a stream without a start begins: this many hours back (0: now). */
	sinceHours?: number;
}

export interface StreamsPage {
	events: GridFeedEvent[];
	/** Where each stream that was read continues; store them once the events are handed on. */
	incidents?: FeedStart;
	tasks?: FeedStart;
	/** Whether more events were waiting beyond this page. */
	more: boolean;
}

interface Positioned<E> {
	events: E[];
	positions: FeedCursor[];
}

/** Merges streams sorted by (tx, id) into (tx, stream, id) order, up to `limit`; returns how many each gave. */
function merge<E>(streams: Array<Positioned<E> | undefined>, limit: number): { events: E[]; taken: number[] } {
	const taken = streams.map(() => 0);
	const events: E[] = [];
	while (events.length < limit) {
		let best = -1;
		streams.forEach((s, k) => {
			if (!s || taken[k] >= s.events.length) return;
			if (best < 0 || compareTx(s.positions[taken[k]].tx, streams[best]!.positions[taken[best]].tx) < 0) best = k;
		});
		if (best < 0) break;
		events.push(streams[best]!.events[taken[best]++]);
	}
	return { events, taken };
}

/** Where a stream continues after delivering `taken` events of its page. */
function endOf<E>(page: StreamPage<E>, start: FeedStart, taken: number): FeedStart {
	if (taken === page.events.length) return nextStart(page);
	return nextStart({ ...start, cursor: taken ? page.positions[taken - 1] : start.cursor });
}

/** One poll: the events of the requested streams after their cursors, merged, oldest first, up to `limit`. */
export async function readStreams(uow: UnitOfWork, request: StreamsRequest, limit: number): Promise<StreamsPage> {
	checkLimit(limit);
	const { incidents, tasks, sinceHours } = request;
	const incidentStart = incidents && (incidents.start ?? await startFeed(uow, incidents.filter, sinceHours));
	const taskStart = tasks && (tasks.start ?? await startTaskFeed(uow, tasks.filter, sinceHours));
	// one boundary for both streams, so that neither passes a transaction the other has not seen end
	const boundary = await feedBoundary(uow);
	const incidentPage = incidents && incidentStart ? await readFeed(uow, incidents.filter, incidentStart, limit, boundary) : undefined;
	const taskPage = tasks && taskStart ? await readTaskFeed(uow, tasks.filter, taskStart, limit, boundary) : undefined;
	const { events, taken } = merge<GridFeedEvent>([incidentPage, taskPage], limit);
	const page: StreamsPage = { events, more: false };
	if (incidentPage && incidentStart) {
		page.incidents = endOf(incidentPage, incidentStart, taken[0]);
		page.more ||= incidentPage.more || taken[0] < incidentPage.events.length;
	}
	if (taskPage && taskStart) {
		page.tasks = endOf(taskPage, taskStart, taken[1]);
		page.more ||= taskPage.more || taken[1] < taskPage.events.length;
	}
	return page;
}

/** The latest `limit` matching events of the given streams, merged, oldest first; no cursor involved. */
export async function latestOfStreams(uow: UnitOfWork, filters: { incidents?: FeedFilter; tasks?: TaskFeedFilter }, limit = 10): Promise<GridFeedEvent[]> {
	const incidents = filters.incidents ? await latestPositioned(uow, filters.incidents, limit) : undefined;
	const tasks = filters.tasks ? await latestTaskEvents(uow, filters.tasks, limit) : undefined;
	const { events } = merge<GridFeedEvent>([incidents, tasks], Number.MAX_SAFE_INTEGER);
	return events.slice(-limit);
}
