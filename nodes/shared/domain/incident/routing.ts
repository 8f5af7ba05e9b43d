import { sql } from '../../db/sql';
import { FieldError } from '../../validation/errors';
import { normalizeAddress } from '../../validation/text';
import type { UnitOfWork } from '../context';
import { loadUnits } from '../grid/unitLookup';
import type { UnitRef } from '../grid/unitRecord';
import type { IncidentLocation } from './intakeInput';

/** Where an incident lands: the unit it is about, and the unit that owns it (a community's intake queue when it cannot be routed). */
export interface Route {
	locationUnitId: number | null;
	unitId: number;
	/** Why the case went to an intake queue; null when it was routed to its location. */
	note: string | null;
}

export interface RoutingRequest {
	location?: IncidentLocation;
	/** The building of the resident concerned, when a resident is named. */
	residentUnitId?: number;
	lat?: number;
	long?: number;
}

interface PlaceRow {
	id: number;
	code: string;
	level: number;
	path: string;
}

const COMMUNITY = 3;

/**
 * Routes many incidents with a few queries: units named by code or id, addresses by the longest
 * registered address that prefixes them, coordinates by the nearest unit with a shape. What resolves
 * to a community or below is routed there; the rest goes to the intake queue of the nearest community.
 */
export async function routeIncidents(uow: UnitOfWork, requests: RoutingRequest[], intakeCommunity?: UnitRef): Promise<Array<Route | FieldError>> {
	const out: Array<Route | FieldError | undefined> = new Array(requests.length).fill(undefined);
	const located = new Map<number, PlaceRow>();

	// Named units: one query; unknown or out-of-scope units are the caller's error.
	const named = requests.flatMap((r, i) => (r.location && 'unit' in r.location ? [{ i, ref: r.location.unit }] : []));
	if (named.length) {
		const rows = await loadUnits(uow, named.map((n) => n.ref), 'Grid Unit');
		named.forEach((n, k) => {
			const row = rows[k];
			if (row instanceof FieldError) out[n.i] = row;
			else located.set(n.i, row);
		});
	}

	// Addresses: the longest registered unit address that is a prefix of the given one.
	const prefixes: Array<[number, string]> = [];
	requests.forEach((r, i) => {
		if (!r.location || !('address' in r.location)) return;
		const a = normalizeAddress(r.location.address);
		for (let len = Math.min(a.length, 120); len >= 4; len--) prefixes.push([i, a.slice(0, len)]);
	});
	if (prefixes.length) {
		const { rows } = await sql<PlaceRow & { idx: number }>(uow,
			`SELECT DISTINCT ON (t.idx) t.idx, u.id, u.code, u.level, u.path
			FROM unnest(?::int[], ?::text[]) AS t(idx, prefix)
			JOIN grid_unit u ON u.address = t.prefix AND u.active
			ORDER BY t.idx, length(t.prefix) DESC, u.level DESC`,
			[prefixes.map((p) => p[0]), prefixes.map((p) => p[1])]);
		for (const r of rows) located.set(r.idx, r);
	}

	// Residents' buildings.
	const residentUnits = requests.flatMap((r, i) => (!located.has(i) && !out[i] && r.residentUnitId !== undefined
		&& (!r.location || 'residentsBuilding' in r.location) ? [{ i, id: r.residentUnitId }] : []));
	if (residentUnits.length) {
		const { rows } = await sql<PlaceRow>(uow, `SELECT id, code, level, path FROM grid_unit WHERE id = ANY(?::bigint[])`,
			[[...new Set(residentUnits.map((r) => r.id))]]);
		const byId = new Map(rows.map((r) => [r.id, r]));
		for (const r of residentUnits) {
			const row = byId.get(r.id);
			if (row) located.set(r.i, row);
		}
	}

	// Coordinates without a resolved place: the nearest unit at community level or below that has a shape.
	const byCoords = requests.flatMap((r, i) => (!located.has(i) && !out[i] && r.lat !== undefined && r.long !== undefined ? [i] : []));
	if (byCoords.length) {
		const shapes = await unitCentroids(uow);
		for (const i of byCoords) {
			const { lat, long } = requests[i] as Required<Pick<RoutingRequest, 'lat' | 'long'>>;
			let best: (PlaceRow & { d: number }) | undefined;
			for (const s of shapes) {
				const d = (s.lat - lat) ** 2 + ((s.long - long) * Math.cos((lat * Math.PI) / 180)) ** 2;
				if (!best || d < best.d || (d === best.d && s.level > best.level)) best = { ...s, d };
			}
			// farther than about 5 km from every unit: not ours to place
			if (best && best.d < 0.045 ** 2) located.set(i, best);
		}
	}

	// Routed: the location itself when it is a community or below.
	const needQueue: Array<{ i: number; within: PlaceRow | undefined; reason: string }> = [];
	requests.forEach((r, i) => {
		if (out[i]) return;
		const place = located.get(i);
		if (place && place.level >= COMMUNITY) {
			out[i] = { locationUnitId: place.id, unitId: place.id, note: null };
			return;
		}
		const reason = place
			? `the location ${place.code} is a ${place.level === 1 ? 'district' : 'street'}, not a community or below`
			: r.location && 'address' in r.location
				? 'the address matches no registered unit'
				: r.location && 'residentsBuilding' in r.location
					? 'the resident concerned has no building'
					: r.lat !== undefined
						? 'no unit lies near the given coordinates'
						: 'no location was given';
		needQueue.push({ i, within: place, reason });
	});
	if (needQueue.length) {
		const queues = await intakeQueues(uow, needQueue.map((q) => q.within), intakeCommunity);
		needQueue.forEach((q, k) => {
			const queue = queues[k];
			out[q.i] = queue instanceof FieldError
				? queue
				: { locationUnitId: q.within?.id ?? null, unitId: queue.id, note: `${q.reason}; sent to the intake queue of community ${queue.code}` };
		});
	}
	return out as Array<Route | FieldError>;
}

