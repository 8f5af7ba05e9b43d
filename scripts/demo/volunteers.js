// The district's volunteer force as the paper counts it: 2,400 party members sent down to the
// communities, 904 cadres from district agencies (下沉干部), 85 party-member vanguard teams (党员先锋队)
// and 17 temporary party branches (临时党支部), with Lei Feng (学雷锋), errand (跑腿) and militia
// (民兵防疫突击队) teams beside them. Per street, as input for the Volunteer domain.
const { Random } = require('./random');
const { AGENCIES, personName, mobile, chineseNumber } = require('./names');
const { apportion } = require('./people');

const FULL = { partyMembers: 2_400, cadres: 904, vanguardTeams: 85, temporaryBranches: 17 };

/** Team counts at a scale: at least one vanguard team per community and one temporary branch per street. */
function teamCounts(scale, communities, streets) {
	return {
		vanguard: Math.max(communities, Math.round(FULL.vanguardTeams * scale)),
		temporaryBranch: Math.max(streets, Math.round(FULL.temporaryBranches * scale)),
	};
}

const pad = (n, width) => String(n).padStart(width, '0');

// weekly windows, local time: evenings and weekends for those with a job, mornings for the retired
const AVAILABILITY = [
	[{ day: 6, start: '08:00', end: '18:00' }, { day: 7, start: '08:00', end: '18:00' }],
	[1, 2, 3, 4, 5].map((day) => ({ day, start: '18:00', end: '21:00' })),
	[1, 2, 3, 4, 5, 6, 7].map((day) => ({ day, start: '07:00', end: '12:00' })),
	[],
];
const SKILL_SETS = [
	['door_survey', 'registration'], ['temperature_check', 'registration'], ['delivery', 'driving'], ['disinfection'],
	['door_survey', 'dialect'], ['security'], ['delivery'], ['psychological_support', 'social_work'], ['medical', 'temperature_check'],
];

/**
 * Per street: { code, label, volunteers, teams, members } — volunteers as NewVolunteer input, teams as
 * NewTeam input (leader by volunteer number), members as [team index, volunteer number].
 */
function buildVolunteers(plan, { seed, scale = 1 }) {
	const rnd = new Random(`${seed}|volunteers`);
	const streets = plan.parts.slice(1);
	const communitiesOf = (part) => part.units.filter((u) => u.level === 3);
	const gridsOf = (part, community) => part.units.filter((u) => u.level === 4 && u.parentCode === community.code);
	const weight = (part) => part.units.filter((u) => u.level === 5).reduce((s, b) => s + b.plannedHouseholds, 0);
	const allCommunities = streets.flatMap(communitiesOf);
	const counts = teamCounts(scale, allCommunities.length, streets.length);
	const partyPerStreet = apportion(Math.round(FULL.partyMembers * scale), streets.map(weight));
	const cadrePerStreet = apportion(Math.round(FULL.cadres * scale), streets.map(weight));
	const vanguardPerCommunity = apportion(counts.vanguard - allCommunities.length, allCommunities.map((c) => c.plannedHouseholds)).map((n) => n + 1);
	const branchesPerStreet = apportion(counts.temporaryBranch - streets.length, streets.map(weight)).map((n) => n + 1);
	const usedNames = new Set();
	const usedPhones = new Set();
	let communityIndex = 0;
	let partyNo = 0;
	let cadreNo = 0;

	return streets.map((part, s) => {
		const volunteers = [];
		const teams = [];
		const members = [];
		const teamOf = (team) => teams.push(team) - 1;
		const communities = communitiesOf(part);
		const street = part.units.find((u) => u.level === 2);
		const leiFeng = teamOf({ name: `${street.name}学雷锋志愿服务队`, kind: 'lei_feng', unit: { code: street.code } });
		const militia = teamOf({ name: `${street.name}民兵防疫突击队`, kind: 'militia_commando', unit: { code: street.code } });
		// temporary party branches of the street's communities, in turn
		const branches = [];
		for (let k = 0; k < branchesPerStreet[s]; k++) {
			const c = communities[k % communities.length];
			const nth = Math.floor(k / communities.length) + 1;
			branches.push(teamOf({ name: `${c.name}第${chineseNumber(nth)}临时党支部`, kind: 'temporary_branch', unit: { code: c.code } }));
		}
		const vanguardOf = new Map();
		const errandOf = new Map();
		for (const c of communities) {
			errandOf.set(c.code, teamOf({ name: `${c.name}跑腿服务队`, kind: 'errand', unit: { code: c.code } }));
			// vanguard teams on the community's grids, spread over them
			const grids = gridsOf(part, c);
			const n = vanguardPerCommunity[communityIndex++];
			const list = [];
			for (let k = 0; k < n; k++) {
				const g = grids[Math.floor((k * grids.length) / n)];
				list.push(teamOf({ name: `${g.name}党员先锋队`, kind: 'vanguard', unit: { code: g.code } }));
			}
			vanguardOf.set(c.code, list);
		}
		const join = (team, volunteer) => {
			if (teams[team].leader === undefined) teams[team].leader = { volunteerNo: volunteer.volunteerNo };
			else members.push([team, volunteer.volunteerNo]);
		};

		const communityWeights = communities.map((c) => [c, c.plannedHouseholds]);
		for (let k = 0; k < partyPerStreet[s]; k++) {
			const c = rnd.weighted(communityWeights);
			const grids = gridsOf(part, c);
			const v = {
				name: personName(rnd, usedNames),
				volunteerNo: `PL-PM-${pad(++partyNo, 4)}`,
				kind: 'party_member',
				// a third come from the party organisations of agencies and enterprises (双报到)
				...(rnd.chance(0.35) ? { homeAgency: rnd.pick(AGENCIES) } : {}),
				skills: rnd.pick(SKILL_SETS),
				availability: rnd.pick(AVAILABILITY),
				unitCode: rnd.pick(grids).code,
				maxTasks: 3,
				phone: { normalized: mobile(rnd, usedPhones), kind: 'mobile' },
			};
			volunteers.push(v);
			const vanguard = vanguardOf.get(c.code);
			join(vanguard[k % vanguard.length], v);
			if (rnd.chance(0.2)) join(errandOf.get(c.code), v);
			else if (rnd.chance(0.1)) join(leiFeng, v);
		}
		for (let k = 0; k < cadrePerStreet[s]; k++) {
			const c = rnd.weighted(communityWeights);
			const v = {
				name: personName(rnd, usedNames),
				volunteerNo: `PL-CD-${pad(++cadreNo, 4)}`,
				kind: 'cadre',
				homeAgency: rnd.pick(AGENCIES),
				skills: rnd.pick(SKILL_SETS),
				availability: rnd.pick(AVAILABILITY.slice(0, 2)),
				unitCode: c.code,
				maxTasks: 3,
				phone: { normalized: mobile(rnd, usedPhones), kind: 'mobile' },
			};
			volunteers.push(v);
			join(branches[k % branches.length], v);
			if (rnd.chance(0.3)) join(rnd.pick(vanguardOf.get(c.code)), v);
			if (rnd.chance(0.08)) join(militia, v);
		}
		return { code: part.code, label: part.label, volunteers, teams, members };
	});
}

module.exports = { buildVolunteers, teamCounts, FULL };
