import { promises as fs } from 'fs';
import type { IDataObject, IDisplayOptions, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { ExportFormat } from '../../shared/domain/export/dataset';
import { deliverExport } from '../../shared/domain/export/deliverExport';
import { dhis2ImportPath, parseImportSummary } from '../../shared/domain/export/dhis2';
import type { ExportFile } from '../../shared/domain/export/exportFile';
import type { FinishEnv } from '../../shared/n8n/executeLoop';
import { param } from '../../shared/n8n/params';
import { UPSTREAM_CREDENTIAL_NAME, upstreamConfigFromCredential } from '../../shared/n8n/upstreamCredential';
import { FieldError, GridError } from '../../shared/validation/errors';
import { integer, text } from '../../shared/validation/text';

type Show = { show: NonNullable<IDisplayOptions['show']> };
const also = (show: Show, extra: Show['show']): Show => ({ show: { ...show.show, ...extra } });

/** Delivery to a higher-level system: on/off, the path, dry run, force and attempts. */
export function deliveryFields(show: Show): INodeProperties[] {
	return [
		{
			displayName: 'Deliver to Upstream',
			name: 'deliver',
			type: 'boolean',
			default: false,
			description: 'Whether to POST the export to the higher-level system of the Grid Upstream API credential. Each export (dataset, period, unit, format) is delivered once: the ledger skips one already acknowledged with the same content and sends a changed one as an update.',
			displayOptions: show,
		},
		{
			displayName: 'Upstream Path',
			name: 'upstreamPath',
			type: 'string',
			default: '',
			placeholder: '/api/dataValueSets',
			description: 'Path under the credential\'s base URL to POST to. Empty: DHIS2 exports go to /api/dataValueSets with the code ID schemes; other formats to the base URL itself.',
			displayOptions: also(show, { deliver: [true] }),
		},
		{
			displayName: 'DHIS2 Dry Run',
			name: 'dryRun',
			type: 'boolean',
			default: false,
			description: 'Whether DHIS2 should only check the import (dryRun=true) and report its import summary without saving. A dry run never counts as delivered.',
			displayOptions: also(show, { deliver: [true], format: ['dhis2'] }),
		},
		{
			displayName: 'Send Even If Delivered',
			name: 'force',
			type: 'boolean',
			default: false,
			description: 'Whether to send again an export that the upstream already acknowledged with the same content',
			displayOptions: also(show, { deliver: [true] }),
		},
		{
			displayName: 'Max Attempts',
			name: 'maxAttempts',
			type: 'number',
			typeOptions: { minValue: 0, maxValue: 20 },
			default: 0,
			description: 'Attempts before giving up on server errors (5xx), rate limits (429), timeouts and dropped connections; 0 uses the Max Attempts of the Grid Upstream API credential. A refused credential (401, 403) is never retried.',
			displayOptions: also(show, { deliver: [true] }),
		},
	];
}

export interface DeliveryRequest {
	path: string;
	dryRun: boolean;
	force: boolean;
	/** Undefined: the credential's Max Attempts. */
	maxAttempts?: number;
}

export function readDelivery(ctx: IExecuteFunctions, i: number, format: ExportFormat): DeliveryRequest | undefined {
	if (!param<boolean>(ctx, 'deliver', i, 'Deliver to Upstream', false)) return undefined;
	const dryRun = format === 'dhis2' && Boolean(param(ctx, 'dryRun', i, 'DHIS2 Dry Run', false));
	const given = text(param(ctx, 'upstreamPath', i, 'Upstream Path', ''), { field: 'Upstream Path', max: 2000 });
	if (given && /^[a-z][a-z0-9+.-]*:/i.test(given)) {
		throw new FieldError('Upstream Path', `Upstream Path is a path under the credential's base URL, like /api/dataValueSets, not a full address (got ${given})`);
	}
	return {
		path: given ?? (format === 'dhis2' ? dhis2ImportPath(dryRun) : ''),
		dryRun,
		force: Boolean(param(ctx, 'force', i, 'Send Even If Delivered', false)),
		maxAttempts: integer(param(ctx, 'maxAttempts', i, 'Max Attempts', 0), 'Max Attempts', { min: 0, max: 20 }) || undefined,
	};
}

/**
 * Delivers one export file through the ledger. Returns what happened for the output item; a final
 * failure throws, so that the item fails (or becomes an error item under Continue On Fail) with the
 * upstream's status and body, credentials cut out.
 */
export async function deliverFile(file: ExportFile, req: DeliveryRequest, env: FinishEnv): Promise<IDataObject> {
	let upstream;
	try {
		upstream = upstreamConfigFromCredential(await env.ctx.getCredentials(UPSTREAM_CREDENTIAL_NAME));
	} catch (error) {
		if (error instanceof FieldError) throw error;
		throw new GridError('upstream', 'Deliver to Upstream is on, but no Grid Upstream API credential is set', 'Choose or create a Grid Upstream API credential on this node, or turn Deliver to Upstream off.');
	}
	const body = await fs.readFile(file.path);
	const result = await deliverExport(env.config, env.actor, {
		upstream,
		path: req.path,
		dataset: file.dataset,
		period: file.period.id,
		scopeCode: file.unitCode,
		format: file.format,
		payload: { body, contentType: file.mimeType.includes('charset') ? file.mimeType : `${file.mimeType}; charset=utf-8`, sha256: file.sha256 },
		force: req.force,
		dryRun: req.dryRun,
		maxAttempts: req.maxAttempts,
	}, file.format === 'dhis2' ? refuseDhis2Errors : undefined);
	const summary = file.format === 'dhis2' && result.response !== undefined && result.action !== 'skipped' ? parseImportSummary(result.response) : undefined;
	if (result.action === 'failed') {
		const why = summary && summary.status !== 'UNKNOWN' ? `; DHIS2 import summary: ${summary.status}${summary.conflicts.length ? `, ${summary.conflicts.length} conflict(s): ${summary.conflicts.slice(0, 3).map((c) => c.value).join('; ')}` : ''}` : '';
		throw Object.assign(new GridError('upstream', `The upstream refused export ${file.fileName}: HTTP ${result.status ?? 'no response'} after ${result.attempts} attempt(s)${why}${result.message ? ` (${result.message})` : ''}`, describeBody(result.response)), {
			upstreamStatus: result.status,
			upstreamBody: result.response,
		});
	}
	return {
		action: result.action,
		batchId: result.batchId,
		revision: result.revision,
		attempts: result.attempts,
		status: result.status ?? null,
		idempotencyKey: result.idempotencyKey,
		...(summary ? { importSummary: summary as unknown as IDataObject } : {}),
		...(result.response !== undefined && !summary ? { response: result.response as IDataObject } : {}),
	};
}

/** DHIS2 may answer HTTP 200 with an import summary of status ERROR: nothing was imported, so it is not delivered. */
function refuseDhis2Errors(answer: { body?: unknown }): { accepted: boolean; reason?: string } {
	const summary = parseImportSummary(answer.body);
	if (summary.status !== 'ERROR') return { accepted: true };
	return { accepted: false, reason: `DHIS2 answered with import status ERROR${summary.description ? `: ${summary.description}` : ''}` };
}

function describeBody(body: unknown): string {
	if (body === undefined || body === null || body === '') return 'The upstream sent no body.';
	const textBody = typeof body === 'string' ? body : JSON.stringify(body);
	return `Upstream response: ${textBody.length > 2000 ? `${textBody.slice(0, 2000)}…` : textBody}`;
}
