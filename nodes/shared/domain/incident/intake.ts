import { sql } from '../../db/sql';
import { FieldError, batchError } from '../../validation/errors';
import type { Outcome, UnitOfWork } from '../context';
import { responsibleMany } from '../grid/assignments';
import { currentHash, encrypt, lookupHash } from '../personalData';
import { protectPhone } from '../protect';
import { resolveResidentsMany } from '../resident/residents';
import { appendEvents, type NewIncidentEvent } from './events';
import { type IncidentRecord, loadIncidentRecords } from './incidentRecord';
import type { IntakePolicy, NewIncident } from './intakeInput';
import { type RiskResult, riskRank, scoreRisk } from './risk';
import { type Route, routeIncidents } from './routing';
import { dueTime, localDate } from './sla';

/** What intake returns per item: the incident, and whether this call created it. */
export type IntakeResult = IncidentRecord & {
	/** The idempotency key had been seen with the same payload: nothing was written. */
	repeatedRequest: boolean;
	/** The report duplicates an open report of the same unit and category with similar text. */
	isDuplicate: boolean;
	original: { id: number; reference: string } | null;
	riskRules: RiskResult['fired'];
};

const CHUNK = 2_000;
const IN_BATCH_COMPARE = 50;
// Fever readings older than this do not count as "recent" for risk scoring.
const FEVER_LOOKBACK_HOURS = 72;

/** Canonical JSON with sorted keys: the same payload always hashes the same. */
function canonical(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
	if (value && typeof value === 'object') {
		const o = value as Record<string, unknown>;
		return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
	}
	return JSON.stringify(value ?? null);
}

function payloadHash(uow: UnitOfWork, input: NewIncident): string {
	const { idempotencyKey: _key, ...payload } = input;
	return lookupHash(uow.keys, 'incident-payload', canonical(payload));
}

function maskEmail(email: string): string {
	const [user, domain] = email.split('@');
	return `${user.slice(0, 1)}***@${domain}`;
}

interface Fresh {
	position: number;
	input: NewIncident;
	hash: string;
	residentId: number | null;
	route: Route;
	risk: RiskResult;
	handlingUnitId: number;
	assignee: number | null;
	originalId: number | null;
	/** Index among fresh items of an earlier item of this batch that this one duplicates. */
	originalFresh: number | null;
	reference?: string;
	id?: number;
}

/**
 * Takes in reports: idempotency keys (a repeat with the same payload returns the first incident and
 * writes nothing; a different payload is an error), routing, risk scoring, dedupe against recent
 * reports, SLA due times on the working calendar, and gap-free public references per local day.
 * Every incident and its first timeline entry are written set-based in the caller's transaction.
 */
