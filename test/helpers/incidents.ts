import type { ConnectionConfig } from '../../nodes/shared/db/config';
import type { Outcome } from '../../nodes/shared/domain/context';
import { DEFAULT_CALENDAR } from '../../nodes/shared/domain/incident/calendar';
import { DEFAULT_CATEGORIES } from '../../nodes/shared/domain/incident/categories';
import { type IntakeResult, createIncidents } from '../../nodes/shared/domain/incident/intake';
import type { IntakePolicy, NewIncident } from '../../nodes/shared/domain/incident/intakeInput';
import { DEFAULT_SLA_MATRIX } from '../../nodes/shared/domain/incident/sla';
import type { TestDatabase } from './db';
import { run } from './uow';

/**
 * Intake as these tests use it: default vocabulary and SLA; no risk rules (every report is low, so
 * that many reports about one building do not raise the level), no dedupe, no auto-assign.
 */
export const TEST_INTAKE_POLICY: IntakePolicy = {
	categories: DEFAULT_CATEGORIES,
	riskRules: [],
	sla: DEFAULT_SLA_MATRIX,
	calendar: DEFAULT_CALENDAR,
	dedupeWindowHours: 0,
	dedupeSimilarity: 0.5,
	autoAssign: false,
};

export function valueOf<T>(o: Outcome<T>): T {
	if (!o.ok) throw o.error;
	return o.value as T;
}

/** Reports incidents about a unit through the real intake; every one must be accepted. */
export async function reportIncidents(
	config: ConnectionConfig,
	unitCode: string,
	count: number,
	over: Partial<NewIncident> & { describe?: (k: number) => string } = {},
	policy: Partial<IntakePolicy> = {},
): Promise<IntakeResult[]> {
	const { describe, ...fields } = over;
	const inputs: NewIncident[] = Array.from({ length: count }, (_, k) => ({
		source: 'staff',
		category: 'sanitation',
		description: describe ? describe(k) : `report ${k} about ${unitCode}`,
		location: { unit: { code: unitCode } },
		...fields,
	}));
	const out: IntakeResult[] = [];
	for (let start = 0; start < inputs.length; start += 2_000) {
		const outcomes = await run(config, (uow) => createIncidents(uow, inputs.slice(start, start + 2_000), { ...TEST_INTAKE_POLICY, ...policy }));
		out.push(...outcomes.map(valueOf));
	}
	return out;
}

/** Moves incidents' due time into the past (as the admin login), as if their SLA had run out. */
export async function makeOverdue(db: TestDatabase, ids: number[], minutesAgo = 60): Promise<void> {
	await db.query(`UPDATE grid.incident SET due_at = now() - make_interval(mins => $2) WHERE id = ANY($1::bigint[])`, [ids, minutesAgo]);
}

/** Incident rows as stored, for assertions. */
export async function incidentRows(db: TestDatabase, ids: number[]) {
	return db.query<Record<string, any>>(
		`SELECT i.*, hu.code AS handling_code FROM grid.incident i JOIN grid.grid_unit hu ON hu.id = i.handling_unit_id
		WHERE i.id = ANY($1::bigint[]) ORDER BY i.id`, [ids]);
}

export async function eventKinds(db: TestDatabase, id: number): Promise<string[]> {
	return (await db.query<{ kind: string }>(`SELECT kind FROM grid.incident_event WHERE incident_id = $1 ORDER BY id`, [id])).map((r) => r.kind);
}
