import { createHash } from 'crypto';
import { once } from 'events';
import { createWriteStream, promises as fs } from 'fs';
import type { Period } from '../stats/period';
import type { Rollup, RollupRow } from '../stats/types';
import type { ExportFormat } from './dataset';

/**
 * An export file produced as a stream of text chunks, so that memory stays bounded however many
 * units it covers. `chunks()` starts the output afresh each time and yields the same text for the
 * same input, so a retried delivery sends exactly what the ledger hashed.
 */
export interface ExportDocument {
	format: ExportFormat;
	fileName: string;
	mimeType: string;
	chunks: () => AsyncIterable<string>;
}

/**
 * A rollup as the writers read it: the rows may be the array a rollup returns, or a function that
 * streams them (called again for every pass over the document).
 */
export type RollupSource = Omit<Rollup, 'rows'> & {
	rows: readonly RollupRow[] | (() => AsyncIterable<RollupRow> | Iterable<RollupRow>);
};

export async function* rowsOf(source: RollupSource): AsyncIterable<RollupRow> {
	const rows = typeof source.rows === 'function' ? source.rows() : source.rows;
	for await (const row of rows) yield row;
}

/** Chunks of about this many characters: few enough writes, small enough to stay out of the way. */
const CHUNK_CHARS = 64 * 1024;

/** Joins the many small pieces a writer yields into chunks of about CHUNK_CHARS. */
export async function* inChunks(pieces: AsyncIterable<string> | Iterable<string>, size = CHUNK_CHARS): AsyncIterable<string> {
	let parts: string[] = [];
	let length = 0;
	for await (const piece of pieces) {
		if (piece === '') continue;
		parts.push(piece);
		length += piece.length;
		if (length >= size) {
			yield parts.join('');
			parts = [];
			length = 0;
		}
	}
	if (length > 0) yield parts.join('');
}

export function exportDocument(format: ExportFormat, fileName: string, mimeType: string, pieces: () => AsyncIterable<string> | Iterable<string>): ExportDocument {
	return { format, fileName, mimeType, chunks: () => inChunks(pieces()) };
}

/** The whole document as one string: for small documents and tests, not for large exports. */
export async function collectText(doc: ExportDocument): Promise<string> {
	const parts: string[] = [];
	for await (const chunk of doc.chunks()) parts.push(chunk);
	return parts.join('');
}

/** SHA-256 (hex) of the document's UTF-8 bytes, hashed chunk by chunk. */
export async function sha256Of(doc: ExportDocument): Promise<string> {
	const hash = createHash('sha256');
	for await (const chunk of doc.chunks()) hash.update(chunk, 'utf8');
	return hash.digest('hex');
}

/**
 * Streams the document to a file with backpressure and returns its size and hash. It is written
 * beside the target and renamed at the end, so a failure never leaves a half file under the name.
 */
export async function writeToFile(doc: ExportDocument, path: string): Promise<{ bytes: number; sha256: string }> {
	const partPath = `${path}.${process.pid}.${Date.now()}.part`;
	const out = createWriteStream(partPath, { encoding: 'utf8' });
	const hash = createHash('sha256');
	let bytes = 0;
	let failure: Error | undefined;
	out.on('error', (e) => {
		failure = e;
	});
	try {
		for await (const chunk of doc.chunks()) {
			if (failure) throw failure;
			hash.update(chunk, 'utf8');
			bytes += Buffer.byteLength(chunk, 'utf8');
			// once() rejects when the stream errors while we wait
			if (!out.write(chunk)) await once(out, 'drain');
		}
		out.end();
		await once(out, 'close');
		if (failure) throw failure;
		await fs.rename(partPath, path);
	} catch (e) {
		// the file may still be opening: remove it only once the stream has closed, or it outlives the removal
		const closed = out.closed ? Promise.resolve() : once(out, 'close').catch(() => undefined);
		out.destroy();
		await closed;
		await fs.rm(partPath, { force: true }).catch(() => undefined);
		throw failure ?? e;
	}
	return { bytes, sha256: hash.digest('hex') };
}

/** Numbers as export files write them: whole numbers as they are, fractions to four places. */
export function formatNumber(value: number): string {
	if (Number.isInteger(value)) return String(value);
	const rounded = Math.round(value * 10_000) / 10_000;
	return Object.is(rounded, -0) ? '0' : String(rounded);
}

/** "GRID_DAILY_370614_20261126.csv": dataset, unit and period, safe as a file name everywhere. */
export function exportFileName(datasetCode: string, unitCode: string, period: Period, extension: string): string {
	const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, '_');
	return `${safe(datasetCode)}_${safe(unitCode)}_${safe(period.id)}.${extension}`;
}