export async function createIncidents(uow: UnitOfWork, inputs: NewIncident[], policy: IntakePolicy): Promise<Array<Outcome<IntakeResult>>> {
	const errors = new Map<number, FieldError>();
	const fail = (i: number, e: FieldError) => {
		if (!errors.has(i)) errors.set(i, e);
	};
	const hashes = inputs.map((input) => payloadHash(uow, input));
	const results = new Map<number, IntakeResult>();
	const now = new Date();

	// Idempotency keys: a lock per key (in sorted order, so parallel intakes cannot deadlock) makes the
	// check-then-insert below race-free; the unique index stays the last line of defence.
	const repeats = new Map<number, { firstPosition?: number; existingId?: number }>();
	const keyed = new Map<string, number>();
	inputs.forEach((input, i) => {
		const key = input.idempotencyKey;
		if (!key) return;
		const first = keyed.get(key);
		if (first === undefined) keyed.set(key, i);
		else if (hashes[first] === hashes[i]) repeats.set(i, { firstPosition: first });
		else fail(i, batchError('Idempotency Key', [first, i], (a, b) => `items ${a} and ${b} use the idempotency key "${key}" with different payloads`));
	});
	if (keyed.size) {
		const keys = [...keyed.keys()].sort();
		await sql(uow, `SELECT pg_advisory_xact_lock(hashtextextended('grid.incident.key:' || k, 0))::text FROM unnest(?::text[]) AS t(k)`, [keys]);
		const { rows } = await sql<{ id: number; idempotency_key: string; payload_hash: string; reference: string }>(uow,
			`SELECT id, idempotency_key, payload_hash, reference FROM incident WHERE idempotency_key = ANY(?::text[])`, [keys]);
		for (const r of rows) {
			for (const [i, input] of inputs.entries()) {
				if (input.idempotencyKey !== r.idempotency_key || errors.has(i)) continue;
				// during a key rotation the stored hash may still be the previous key's
				if (currentHash(uow.keys, r.payload_hash ?? '') === hashes[i]) repeats.set(i, { existingId: r.id });
				else fail(i, new FieldError('Idempotency Key', `the idempotency key "${r.idempotency_key}" was already used for incident ${r.reference} with a different payload; use a new key for a new report`));
			}
		}
	}

	const pending = inputs.map((_, i) => i).filter((i) => !errors.has(i) && !repeats.has(i));

	// Residents named by id, document or phone: one query; facts for scoring in two more.
	const residentOf = new Map<number, number>();
	const withResident = pending.filter((i) => inputs[i].resident);
	if (withResident.length) {
		const ids = await resolveResidentsMany(uow, withResident.map((i) => inputs[i].resident!), 'Resident');
		withResident.forEach((i, k) => {
			const id = ids[k];
			if (id instanceof FieldError) fail(i, id);
			else residentOf.set(i, id);
		});
	}
	const residentIds = [...new Set(residentOf.values())];
	const facts = new Map<number, { unit_id: number; tags: string[]; health_status: string; active: boolean }>();
	const fevers = new Map<number, { temperature_c: number; hours_ago: number }>();
	if (residentIds.length) {
		const { rows } = await sql<{ id: number; unit_id: number; tags: string[]; health_status: string; active: boolean }>(uow,
			`SELECT id, unit_id, tags, health_status, active FROM resident WHERE id = ANY(?::bigint[])`, [residentIds]);
		for (const r of rows) facts.set(r.id, r);
		const { rows: fever } = await sql<{ resident_id: number; temperature_c: number; hours_ago: number }>(uow,
			`SELECT DISTINCT ON (resident_id) resident_id, temperature_c::float8 AS temperature_c,
				extract(epoch FROM (now() - observed_at))::float8 / 3600 AS hours_ago
			FROM health_observation
			WHERE resident_id = ANY(?::bigint[]) AND fever AND observed_at > now() - make_interval(hours => ?)
			ORDER BY resident_id, observed_at DESC`,
			[residentIds, FEVER_LOOKBACK_HOURS]);
		for (const f of fever) fevers.set(f.resident_id, f);
	}

	// Routing.
	const routable = pending.filter((i) => !errors.has(i));
	const routes = await routeIncidents(uow, routable.map((i) => {
		const rid = residentOf.get(i);
		return {
			location: inputs[i].location ?? (rid !== undefined ? { residentsBuilding: true as const } : undefined),
			residentUnitId: rid !== undefined ? facts.get(rid)?.unit_id : undefined,
			lat: inputs[i].lat,
			long: inputs[i].long,
		};
	}), policy.intakeCommunity);
	const routeOf = new Map<number, Route>();
	routable.forEach((i, k) => {
		const r = routes[k];
		if (r instanceof FieldError) fail(i, r);
		else routeOf.set(i, r);
	});

	const fresh: Fresh[] = [];
	const good = routable.filter((i) => !errors.has(i));

	// Reports about the same place within 24 h (this one and earlier items of the batch included).
	const places = [...new Set(good.map((i) => routeOf.get(i)!.locationUnitId ?? routeOf.get(i)!.unitId))];
	const recent = new Map<number, number>();
	if (places.length) {
		const { rows } = await sql<{ unit_id: number; n: number }>(uow,
			`SELECT coalesce(location_unit_id, unit_id) AS unit_id, count(*)::int AS n FROM incident
			WHERE coalesce(location_unit_id, unit_id) = ANY(?::bigint[]) AND created_at > now() - interval '24 hours'
			GROUP BY 1`, [places]);
		for (const r of rows) recent.set(r.unit_id, r.n);
	}
	for (const i of good) {
		const input = inputs[i];
		const route = routeOf.get(i)!;
		const place = route.locationUnitId ?? route.unitId;
		recent.set(place, (recent.get(place) ?? 0) + 1);
		const rid = residentOf.get(i) ?? null;
		const f = rid !== null ? facts.get(rid) : undefined;
		const fever = rid !== null ? fevers.get(rid) : undefined;
		const risk = scoreRisk({
			category: input.category,
			description: input.description,
			residentTags: f?.tags ?? null,
			recentFever: fever ? { temperatureC: fever.temperature_c, hoursAgo: fever.hours_ago } : null,
			healthStatus: f?.health_status ?? null,
			sameBuildingReports24h: recent.get(place)!,
		}, policy.riskRules);
		fresh.push({
			position: i, input, hash: hashes[i], residentId: rid, route, risk,
			handlingUnitId: route.unitId, assignee: null, originalId: null, originalFresh: null,
		});
	}

	if (policy.dedupeWindowHours > 0 && fresh.length) await findDuplicates(uow, fresh, policy);

	// Who handles it: the unit whose responsible post answers for the routed unit.
	const answers = await responsibleMany(uow, [...new Set(fresh.map((f) => f.route.unitId))]);
	for (const f of fresh) {
		const a = answers.get(f.route.unitId);
		if (a?.answeredById) f.handlingUnitId = a.answeredById;
		if (policy.autoAssign && a?.staff.length) f.assignee = a.staff[0].staffId;
	}

	if (!uow.partial && errors.size) return inputs.map((_, i) => outcomeOf(i));
	await writeIncidents(uow, fresh, policy, now);

	// Results: fresh incidents, repeats of earlier items or of stored incidents.
	const ids = [
		...fresh.map((f) => f.id!),
		...[...repeats.values()].flatMap((r) => (r.existingId !== undefined ? [r.existingId] : [])),
		...fresh.flatMap((f) => (f.originalId !== null ? [f.originalId] : [])),
	];
	const records = await loadIncidentRecords(uow, ids);
	const freshAt = new Map(fresh.map((f) => [f.position, f]));
	for (const f of fresh) {
		const originalId = f.originalId ?? (f.originalFresh !== null ? fresh[f.originalFresh].id! : null);
		const original = originalId !== null ? records.get(originalId) ?? null : null;
		results.set(f.position, {
			...records.get(f.id!)!,
			repeatedRequest: false,
			isDuplicate: originalId !== null,
			original: original ? { id: original.id, reference: original.reference } : originalId !== null ? { id: originalId, reference: fresh[f.originalFresh!].reference! } : null,
			riskRules: f.risk.fired,
		});
	}
	for (const [i, r] of repeats) {
		if (errors.has(i)) continue;
		const id = r.existingId ?? freshAt.get(r.firstPosition!)?.id;
		const first = r.firstPosition !== undefined ? results.get(r.firstPosition) : undefined;
		const rec = id !== undefined ? records.get(id) ?? first : first;
		if (!rec) {
			fail(i, new FieldError('Idempotency Key', `the first item with idempotency key "${inputs[i].idempotencyKey}" was rejected, so this repeat has nothing to return`));
			continue;
		}
		results.set(i, { ...rec, repeatedRequest: true, isDuplicate: false, original: null, riskRules: [] });
	}
	return inputs.map((_, i) => outcomeOf(i));

	function outcomeOf(i: number): Outcome<IntakeResult> {
		const e = errors.get(i);
		if (e) return { ok: false, error: e };
		const r = results.get(i);
		// without partial writes nothing is written when any item fails: the good ones have no value
		return r ? { ok: true, value: r } : { ok: true, value: [] };
	}
}

