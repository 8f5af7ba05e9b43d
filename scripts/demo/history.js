// Thirty days of life in the demo district, ending at `now`: the health history of the residents
// in quarantine (and their temperature readings), incidents through their whole cycle — assigned to
// the grid head, signed for, escalated to the community, resolved on time or late, reopened, closed
// with a rating, rejected, reported twice, left overdue — and tasks done by volunteers and staff.
// Written as the schema owner with set-based statements, the way bench/lib/activity.js writes
// activity, but every row names real buildings, residents, staff and volunteers of the demo, and
// every timeline follows the moves the domain allows, so performance and SLA figures add up.
const { Random } = require('./random');

const DAY = 86_400_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const FULL = { incidents: 1_500, tasks: 9_000 };
const ACTOR = JSON.stringify({ node: 'Demo district generator' });

/** Sizes at a scale, never so few that a day of the thirty stays empty. */
function historySizes(scale) {
	return { incidents: Math.max(90, Math.round(FULL.incidents * scale)), tasks: Math.max(150, Math.round(FULL.tasks * scale)) };
}

const CATEGORY_WEIGHTS = [
	['fever_symptoms', 14], ['quarantine_breach', 6], ['arrival_from_risk_area', 9], ['supply_need', 16], ['vulnerable_resident_help', 12],
	['medical_need', 9], ['sanitation', 12], ['safety_hazard', 8], ['neighbour_dispute', 8], ['public_opinion_other', 6],
];
const RISKS = {
	fever_symptoms: [['high', 6], ['critical', 1], ['medium', 3]],
	quarantine_breach: [['high', 7], ['medium', 3]],
	arrival_from_risk_area: [['high', 4], ['medium', 6]],
	medical_need: [['critical', 2], ['high', 5], ['medium', 3]],
	vulnerable_resident_help: [['high', 3], ['medium', 7]],
	supply_need: [['medium', 6], ['low', 4]],
};
const SLA = { critical: 30 * MINUTE, high: 2 * HOUR, medium: DAY, low: 3 * DAY };
const DESCRIPTIONS = {
	fever_symptoms: ['居民自述发热38度，伴有咳嗽', '家中老人发热两天，需要上门测温', '孩子发烧，家长询问就诊流程'],
	quarantine_breach: ['居家隔离人员多次下楼外出', '隔离户家属外出购物未报备'],
	arrival_from_risk_area: ['楼内有住户从外地返回，未主动报备', '亲属从中风险地区来蓬探亲'],
	supply_need: ['隔离户需要代购蔬菜和米面', '独居老人家中缺少常用药品', '需要代购婴儿奶粉'],
	vulnerable_resident_help: ['独居老人行动不便，需要上门帮助', '残疾居民需要协助就医预约'],
	medical_need: ['慢性病患者需要按时透析，出行困难', '孕妇需要产检，申请车辆接送'],
	sanitation: ['楼道垃圾堆放多日无人清理', '小区消杀不到位，居民反映'],
	safety_hazard: ['楼道堆放杂物堵塞消防通道', '电动车在楼道内充电'],
	neighbour_dispute: ['楼上漏水影响楼下住户', '邻居因停车位发生争执'],
	public_opinion_other: ['居民询问核酸检测安排', '反映小区出入管理时间不合理'],
};
/** How incidents end, per fifty: most handled in time, some late, escalated, reopened, left overdue, rejected or reported twice. */
const FATES = { normal: 33, late: 4, escalated: 4, reopened: 2, stuck: 3, rejected: 1, duplicate: 3 };
const CALLBACKS = ['回访满意', '回访基本满意', '回访：问题已解决', '回访：对处理时效有意见'];
const TASK_KINDS = [
	['door_survey', 24], ['temperature_check', 30], ['supply_delivery', 14], ['errand', 10], ['disinfection', 8],
	['quarantine_followup', 8], ['verification', 6],
];
const TASK_TITLES = {
	door_survey: '入户摸排', temperature_check: '上门测温', supply_delivery: '生活物资配送', errand: '代购代办',
	disinfection: '楼道消杀', quarantine_followup: '隔离人员回访', verification: '信息核实',
};
const TASK_DUE = { temperature_check: 4 * HOUR, supply_delivery: 6 * HOUR, errand: 8 * HOUR, quarantine_followup: 12 * HOUR, door_survey: 2 * DAY, disinfection: DAY, verification: DAY };

