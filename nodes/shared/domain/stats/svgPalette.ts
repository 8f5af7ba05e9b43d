/**
 * Chart colours. Open incident statuses are warm and finished ones cool or grey, so the share of
 * unfinished work stands out in a stacked bar; health statuses run from green to red by severity.
 */
export const STATUS_COLORS: Readonly<Record<string, string>> = {
	new: '#e8590c',
	triaged: '#f59f00',
	assigned: '#1c7ed6',
	in_progress: '#5c7cfa',
	resolved: '#2f9e44',
	closed: '#8ce99a',
	rejected: '#ae3ec9',
	duplicate: '#adb5bd',
};

export const HEALTH_COLORS: Readonly<Record<string, string>> = {
	normal: '#2f9e44',
	symptomatic: '#f59f00',
	home_quarantine: '#fd7e14',
	central_quarantine: '#e8590c',
	confirmed: '#e03131',
	recovered: '#1c7ed6',
	deceased: '#495057',
};

export const RISK_COLORS: Readonly<Record<string, string>> = {
	low: '#2f9e44',
	medium: '#f08c00',
	high: '#e8590c',
	critical: '#c92a2a',
};

export const TASK_COLOR = '#1098ad';
export const RATE_COLOR = '#1c7ed6';

/** For keys the vocabularies do not know (custom statuses, kinds): distinct, fixed by position. */
const EXTRA = ['#0ca678', '#d6336c', '#7048e8', '#74b816', '#a61e4d', '#1864ab', '#e67700'];

export function colorOf(palette: Readonly<Record<string, string>>, key: string, extraIndex: number): string {
	return Object.prototype.hasOwnProperty.call(palette, key) ? palette[key] : EXTRA[extraIndex % EXTRA.length];
}
