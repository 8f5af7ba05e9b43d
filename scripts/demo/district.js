// Generates the demo district: 370614 蓬莱区 with 5 streets, 11 communities, 220 base grids and
// 4,400 buildings and courtyards (250 residential compounds), and its staff posted the way the paper
// describes: grid instructors for the district, streets and communities, a grid head and grid
// members for every base grid, grid assistants (building leaders) for the buildings, the
// community workers of each community, and cadres sent down from district agencies.
// The same seed always gives the same district.
const { Random } = require('./random');
const {
	STREETS, COMMUNITY_WORKERS, AGENCIES, COMPOUND_HEADS, COMPOUND_TAILS, OLD_COMPOUNDS,
	chineseNumber, personName, mobile,
} = require('./names');

const DISTRICT_CODE = '370614';
const DISTRICT_NAME = '蓬莱区';
const DEFAULT_SEED = 'penglai-grid-demo-v1';

const pad = (n, width) => String(n).padStart(width, '0');

/**
 * The district as plain input for the domain: one part for the district itself, then one part
 * per street (its units, staff and posts), so that each part can be loaded in one transaction.
 */
function buildDistrict({ seed = DEFAULT_SEED, grids = 220, buildings = 4400, compounds = 250 } = {}) {
	const rnd = new Random(seed);
	const usedNames = new Set();
	const usedPhones = new Set();
	const counters = {};
	const staffNo = (prefix, width) => {
		counters[prefix] = (counters[prefix] ?? 0) + 1;
		return `PL-${prefix}-${pad(counters[prefix], width)}`;
	};
	const person = (unitCode, prefix, width, homeAgency) => ({
		name: personName(rnd, usedNames),
		unit: { code: unitCode },
		staffNo: staffNo(prefix, width),
		phone: { normalized: mobile(rnd, usedPhones), kind: 'mobile' },
		...(homeAgency ? { homeAgency } : {}),
	});

	const communityCount = STREETS.reduce((s, st) => s + st.communities.length, 0);
	const gridsPerCommunity = rnd.split(grids, communityCount, 3);
	const buildingsPerGrid = rnd.split(buildings, grids, 6);
	// a grid covers one compound; some cover two, which brings the district to `compounds`
	const twoCompounds = new Set(rnd.shuffle([...Array(grids).keys()]).slice(0, Math.max(0, compounds - grids)));
	const oldCompoundSlots = new Set(rnd.shuffle([...Array(compounds).keys()]).slice(0, OLD_COMPOUNDS.length));
	const usedCompoundNames = new Set();
	let compoundIndex = 0;
	const nextCompound = () => {
		const index = compoundIndex++;
		if (oldCompoundSlots.has(index)) {
			const name = OLD_COMPOUNDS[[...oldCompoundSlots].sort((a, b) => a - b).indexOf(index)];
			usedCompoundNames.add(name);
			return { name, old: true };
		}
		for (;;) {
			const name = rnd.pick(COMPOUND_HEADS) + rnd.weighted(COMPOUND_TAILS);
			if (!usedCompoundNames.has(name)) {
				usedCompoundNames.add(name);
				return { name, old: false };
			}
		}
	};
	const households = (compound) => {
		// old walk-ups: 3 to 5 floors; newer blocks mostly 6 floors with 2 or 3 stairwells, a few high-rises
		if (compound.old) return rnd.pick([12, 15, 18, 20, 24]);
		return rnd.weighted([[18, 2], [24, 5], [30, 2], [36, 2], [44, 1], [66, 0.5]]);
	};

	const district = { code: DISTRICT_CODE, name: DISTRICT_NAME, level: 1 };
	const parts = [
		{
			label: DISTRICT_NAME,
			code: DISTRICT_CODE,
			units: [district],
			staff: [person(DISTRICT_CODE, 'GI', 3, '区委政法委')],
			posts: [],
		},
	];
	parts[0].posts.push({ staff: { staffNo: parts[0].staff[0].staffNo }, unit: { code: DISTRICT_CODE }, role: 'grid_instructor' });

	let communityIndex = 0;
	let gridIndex = 0;
	STREETS.forEach((street, s) => {
		const streetCode = `${DISTRICT_CODE}-${pad(s + 1, 3)}`;
		const part = { label: street.name, code: streetCode, units: [], staff: [], posts: [] };
		const post = (member, unitCode, role, homeAgency) => {
			part.staff.push(member);
			part.posts.push({ staff: { staffNo: member.staffNo }, unit: { code: unitCode }, role, ...(homeAgency ? { homeAgency } : {}) });
		};
		part.units.push({ code: streetCode, name: street.name, level: 2, parentCode: DISTRICT_CODE });
		// street-office cadres who guide the grids (镇街包片干部)
		for (let k = 0; k < 2; k++) post(person(streetCode, 'GI', 3, `${street.name}办事处`), streetCode, 'grid_instructor');

		street.communities.forEach((communityName, c) => {
			const communityCode = `${streetCode}-${pad(c + 1, 3)}`;
			part.units.push({ code: communityCode, name: communityName, level: 3, parentCode: streetCode });
			post(person(streetCode, 'GI', 3, `${street.name}办事处`), communityCode, 'grid_instructor');
			for (let k = 0; k < COMMUNITY_WORKERS[communityName]; k++) post(person(communityCode, 'CW', 3), communityCode, 'community_worker');
			for (let k = 0; k < 2; k++) {
				const agency = rnd.pick(AGENCIES);
				post(person(DISTRICT_CODE, 'SC', 4, agency), communityCode, 'sent_down_cadre', agency);
			}

			const gridCount = gridsPerCommunity[communityIndex++];
			for (let g = 1; g <= gridCount; g++, gridIndex++) {
				const gridCode = `${communityCode}-${pad(g, 3)}`;
				part.units.push({ code: gridCode, name: `${communityName}第${chineseNumber(g)}网格`, level: 4, parentCode: communityCode });
				post(person(communityCode, 'GH', 4), gridCode, 'grid_head');
				const members = rnd.weighted([[1, 2], [2, 6], [3, 2]]);
				for (let k = 0; k < members; k++) post(person(communityCode, 'GM', 4), gridCode, 'grid_member');
				if (rnd.chance(0.8)) {
					const agency = rnd.pick(AGENCIES);
					post(person(DISTRICT_CODE, 'SC', 4, agency), gridCode, 'sent_down_cadre', agency);
				}

				// the grid's buildings, by compound; old town grids also have single-storey courtyards
				const total = buildingsPerGrid[gridIndex];
				const compoundsHere = twoCompounds.has(gridIndex) ? [nextCompound(), nextCompound()] : [nextCompound()];
				const courtyards = rnd.chance(0.15) ? rnd.int(2, Math.max(2, Math.floor(total / 3))) : 0;
				const inFirst = compoundsHere.length === 2 ? Math.ceil((total - courtyards) * 0.6) : total - courtyards;
				const units = [];
				for (let b = 0; b < total - courtyards; b++) {
					const compound = b < inFirst ? compoundsHere[0] : compoundsHere[1];
					const number = b < inFirst ? b + 1 : b - inFirst + 1;
					units.push({ name: `${compound.name}${number}号楼`, plannedHouseholds: households(compound) });
				}
				const road = rnd.pick(street.roads);
				let doorNumber = rnd.int(1, 40);
				for (let k = 0; k < courtyards; k++) {
					doorNumber += rnd.int(1, 4);
					units.push({ name: `${road}${doorNumber}号院`, plannedHouseholds: rnd.int(3, 14) });
				}
				units.forEach((u, i) => {
					part.units.push({ code: `${gridCode}-${pad(i + 1, 4)}`, level: 5, parentCode: gridCode, ...u });
				});
				// a building leader (grid assistant) looks after two neighbouring buildings
				for (let i = 0; i < units.length; i += 2) {
					const member = person(gridCode, 'GA', 5);
					part.staff.push(member);
					for (let k = i; k < Math.min(i + 2, units.length); k++) {
						part.posts.push({ staff: { staffNo: member.staffNo }, unit: { code: `${gridCode}-${pad(k + 1, 4)}` }, role: 'grid_assistant' });
					}
				}
			}
		});
		parts.push(part);
	});

	// planned households roll up from the buildings
	const byCode = new Map(parts.flatMap((p) => p.units).map((u) => [u.code, u]));
	for (const level of [5, 4, 3, 2]) {
		for (const u of byCode.values()) {
			if (u.level !== level) continue;
			const parent = byCode.get(u.parentCode);
			parent.plannedHouseholds = (parent.plannedHouseholds ?? 0) + (u.plannedHouseholds ?? 0);
		}
	}

	return { seed, parts, summary: summarize(parts, usedCompoundNames.size) };
}

function summarize(parts, compounds) {
	const units = parts.flatMap((p) => p.units);
	const posts = parts.flatMap((p) => p.posts);
	const byLevel = [1, 2, 3, 4, 5].map((l) => units.filter((u) => u.level === l).length);
	const byRole = {};
	for (const p of posts) byRole[p.role] = (byRole[p.role] ?? 0) + 1;
	return {
		units: units.length,
		byLevel,
		compounds,
		staff: parts.reduce((s, p) => s + p.staff.length, 0),
		posts: posts.length,
		byRole,
		households: units[0].plannedHouseholds,
	};
}

module.exports = { buildDistrict, DISTRICT_CODE, DISTRICT_NAME, DEFAULT_SEED };