/** Local date (Asia/Shanghai) of an instant, as YYYY-MM-DD. */
const localDay = (ms) => new Date(ms + 8 * HOUR).toISOString().slice(0, 10);
const iso = (ms) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/** Reads what the history refers to: buildings with their grid and community, posts, residents, volunteers. */
async function references(q) {
	const buildings = (await q(`SELECT b.id, b.code, b.name, g.id AS grid_id, c.id AS community_id
		FROM grid_unit b JOIN grid_unit g ON g.id = b.parent_id JOIN grid_unit c ON c.id = g.parent_id
		WHERE b.level = 5 AND b.active ORDER BY b.code`)).map((r) => ({ ...r, id: Number(r.id), grid_id: Number(r.grid_id), community_id: Number(r.community_id) }));
	const posts = new Map();
	for (const r of await q(`SELECT a.unit_id, a.role, a.staff_id FROM grid_assignment a JOIN staff s ON s.id = a.staff_id
		WHERE a.valid_to IS NULL AND s.active ORDER BY a.unit_id, a.role, s.staff_no`)) {
		const key = `${r.unit_id}|${r.role}`;
		if (!posts.has(key)) posts.set(key, []);
		posts.get(key).push(Number(r.staff_id));
	}
	const residentsOf = new Map();
	const flagged = [];
	for (const r of await q(`SELECT id, unit_id, household_id, health_status, quarantine_ends_at FROM resident WHERE active ORDER BY id`)) {
		const x = { id: Number(r.id), unitId: Number(r.unit_id), householdId: r.household_id === null ? null : Number(r.household_id), status: r.health_status, endsAt: r.quarantine_ends_at };
		if (!residentsOf.has(x.unitId)) residentsOf.set(x.unitId, []);
		residentsOf.get(x.unitId).push(x);
		if (x.status !== 'normal') flagged.push(x);
	}
	const volunteersOf = new Map();
	for (const r of await q(`SELECT v.id, v.max_tasks, coalesce(c.id, v.unit_id) AS community_id
		FROM volunteer v JOIN grid_unit u ON u.id = v.unit_id LEFT JOIN grid_unit c ON c.id = u.parent_id AND u.level = 4
		WHERE v.active AND v.volunteer_no LIKE 'PL-%' ORDER BY v.volunteer_no`)) {
		const key = Number(r.community_id);
		if (!volunteersOf.has(key)) volunteersOf.set(key, []);
		volunteersOf.get(key).push({ id: Number(r.id), max: r.max_tasks, load: 0 });
	}
	return { buildings, posts, residentsOf, flagged, volunteersOf };
}

