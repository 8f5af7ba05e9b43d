import type { Level } from '../../validation/gridCode';

export const ROLES = [
	'grid_instructor',
	'grid_head',
	'grid_member',
	'grid_assistant',
	'community_worker',
	'sent_down_cadre',
] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
	grid_instructor: 'Grid instructor (网格指导员)',
	grid_head: 'Grid head (网格长)',
	grid_member: 'Grid member (网格员)',
	grid_assistant: 'Grid assistant (网格助理员)',
	community_worker: 'Community worker (社区工作者)',
	sent_down_cadre: 'Sent-down cadre (下沉干部)',
};

/** Levels at which each role may be posted. */
export const ROLE_LEVELS: Record<Role, Level[]> = {
	// a cadre of the district or street office who guides the grids below
	grid_instructor: [1, 2, 3],
	grid_head: [4],
	grid_member: [4],
	// often a building leader
	grid_assistant: [5],
	community_worker: [3, 4],
	// agency staff posted to a community, grid or building in an emergency
	sent_down_cadre: [3, 4, 5],
};

/** Roles that only one person may hold at a unit at any one time. */
export const SINGLE_HOLDER_ROLES: Role[] = ['grid_head'];

/** Who answers for a unit at each level, most responsible first. */
export const RESPONSIBLE_ROLES: Record<Level, Role[]> = {
	1: ['grid_instructor'],
	2: ['grid_instructor'],
	3: ['community_worker', 'grid_instructor', 'sent_down_cadre'],
	4: ['grid_head', 'grid_member', 'community_worker', 'sent_down_cadre'],
	5: ['grid_assistant', 'sent_down_cadre'],
};
