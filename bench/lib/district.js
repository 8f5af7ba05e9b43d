// A deterministic, realistic district for benchmarks: one county (蓬莱区, 370614), streets, communities,
// base grids and buildings, with planned households, building locations (GeoJSON points) and
// addresses, listed in code order (parents before children), as a spreadsheet export would be.

const STREETS = ['登州', '紫荆山', '新港', '蓬莱阁', '南王', '刘家沟', '北沟', '大辛店', '村里集', '大柳行', '小门家', '潮水'];
const COMMUNITY_WORDS = ['钟楼', '画河', '西关', '北关', '南关', '东关', '海港', '府前', '新华', '振华', '迎宾', '太平', '安居', '和平', '望海', '仙境'];
const ROADS = ['钟楼北路', '海港路', '府前街', '振华街', '新港街', '南关路', '迎宾路', '北关路'];

/** Small seeded PRNG (mulberry32): the same district on every run. */
function prng(seed) {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const pad = (n, w) => String(n).padStart(w, '0');

/**
 * total units (>= 1 + streets * (1 + communities * (1 + grids))). The shape scales with the size:
 * 50,000 units = 1 district, 10 streets, 120 communities, 1,800 base grids and 48,069 buildings
 * (26–27 per base grid).
 */
function generateDistrict(total = 50_000, { county = '370614', countyName = '蓬莱区', seed = 2614 } = {}) {
	const random = prng(seed);
	const streets = total >= 50_000 ? 10 : Math.max(1, Math.min(10, Math.floor(total / 5_000)));
	const communities = total >= 2_000 ? 12 : 2;
	const grids = total >= 2_000 ? 15 : 2;
	const gridCount = streets * communities * grids;
	const fixed = 1 + streets + streets * communities + gridCount;
	if (total < fixed) throw new Error(`a district of ${total} units is too small for ${fixed} non-building units`);
	const buildings = total - fixed;
	const perGrid = Math.floor(buildings / gridCount);
	const extra = buildings - perGrid * gridCount;

	const units = [{ code: county, name: countyName, level: 1 }];
	let gridIndex = 0;
	for (let s = 1; s <= streets; s++) {
		const sc = `${county}-${pad(s, 3)}`;
		const streetName = `${STREETS[(s - 1) % STREETS.length]}${s > STREETS.length ? s : ''}街道`;
		units.push({ code: sc, name: streetName, parentCode: county, level: 2 });
		for (let c = 1; c <= communities; c++) {
			const cc = `${sc}-${pad(c, 3)}`;
			const communityName = `${COMMUNITY_WORDS[(s * 7 + c) % COMMUNITY_WORDS.length]}${c}社区`;
			units.push({ code: cc, name: communityName, parentCode: sc, level: 3 });
			for (let g = 1; g <= grids; g++) {
				const gc = `${cc}-${pad(g, 3)}`;
				units.push({
					code: gc,
					name: `${communityName}第${g}网格`,
					parentCode: cc,
					level: 4,
					plannedHouseholds: 300 + Math.floor(random() * 201),
				});
				const count = perGrid + (gridIndex < extra ? 1 : 0);
				gridIndex++;
				const road = ROADS[Math.floor(random() * ROADS.length)];
				for (let b = 1; b <= count; b++) {
					const number = 1 + Math.floor(random() * 300);
					units.push({
						code: `${gc}-${pad(b, 4)}`,
						name: `${b}号楼`,
						parentCode: gc,
						level: 5,
						plannedHouseholds: 6 + Math.floor(random() * 60),
						geojson: {
							type: 'Point',
							coordinates: [Number((120.70 + random() * 0.2).toFixed(6)), Number((37.72 + random() * 0.1).toFixed(6))],
						},
						address: `${countyName}${streetName}${road}${number}号${b}号楼`,
					});
				}
			}
		}
	}
	return units;
}

/**
 * The rows a plain table holds for these units: ids in list order, parent ids, materialised paths,
 * as the Grid node computes them. Parents must come before children (generateDistrict's order).
 */
function toRows(units, firstId = 1) {
	const placed = new Map();
	return units.map((u, k) => {
		const id = firstId + k;
		const parent = u.parentCode ? placed.get(u.parentCode) : undefined;
		if (u.parentCode && !parent) throw new Error(`parent ${u.parentCode} of ${u.code} comes later in the list`);
		const path = `${parent ? parent.path : '/'}${id}/`;
		placed.set(u.code, { id, path });
		return {
			id,
			code: u.code,
			name: u.name,
			level: u.level,
			parent_id: parent ? parent.id : null,
			path,
			planned_households: u.plannedHouseholds ?? null,
			geojson: u.geojson ?? null,
			address: u.address ?? null,
		};
	});
}

module.exports = { generateDistrict, toRows, prng };
