import type { UnitRef } from '../grid/unitRecord';
import { FieldError, describeValue } from '../../validation/errors';
import { requiredText, text } from '../../validation/text';

export const CHOICE_KINDS = { single: 'Single Choice (单选)', multiple: 'Multiple Choice (多选)', free_text: 'Free Text (意见建议)' } as const;
export type ChoiceKind = keyof typeof CHOICE_KINDS;
export const ELECTORATES = { household: 'One per Household (每户一票)', adult: 'One per Adult Resident (每位成年居民)' } as const;
export type Electorate = keyof typeof ELECTORATES;
export const ADULT_AGE = 18;
export const DEFAULT_MAX_TEXT = 500;

export interface ConsultationOption {
	code: string;
	label: string;
}

export interface NewConsultation {
	question: string;
	background?: string;
	scope: UnitRef;
	choiceKind: ChoiceKind;
	options: ConsultationOption[];
	opensAt: Date;
	closesAt: Date;
	electorate: Electorate;
	allowChange: boolean;
	/** Free text: the longest answer taken, in characters. */
	maxTextLength?: number;
}

/** Checks a consultation before anything is written; throws FieldError naming the field. */
export function checkConsultation(c: NewConsultation): NewConsultation {
	const question = requiredText(c.question, { field: 'Question', max: 500, multiline: true });
	const background = text(c.background, { field: 'Background', max: 5000, multiline: true });
	if (!(c.choiceKind in CHOICE_KINDS)) throw new FieldError('Choice Kind', `Choice Kind must be one of ${Object.keys(CHOICE_KINDS).join(', ')}; got ${describeValue(c.choiceKind)}`);
	if (!(c.electorate in ELECTORATES)) throw new FieldError('Electorate', `Electorate must be one of ${Object.keys(ELECTORATES).join(', ')}; got ${describeValue(c.electorate)}`);
	if (!(c.opensAt instanceof Date) || Number.isNaN(c.opensAt.getTime())) throw new FieldError('Opens At', 'Opens At is required');
	if (!(c.closesAt instanceof Date) || Number.isNaN(c.closesAt.getTime())) throw new FieldError('Closes At', 'Closes At is required');
	if (c.closesAt.getTime() <= c.opensAt.getTime()) {
		throw new FieldError('Closes At', `Closes At (${c.closesAt.toISOString()}) must be after Opens At (${c.opensAt.toISOString()}): a consultation cannot close before it opens`);
	}
	const options = c.choiceKind === 'free_text' ? [] : checkOptions(c.options ?? []);
	if (c.choiceKind === 'free_text' && (c.options ?? []).length) throw new FieldError('Options', 'A free-text consultation takes no options');
	const max = c.maxTextLength ?? DEFAULT_MAX_TEXT;
	if (!Number.isInteger(max) || max < 1 || max > 5000) throw new FieldError('Max Answer Length', `Max Answer Length must be 1–5000 characters, got ${describeValue(max)}`);
	return { ...c, question, ...(background ? { background } : { background: undefined }), options, maxTextLength: max };
}

function checkOptions(raw: ConsultationOption[]): ConsultationOption[] {
	if (raw.length < 2) throw new FieldError('Options', `a choice needs at least 2 options, got ${raw.length}`);
	if (raw.length > 50) throw new FieldError('Options', `at most 50 options are allowed, got ${raw.length}`);
	const seen = new Set<string>();
	return raw.map((o, k) => {
		const code = requiredText(o.code, { field: `Options ${k + 1} Code`, max: 20 });
		if (!/^[A-Za-z0-9_-]+$/.test(code)) throw new FieldError('Options', `option ${k + 1} code ${describeValue(code)} may hold only letters, digits, _ and -`);
		if (seen.has(code)) throw new FieldError('Options', `option code ${describeValue(code)} appears twice`);
		seen.add(code);
		return { code, label: requiredText(o.label, { field: `Options ${k + 1} Label`, max: 200 }) };
	});
}

export interface ChoiceRules {
	choiceKind: ChoiceKind;
	options: ConsultationOption[];
	maxTextLength: number;
}

/** A response's answer checked against what the consultation offers. */
export function checkAnswer(rules: ChoiceRules, choices: string[], freeText: string | undefined): { choices: string[]; freeText: string | null } {
	if (rules.choiceKind === 'free_text') {
		const t = (freeText ?? (choices.length ? choices.join(', ') : '')).trim();
		if (!t) throw new FieldError('Answer Text', 'Answer Text is required but empty');
		if ([...t].length > rules.maxTextLength) throw new FieldError('Answer Text', `Answer Text is ${[...t].length} characters long; at most ${rules.maxTextLength} are allowed`);
		return { choices: [], freeText: t };
	}
	const offered = new Set(rules.options.map((o) => o.code));
	const codes = [...new Set(choices.map((c) => c.trim()).filter(Boolean))];
	const list = rules.options.map((o) => o.code).join(', ');
	if (!codes.length) throw new FieldError('Choice', `Choice is required: one of ${list}`);
	const unknown = codes.filter((c) => !offered.has(c));
	if (unknown.length) throw new FieldError('Choice', `${unknown.map((c) => describeValue(c)).join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not offered; the options are ${list}`);
	if (rules.choiceKind === 'single' && codes.length > 1) throw new FieldError('Choice', `this consultation takes a single choice, got ${codes.length}: ${codes.join(', ')}`);
	// stored in the order offered, so equal answers are equal arrays
	return { choices: rules.options.map((o) => o.code).filter((c) => codes.includes(c)), freeText: null };
}
