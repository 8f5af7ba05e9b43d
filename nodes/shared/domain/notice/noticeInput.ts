import { FieldError } from '../../validation/errors';
import { hasControlCharacters, text } from '../../validation/text';
import type { UnitRef } from '../grid/unitRecord';
import { HEALTH_STATUS_KEYS, type HealthStatus, TAG_KEYS, type Tag } from '../resident/vocabulary';
import { smsSize } from './smsSegments';
import { TYPICAL_VALUES, fillTemplate, placeholdersOf } from './template';
import {
	DEFAULT_MAX_SEGMENTS,
	NOTICE_CATEGORY_KEYS,
	NOTICE_CHANNEL_KEYS,
	NOTICE_REACH_KEYS,
	type NoticeCategory,
	type NoticeChannel,
	type NoticeReach,
} from './vocabulary';

/** Whom a notice goes to: a subtree, optional filters, and how far into each household it reaches. */
export interface NoticeTarget {
	tags?: Tag[];
	tagMatch: 'all' | 'any';
	statuses?: HealthStatus[];
	minAge?: number;
	maxAge?: number;
	reach: NoticeReach;
}

export interface NoticeDraft {
	title: string;
	body: string;
	category: NoticeCategory;
	channel: NoticeChannel;
	within: UnitRef;
	target: NoticeTarget;
	validFrom?: Date;
	validUntil?: Date;
	/** SMS only: the most parts a message may take. */
	maxSegments?: number;
}

function member<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
	if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
	throw new FieldError(field, `${field} must be one of ${allowed.join(', ')}; got ${JSON.stringify(value)}`);
}

/**
 * Checks a draft as the node reads it: every problem names its field, nothing is written.
 * Returns the draft with title and body trimmed, and the SMS size the body will have.
 */
export function checkNotice(d: NoticeDraft): NoticeDraft & { sms?: ReturnType<typeof smsSize> } {
	const title = text(d.title, { field: 'Title', max: 200, required: true })!;
	if (typeof d.body !== 'string' || d.body.trim() === '') throw new FieldError('Body', 'Body is empty: a notice needs a text to send');
	const body = d.body.trim();
	if ([...body].length > 4000) throw new FieldError('Body', `Body is ${[...body].length} characters long; at most 4000 are allowed`);
	// line breaks belong in a body; a NUL would fail the whole batch in PostgreSQL, and the rest mislead the reader
	if (hasControlCharacters(body, true)) throw new FieldError('Body', 'Body contains control characters');
	placeholdersOf(body, 'Body');
	const category = member(d.category, 'Category', NOTICE_CATEGORY_KEYS);
	const channel = member(d.channel, 'Channel', NOTICE_CHANNEL_KEYS);
	const reach = member(d.target.reach, 'Reach', NOTICE_REACH_KEYS);
	for (const t of d.target.tags ?? []) member(t, 'Tags', TAG_KEYS);
	for (const s of d.target.statuses ?? []) member(s, 'Health Statuses', HEALTH_STATUS_KEYS);
	const { minAge, maxAge } = d.target;
	for (const [v, f] of [[minAge, 'Min Age'], [maxAge, 'Max Age']] as const) {
		if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 150)) throw new FieldError(f, `${f} must be a whole number of years from 0 to 150, got ${v}`);
	}
	if (minAge !== undefined && maxAge !== undefined && maxAge < minAge) throw new FieldError('Max Age', `Max Age ${maxAge} is below Min Age ${minAge}`);
	if (d.validFrom && d.validUntil && d.validUntil <= d.validFrom) {
		throw new FieldError('Valid Until', `Valid Until ${d.validUntil.toISOString()} must be after Valid From ${d.validFrom.toISOString()}`);
	}
	const maxSegments = d.maxSegments ?? DEFAULT_MAX_SEGMENTS;
	if (!Number.isInteger(maxSegments) || maxSegments < 1 || maxSegments > 10) {
		throw new FieldError('Max SMS Segments', `Max SMS Segments must be a whole number from 1 to 10, got ${maxSegments}`);
	}
	const out: NoticeDraft & { sms?: ReturnType<typeof smsSize> } = { ...d, title, body, category, channel, maxSegments, target: { ...d.target, reach } };
	if (channel === 'sms') {
		// placeholders are counted at a typical width: the exact size depends on each recipient
		const sms = smsSize(fillTemplate(body, TYPICAL_VALUES));
		if (sms.segments > maxSegments) {
			const per = sms.encoding === 'ucs2' ? '70 characters in one part, 67 per part when split' : '160 characters in one part, 153 per part when split';
			throw new FieldError('Body', `Body needs ${sms.segments} SMS segments (${sms.length} characters, ${sms.encoding === 'ucs2' ? 'Chinese/UCS-2' : 'GSM-7'}: ${per}); at most ${maxSegments} are allowed — shorten it or raise Max SMS Segments`);
		}
		out.sms = sms;
	}
	return out;
}
