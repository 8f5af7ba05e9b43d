export const NOTICE_CATEGORIES = {
	policy: 'Policy (政策通知)',
	health_alert: 'Health alert (健康警示)',
	supply: 'Supply (物资保障)',
	service_change: 'Service change (服务变更)',
} as const;
export type NoticeCategory = keyof typeof NOTICE_CATEGORIES;
export const NOTICE_CATEGORY_KEYS = Object.keys(NOTICE_CATEGORIES) as NoticeCategory[];

/** Categories that reach everyone, opt-outs notwithstanding. */
export const URGENT_CATEGORIES: NoticeCategory[] = ['health_alert'];

export const NOTICE_CHANNELS = {
	sms: 'SMS (短信)',
	wechat: 'WeChat / WeCom (微信)',
	email: 'Email (邮件)',
	other: 'Other (其他)',
} as const;
export type NoticeChannel = keyof typeof NOTICE_CHANNELS;
export const NOTICE_CHANNEL_KEYS = Object.keys(NOTICE_CHANNELS) as NoticeChannel[];

export const NOTICE_REACHES = {
	every: 'Every resident (每位居民)',
	household: 'One contact per household (每户一人)',
	gridAssistant: "The building's grid assistant, who passes it on (楼栋网格助理员转达)",
} as const;
export type NoticeReach = keyof typeof NOTICE_REACHES;
export const NOTICE_REACH_KEYS = Object.keys(NOTICE_REACHES) as NoticeReach[];

export const CALLBACK_STATUSES = ['delivered', 'failed'] as const;
export type CallbackStatus = (typeof CALLBACK_STATUSES)[number];

export const DEFAULT_MAX_SEGMENTS = 3;
export const DEFAULT_MAX_RECIPIENTS = 1000;
/** Adults for the household contact: people of this age or older. */
export const ADULT_AGE = 18;
