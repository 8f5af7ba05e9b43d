// Synthetic governance activity over an existing grid, written straight into the tables with
// set-based SQL (as the schema owner): residents with health statuses and tags, quarantine history,
// temperature observations, incidents over their whole life (duplicates, overdue, escalated, closed
// with ratings, some parked in a community's intake queue) and tasks done by volunteers. The rollup
// test and the rollup benchmark both use it; every figure is a pure function of the row number, so the
// same call always writes the same data.

const CATEGORIES = ['fever_symptoms', 'quarantine_breach', 'arrival_from_risk_area', 'supply_need', 'vulnerable_resident_help',
	'medical_need', 'sanitation', 'safety_hazard', 'neighbour_dispute', 'public_opinion_other'];
const RISKS = ['low', 'medium', 'high', 'critical'];
const TASK_KINDS = ['door_survey', 'temperature_check', 'errand', 'supply_delivery', 'disinfection', 'quarantine_followup', 'verification'];

/**
 * Writes activity for `month` (a YYYY-MM in Asia/Shanghai, default the current one) into `schema`.
 * Sizes are totals over all buildings: { residents, observations, incidents, tasks, volunteers }.
 */
async function seedActivity(client, schema, sizes, { month } = {}) {
	const s = `"${schema}"`;
	const m = month ?? new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 7);
	const start = `${m}-01 00:00:00+08`;
	const q = (text, params = []) => client.query(text, params);
	await q(`CREATE TEMP TABLE IF NOT EXISTS act_building AS SELECT id, row_number() OVER (ORDER BY path) - 1 AS k FROM ${s}.grid_unit WHERE level = 5`);
	await q(`CREATE TEMP TABLE IF NOT EXISTS act_community AS SELECT id, row_number() OVER (ORDER BY path) - 1 AS k FROM ${s}.grid_unit WHERE level = 3`);
	const { rows: [{ b, c }] } = await q(`SELECT (SELECT count(*) FROM act_building)::int AS b, (SELECT count(*) FROM act_community)::int AS c`);
	if (!b || !c) throw new Error(`schema ${schema} has no buildings or communities to put activity in`);
	// times spread over the first 29.5 days (2,548,800 s), so every month holds all of them

	await q(`
		INSERT INTO ${s}.resident (unit_id, name, birth_year, sex, tags, health_status, health_since, quarantine_ends_at, active)
		SELECT bl.id, '居民' || g, 1940 + g % 80, CASE WHEN g % 2 = 0 THEN 'M' ELSE 'F' END,
			CASE WHEN g % 23 = 0 THEN ARRAY['elderly_living_alone'] WHEN g % 29 = 0 THEN ARRAY['disabled', 'chronic_illness']
				WHEN g % 31 = 0 THEN ARRAY['child'] ELSE '{}'::text[] END,
			(ARRAY['normal','normal','normal','normal','normal','normal','normal','normal','normal','normal','normal','normal','normal','normal','normal','normal',
				'symptomatic','home_quarantine','home_quarantine','central_quarantine','recovered','confirmed'])[1 + g % 22],
			$2::timestamptz, CASE WHEN g % 22 IN (17, 18, 19) THEN $2::timestamptz + interval '14 days' END,
			g % 97 <> 0
		FROM generate_series(0, $1::int - 1) g JOIN act_building bl ON bl.k = g % ${b}`, [sizes.residents, start]);

	await q(`
		INSERT INTO ${s}.health_status_history (resident_id, unit_id, status, previous_status, started_at, ended_at, quarantine_ends_at)
		SELECT r.id, r.unit_id, r.health_status, 'normal', $1::timestamptz + (r.id % 40) * interval '1 day' - interval '5 days',
			CASE WHEN r.id % 3 = 0 THEN $1::timestamptz + (r.id % 40) * interval '1 day' + interval '9 days' END, r.quarantine_ends_at
		FROM ${s}.resident r WHERE r.health_status IN ('home_quarantine', 'central_quarantine')`, [start]);

	await q(`
		INSERT INTO ${s}.health_observation (resident_id, unit_id, observed_at, temperature_c, fever, source)
		SELECT r.id, r.unit_id, $2::timestamptz + ((g::bigint * 7919) % 2548800) * interval '1 second',
			t.temp, t.temp >= 37.3, 'door_visit'
		FROM generate_series(0, $1::int - 1) g
		JOIN (SELECT id, unit_id, row_number() OVER (ORDER BY id) - 1 AS k FROM ${s}.resident) r ON r.k = g % $3::int
		CROSS JOIN LATERAL (SELECT (36.0 + (g % 27) / 10.0)::numeric(4,1) AS temp) t`, [sizes.observations, start, Math.min(sizes.residents, sizes.observations)]);

	const { rows: [{ max }] } = await q(`SELECT coalesce(max(id), 0) AS max FROM ${s}.incident`);
	await q(`
		INSERT INTO ${s}.incident (reference, source, category, description, unit_id, location_unit_id, handling_unit_id, risk_level, risk_score,
			status, duplicate_of, due_at, created_at, updated_at, resolved_at, closed_at, satisfaction, transfer_count, reopen_count, supervised, escalation_count)
		SELECT 'SYN-' || ($4::bigint + g), 'staff', ($5::text[])[1 + g % 10], '合成事件 ' || g,
			u.id, u.id, u.id, ($6::text[])[1 + (g / 10) % 4], 0,
			CASE WHEN g % 5 = 0 THEN 'closed' WHEN g % 5 = 1 THEN 'resolved'
				WHEN g % 5 = 2 THEN 'in_progress' WHEN g % 5 = 3 THEN 'assigned' ELSE 'new' END,
			NULL,
			t.created + (30 + (g % 7) * 200) * interval '1 minute',
			t.created, t.created,
			CASE WHEN g % 41 <> 0 AND g % 5 IN (0, 1) THEN t.created + (20 + (g % 13) * 150) * interval '1 minute' END,
			CASE WHEN g % 41 <> 0 AND g % 5 = 0 THEN t.created + (40 + (g % 13) * 150) * interval '1 minute' END,
			CASE WHEN g % 41 <> 0 AND g % 5 = 0 AND g % 3 <> 0 THEN 1 + g % 5 END,
			g % 4, g % 6 / 5, g % 37 = 0, CASE WHEN g % 33 = 0 THEN 1 ELSE 0 END
		FROM generate_series(0, $1::int - 1) g
		CROSS JOIN LATERAL (SELECT $2::timestamptz + ((g::bigint * 104729) % 2548800) * interval '1 second' AS created) t
		JOIN act_building bl ON bl.k = g % $3::int
		JOIN act_community co ON co.k = g % $7::int
		-- one report in twenty waits in a community's intake queue
		CROSS JOIN LATERAL (SELECT CASE WHEN g % 20 = 7 THEN co.id ELSE bl.id END AS id) u`, [sizes.incidents, start, b, max, CATEGORIES, RISKS, c]);
	// every 41st report repeats the batch's first one
	await q(`
		UPDATE ${s}.incident d SET status = 'duplicate', duplicate_of = f.id, resolved_at = NULL, closed_at = NULL, satisfaction = NULL
		FROM (SELECT min(id) AS id FROM ${s}.incident WHERE id > $1::bigint AND reference LIKE 'SYN-%') f
		WHERE d.id > f.id AND d.reference LIKE 'SYN-%' AND (substr(d.reference, 5)::bigint - $1::bigint) % 41 = 0`, [max]);
	await q(`
		INSERT INTO ${s}.incident_event (incident_id, unit_id, kind, note, at)
		SELECT i.id, i.unit_id, 'escalated', 'synthetic', i.created_at + interval '3 hours'
		FROM ${s}.incident i WHERE i.escalation_count > 0 AND i.reference LIKE 'SYN-%' AND i.id > $1::bigint`, [max]);

	await q(`
		INSERT INTO ${s}.volunteer (volunteer_no, name, kind, unit_id, max_tasks)
		SELECT 'SYN-V-' || g, '志愿者' || g, 'party_member', co.id, 1000000
		FROM generate_series(0, $1::int - 1) g JOIN act_community co ON co.k = g % ${c}
		ON CONFLICT (volunteer_no) DO NOTHING`, [sizes.volunteers]);
	await q(`
		INSERT INTO ${s}.task (kind, title, unit_id, status, due_at, created_at, updated_at, assigned_at, started_at, completed_at, assignee_volunteer_id)
		SELECT ($4::text[])[1 + g % 7], '合成任务 ' || g, bl.id,
			CASE WHEN g % 3 = 0 THEN 'open' WHEN g % 3 = 1 THEN 'done' ELSE 'cancelled' END,
			t.created + interval '6 hours', t.created, t.created,
			CASE WHEN g % 3 = 1 THEN t.created + interval '10 minutes' END,
			CASE WHEN g % 3 = 1 AND g % 2 = 0 THEN t.created + interval '20 minutes' END,
			CASE WHEN g % 3 = 1 THEN t.created + (60 + (g % 9) * 45) * interval '1 minute' END,
			CASE WHEN g % 3 = 1 AND g % 4 <> 3 THEN v.id END
		FROM generate_series(0, $1::int - 1) g
		CROSS JOIN LATERAL (SELECT $2::timestamptz + ((g::bigint * 7907) % 2548800) * interval '1 second' AS created) t
		JOIN act_building bl ON bl.k = g % $3::int
		LEFT JOIN LATERAL (SELECT id FROM ${s}.volunteer WHERE volunteer_no = 'SYN-V-' || (g % $5::int)) v ON true`,
		[sizes.tasks, start, b, TASK_KINDS, sizes.volunteers]);
	await q(`ANALYZE ${s}.resident; ANALYZE ${s}.health_observation; ANALYZE ${s}.incident; ANALYZE ${s}.task; ANALYZE ${s}.health_status_history`);
	return { month: m, buildings: b, communities: c };
}

module.exports = { seedActivity, CATEGORIES, RISKS, TASK_KINDS };
