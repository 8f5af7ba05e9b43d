import { FieldError, describeValue } from '../../validation/errors';
import { type SegmentWidths, gridCode } from '../../validation/gridCode';
import { type Phone, phone } from '../../validation/phone';
import { integer, oneOf, requiredText, text } from '../../validation/text';
import { type WeeklyWindow, parseAvailability } from './availability';
import { SKILLS, TEAM_KINDS, type TeamKind, VOLUNTEER_KINDS, type VolunteerKind } from './vocabulary';

export const VOLUNTEER_KIND_KEYS = Object.keys(VOLUNTEER_KINDS) as VolunteerKind[];
export const TEAM_KIND_KEYS = Object.keys(TEAM_KINDS) as TeamKind[];
export const SKILL_KEYS = Object.keys(SKILLS);

export interface NewVolunteer {
	name: string;
	volunteerNo?: string;
	kind: VolunteerKind;
	homeAgency?: string;
	profession?: string;
	skills: string[];
	availability: WeeklyWindow[];
	/** Grid code of the home unit. */
	unitCode: string;
	maxTasks: number;
	phone?: Phone;
}

export interface RawVolunteer {
	name?: unknown;
	volunteerNo?: unknown;
	kind?: unknown;
	homeAgency?: unknown;
	profession?: unknown;
	skills?: unknown;
	availability?: unknown;
	unitCode?: unknown;
	maxTasks?: unknown;
	phone?: unknown;
}

export interface VolunteerRules {
	widths: SegmentWidths;
	allowCustomSkills: boolean;
}

/** Skills from a list or comma-separated text; the fixed vocabulary unless custom skills are allowed. */
export function checkSkills(value: unknown, allowCustom: boolean, field = 'Skills'): string[] {
	if (value === undefined || value === null || value === '') return [];
	const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[,，;；]/) : null;
	if (!list) throw new FieldError(field, `${field} must be a list or comma-separated text, got ${describeValue(value)}`);
	const out = new Set<string>();
	for (const item of list) {
		const skill = typeof item === 'string' ? item.trim() : '';
		if (!skill) continue;
		if (!SKILL_KEYS.includes(skill)) {
			if (!allowCustom) {
				throw new FieldError(field, `${field} contains unknown skill "${skill}"; known skills are ${SKILL_KEYS.join(', ')} (switch on Allow Custom Skills for others)`);
			}
			text(skill, { field, max: 50 });
		}
		out.add(skill);
	}
	return [...out];
}

export function checkMaxTasks(value: unknown, field = 'Max Tasks'): number {
	const n = integer(value, field, { min: 1, max: 100 });
	if (n === undefined) return 3;
	return n;
}

/** Checks one volunteer's fields; throws a FieldError naming the first bad field. Writes nothing. */
export function checkVolunteer(raw: RawVolunteer, rules: VolunteerRules): NewVolunteer {
	const name = requiredText(raw.name, { field: 'Name', max: 100 });
	const kind = raw.kind === undefined || raw.kind === '' ? 'resident_volunteer' : oneOf(raw.kind, 'Kind', VOLUNTEER_KIND_KEYS);
	const homeAgency = text(raw.homeAgency, { field: 'Home Agency', max: 200 });
	if (kind === 'cadre' && !homeAgency) {
		throw new FieldError('Home Agency', 'a sent-down cadre (下沉干部) needs the home agency they come from');
	}
	const profession = text(raw.profession, { field: 'Profession', max: 100 });
	if (kind === 'professional' && !profession) {
		throw new FieldError('Profession', 'a professional volunteer needs their profession, e.g. 医生 or 律师');
	}
	if (raw.unitCode === undefined || raw.unitCode === null || raw.unitCode === '') {
		throw new FieldError('Home Unit', 'Home Unit is required: the grid code of the unit the volunteer serves from');
	}
	return {
		name,
		volunteerNo: text(raw.volunteerNo, { field: 'Volunteer Number', max: 50 }),
		kind,
		homeAgency,
		profession,
		skills: checkSkills(raw.skills, rules.allowCustomSkills),
		availability: parseAvailability(raw.availability, 'Availability'),
		unitCode: gridCode(raw.unitCode, 'Home Unit', rules.widths).code,
		maxTasks: checkMaxTasks(raw.maxTasks),
		phone: phone(raw.phone, 'Phone'),
	};
}