/**
 * Marks reports that repeat a recent report of the same unit and category with similar text: first
 * against stored incidents (pg_trgm), then against earlier items of the same batch.
 */
async function findDuplicates(uow: UnitOfWork, fresh: Fresh[], policy: IntakePolicy): Promise<void> {
	const { rows } = await sql<{ k: number; id: number }>(uow,
		`SELECT t.k, m.id
		FROM unnest(?::int[], ?::bigint[], ?::text[], ?::text[]) AS t(k, unit_id, category, description)
		CROSS JOIN LATERAL (
			SELECT i.id FROM incident i
			WHERE i.unit_id = t.unit_id AND i.category = t.category AND i.status <> 'duplicate'
				AND i.created_at > now() - make_interval(hours => ?)
				AND text_similarity(i.description, t.description) >= ?
			ORDER BY text_similarity(i.description, t.description) DESC, i.created_at
			LIMIT 1
		) m`,
		[fresh.map((_, k) => k), fresh.map((f) => f.route.unitId), fresh.map((f) => f.input.category), fresh.map((f) => f.input.description),
			policy.dedupeWindowHours, policy.dedupeSimilarity]);
	for (const r of rows) fresh[r.k].originalId = r.id;

	// Within the batch: a later report repeats the earliest similar one that is not itself a duplicate.
	// Each report is compared with at most IN_BATCH_COMPARE earlier ones of its unit and category, so a
	// batch of many reports about one place stays linear.
	const groups = new Map<string, number[]>();
	fresh.forEach((f, k) => {
		if (f.originalId !== null) return;
		const g = `${f.route.unitId}|${f.input.category}`;
		const list = groups.get(g) ?? [];
		list.push(k);
		groups.set(g, list);
	});
	const left: number[] = [];
	const right: number[] = [];
	for (const list of groups.values()) {
		for (let a = 0; a < list.length; a++) for (let b = Math.max(0, a - IN_BATCH_COMPARE); b < a; b++) {
			left.push(list[a]);
			right.push(list[b]);
		}
	}
	if (!left.length) return;
	const { rows: pairs } = await sql<{ a: number; b: number }>(uow,
		`SELECT t.a, t.b FROM unnest(?::int[], ?::int[], ?::text[], ?::text[]) AS t(a, b, da, db)
		WHERE text_similarity(t.da, t.db) >= ? ORDER BY t.a, t.b`,
		[left, right, left.map((k) => fresh[k].input.description), right.map((k) => fresh[k].input.description), policy.dedupeSimilarity]);
	for (const p of pairs) {
		if (fresh[p.a].originalFresh !== null || fresh[p.b].originalFresh !== null) continue;
		fresh[p.a].originalFresh = p.b;
	}
}