/** Health history and temperature readings of the residents registered in a health state. */
async function healthHistory(q, now) {
	const at = iso(now);
	// quarantines began 14 days before they end; symptoms up to three days ago
	await q(`UPDATE health_status_history h SET previous_status = 'normal',
			started_at = CASE WHEN r.health_status IN ('home_quarantine', 'central_quarantine') THEN r.quarantine_ends_at - interval '14 days'
				ELSE $1::timestamptz - ((1 + r.id % 70) * interval '1 hour') END,
			reason = CASE r.health_status WHEN 'home_quarantine' THEN '密切接触者，居家隔离' WHEN 'central_quarantine' THEN '涉疫地区返回，集中隔离'
				ELSE '网格员入户发现症状' END
		FROM resident r WHERE h.resident_id = r.id AND h.ended_at IS NULL AND r.health_status IN ('home_quarantine', 'central_quarantine', 'symptomatic')`, [at]);
	// the recovered went through central quarantine and a confirmed illness first
	await q(`INSERT INTO health_status_history (resident_id, unit_id, status, previous_status, reason, started_at, ended_at, quarantine_ends_at)
		SELECT r.id, r.unit_id, e.status, e.previous, e.reason, e.started, e.ended, e.ends
		FROM resident r CROSS JOIN LATERAL (SELECT $1::timestamptz - (22 + r.id % 6) * interval '1 day' AS s) b
		CROSS JOIN LATERAL (VALUES
			('central_quarantine', 'normal', '密切接触者，集中隔离', b.s, b.s + interval '2 days', b.s + interval '14 days'),
			('confirmed', 'central_quarantine', '核酸检测阳性', b.s + interval '2 days', b.s + interval '16 days', NULL::timestamptz)
		) AS e(status, previous, reason, started, ended, ends)
		WHERE r.health_status = 'recovered'`, [at]);
	await q(`UPDATE health_status_history h SET previous_status = 'confirmed', reason = '治愈出院',
			started_at = $1::timestamptz - (22 + r.id % 6) * interval '1 day' + interval '16 days'
		FROM resident r WHERE h.resident_id = r.id AND h.ended_at IS NULL AND h.status = 'recovered' AND r.health_status = 'recovered'`, [at]);
	await q(`UPDATE resident r SET health_since = h.started_at FROM health_status_history h
		WHERE h.resident_id = r.id AND h.ended_at IS NULL AND h.status = r.health_status AND r.health_status <> 'normal'`);
	// twice a day while in quarantine or ill: mostly normal, now and then a fever
	await q(`INSERT INTO health_observation (resident_id, unit_id, observed_at, temperature_c, fever, symptoms, source, recorded_by)
		SELECT p.id, p.unit_id, t.at, x.temp, x.temp >= 37.3, CASE WHEN x.temp >= 37.3 THEN ARRAY['cough'] ELSE '{}'::text[] END,
			CASE WHEN p.status = 'home_quarantine' THEN 'self_report' ELSE 'door_visit' END,
			CASE WHEN p.status = 'home_quarantine' THEN NULL ELSE '医护人员' END
		FROM (
			SELECT r.id, r.unit_id, h.status, h.started_at, least(coalesce(h.ended_at, $1::timestamptz), $1::timestamptz) AS until
			FROM health_status_history h JOIN resident r ON r.id = h.resident_id
			WHERE h.status IN ('home_quarantine', 'central_quarantine', 'symptomatic', 'confirmed')
		) p
		CROSS JOIN LATERAL generate_series(p.started_at + interval '1 hour', p.until, interval '12 hours') AS t(at)
		CROSS JOIN LATERAL (SELECT CASE
			WHEN p.status IN ('symptomatic', 'confirmed') OR abs(hashint8(p.id * 7919 + extract(epoch FROM t.at)::bigint)) % 40 = 0
				THEN (37.4 + abs(hashint8(p.id + extract(epoch FROM t.at)::bigint)) % 12 / 10.0)::numeric(4, 1)
			ELSE (36.1 + abs(hashint8(p.id + extract(epoch FROM t.at)::bigint)) % 11 / 10.0)::numeric(4, 1) END AS temp) x`, [at]);
}

