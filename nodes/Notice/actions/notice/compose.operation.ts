import type { INodeProperties } from 'n8n-workflow';
import { type NoticeDraft, checkNotice } from '../../../shared/domain/notice/noticeInput';
import { composeNotices } from '../../../shared/domain/notice/notices';
import { PLACEHOLDERS } from '../../../shared/domain/notice/template';
import {
	DEFAULT_MAX_SEGMENTS,
	NOTICE_CATEGORIES,
	NOTICE_CHANNELS,
	NOTICE_REACHES,
	type NoticeCategory,
	type NoticeChannel,
	type NoticeReach,
} from '../../../shared/domain/notice/vocabulary';
import { HEALTH_STATUSES, type HealthStatus, TAGS, type Tag } from '../../../shared/domain/resident/vocabulary';
import { unitLocator } from '../../../shared/n8n/descriptions';
import type { OperationHandler } from '../../../shared/n8n/executeLoop';
import { param, unitParam } from '../../../shared/n8n/params';
import { integer, timestamp } from '../../../shared/validation/text';
import { list, on, options } from './fields';

const placeholders = Object.entries(PLACEHOLDERS).map(([k, v]) => `{{${k}}} (${v})`).join(', ');

export const description: INodeProperties[] = [
	{ displayName: 'Title', name: 'noticeTitle', type: 'string', required: true, default: '', placeholder: 'e.g. 关于开展全员核酸检测的通知', description: 'Title of the notice, sent along with every message', displayOptions: on(['compose']) },
	{
		displayName: 'Body',
		name: 'noticeBody',
		type: 'string',
		typeOptions: { rows: 4 },
		required: true,
		default: '',
		placeholder: 'e.g. {{name}}您好：{{building}}明早8点在楼下核酸检测，有事请联系网格员{{gridMember}}。',
		description: `The message text. Placeholders filled for each recipient: ${placeholders}. Any other {{…}} is an error.`,
		displayOptions: on(['compose']),
	},
	{ displayName: 'Category', name: 'noticeCategory', type: 'options', options: options(NOTICE_CATEGORIES), default: 'policy', description: 'What the notice is about. Health alerts are urgent and reach residents who opted out of other notices.', displayOptions: on(['compose']) },
	{ displayName: 'Channel', name: 'noticeChannel', type: 'options', options: options(NOTICE_CHANNELS), default: 'sms', description: 'How the messages go out; SMS bodies are checked against Max SMS Segments', displayOptions: on(['compose']) },
	{ ...unitLocator('noticeUnit', 'Within Unit', 'The subtree the notice goes to: a street, community, grid or building'), displayOptions: on(['compose']) },
	{ displayName: 'Reach', name: 'noticeReach', type: 'options', options: options(NOTICE_REACHES), default: 'every', description: 'Whom in the matching households the notice reaches', displayOptions: on(['compose']) },
	{
		displayName: 'Resident Filter',
		name: 'noticeFilter',
		type: 'collection',
		placeholder: 'Add condition',
		default: {},
		description: 'Which residents of the subtree the notice concerns; every active resident when empty',
		displayOptions: on(['compose']),
		options: [
			{ displayName: 'Health Statuses', name: 'statuses', type: 'multiOptions', options: options(HEALTH_STATUSES), default: [], description: 'Only residents in one of these health statuses' },
			{ displayName: 'Max Age', name: 'maxAge', type: 'number', typeOptions: { minValue: 0, maxValue: 150 }, default: 120, description: 'Only residents at most this old (by birth year)' },
			{ displayName: 'Min Age', name: 'minAge', type: 'number', typeOptions: { minValue: 0, maxValue: 150 }, default: 60, description: 'Only residents at least this old (by birth year)' },
			{ displayName: 'Tag Match', name: 'tagMatch', type: 'options', options: [{ name: 'All Tags', value: 'all' }, { name: 'Any Tag', value: 'any' }], default: 'all', description: 'With several tags: whether a resident needs all of them or any' },
			{ displayName: 'Tags', name: 'tags', type: 'multiOptions', options: options(TAGS), default: [], description: 'Only residents with these tags' },
		],
	},
	{
		displayName: 'Validity',
		name: 'noticeValidity',
		type: 'collection',
		placeholder: 'Add field',
		default: {},
		displayOptions: on(['compose']),
		options: [
			{ displayName: 'Max SMS Segments', name: 'maxSegments', type: 'number', typeOptions: { minValue: 1, maxValue: 10 }, default: DEFAULT_MAX_SEGMENTS, description: 'SMS only: a body needing more parts than this is refused, with the count (70 Chinese characters in one part, 67 per part when split; 160/153 for plain ASCII)' },
			{ displayName: 'Valid From', name: 'validFrom', type: 'dateTime', default: '', description: 'When the notice takes effect; now when empty' },
			{ displayName: 'Valid Until', name: 'validUntil', type: 'dateTime', default: '', description: 'When the notice expires; an expired notice is no longer prepared' },
		],
	},
];

export const handler: OperationHandler<NoticeDraft, unknown> = {
	read(ctx, i, env) {
		const f = param<Record<string, unknown>>(ctx, 'noticeFilter', i, 'Resident Filter', {});
		const v = param<Record<string, unknown>>(ctx, 'noticeValidity', i, 'Validity', {});
		const validFrom = timestamp(v.validFrom, 'Valid From');
		const validUntil = timestamp(v.validUntil, 'Valid Until');
		const minAge = integer(f.minAge, 'Min Age', { min: 0, max: 150 });
		const maxAge = integer(f.maxAge, 'Max Age', { min: 0, max: 150 });
		const maxSegments = integer(v.maxSegments, 'Max SMS Segments', { min: 1, max: 10 });
		const tags = list(f.tags) as Tag[];
		const statuses = list(f.statuses) as HealthStatus[];
		return checkNotice({
			title: param(ctx, 'noticeTitle', i, 'Title', ''),
			body: param(ctx, 'noticeBody', i, 'Body', ''),
			category: param<NoticeCategory>(ctx, 'noticeCategory', i, 'Category'),
			channel: param<NoticeChannel>(ctx, 'noticeChannel', i, 'Channel'),
			within: unitParam(ctx, 'noticeUnit', i, 'Within Unit', env.widths),
			target: {
				reach: param<NoticeReach>(ctx, 'noticeReach', i, 'Reach', 'every'),
				tagMatch: f.tagMatch === 'any' ? 'any' : 'all',
				...(tags.length ? { tags } : {}),
				...(statuses.length ? { statuses } : {}),
				...(minAge !== undefined ? { minAge } : {}),
				...(maxAge !== undefined ? { maxAge } : {}),
			},
			...(validFrom ? { validFrom } : {}),
			...(validUntil ? { validUntil } : {}),
			...(maxSegments !== undefined ? { maxSegments } : {}),
		});
	},
	runBatch: composeNotices,
};
