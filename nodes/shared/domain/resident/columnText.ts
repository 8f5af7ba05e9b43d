/**
 * Bulk rows sent as one text per column, values joined by the ASCII unit separator (chr(31)) and split
 * again in SQL with string_to_array. PostgreSQL splits such a text several times faster than it reads
 * the same rows from json_to_recordset, and joining costs JavaScript less than pg's array serializer,
 * which quotes and escapes element by element.
 *
 * Safe because validated text never holds control characters (validation/text.ts refuses C0 and C1),
 * and everything else sent this way (hashes, ciphertexts, masks, numbers, codes) is generated. The
 * encoder still checks text that came from people, so a value that slipped past validation fails loudly
 * instead of shifting columns.
 *
 * NULL travels as the empty string: split with string_to_array(…, chr(31), '') it comes back as NULL.
 * No value sent this way is legitimately empty (validated text is trimmed and '' becomes undefined).
 */

export const UNIT_SEPARATOR = '\u001f';
/** Separates the elements of an array inside one value (tags). */
export const RECORD_SEPARATOR = '\u001e';

type Value = string | number | null | undefined;

/** A column of text from people (names, relations): checked for the separators, then joined. */
export function textColumn(values: readonly Value[], column: string): string {
	const out = generatedColumn(values);
	// only this column's own separators may remain: one between each two values, none inside arrays
	let separators = 0;
	for (let at = out.indexOf(UNIT_SEPARATOR); at !== -1; at = out.indexOf(UNIT_SEPARATOR, at + 1)) separators++;
	if (separators !== Math.max(0, values.length - 1) || out.includes(RECORD_SEPARATOR)) {
		throw new Error(`column ${column}: a value contains a control character and cannot be sent`);
	}
	return out;
}

/**
 * A column of values this code made (ids, numbers, hashes, ciphertexts, masks, vocabulary keys).
 * join() writes null and undefined as '' and numbers in decimal, which is the encoding.
 */
export function generatedColumn(values: readonly Value[]): string {
	return values.join(UNIT_SEPARATOR);
}

/** A column of text arrays (tags): elements joined by RECORD_SEPARATOR, rows by UNIT_SEPARATOR. */
export function arrayColumn(values: ReadonlyArray<readonly string[]>, column: string): string {
	for (const list of values) {
		for (const v of list) {
			if (v.includes(UNIT_SEPARATOR) || v.includes(RECORD_SEPARATOR)) throw new Error(`column ${column}: a value contains a control character and cannot be sent`);
		}
	}
	return values.map((list) => list.join(RECORD_SEPARATOR)).join(UNIT_SEPARATOR);
}

/** SQL for a column sent by textColumn, as an array of the given type: split(?, 'bigint'). */
export function split(type = 'text'): string {
	return `string_to_array(?, chr(31), '')::${type}[]`;
}

/** SQL turning one row's arrayColumn value back into text[] ('' is the empty array). */
export function splitArray(expr: string): string {
	return `coalesce(string_to_array(${expr}, chr(30)), '{}')`;
}
