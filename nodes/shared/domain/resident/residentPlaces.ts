import { sql } from '../../db/sql';
import { FieldError } from '../../validation/errors';
import type { UnitOfWork } from '../context';
import { loadUnits } from '../grid/unitLookup';
import { addressKey, ensureHouseholds, notABuilding } from './households';
import type { NewResident } from './residentInput';

type Unit = { id: number; level: number; active: boolean; code: string };

/** Where an item says its resident lives: the building code (direct or of the address) and the resident. */
export interface PlaceOf {
	item: number;
	buildingCode?: string;
	r?: NewResident;
}

export interface Placement {
	householdId: number | null;
	unitId: number;
}

/**
 * The buildings and households of one import, looked up once each: an import names the same few
 * hundred buildings and thousands of households over and over, chunk after chunk.
 */
export class ResidentPlaces {
	private readonly unitByCode = new Map<string, Unit | FieldError>();
	private readonly codeOfUnit = new Map<number, string>();
	private readonly households = new Map<number, { id: number; unit_id: number; active: boolean }>();
	private readonly householdByAddress = new Map<string, number>();

	constructor(private readonly uow: UnitOfWork) {}

	buildingCodeOf(unitId: number): string {
		return this.codeOfUnit.get(unitId) ?? '';
	}

	/** Looks up the buildings and households named by id not seen before, and reports items naming a bad one. */
	async check(items: readonly PlaceOf[], fail: (item: number, error: FieldError) => void): Promise<void> {
		const codes = new Set<string>();
		const householdIds = new Set<number>();
		for (const x of items) {
			if (x.buildingCode && !this.unitByCode.has(x.buildingCode)) codes.add(x.buildingCode);
			const h = x.r?.household;
			if (h && 'id' in h && !this.households.has(h.id)) householdIds.add(h.id);
		}
		if (codes.size) {
			const wanted = [...codes];
			const units = await loadUnits(this.uow, wanted.map((code) => ({ code })), 'Building Code');
			wanted.forEach((code, k) => {
				const u = units[k];
				this.unitByCode.set(code, u);
				if (!(u instanceof FieldError)) this.codeOfUnit.set(u.id, code);
			});
		}
		if (householdIds.size) {
			const { rows } = await sql<{ id: number; unit_id: number; active: boolean }>(this.uow,
				`SELECT id, unit_id, active FROM household WHERE id = ANY(?::bigint[])`, [[...householdIds]]);
			for (const h of rows) this.households.set(h.id, h);
		}
		const outside = this.uow.scopeCode ? ` (or outside this credential's scope ${this.uow.scopeCode})` : '';
		for (const x of items) {
			if (x.buildingCode) {
				const u = this.unitByCode.get(x.buildingCode)!;
				if (u instanceof FieldError) fail(x.item, u);
				else if (u.level !== 5) fail(x.item, notABuilding(u.code, u.level));
				else if (!u.active) fail(x.item, new FieldError('Building Code', `building ${u.code} is deactivated`));
			}
			const h = x.r?.household;
			if (h && 'id' in h) {
				const known = this.households.get(h.id);
				if (!known) fail(x.item, new FieldError('Household ID', `unknown household ${h.id}${outside}`));
				else if (!known.active) fail(x.item, new FieldError('Household ID', `household ${h.id} is inactive`));
			}
		}
	}

	/**
	 * Finds or creates the households given by address of checked items, and says where each lives.
	 * Addresses met before are not sent again: households are kept (migration 005), so their ids hold.
	 */
	async place(items: readonly PlaceOf[]): Promise<Placement[]> {
		const unitId = (code: string) => (this.unitByCode.get(code) as Unit).id;
		const keys = items.map((x) => {
			const h = x.r!.household;
			return h && 'roomNo' in h ? addressKey(unitId(h.buildingCode), h.unitNo, h.roomNo) : undefined;
		});
		const missing = new Map<string, { buildingId: number; unitNo?: string; roomNo: string }>();
		items.forEach((x, k) => {
			const key = keys[k];
			const h = x.r!.household;
			if (key && !this.householdByAddress.has(key) && h && 'roomNo' in h) missing.set(key, { buildingId: unitId(h.buildingCode), unitNo: h.unitNo, roomNo: h.roomNo });
		});
		if (missing.size) {
			const made = await ensureHouseholds(this.uow, [...missing.values()]);
			[...missing.keys()].forEach((key, k) => this.householdByAddress.set(key, made[k]));
		}
		return items.map((x, k) => {
			const h = x.r!.household;
			if (h && 'id' in h) {
				const known = this.households.get(h.id)!;
				return { householdId: known.id, unitId: known.unit_id };
			}
			const key = keys[k];
			return { householdId: key ? this.householdByAddress.get(key)! : null, unitId: unitId(x.buildingCode!) };
		});
	}
}
