import type { Phone } from '../../validation/phone';
import type { UnitRef } from '../grid/unitRecord';
import type { ResidentRef } from '../resident/residents';
import type { WorkingCalendar } from './calendar';
import type { Category } from './categories';
import type { RiskRule } from './risk';
import type { SlaMatrix } from './sla';
import type { IncidentSource } from './vocabulary';

/** Where a report is about: a unit, the building of the resident concerned, or an address. */
export type IncidentLocation = { unit: UnitRef } | { address: string } | { residentsBuilding: true };

/** One checked intake item. Everything here has been validated by the reader already. */
export interface NewIncident {
	idempotencyKey?: string;
	source: IncidentSource;
	/** A category code from the policy's vocabulary. */
	category: string;
	description: string;
	reporter?: { name?: string; phone?: Phone; email?: string };
	resident?: ResidentRef;
	location?: IncidentLocation;
	address?: string;
	lat?: number;
	long?: number;
	attributes?: Record<string, unknown>;
}

/** What intake applies to every item of one execution; built once from the node's options. */
export interface IntakePolicy {
	categories: readonly Category[];
	riskRules: readonly RiskRule[];
	sla: SlaMatrix;
	calendar: WorkingCalendar;
	/** Reports of the same unit and category with similar text within this many hours are duplicates; 0 turns dedupe off. */
	dedupeWindowHours: number;
	/** pg_trgm similarity (0–1) at or above which two descriptions count as the same. */
	dedupeSimilarity: number;
	/** Assign new incidents to whoever is responsible for the routed unit. */
	autoAssign: boolean;
	/** The community whose intake queue takes reports that cannot be routed; the nearest one when absent. */
	intakeCommunity?: UnitRef;
}
