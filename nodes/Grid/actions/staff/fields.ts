import type { INodeProperties } from 'n8n-workflow';
import { ROLES, ROLE_LABELS, type Role } from '../../../shared/domain/grid/roles';
import { oneOf } from '../../../shared/validation/text';

export const ROLE_OPTIONS = ROLES.map((r) => ({ name: ROLE_LABELS[r], value: r }));

export function roleProperty(show: INodeProperties['displayOptions'], description: string): INodeProperties {
	return {
		displayName: 'Role',
		name: 'role',
		type: 'options',
		options: ROLE_OPTIONS,
		default: 'grid_member',
		description,
		displayOptions: show,
	};
}

export function readRole(value: unknown): Role {
	return oneOf(value, 'Role', ROLES);
}
