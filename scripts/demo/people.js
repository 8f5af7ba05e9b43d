// The people of the demo district: about 66,000 households and 170,000 residents in the buildings
// of the grid plan, shaped like an ageing coastal Shandong district (many elderly, many living alone
// or as couples whose children have moved away). Residents come out as the raw input of Resident →
// Import Many, so they go through the same checks, hashing and encryption as any import.
const { Random } = require('./random');
const { surname, givenName, mobile } = require('./names');
const { idNumberMaker } = require('./idNumbers');

const FULL = { households: 66_000 };
/** Residents in each health state at full scale: a few hundred in all. */
const FLAGGED = { home_quarantine: 180, central_quarantine: 70, symptomatic: 50, recovered: 60 };
const QUARANTINE_DAYS = 14;
const DAY_MS = 86_400_000;

/** Household shapes with their shares: a member is [relation, minimum age, maximum age]. */
const SHAPES = [
	[9, 'elderly_alone'], [18, 'elderly_couple'], [14, 'empty_nest'], [22, 'couple_child'], [7, 'couple_two_children'],
	[12, 'three_generations'], [12, 'single'], [6, 'couple_adult_child'],
];

/** Ages of the elderly, weighted towards the sixties and seventies. */
function elderlyAge(rnd) {
	return rnd.weighted([[rnd.int(65, 69), 30], [rnd.int(70, 74), 26], [rnd.int(75, 79), 20], [rnd.int(80, 84), 14], [rnd.int(85, 96), 10]]);
}

/** The members of one household: { relation, age, sex, spouseOf? }. Children take the head's family name. */
function householdMembers(rnd, shape) {
	const couple = (min, max) => {
		const age = rnd.int(min, max);
		const wife = Math.max(min, Math.min(max + 3, age - rnd.int(-2, 4)));
		return [{ relation: '户主', age, sex: 'M' }, { relation: '配偶', age: wife, sex: 'F' }];
	};
	const child = (parentAge, maxAge, relation = '子女') => ({
		relation, age: Math.max(0, Math.min(maxAge, parentAge - rnd.int(24, 34))), sex: rnd.chance(0.51) ? 'M' : 'F',
	});
	switch (shape) {
		case 'elderly_alone':
			// more widows than widowers
			return [{ relation: '户主', age: elderlyAge(rnd), sex: rnd.chance(0.68) ? 'F' : 'M', alone: true }];
		case 'elderly_couple': {
			const age = elderlyAge(rnd);
			return couple(age, age);
		}
		case 'empty_nest':
			return couple(48, 64);
		case 'couple_child': {
			const c = couple(28, 50);
			return [...c, child(c[1].age, 17)];
		}
		case 'couple_two_children': {
			const c = couple(30, 48);
			return [...c, child(c[1].age, 17), child(c[1].age, 12)];
		}
		case 'three_generations': {
			const c = couple(30, 44);
			const old = { relation: '父母', age: Math.min(96, c[0].age + rnd.int(24, 32)), sex: rnd.chance(0.6) ? 'F' : 'M' };
			const members = [...c, child(c[1].age, 14, '子女'), old];
			if (rnd.chance(0.5)) members.push({ relation: '父母', age: old.age + rnd.int(-3, 3), sex: old.sex === 'F' ? 'M' : 'F' });
			if (rnd.chance(0.3)) members.push(child(c[1].age, 10, '子女'));
			return members;
		}
		case 'single':
			return [{ relation: '户主', age: rnd.int(20, 62), sex: rnd.chance(0.55) ? 'M' : 'F' }];
		default: {
			const c = couple(46, 62);
			return [...c, { relation: '子女', age: rnd.int(18, 30), sex: rnd.chance(0.5) ? 'M' : 'F' }];
		}
	}
}

/** Tags by age and circumstance: chronic illness and disability grow with age. */
function tagsOf(rnd, m) {
	const tags = [];
	if (m.alone) tags.push('elderly_living_alone');
	if (m.age < 14) tags.push('child');
	const chronic = m.age >= 75 ? 0.32 : m.age >= 60 ? 0.22 : m.age >= 40 ? 0.06 : 0.01;
	if (rnd.chance(chronic)) tags.push('chronic_illness');
	if (rnd.chance(m.age >= 75 ? 0.07 : m.age >= 60 ? 0.035 : 0.012)) tags.push('disabled');
	if (m.sex === 'F' && m.age >= 23 && m.age <= 38 && rnd.chance(0.04)) tags.push('pregnant');
	if (m.age >= 18 && rnd.chance(0.004)) tags.push('key_population');
	return tags;
}

/** Phones for most adults; fewer of the oldest have one of their own, no child has. */
function hasPhone(rnd, age) {
	if (age < 16) return false;
	return rnd.chance(age < 60 ? 0.96 : age < 75 ? 0.82 : 0.5);
}

