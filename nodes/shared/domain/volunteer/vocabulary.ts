/** Volunteer kinds, team kinds and the skill vocabulary. */
export const VOLUNTEER_KINDS = {
	party_member: 'Party member (党员)',
	cadre: 'Sent-down cadre (下沉干部)',
	resident_volunteer: 'Resident volunteer (居民志愿者)',
	militia: 'Militia (民兵)',
	social_org: 'Social-organization member (社会组织成员)',
	professional: 'Professional (专业人员)',
} as const;
export type VolunteerKind = keyof typeof VOLUNTEER_KINDS;

export const TEAM_KINDS = {
	vanguard: 'Party-member vanguard team (党员先锋队)',
	errand: 'Errand team (跑腿服务队)',
	militia_commando: 'Militia commando (民兵突击队)',
	temporary_branch: 'Temporary party branch (临时党支部)',
	lei_feng: 'Lei Feng volunteers (学雷锋志愿队)',
} as const;
export type TeamKind = keyof typeof TEAM_KINDS;

export const SKILLS = {
	door_survey: 'Door-to-door survey (入户摸排)',
	temperature_check: 'Temperature check (体温检测)',
	registration: 'Information registration (信息登记)',
	driving: 'Driving (驾驶)',
	delivery: 'Delivery (配送)',
	disinfection: 'Disinfection (消杀)',
	medical: 'Medical (医疗)',
	psychological_support: 'Psychological support (心理疏导)',
	legal_aid: 'Legal aid (法律援助)',
	social_work: 'Social work (社会工作)',
	dialect: 'Local dialect (方言沟通)',
	sign_language: 'Sign language (手语)',
	security: 'Security (安保)',
} as const;
export type Skill = keyof typeof SKILLS;
