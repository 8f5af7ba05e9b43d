import { sql } from '../../db/sql';
import { FieldError, batchError } from '../../validation/errors';
import type { Outcome, UnitOfWork } from '../context';
import { currentHash } from '../personalData';
import { type ProtectedDocument, type ProtectedPhone, documentHash, phoneHash, protectDocument, protectPhone } from '../protect';
import { generatedColumn, split } from './columnText';
import type { NewResident } from './residentInput';
import { type ResidentIdentity, allocateIds, encodeIdentity, insertResidents, nextTurn } from './residentInsert';
import { type PlaceOf, ResidentPlaces } from './residentPlaces';
import { type ResidentRecord, describeInserted, loadResidentRecords } from './residentRecord';
import { updateResidents } from './residentUpdate';

export interface SaveOptions {
	mode: 'create' | 'upsert';
	/** Upsert only: match residents without a document by phone plus name. */
	matchPhoneAndName: boolean;
	storeFullDocument: boolean;
}

export type SavedResident = ResidentRecord & { operation: 'created' | 'updated' };

/** Items to save, checked one by one as the import reaches them. */
export interface ResidentSource {
	length: number;
	/** Item i as a resident; throws a FieldError naming the field when it is not one. */
	resident(i: number): NewResident;
}

const CHUNK = 5_000;
/** Items checked and protected between two turns of the event loop. */
const SLICE = 500;
const SAVEPOINT = 'grid_resident_import';

/** One chunk after the JavaScript stage: checked, protected, duplicates within the batch found. */
interface Prepared {
	start: number;
	end: number;
	residents: Array<NewResident | undefined>;
	docs: ProtectedDocument[];
	phones: ProtectedPhone[];
	places: PlaceOf[];
	/** Document hashes and phone|name keys first given in this chunk. */
	docHashes: string[];
	phoneNames: string[];
	/** During a key rotation: the previous key's hashes of the same phones, which rows not yet re-keyed hold. */
	previousPhoneHashes: string[];
	/** The identity columns of the items that passed so far, encoded ahead of the insert. */
	encoded?: { items: number; params: string[] };
}

const ignore = () => undefined;

/** Creates or upserts checked residents (see importResidents). */
export function saveResidents(uow: UnitOfWork, inputs: NewResident[], opts: SaveOptions): Promise<Array<Outcome<SavedResident>>> {
	return importResidents(uow, { length: inputs.length, resident: (i) => inputs[i] }, opts);
}

/**
 * Creates or upserts residents. Every item is checked — its fields, its document against the other
 * items (a duplicate names both), its building or household, an existing registration — and without
 * Continue On Fail (uow.partial) one failing item means nothing is written and every failing item is
 * reported, as if the whole batch had been checked before the first write.
 *
 * It runs as a pipeline of chunks: while PostgreSQL checks and writes one chunk, this process checks,
 * hashes and encrypts the next, so the two work at the same time. A batch of more than one chunk is
 * written inside a savepoint, undone if a later chunk turns out to hold a failing item.
 */
export async function importResidents(uow: UnitOfWork, source: ResidentSource, opts: SaveOptions): Promise<Array<Outcome<SavedResident>>> {
	const run = new ImportRun(uow, source, opts);
	let previous: Written = { inserted: Promise.resolve(), done: Promise.resolve() };
	let failed = false;
	for (let start = 0; start < source.length && !failed; start += CHUNK) {
		const chunk = await run.prepare(start, Math.min(source.length, start + CHUNK));
		// The checks of this chunk queue up behind the insert of the chunk before, so the database
		// goes from one to the other without waiting for this process to send them.
		await previous.inserted;
		previous = run.write(chunk, previous.done);
		previous.done.catch(() => (failed = true)); // the error itself comes out of the last await
	}
	await previous.done;
	return run.finish();
}

/** A chunk on its way: its insert has been sent; it is written, described and checked in full. */
interface Written {
	inserted: Promise<void>;
	done: Promise<void>;
}

class ImportRun {
	private readonly errors = new Map<number, FieldError>();
	private readonly outcomes: Array<Outcome<SavedResident>>;
	private readonly byDoc = new Map<string, number>();
	private readonly byPhoneName = new Map<string, number>();
	private readonly places: ResidentPlaces;
	/** Ids for every item, allocated at the start while the first chunk is checked (unused ones are gaps). */
	private readonly ids: Promise<{ ids: number[]; now: string }>;
	private idsUsed = 0;
	private readonly matchByPhone: boolean;
	private readonly year = new Date().getUTCFullYear();
	/** Whether rows have been written since the savepoint (or at all, without one). */
	private wrote = false;
	private savepoint: 'none' | 'wanted' | 'set' = 'none';

