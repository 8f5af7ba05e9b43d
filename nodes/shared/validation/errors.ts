/**
 * A problem with one field of one input. Domain and validation code throw or return these;
 * the n8n layer adds the item index and turns them into NodeOperationError.
 */
export class FieldError extends Error {
	field: string;
	/** Index of the input item, filled in once the error is attributed to an item. */
	itemIndex?: number;
	/** Further items involved (e.g. the first item carrying a duplicate code). */
	relatedItems?: number[];
	/**
	 * Set when the message names other items of the batch by their position in the inputs a domain
	 * function received; the execute loop calls it to speak of the user's item numbers instead.
	 */
	renumber?: (toItem: (position: number) => number) => void;

	constructor(field: string, message: string, itemIndex?: number) {
		super(message);
		this.name = 'FieldError';
		this.field = field;
		this.itemIndex = itemIndex;
	}
}

/**
 * An error whose message names items of the batch by position: `text` renders it for given numbers.
 * Positions are item numbers when every item reached the domain, and are renumbered otherwise.
 */
export function batchError(field: string, positions: number[], text: (...items: number[]) => string): FieldError {
	const e = new FieldError(field, text(...positions));
	e.relatedItems = positions.slice(0, -1);
	e.renumber = (toItem) => {
		const items = positions.map(toItem);
		e.message = text(...items);
		e.relatedItems = items.slice(0, -1);
	};
	return e;
}

/** A failure that is not tied to one item: connection, configuration, key mismatch. */
export class GridError extends Error {
	readonly description?: string;
	readonly code: string;

	constructor(code: string, message: string, description?: string) {
		super(message);
		this.name = 'GridError';
		this.code = code;
		this.description = description;
	}
}

export function describeValue(value: unknown): string {
	if (value === undefined) return 'nothing';
	if (value === null) return 'null';
	if (typeof value === 'string') {
		const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
		return `"${shown}"`;
	}
	const shown = typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint'
		? String(value)
		: safeJson(value) ?? roughKind(value);
	return shown.length > 40 ? `${shown.slice(0, 40)}…` : shown;
}

/** JSON.stringify throws on cycles, BigInt and hostile toJSON; an error message must never throw. */
function safeJson(value: unknown): string | undefined {
	try {
		return JSON.stringify(value);
	} catch {
		return undefined;
	}
}

function roughKind(value: unknown): string {
	if (typeof value === 'symbol') return 'a symbol';
	if (typeof value === 'function') return 'a function';
	return Array.isArray(value) ? 'a list' : 'an object';
}
