export const TAGS = {
	elderly_living_alone: 'Elderly living alone (独居老人)',
	disabled: 'Disabled (残疾)',
	chronic_illness: 'Chronic illness (慢性病)',
	pregnant: 'Pregnant (孕产妇)',
	child: 'Child (儿童)',
	key_population: 'Key population (重点人群)',
	returned_from_risk_area: 'Returned from risk area (涉疫地区返回)',
} as const;
export type Tag = keyof typeof TAGS;
export const TAG_KEYS = Object.keys(TAGS) as Tag[];

export const HEALTH_STATUSES = {
	normal: 'Normal (正常)',
	symptomatic: 'Symptomatic (有症状)',
	home_quarantine: 'Home quarantine (居家隔离)',
	central_quarantine: 'Central quarantine (集中隔离)',
	confirmed: 'Confirmed (确诊)',
	recovered: 'Recovered (康复)',
	deceased: 'Deceased (死亡)',
} as const;
export type HealthStatus = keyof typeof HEALTH_STATUSES;
export const HEALTH_STATUS_KEYS = Object.keys(HEALTH_STATUSES) as HealthStatus[];

export const QUARANTINE_STATUSES: HealthStatus[] = ['home_quarantine', 'central_quarantine'];

/** Which status may follow which. Nothing leaves deceased; confirmed cases only recover or die. */
export const TRANSITIONS: Record<HealthStatus, HealthStatus[]> = {
	normal: ['symptomatic', 'home_quarantine', 'central_quarantine', 'confirmed', 'deceased'],
	symptomatic: ['normal', 'home_quarantine', 'central_quarantine', 'confirmed', 'deceased'],
	home_quarantine: ['normal', 'symptomatic', 'central_quarantine', 'confirmed', 'deceased'],
	central_quarantine: ['normal', 'symptomatic', 'home_quarantine', 'confirmed', 'deceased'],
	confirmed: ['recovered', 'deceased'],
	recovered: ['normal', 'symptomatic', 'home_quarantine', 'central_quarantine', 'confirmed', 'deceased'],
	deceased: [],
};

export const OBSERVATION_SOURCES = {
	self_report: 'Self-report (自报)',
	door_visit: 'Door visit (入户)',
	checkpoint: 'Checkpoint (卡口)',
	task: 'Task (任务)',
} as const;
export type ObservationSource = keyof typeof OBSERVATION_SOURCES;

export const EXPOSURE_KINDS = {
	household_member: 'Household member (同户)',
	close_contact: 'Close contact (密切接触)',
	same_building: 'Same building (同楼栋)',
	same_checkpoint: 'Same checkpoint passage (同卡口通行)',
} as const;
export type ExposureKind = keyof typeof EXPOSURE_KINDS;
/** Closeness of each kind, closest first, for "the closest exposure kind" of a contact. */
export const EXPOSURE_RANK: Record<ExposureKind, number> = {
	household_member: 1,
	close_contact: 2,
	same_building: 3,
	same_checkpoint: 4,
};

export const FEVER_THRESHOLD_C = 37.3;
export const INACTIVE_REASONS = { moved_away: 'Moved away (迁出)', deceased: 'Deceased (死亡)' } as const;
export type InactiveReason = keyof typeof INACTIVE_REASONS;