/** One incident's timeline, stopped at `now`; returns the row and its events. */
function incidentTimeline(rnd, inc, ctx) {
	const { now, staffAt } = ctx;
	const events = [];
	const row = {
		...inc, status: 'new', assignee: null, handling: inc.unitId, escalations: 0, reopens: 0, transfers: 0,
		resolvedAt: null, closedAt: null, satisfaction: null, callback: null, updatedAt: inc.createdAt, reportCount: 1,
	};
	const step = (at, kind, to, note, details, apply) => {
		if (at > now || row.stopped) {
			row.stopped = true;
			return false;
		}
		events.push({ incidentId: inc.key, unitId: inc.unitId, kind, from: kind === 'created' ? null : row.status, to, note, details, at });
		if (to) row.status = to;
		if (apply) apply();
		row.updatedAt = at;
		return true;
	};
	if (inc.original) {
		row.status = 'duplicate';
		step(inc.createdAt, 'created', 'duplicate', null, { reference: inc.reference, category: inc.category, riskLevel: inc.risk, source: inc.source, duplicateOf: inc.original.key });
		inc.original.reportCount = (inc.original.reportCount ?? 1) + 1;
		ctx.extraEvents.push({ incidentId: inc.original.key, unitId: inc.original.unitId, kind: 'repeated_report', from: null, to: null, note: null,
			details: { duplicateId: inc.key, duplicateReference: inc.reference, riskLevel: inc.risk }, at: inc.createdAt });
		return { row, events };
	}
	step(inc.createdAt, 'created', 'new', null, { reference: inc.reference, category: inc.category, riskLevel: inc.risk, source: inc.source, duplicateOf: null });
	let t = inc.createdAt + rnd.int(2, 40) * MINUTE;
	if (inc.fate === 'rejected') {
		step(t + rnd.int(5, 60) * MINUTE, 'status_changed', 'rejected', '不属于网格事务，已告知反映人向相关部门反映');
		return { row, events };
	}
	const first = rnd.chance(0.7) ? staffAt(inc.gridId, 'grid_head') : staffAt(inc.gridId, 'grid_member');
	step(t, 'assigned', 'assigned', null, { from: null, to: { staffId: first, name: null, team: null }, responsibleByDefault: false, transfer: false, transferCount: 0 },
		() => (row.assignee = first));
	if (inc.fate === 'stuck') return { row, events };
	if (inc.fate === 'escalated') {
		// not handled in time at the grid: the community takes it over with a fresh due time
		t = Math.max(t + 10 * MINUTE, row.dueAt + rnd.int(5, 90) * MINUTE);
		const worker = staffAt(inc.communityId, 'community_worker');
		const due = t + SLA[inc.risk];
		step(t, 'sla_breached', null, null, { dueAt: iso(row.dueAt) });
		step(t + MINUTE, 'escalated', 'assigned', '网格内无法办结，上报社区', {
			assignee: { staffId: worker, name: null }, previousAssignee: { staffId: row.assignee, name: null, team: null }, escalationCount: 1,
			dueAt: { from: iso(row.dueAt), to: iso(due) }, automatic: false,
		}, () => {
			row.handling = inc.communityId;
			row.assignee = worker;
			row.escalations = 1;
			row.dueAt = due;
		});
		t += MINUTE;
	}
	// signed for (签收): most within half an hour
	t += (rnd.chance(0.85) ? rnd.int(3, 30) : rnd.int(31, 240)) * MINUTE;
	if (!step(t, 'status_changed', 'in_progress', '已签收，正在办理')) return { row, events };
	const resolve = (from) => {
		const left = row.dueAt - from;
		const onTime = inc.fate !== 'late' && left > 10 * MINUTE;
		return onTime ? from + Math.round(left * (0.2 + 0.75 * rnd.next())) : Math.max(from, row.dueAt) + rnd.int(10, 900) * MINUTE;
	};
	t = resolve(t);
	if (!step(t, 'status_changed', 'resolved', '已办结', undefined, () => (row.resolvedAt = t))) return { row, events };
	if (inc.fate === 'reopened') {
		t += rnd.int(2, 20) * HOUR;
		if (!step(t, 'reopened', 'in_progress', '回访不满意，重新办理', undefined, () => { row.reopens = 1; row.resolvedAt = null; })) return { row, events };
		t += rnd.int(1, 8) * HOUR;
		if (!step(t, 'status_changed', 'resolved', '再次办结', undefined, () => (row.resolvedAt = t))) return { row, events };
	}
	t += rnd.int(4, 48) * HOUR;
	const satisfaction = rnd.chance(0.85) ? rnd.weighted([[5, 50], [4, 30], [3, 12], [2, 5], [1, 3]]) : null;
	const callback = rnd.pick(CALLBACKS);
	step(t, 'closed', 'closed', callback, { satisfaction }, () => {
		row.closedAt = t;
		row.satisfaction = satisfaction;
		row.callback = callback;
	});
	return { row, events };
}