/** The rooms of a building: stairwells (单元) and rooms like 302; courtyards are numbered households. */
function roomsOf(building) {
	const planned = building.plannedHouseholds;
	if (building.name.endsWith('号院')) return Array.from({ length: planned }, (_, k) => ({ roomNo: String(k + 1) }));
	const stairwells = planned <= 12 ? 1 : planned <= 30 ? 2 : 3;
	const perStairwell = Math.ceil(planned / stairwells);
	const rooms = [];
	for (let k = 0; k < planned; k++) {
		const j = k % perStairwell;
		rooms.push({ unitNo: String(1 + Math.floor(k / perStairwell)), roomNo: `${1 + Math.floor(j / 2)}0${1 + (j % 2)}` });
	}
	return rooms;
}

/** Splits total among parts in proportion to weights, the parts summing exactly to total. */
function apportion(total, weights) {
	const sum = weights.reduce((s, w) => s + w, 0);
	let before = 0;
	let acc = 0;
	return weights.map((w) => {
		acc += w;
		const upTo = Math.round((total * acc) / sum);
		const share = upTo - before;
		before = upTo;
		return share;
	});
}

/** How many residents of each flagged health state at a scale: never none, so every state shows. */
function flaggedCounts(scale) {
	return Object.fromEntries(Object.entries(FLAGGED).map(([state, n]) => [state, Math.max(3, Math.round(n * scale))]));
}

/**
 * The people, per street of the plan: { code, label, residents } with residents as Import Many
 * input. `today` is the local date ages are counted to; `now` the instant quarantines are counted from.
 */
function buildPeople(plan, { seed, scale = 1, today, now }) {
	const rnd = new Random(`${seed}|people`);
	const streets = plan.parts.slice(1);
	const buildingsOf = (part) => part.units.filter((u) => u.level === 5);
	const households = apportion(Math.round(FULL.households * scale), streets.map((p) => buildingsOf(p).reduce((s, b) => s + b.plannedHouseholds, 0)));
	const flagged = Object.entries(flaggedCounts(scale)).map(([state, n]) => [state, apportion(n, households)]);
	const makeId = idNumberMaker('370614');
	const usedPhones = new Set();

	return streets.map((part, s) => {
		// the occupied rooms of the street, in address order
		const slots = buildingsOf(part).flatMap((b) => roomsOf(b).map((room, k) => ({ b, room, k })));
		const taken = rnd.shuffle(slots).slice(0, households[s]);
		taken.sort((x, y) => (x.b.code < y.b.code ? -1 : x.b.code > y.b.code ? 1 : x.k - y.k));
		const residents = [];
		for (const { b, room } of taken) {
			const members = householdMembers(rnd, rnd.weighted(SHAPES.map(([w, shape]) => [shape, w])));
			const family = surname(rnd);
			for (const m of members) {
				const name = (m.relation === '子女' || m.relation === '户主' ? family : surname(rnd)) + givenName(rnd, m.sex);
				residents.push({
					name,
					documentType: 'id_card',
					documentNumber: makeId(rnd, m.age, m.sex, today),
					...(hasPhone(rnd, m.age) ? { phone: mobile(rnd, usedPhones) } : {}),
					buildingCode: b.code,
					...(room.unitNo ? { unitNo: room.unitNo } : {}),
					roomNo: room.roomNo,
					relation: m.relation,
					tags: tagsOf(rnd, m),
					age: m.age,
				});
			}
		}
		// the street's share of quarantines, symptoms and recoveries, among residents from 3 to 85
		const eligible = rnd.shuffle(residents.map((r, i) => (r.age >= 3 && r.age <= 85 ? i : -1)).filter((i) => i >= 0));
		let next = 0;
		for (const [state, perStreet] of flagged) {
			for (let k = 0; k < perStreet[s] && next < eligible.length; k++) {
				const r = residents[eligible[next++]];
				r.healthStatus = state;
				if (state === 'home_quarantine' || state === 'central_quarantine') {
					// started 0 to 13 days ago, 14 days in all; many came back from a risk area
					const started = now - rnd.int(0, QUARANTINE_DAYS - 1) * DAY_MS - rnd.int(1, 600) * 60_000;
					r.quarantineEndsAt = new Date(started + QUARANTINE_DAYS * DAY_MS).toISOString();
					if (rnd.chance(0.5) && !r.tags.includes('returned_from_risk_area')) r.tags.push('returned_from_risk_area');
				}
			}
		}
		for (const r of residents) delete r.age;
		return { code: part.code, label: part.label, residents };
	});
}

module.exports = { buildPeople, flaggedCounts, apportion, FULL, FLAGGED, QUARANTINE_DAYS };