	constructor(private readonly uow: UnitOfWork, private readonly source: ResidentSource, private readonly opts: SaveOptions) {
		this.outcomes = new Array(source.length);
		this.matchByPhone = opts.mode === 'upsert' && opts.matchPhoneAndName;
		this.places = new ResidentPlaces(uow);
		if (!uow.partial && source.length > CHUNK) this.savepoint = 'wanted';
		this.ids = allocateIds(uow, source.length);
		this.ids.catch(ignore); // awaited by the first write; a failure surfaces there
	}

	private fail(i: number, e: FieldError) {
		if (!this.errors.has(i)) this.errors.set(i, e);
	}

	/** Without Continue On Fail, the first failing item stops all writing. */
	private get writing(): boolean {
		return this.uow.partial || this.errors.size === 0;
	}

	/** Checks and protects items start..end in slices, so that replies to the chunk before are handled in between. */
	async prepare(start: number, end: number): Promise<Prepared> {
		const p: Prepared = { start, end, residents: [], docs: [], phones: [], places: [], docHashes: [], phoneNames: [], previousPhoneHashes: [] };
		for (let from = start; from < end; from += SLICE) {
			await nextTurn();
			const to = Math.min(end, from + SLICE);
			for (let i = from; i < to; i++) this.prepareOne(p, i);
		}
		// Most chunks insert every item they hold: encode them now, while the database is busy.
		await nextTurn();
		const passed = this.identities(p, this.passing(p));
		p.encoded = { items: passed.length, params: await encodeIdentity(passed, nextTurn) };
		return p;
	}

	private prepareOne(p: Prepared, i: number) {
		let r: NewResident;
		try {
			r = this.source.resident(i);
		} catch (error) {
			if (!(error instanceof FieldError)) throw error;
			this.fail(i, error);
			p.residents.push(undefined);
			p.docs.push(protectDocument(this.uow.keys, undefined, false));
			p.phones.push(protectPhone(this.uow.keys, undefined));
			p.places.push({ item: i });
			return;
		}
		const doc = protectDocument(this.uow.keys, r.document, this.opts.storeFullDocument);
		const phone = protectPhone(this.uow.keys, r.phone);
		p.residents.push(r);
		p.docs.push(doc);
		p.phones.push(phone);
		p.places.push({ item: i, r, buildingCode: r.buildingCode ?? (r.household && 'buildingCode' in r.household ? r.household.buildingCode : undefined) });
		if (doc.hash) {
			const first = this.byDoc.get(doc.hash);
			if (first !== undefined) {
				this.fail(i, batchError('Document Number', [first, i], (a, b) => `the same document number is given in items ${a} and ${b}`));
			} else {
				this.byDoc.set(doc.hash, i);
				p.docHashes.push(doc.hash);
				if (this.uow.keys.previous) p.docHashes.push(documentHash(this.uow.keys.previous, r.document!));
			}
		} else if (this.matchByPhone && phone.hash) {
			const key = `${phone.hash}|${r.name}`;
			const first = this.byPhoneName.get(key);
			if (first !== undefined) this.fail(i, batchError('Phone', [first, i], (a, b) => `the same phone and name are given in items ${a} and ${b}`));
			else {
				this.byPhoneName.set(key, i);
				p.phoneNames.push(key);
				if (this.uow.keys.previous) p.previousPhoneHashes.push(phoneHash(this.uow.keys.previous, r.phone!.normalized));
			}
		}
	}

	private passing(p: Prepared): number[] {
		const out: number[] = [];
		for (let i = p.start; i < p.end; i++) if (!this.errors.has(i)) out.push(i);
		return out;
	}

	private identities(p: Prepared, items: number[]): ResidentIdentity[] {
		return items.map((i) => ({ r: p.residents[i - p.start]!, doc: p.docs[i - p.start], phone: p.phones[i - p.start] }));
	}

	/**
	 * The database stage of a chunk. Its checks (buildings and households named, registrations) are sent
	 * at once; its writes wait for the chunk before to be done, since a failing item found there stops
	 * all writing.
	 */
	write(p: Prepared, before: Promise<void>): Written {
		const checked = this.check(p);
		checked.catch(ignore); // awaited below, after the chunk before
		let markInserted: () => void = ignore;
		const inserted = new Promise<void>((resolve) => (markInserted = resolve));
		const done = (async () => {
			try {
				await before; // a failure there is the one to report
				await this.apply(p, await checked, markInserted);
			} finally {
				markInserted();
			}
		})();
		done.catch(ignore); // awaited by the next chunk or at the end
		return { inserted, done };
	}

	private async check(p: Prepared): Promise<Map<number, number>> {
		await this.places.check(p.places, (i, e) => this.fail(i, e));
		return this.registered(p);
	}