/** Centres of units at community level or below that carry a GeoJSON shape or point. */
async function unitCentroids(uow: UnitOfWork): Promise<Array<PlaceRow & { lat: number; long: number }>> {
	const { rows } = await sql<PlaceRow & { geojson: unknown }>(uow,
		`SELECT id, code, level, path, geojson FROM grid_unit WHERE geojson IS NOT NULL AND level >= ? AND active`, [COMMUNITY]);
	const out: Array<PlaceRow & { lat: number; long: number }> = [];
	for (const r of rows) {
		const pts: number[][] = [];
		collectPoints(r.geojson, pts);
		if (!pts.length) continue;
		const long = pts.reduce((s, p) => s + p[0], 0) / pts.length;
		const lat = pts.reduce((s, p) => s + p[1], 0) / pts.length;
		out.push({ id: r.id, code: r.code, level: r.level, path: r.path, lat, long });
	}
	return out;
}

function collectPoints(g: unknown, into: number[][]): void {
	if (!g || typeof g !== 'object') return;
	const o = g as { type?: string; coordinates?: unknown; geometry?: unknown; features?: unknown[] };
	if (o.type === 'Feature') return collectPoints(o.geometry, into);
	if (o.type === 'FeatureCollection' && Array.isArray(o.features)) return o.features.forEach((f) => collectPoints(f, into));
	const walk = (c: unknown): void => {
		if (Array.isArray(c) && c.length >= 2 && typeof c[0] === 'number' && typeof c[1] === 'number') into.push(c as number[]);
		else if (Array.isArray(c)) c.forEach(walk);
	};
	walk(o.coordinates);
}

/**
 * The community whose intake queue takes an unroutable case: the configured one, else the first
 * active community (by code) under the coarse location, else the first one the credential can see.
 */
async function intakeQueues(uow: UnitOfWork, within: Array<PlaceRow | undefined>, configured?: UnitRef): Promise<Array<{ id: number; code: string } | FieldError>> {
	if (configured) {
		const [row] = await loadUnits(uow, [configured], 'Intake Community');
		if (row instanceof FieldError) return within.map(() => row);
		if (row.level !== COMMUNITY) {
			const e = new FieldError('Intake Community', `${row.code} is not a community (level ${row.level}); the intake queue must be a community`);
			return within.map(() => e);
		}
		return within.map(() => ({ id: row.id, code: row.code }));
	}
	const paths = [...new Set(within.map((w) => w?.path ?? ''))];
	const { rows } = await sql<{ prefix: string; id: number; code: string }>(uow,
		`SELECT p.prefix, c.id, c.code
		FROM unnest(?::text[]) AS p(prefix)
		CROSS JOIN LATERAL (
			SELECT u.id, u.code FROM grid_unit u
			WHERE u.level = ? AND u.active AND u.path >= p.prefix COLLATE "C" AND u.path < (p.prefix || '~') COLLATE "C"
			ORDER BY u.code LIMIT 1
		) c`,
		[paths, COMMUNITY]);
	const byPrefix = new Map(rows.map((r) => [r.prefix, r]));
	return within.map((w) => byPrefix.get(w?.path ?? '') ?? new FieldError('Location',
		`the incident cannot be routed (${w ? `no active community under ${w.code}` : 'no location, and no active community is visible'}); give a unit code or set an Intake Community`));
}
