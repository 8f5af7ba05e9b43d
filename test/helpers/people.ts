import { checkCharacter } from '../../nodes/shared/validation/idNumber';

/** A valid GB 11643 number for a region, birth date (YYYYMMDD) and sequence (odd = male). */
export function idFor(region: string, birth: string, seq: number): string {
	const first17 = `${region}${birth}${String(seq).padStart(3, '0')}`;
	return first17 + checkCharacter(first17);
}

export function mobile(n: number): string {
	return `138${String(n).padStart(8, '0')}`;
}
