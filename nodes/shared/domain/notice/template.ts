import { FieldError } from '../../validation/errors';

/** Placeholders a notice body may carry, and what each becomes for a recipient. */
export const PLACEHOLDERS = {
	name: "the recipient's masked name",
	building: 'the building name',
	gridMember: "the name of the recipient's grid member (网格员)",
} as const;
export type Placeholder = keyof typeof PLACEHOLDERS;

const TOKEN = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Stand-ins of typical width, so a body's SMS length can be checked before any recipient is known. */
export const TYPICAL_VALUES: Record<Placeholder, string> = { name: '王*明', building: '12号楼', gridMember: '李芳' };

/** The placeholders a body uses; an unknown one is an error naming it. */
export function placeholdersOf(body: string, field = 'Body'): Placeholder[] {
	const found = new Set<Placeholder>();
	for (const m of body.matchAll(TOKEN)) {
		const name = m[1];
		if (!(name in PLACEHOLDERS)) {
			throw new FieldError(field, `${field} uses the placeholder {{${name}}}, which does not exist; use ${Object.keys(PLACEHOLDERS).map((p) => `{{${p}}}`).join(', ')}`);
		}
		found.add(name as Placeholder);
	}
	return [...found];
}

export function fillTemplate(body: string, values: Record<Placeholder, string>): string {
	return body.replace(TOKEN, (_, name: string) => values[name as Placeholder] ?? '');
}

/** Names are shown with the surname and, for three characters or more, the last one: 王*明, 张*. */
export function maskName(name: string): string {
	const chars = [...name.trim()];
	if (chars.length <= 1) return chars.join('');
	if (chars.length === 2) return `${chars[0]}*`;
	return `${chars[0]}${'*'.repeat(chars.length - 2)}${chars[chars.length - 1]}`;
}
