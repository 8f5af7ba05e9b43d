// A small district for the template runs, written through the built domain core (as the demo
// generator does): 1 district, 2 streets, 2 communities each, 2 base grids each, 2 buildings each
// (or more);
// someone responsible at every level (so escalation has a person to notify at each step) and two
// volunteers in the first grid (so dispatch has candidates).
const path = require('path');

const DIST = path.join(__dirname, '..', '..', '..', 'dist', 'nodes', 'shared');
const ACTOR = { node: 'e2e seed', workflowId: 'e2e', executionId: 'seed' };
const load = (p) => require(path.join(DIST, p));

const DISTRICT = '370614';
const FIRST_BUILDING = '370614-001-001-001-0001';

function districtUnits(buildingsPerGrid) {
	const out = [{ code: DISTRICT, name: '蓬莱区' }];
	for (let s = 1; s <= 2; s++) {
		const sc = `${DISTRICT}-00${s}`;
		out.push({ code: sc, name: `街道${s}`, parentCode: DISTRICT });
		for (let c = 1; c <= 2; c++) {
			const cc = `${sc}-00${c}`;
			out.push({ code: cc, name: `社区${s}-${c}`, parentCode: sc });
			for (let g = 1; g <= 2; g++) {
				const gc = `${cc}-00${g}`;
				out.push({ code: gc, name: `网格${s}-${c}-${g}`, parentCode: cc, plannedHouseholds: 400 });
				for (let b = 1; b <= buildingsPerGrid; b++) out.push({ code: `${gc}-${String(b).padStart(4, '0')}`, name: `${b}号楼`, parentCode: gc });
			}
		}
	}
	return out;
}

/** Mainland mobile numbers that pass validation, one per person. */
const mobile = (n) => `139${String(5350000 + n).padStart(8, '0')}`;

function ok(outcomes, what) {
	const bad = outcomes.findIndex((o) => !o.ok);
	if (bad >= 0) throw new Error(`seeding ${what} #${bad}: ${outcomes[bad].error.message}`);
	return outcomes.map((o) => o.value);
}

/**
 * Seeds the district into the database of `config` (a ConnectionConfig); returns what it wrote.
 * buildingsPerGrid: 2, or more where many reports must each have a building of their own (three
 * reports about one place within 24 h make it high risk).
 */
async function seedDistrict(config, { buildingsPerGrid = 2 } = {}) {
	const { withUnitOfWork } = load('db/unitOfWork');
	const { checkNewUnit } = load('domain/grid/unitInput');
	const { createUnits } = load('domain/grid/units');
	const { createStaff } = load('domain/grid/staff');
	const { assignStaff } = load('domain/grid/assignments');
	const { checkVolunteer } = load('domain/volunteer/volunteerInput');
	const { saveVolunteers } = load('domain/volunteer/volunteers');
	const { DEFAULT_SEGMENT_WIDTHS } = load('validation/gridCode');
	const { phone } = load('validation/phone');
	const units = districtUnits(buildingsPerGrid);
	// one person answering at each level above a building, for every unit
	const posts = units
		.filter((u) => u.code.split('-').length <= 4)
		.map((u, i) => {
			const level = u.code.split('-').length;
			const role = level === 4 ? 'grid_head' : level === 3 ? 'community_worker' : 'grid_instructor';
			return { staffNo: `E2E-S-${i + 1}`, name: `${role}-${u.code}`, unit: u.code, role, phone: mobile(100 + i) };
		});
	return withUnitOfWork(config, { actor: ACTOR }, async (uow) => {
		ok(await createUnits(uow, units.map((u) => checkNewUnit(u, DEFAULT_SEGMENT_WIDTHS))), 'units');
		ok(await createStaff(uow, posts.map((p) => ({ name: p.name, unit: { code: p.unit }, staffNo: p.staffNo, phone: phone(p.phone, 'phone') }))), 'staff');
		ok(await assignStaff(uow, posts.map((p) => ({ staff: { staffNo: p.staffNo }, unit: { code: p.unit }, role: p.role }))), 'posts');
		const rules = { widths: DEFAULT_SEGMENT_WIDTHS, allowCustomSkills: false };
		const volunteers = ok(await saveVolunteers(uow, [
			checkVolunteer({ name: '志愿者甲', volunteerNo: 'E2E-V-1', unitCode: FIRST_BUILDING, skills: ['delivery'], phone: mobile(1), maxTasks: 5 }, rules),
			checkVolunteer({ name: '志愿者乙', volunteerNo: 'E2E-V-2', unitCode: '370614-001-001-001-0002', skills: ['delivery'], phone: mobile(2), maxTasks: 5 }, rules),
		], { mode: 'create' }), 'volunteers');
		return { units, posts, volunteers };
	});
}

/** Creates open errand tasks in a building; returns their ids. */
async function createErrands(config, titles, unitCode = FIRST_BUILDING) {
	const { withUnitOfWork } = load('db/unitOfWork');
	const { createTasks } = load('domain/task/tasks');
	return withUnitOfWork(config, { actor: ACTOR }, async (uow) =>
		ok(await createTasks(uow, titles.map((title) => ({ kind: 'errand', title, unit: { code: unitCode }, requiredSkills: ['delivery'] }))), 'tasks').map((t) => t.id),
	);
}

async function closePools() {
	await load('db/pool').closeAllPools().catch(() => undefined);
}

module.exports = { seedDistrict, createErrands, closePools, DISTRICT, FIRST_BUILDING, mobile };