	private async apply(p: Prepared, existing: Map<number, number>, markInserted: () => void): Promise<void> {
		if (this.opts.mode === 'create') {
			for (const [i, id] of existing) this.fail(i, new FieldError('Document Number', `a resident with this document number is already registered (resident ${id}); use Upsert to update them`));
		}
		if (!this.writing) {
			if (this.wrote) await sql(this.uow, `ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
			this.wrote = false;
			return;
		}
		const toInsert: number[] = [];
		const toUpdate: number[] = [];
		for (let i = p.start; i < p.end; i++) if (!this.errors.has(i)) (existing.has(i) ? toUpdate : toInsert).push(i);
		if (!toInsert.length && !toUpdate.length) return;
		if (this.savepoint === 'wanted') {
			await sql(this.uow, `SAVEPOINT ${SAVEPOINT}`);
			this.savepoint = 'set';
		}
		this.wrote = true;
		const placements = await this.places.place([...toInsert, ...toUpdate].map((i) => p.places[i - p.start]));
		const resident = (i: number) => p.residents[i - p.start]!;

		const { ids, now } = await this.ids;
		const placed = {
			ids: ids.slice(this.idsUsed, this.idsUsed + toInsert.length),
			householdIds: placements.slice(0, toInsert.length).map((x) => x.householdId),
			unitIds: placements.slice(0, toInsert.length).map((x) => x.unitId),
		};
		this.idsUsed += toInsert.length;
		// Items only leave a chunk (failing or registered already): the same count means the same items.
		const identity = p.encoded?.items === toInsert.length ? p.encoded.params : await encodeIdentity(this.identities(p, toInsert));
		const flagged: number[] = [];
		toInsert.forEach((i, k) => {
			if (resident(i).healthStatus !== 'normal') flagged.push(placed.ids[k]);
		});
		const inserting = insertResidents(this.uow, placed, identity, flagged);
		inserting.catch(ignore); // awaited below, once the outcomes are described
		markInserted();
		await nextTurn();
		// New residents are described from what is written, while it is being written.
		for (let k = 0; k < toInsert.length; k++) {
			if (k && k % SLICE === 0) await nextTurn();
			const i = toInsert[k];
			const value = describeInserted({
				id: placed.ids[k], r: resident(i), doc: p.docs[i - p.start], phone: p.phones[i - p.start],
				householdId: placed.householdIds[k], buildingCode: this.places.buildingCodeOf(placed.unitIds[k]), now, year: this.year,
			});
			this.outcomes[i] = { ok: true, value };
		}
		await inserting;
		if (toUpdate.length) {
			await updateResidents(this.uow, toUpdate.map((i, k) => ({
				id: existing.get(i)!, r: resident(i), ...placements[toInsert.length + k], doc: p.docs[i - p.start], phone: p.phones[i - p.start],
			})));
		}
		// Updated residents, and new ones in households named by id (whose building codes were not
		// looked up), are read back.
		const reread = new Map<number, number>();
		for (const i of toUpdate) reread.set(existing.get(i)!, i);
		toInsert.forEach((i, k) => {
			const h = resident(i).household;
			if (h && 'id' in h) reread.set(placed.ids[k], i);
		});
		if (reread.size) {
			const records = await loadResidentRecords(this.uow, [...reread.keys()]);
			for (const [id, i] of reread) this.outcomes[i] = { ok: true, value: { ...records.get(id)!, operation: existing.has(i) ? 'updated' : 'created' } };
		}
	}

	/** Who of this chunk is registered already: by document, and (when asked) by phone and name. */
	private async registered(p: Prepared): Promise<Map<number, number>> {
		const existing = new Map<number, number>();
		if (p.docHashes.length) {
			const { rows } = await sql<{ id: number; doc_hash: string }>(this.uow,
				`SELECT id, doc_hash FROM resident WHERE doc_hash = ANY(${split()})`, [generatedColumn(p.docHashes)]);
			for (const r of rows) existing.set(this.byDoc.get(currentHash(this.uow.keys, r.doc_hash))!, r.id);
		}
		if (p.phoneNames.length) {
			const hashes = [...new Set(p.phoneNames.map((k) => k.split('|')[0])), ...p.previousPhoneHashes];
			const { rows } = await sql<{ id: number; phone_hash: string; name: string }>(this.uow,
				`SELECT id, phone_hash, name FROM resident WHERE phone_hash = ANY(?::text[]) AND doc_hash IS NULL AND active ORDER BY id`, [hashes]);
			for (const r of rows) {
				const i = this.byPhoneName.get(`${currentHash(this.uow.keys, r.phone_hash)}|${r.name}`);
				if (i !== undefined && i >= p.start && i < p.end && !existing.has(i)) existing.set(i, r.id);
			}
		}
		return existing;
	}

	async finish(): Promise<Array<Outcome<SavedResident>>> {
		for (const [i, error] of this.errors) this.outcomes[i] = { ok: false, error };
		if (this.writing) {
			if (this.savepoint === 'set') await sql(this.uow, `RELEASE SAVEPOINT ${SAVEPOINT}`);
		} else {
			// nothing was written (chunks written before the first failing item were undone): the items
			// that passed report no value
			for (let i = 0; i < this.outcomes.length; i++) if (!this.errors.has(i)) this.outcomes[i] = { ok: true, value: [] };
		}
		return this.outcomes;
	}
}

