/**
 * Polling a template's activated Grid Trigger until what a test waits for has come out. The trigger
 * only passes events of transactions older than every transaction still running on the server, and
 * that horizon is server-wide: while another test file runs a long transaction in its own database,
 * a poll may rightly hand on nothing yet, as n8n's next poll a minute later would then catch up.
 */
import type { IDataObject } from 'n8n-workflow';
import type { ActivePolling } from './pollHarness';

/** Ticks until `node` has put out at least `count` items in all, or the time is up; returns them all. */
export async function tickUntil(active: ActivePolling, node: string, count = 1, timeoutMs = 15_000): Promise<IDataObject[]> {
	const out: IDataObject[] = [];
	const until = Date.now() + timeoutMs;
	for (;;) {
		for (const e of await active.tick()) out.push(...e.output(node).map((i) => i.json));
		if (out.length >= count || Date.now() > until) return out;
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
}
