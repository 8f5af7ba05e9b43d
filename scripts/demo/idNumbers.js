// Resident identity card numbers (GB 11643) for the demo: region, birth date, a sequence whose
// parity gives the sex, and the check character. Written independently of the validator in
// nodes/shared/validation/idNumber.ts, which checks every one of them on the way in.

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARACTERS = '10X98765432';

function checkCharacter(first17) {
	let sum = 0;
	for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * WEIGHTS[i];
	return CHECK_CHARACTERS[sum % 11];
}

const DAY_MS = 86_400_000;
const pad = (n, width) => String(n).padStart(width, '0');

/** 'YYYYMMDD' of a birthday that makes someone `age` whole years old on `today` (a UTC midnight). */
function birthDateFor(rnd, age, today) {
	const y = today.getUTCFullYear() - age;
	// a day within the year before the birthday that gives this age
	const latest = Date.UTC(y, today.getUTCMonth(), today.getUTCDate());
	const earliest = Date.UTC(y - 1, today.getUTCMonth(), today.getUTCDate()) + DAY_MS;
	const day = new Date(earliest + rnd.int(0, Math.round((latest - earliest) / DAY_MS)) * DAY_MS);
	return `${day.getUTCFullYear()}${pad(day.getUTCMonth() + 1, 2)}${pad(day.getUTCDate(), 2)}`;
}

/**
 * A generator of distinct numbers: the same birth date and region get different sequences.
 * Odd sequences are men, even ones women, as the standard has it.
 */
function idNumberMaker(region) {
	const used = new Set();
	return (rnd, age, sex, today) => {
		const birth = birthDateFor(rnd, age, today);
		for (;;) {
			const sequence = rnd.int(0, 499) * 2 + (sex === 'M' ? 1 : 0);
			const first17 = `${region}${birth}${pad(sequence, 3)}`;
			if (used.has(first17)) continue;
			used.add(first17);
			return first17 + checkCharacter(first17);
		}
	};
}

module.exports = { idNumberMaker, checkCharacter, birthDateFor };