/** Incidents over the thirty days, their timelines and the day counters behind their references. */
async function incidents(q, rnd, refs, { now, count }) {
	const { buildings, residentsOf } = refs;
	const staffAt = (unitId, role) => {
		const list = refs.posts.get(`${unitId}|${role}`) ?? refs.posts.get(`${unitId}|grid_head`) ?? [];
		return list.length ? list[rnd.int(0, list.length - 1)] : null;
	};
	const planned = [];
	for (let i = 0; i < count; i++) {
		const createdAt = now - (i % 30) * DAY - rnd.int(300, 86_399) * 1000;
		planned.push({ createdAt, tie: i });
	}
	planned.sort((a, b) => a.createdAt - b.createdAt || a.tie - b.tie);
	const counters = new Map((await q(`SELECT day::text AS day, last_no FROM incident_day_counter`)).map((r) => [r.day, r.last_no]));
	const made = [];
	let deck = [];
	for (const [key, p] of planned.entries()) {
		// fates dealt from shuffled decks of fifty, so that even a small history has each of them
		if (!deck.length) deck = rnd.shuffle(Object.entries(FATES).flatMap(([fate, n]) => Array(n).fill(fate)));
		const fate = deck.pop();
		const original = fate === 'duplicate' && made.length ? rnd.pick(made.slice(-40).filter((m) => !m.original && m.createdAt < p.createdAt - MINUTE)) : undefined;
		const b = original ? buildings.find((x) => x.id === original.unitId) : rnd.pick(buildings);
		const category = original ? original.category : rnd.weighted(CATEGORY_WEIGHTS);
		const risk = original ? original.risk : rnd.weighted(RISKS[category] ?? [['medium', 5], ['low', 5]]);
		const people = residentsOf.get(b.id) ?? [];
		const withResident = ['fever_symptoms', 'quarantine_breach', 'vulnerable_resident_help', 'medical_need', 'supply_need'].includes(category);
		const day = localDay(p.createdAt);
		const no = (counters.get(day) ?? 0) + 1;
		counters.set(day, no);
		made.push({
			key, createdAt: p.createdAt, fate: original ? 'duplicate' : fate === 'duplicate' ? 'normal' : fate, original, unitId: b.id, gridId: b.grid_id, communityId: b.community_id,
			category, risk, source: rnd.weighted([['resident', 35], ['staff', 35], ['hotline', 20], ['upstream', 10]]),
			description: rnd.pick(DESCRIPTIONS[category]), residentId: withResident && people.length ? rnd.pick(people).id : null,
			reference: `INC-${day.replace(/-/g, '')}-${String(no).padStart(6, '0')}`, dueAt: p.createdAt + SLA[risk],
		});
	}
	const ctx = { now, staffAt, extraEvents: [] };
	const timelines = made.map((inc) => incidentTimeline(rnd, inc, ctx));
	// a repeated report counts on its original, whose row was laid out before the repeat came
	const rows = timelines.map((x, k) => ({ ...x.row, reportCount: made[k].reportCount ?? 1 }));
	const col = (f) => rows.map(f);
	// ids drawn ahead, in creation order, so that a repeat names its original in the same statement
	const ids = (await q(`SELECT nextval('incident_id_seq')::bigint AS id FROM generate_series(1, $1::int) ORDER BY 1`, [rows.length])).map((r) => Number(r.id));
	const idOf = (key) => ids[key];
	await q(`INSERT INTO incident (id, reference, source, category, description, resident_id, location_unit_id, unit_id, handling_unit_id,
			risk_level, status, duplicate_of, report_count, assignee_staff_id, escalation_count, transfer_count, reopen_count, due_at,
			satisfaction, callback_result, created_at, updated_at, resolved_at, closed_at, attributes)
		SELECT t.id, t.reference, t.source, t.category, t.description, t.resident_id, t.unit_id, t.unit_id, t.handling, t.risk, t.status, t.duplicate_of,
			t.report_count, t.assignee, t.escalations, 0, t.reopens, t.due_at, t.satisfaction, t.callback, t.created_at, t.updated_at, t.resolved_at,
			t.closed_at, '{"demo": true}'::jsonb
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::text[], $9::text[], $10::int[],
			$11::bigint[], $12::int[], $13::int[], $14::timestamptz[], $15::smallint[], $16::text[], $17::timestamptz[], $18::timestamptz[],
			$19::timestamptz[], $20::timestamptz[], $21::bigint[], $22::bigint[]) WITH ORDINALITY
			AS t(reference, source, category, description, resident_id, unit_id, handling, risk, status, report_count, assignee, escalations, reopens,
				due_at, satisfaction, callback, created_at, updated_at, resolved_at, closed_at, id, duplicate_of, ord)
		ORDER BY t.ord`,
	[col((r) => r.reference), col((r) => r.source), col((r) => r.category), col((r) => r.description), col((r) => r.residentId), col((r) => r.unitId),
		col((r) => r.handling), col((r) => r.risk), col((r) => r.status), col((r) => r.reportCount), col((r) => r.assignee), col((r) => r.escalations),
		col((r) => r.reopens), col((r) => iso(r.dueAt)), col((r) => r.satisfaction), col((r) => r.callback), col((r) => iso(r.createdAt)),
		col((r) => iso(r.updatedAt)), col((r) => iso(r.resolvedAt)), col((r) => iso(r.closedAt)), col((r) => idOf(r.key)),
		col((r) => (r.original ? idOf(r.original.key) : null))]);
	const events = [...timelines.flatMap((x) => x.events), ...ctx.extraEvents].sort((a, b) => a.at - b.at || a.incidentId - b.incidentId);
	await insertEvents(q, 'incident_event', 'incident_id', events.map((e) => ({ ...e, id: idOf(e.incidentId) })));
	await q(`INSERT INTO incident_day_counter AS c (day, last_no) SELECT * FROM unnest($1::date[], $2::int[])
		ON CONFLICT (day) DO UPDATE SET last_no = greatest(c.last_no, EXCLUDED.last_no)`, [[...counters.keys()], [...counters.values()]]);
	return rows;
}