async function writeIncidents(uow: UnitOfWork, fresh: Fresh[], policy: IntakePolicy, now: Date): Promise<void> {
	if (!fresh.length) return;
	// every report of the batch starts its clock at the same moment: one due time per risk and category
	const dues = new Map<string, string>();
	const dueFor = (f: Fresh) => {
		const key = `${f.risk.level}|${f.input.category}`;
		let due = dues.get(key);
		if (due === undefined) {
			due = dueTime(now, f.risk.level, f.input.category, policy.sla, policy.calendar).toISOString();
			dues.set(key, due);
		}
		return due;
	};
	// Originals are written before their in-batch duplicates so that duplicate_of can point at them.
	const firstPass = fresh.filter((f) => f.originalFresh === null);
	const secondPass = fresh.filter((f) => f.originalFresh !== null);
	const day = localDate(now, policy.calendar);
	const { rows: [counter] } = await sql<{ last_no: number }>(uow,
		`INSERT INTO incident_day_counter AS c (day, last_no) VALUES (?::date, ?)
		ON CONFLICT (day) DO UPDATE SET last_no = c.last_no + EXCLUDED.last_no RETURNING last_no`,
		[day, fresh.length]);
	let next = counter.last_no - fresh.length + 1;
	const stamp = day.replace(/-/g, '');
	for (const f of [...firstPass, ...secondPass]) f.reference = `INC-${stamp}-${String(next++).padStart(6, '0')}`;

	for (const pass of [firstPass, secondPass]) {
		for (let start = 0; start < pass.length; start += CHUNK) {
			const part = pass.slice(start, start + CHUNK);
			const rows = part.map((f) => {
				const original = f.originalId ?? (f.originalFresh !== null ? fresh[f.originalFresh].id! : null);
				const duplicate = original !== null;
				const phone = protectPhone(uow.keys, f.input.reporter?.phone);
				const email = f.input.reporter?.email;
				return {
					reference: f.reference,
					idempotency_key: f.input.idempotencyKey ?? null,
					payload_hash: f.hash,
					source: f.input.source,
					category: f.input.category,
					description: f.input.description,
					reporter_name: f.input.reporter?.name ?? null,
					reporter_phone_hash: phone.hash,
					reporter_phone_enc: phone.enc,
					reporter_phone_masked: phone.masked,
					reporter_email_enc: email ? encrypt(uow.keys, email) : null,
					reporter_email_masked: email ? maskEmail(email) : null,
					resident_id: f.residentId,
					location_unit_id: f.route.locationUnitId,
					unit_id: f.route.unitId,
					routing_note: f.route.note,
					handling_unit_id: f.handlingUnitId,
					address: f.input.address ?? (f.input.location && 'address' in f.input.location ? f.input.location.address : null),
					lat: f.input.lat ?? null,
					long: f.input.long ?? null,
					attributes: f.input.attributes ?? {},
					risk_level: f.risk.level,
					risk_score: riskRank(f.risk.level),
					risk_reasons: f.risk.reasons,
					status: duplicate ? 'duplicate' : f.assignee !== null ? 'assigned' : 'new',
					duplicate_of: original,
					assignee_staff_id: duplicate ? null : f.assignee,
					due_at: duplicate ? null : dueFor(f),
				};
			});
			const { rows: made } = await sql<{ id: number; reference: string }>(uow,
				`INSERT INTO incident (reference, idempotency_key, payload_hash, source, category, description, reporter_name,
					reporter_phone_hash, reporter_phone_enc, reporter_phone_masked, reporter_email_enc, reporter_email_masked,
					resident_id, location_unit_id, unit_id, routing_note, handling_unit_id, address, lat, long, attributes,
					risk_level, risk_score, risk_reasons, status, duplicate_of, assignee_staff_id, due_at)
				SELECT reference, idempotency_key, payload_hash, source, category, description, reporter_name,
					reporter_phone_hash, reporter_phone_enc, reporter_phone_masked, reporter_email_enc, reporter_email_masked,
					resident_id, location_unit_id, unit_id, routing_note, handling_unit_id, address, lat, long, attributes,
					risk_level, risk_score, risk_reasons, status, duplicate_of, assignee_staff_id, due_at
				FROM jsonb_to_recordset(?::jsonb) AS t(reference text, idempotency_key text, payload_hash text, source text, category text,
					description text, reporter_name text, reporter_phone_hash text, reporter_phone_enc text, reporter_phone_masked text,
					reporter_email_enc text, reporter_email_masked text, resident_id bigint, location_unit_id bigint, unit_id bigint,
					routing_note text, handling_unit_id bigint, address text, lat float8, long float8, attributes jsonb, risk_level text,
					risk_score int, risk_reasons jsonb, status text, duplicate_of bigint, assignee_staff_id bigint, due_at timestamptz)
				RETURNING id, reference`,
				[JSON.stringify(rows)]);
			const byRef = new Map(made.map((m) => [m.reference, m.id]));
			for (const f of part) f.id = byRef.get(f.reference!)!;
		}
	}

	// Originals count their repeats; every new incident and every repeat gets its timeline entry.
	const repeatsOf = new Map<number, Fresh[]>();
	for (const f of fresh) {
		const original = f.originalId ?? (f.originalFresh !== null ? fresh[f.originalFresh].id! : null);
		if (original === null) continue;
		const list = repeatsOf.get(original) ?? [];
		list.push(f);
		repeatsOf.set(original, list);
	}
	const originalUnits = new Map<number, number>();
	if (repeatsOf.size) {
		const { rows } = await sql<{ id: number; unit_id: number }>(uow,
			`UPDATE incident i SET report_count = i.report_count + t.n, updated_at = now()
			FROM unnest(?::bigint[], ?::int[]) AS t(id, n) WHERE i.id = t.id RETURNING i.id, i.unit_id`,
			[[...repeatsOf.keys()], [...repeatsOf.values()].map((l) => l.length)]);
		for (const r of rows) originalUnits.set(r.id, r.unit_id);
	}
	const events: NewIncidentEvent[] = fresh.map((f) => {
		const original = f.originalId ?? (f.originalFresh !== null ? fresh[f.originalFresh].id! : null);
		return {
			incidentId: f.id!,
			unitId: f.route.unitId,
			kind: 'created',
			toStatus: original !== null ? 'duplicate' : f.assignee !== null ? 'assigned' : 'new',
			note: f.route.note,
			details: {
				reference: f.reference,
				category: f.input.category,
				riskLevel: f.risk.level,
				source: f.input.source,
				duplicateOf: original,
				...(f.assignee !== null ? { assigneeStaffId: f.assignee } : {}),
			},
		};
	});
	for (const [original, list] of repeatsOf) {
		for (const f of list) {
			events.push({
				incidentId: original,
				unitId: originalUnits.get(original) ?? f.route.unitId,
				kind: 'repeated_report',
				details: { duplicateId: f.id, duplicateReference: f.reference, riskLevel: f.risk.level },
			});
		}
	}
	await appendEvents(uow, events);
}