async function insertEvents(q, table, idColumn, events) {
	for (let start = 0; start < events.length; start += 20_000) {
		const part = events.slice(start, start + 20_000);
		await q(`INSERT INTO ${table} (${idColumn}, unit_id, kind, from_status, to_status, note, details, actor, at)
			SELECT t.id, t.unit_id, t.kind, t.from_status, t.to_status, t.note, t.details::jsonb, $8::jsonb, t.at
			FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $9::timestamptz[]) WITH ORDINALITY
				AS t(id, unit_id, kind, from_status, to_status, note, details, at, ord)
			ORDER BY t.ord`,
		[part.map((e) => e.id), part.map((e) => e.unitId), part.map((e) => e.kind), part.map((e) => e.from ?? null), part.map((e) => e.to ?? null),
			part.map((e) => e.note ?? null), part.map((e) => JSON.stringify(e.details ?? {})), ACTOR, part.map((e) => iso(e.at))]);
	}
}

/** Tasks over the thirty days: surveys, temperature checks of the quarantined, deliveries; most done by volunteers. */
async function tasks(q, rnd, refs, { now, count }) {
	const { buildings, residentsOf, volunteersOf, posts } = refs;
	const quarantined = refs.flagged.filter((r) => r.status === 'home_quarantine' || r.status === 'central_quarantine');
	const byId = new Map(buildings.map((b) => [b.id, b]));
	const rows = [];
	const events = [];
	for (let i = 0; i < count; i++) {
		const createdAt = now - (i % 30) * DAY - rnd.int(300, 86_399) * 1000;
		const kind = rnd.weighted(TASK_KINDS);
		const person = (kind === 'temperature_check' || kind === 'quarantine_followup') && quarantined.length ? rnd.pick(quarantined) : null;
		const b = person ? byId.get(person.unitId) : rnd.pick(buildings);
		const households = (residentsOf.get(b.id) ?? []).filter((r) => r.householdId !== null);
		const householdId = !person && (kind === 'door_survey' || kind === 'supply_delivery' || kind === 'errand') && households.length ? rnd.pick(households).householdId : null;
		const row = {
			key: i, kind, title: `${TASK_TITLES[kind]} ${b.name}`, unitId: b.id, residentId: person?.id ?? null, householdId,
			priority: kind === 'temperature_check' ? 1 : 2, createdAt, dueAt: createdAt + TASK_DUE[kind], status: 'open',
			volunteer: null, staff: null, assignedAt: null, startedAt: null, completedAt: null, updatedAt: createdAt, cancelReason: null,
		};
		rows.push(row);
		const event = (at, kind2, to, details) => {
			events.push({ taskId: i, unitId: b.id, kind: kind2, from: kind2 === 'created' ? null : row.status, to, note: null, details, at });
			row.status = to;
			row.updatedAt = at;
		};
		event(createdAt, 'created', 'open', {});
		let t = createdAt + rnd.int(10, 90) * MINUTE;
		if (rnd.chance(0.05)) {
			if (t <= now) {
				row.cancelReason = '居民已自行解决';
				event(t, 'cancelled', 'cancelled', { reason: row.cancelReason });
			}
			continue;
		}
		if (t > now) continue;
		const pool = volunteersOf.get(b.community_id) ?? [];
		const tStart = t + rnd.int(5, 30) * MINUTE;
		const tDone = tStart + rnd.int(10, 60) * MINUTE + rnd.int(20, 180) * MINUTE;
		// a volunteer holds a task until it is done: no one is given more than they may hold
		const free = pool.filter((v) => tDone <= now || v.load < v.max);
		if (free.length && rnd.chance(0.7)) {
			const v = rnd.pick(free);
			row.volunteer = v.id;
			row.assignedAt = t;
			event(t, 'assigned', 'assigned', { volunteerId: v.id });
			if (tDone > now) v.load++;
			v.lastAssignedAt = Math.max(v.lastAssignedAt ?? 0, t);
			t += rnd.int(2, 20) * MINUTE;
			if (t > now) continue;
			event(t, 'accepted', 'accepted', {});
		} else {
			const list = posts.get(`${b.grid_id}|grid_member`) ?? posts.get(`${b.grid_id}|grid_head`) ?? [];
			if (!list.length) continue;
			row.staff = rnd.pick(list);
			row.assignedAt = t;
			event(t, 'assigned', 'assigned', { staffId: row.staff });
		}
		if (tStart > now) continue;
		row.startedAt = tStart;
		event(tStart, 'started', 'in_progress', {});
		if (tDone > now) continue;
		row.completedAt = tDone;
		event(tDone, 'completed', 'done', kind === 'temperature_check' ? { temperatureC: 36 + rnd.int(2, 11) / 10 } : { note: '已完成' });
	}
	const col = (f) => rows.map(f);
	const ids = await q(`INSERT INTO task (kind, title, unit_id, resident_id, household_id, priority, status, assignee_volunteer_id, assignee_staff_id,
			assigned_at, started_at, completed_at, due_at, cancel_reason, created_at, updated_at, details)
		SELECT t.kind, t.title, t.unit_id, t.resident_id, t.household_id, t.priority, t.status, t.volunteer, t.staff, t.assigned_at, t.started_at,
			t.completed_at, t.due_at, t.cancel_reason, t.created_at, t.updated_at, '{"demo": true}'::jsonb
		FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::smallint[], $7::text[], $8::bigint[], $9::bigint[],
			$10::timestamptz[], $11::timestamptz[], $12::timestamptz[], $13::timestamptz[], $14::text[], $15::timestamptz[], $16::timestamptz[]) WITH ORDINALITY
			AS t(kind, title, unit_id, resident_id, household_id, priority, status, volunteer, staff, assigned_at, started_at, completed_at, due_at,
				cancel_reason, created_at, updated_at, ord)
		ORDER BY t.ord RETURNING id`,
	[col((r) => r.kind), col((r) => r.title), col((r) => r.unitId), col((r) => r.residentId), col((r) => r.householdId), col((r) => r.priority),
		col((r) => r.status), col((r) => r.volunteer), col((r) => r.staff), col((r) => iso(r.assignedAt)), col((r) => iso(r.startedAt)),
		col((r) => iso(r.completedAt)), col((r) => iso(r.dueAt)), col((r) => r.cancelReason), col((r) => iso(r.createdAt)), col((r) => iso(r.updatedAt))]);
	// ids come from one sequence in insertion order
	const taskIds = ids.map((r) => Number(r.id)).sort((a, b) => a - b);
	events.sort((a, b) => a.at - b.at || a.taskId - b.taskId);
	await insertEvents(q, 'task_event', 'task_id', events.map((e) => ({ ...e, id: taskIds[e.taskId] })));
	const volunteers = [...volunteersOf.values()].flat().filter((v) => v.lastAssignedAt);
	await q(`UPDATE volunteer v SET current_load = t.load, last_assigned_at = t.at FROM unnest($1::bigint[], $2::int[], $3::timestamptz[]) AS t(id, load, at)
		WHERE v.id = t.id`, [volunteers.map((v) => v.id), volunteers.map((v) => v.load), volunteers.map((v) => iso(v.lastAssignedAt))]);
	return rows;
}

/** Whether the history is there: it is written in one transaction, so one of its events is enough. */
async function historyPresent(q) {
	const rows = await q(`SELECT 1 FROM incident_event WHERE actor = $1::jsonb LIMIT 1`, [ACTOR]);
	return rows.length > 0;
}

/**
 * Writes the history in the caller's transaction; `q(text, params)` runs a statement as the schema
 * owner with the schema on the search path. Returns what it wrote.
 */
async function writeHistory(q, { seed, scale = 1, now, onStep = () => undefined }) {
	const rnd = new Random(`${seed}|history`);
	const sizes = historySizes(scale);
	const refs = await references(q);
	await healthHistory(q, now);
	onStep('health history and temperatures');
	const inc = await incidents(q, rnd, refs, { now, count: sizes.incidents });
	onStep('incidents');
	const t = await tasks(q, rnd, refs, { now, count: sizes.tasks });
	onStep('tasks');
	await q(`ANALYZE resident; ANALYZE health_observation; ANALYZE health_status_history; ANALYZE incident; ANALYZE incident_event; ANALYZE task; ANALYZE task_event`);
	return { incidents: inc.length, tasks: t.length };
}

module.exports = { writeHistory, historyPresent, historySizes, FULL, ACTOR };
