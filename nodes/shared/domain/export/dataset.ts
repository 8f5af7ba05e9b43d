import { FieldError, describeValue } from '../../validation/errors';
import { RISK_LEVELS } from '../incident/risk';
import { HEALTH_STATUS_KEYS, TAG_KEYS } from '../resident/vocabulary';
import { PERIOD_TYPES, type Period, type PeriodType } from '../stats/period';
import type { RollupRow } from '../stats/types';
import { TASK_KINDS } from '../task/vocabulary';
import { DEFAULT_CATEGORIES } from '../incident/categories';

/**
 * Dataset definitions for exports: which figures of a rollup row go out, and under which code each
 * target system knows them. Pure data and checks; no database, no n8n.
 */

export const EXPORT_FORMATS = ['dhis2', 'fhir', 'csv', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface Indicator {
	/** Dotted path into a RollupRow, e.g. `incidents.byCategory.fever_symptoms.created`. */
	id: string;
	/** Bilingual label, "Incidents reported (事件上报数)". */
	name: string;
	/** The code per target format; csv and json fall back to `id` (see indicatorCode). */
	codes: Partial<Record<ExportFormat, string>>;
}

export interface Dataset {
	code: string;
	name: string;
	periodTypes: PeriodType[];
	indicators: Indicator[];
}

/** An indicator with the code it carries in one format. */
export interface MappedIndicator {
	id: string;
	name: string;
	code: string;
}

// ---------------------------------------------------------------------------------------------------
// The shape of a rollup row, as far as indicator paths may reach into it

/** `count`: additive, a missing key is 0; `measure`: a rate, average or quantile that may be null. */
type Leaf = 'count' | 'measure';
interface RecordShape {
	/** Keys the row always carries. */
	known: readonly string[];
	/** Whether other plausible keys are allowed (the vocabulary is configurable). */
	open: boolean;
	/** What the keys are, for messages: "health status", "category". */
	what: string;
	of: Shape;
}
type Shape = Leaf | RecordShape | { readonly [key: string]: Shape };

const isRecordShape = (s: Shape): s is RecordShape => typeof s === 'object' && 'known' in s && 'of' in s;
const has = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

const COUNTS: Shape = { created: 'count', closed: 'count', overdue: 'count', escalated: 'count' };
const PLAUSIBLE_KEY = /^[a-z0-9_]{1,64}$/;

const ROW_SHAPE: Shape = {
	residents: {
		total: 'count',
		byHealthStatus: { known: HEALTH_STATUS_KEYS, open: false, what: 'health status', of: 'count' },
		// tags are data on residents; a deployment may tag beyond the shipped list
		byTag: { known: TAG_KEYS, open: true, what: 'tag', of: 'count' },
	},
	health: { observations: 'count', fevers: 'count', quarantinesStarted: 'count', quarantinesEnded: 'count' },
	incidents: {
		...(COUNTS as Record<string, Shape>),
		// categories are configurable per node (Categories parameter), so any plausible code may appear
		byCategory: { known: DEFAULT_CATEGORIES.map((c) => c.code), open: true, what: 'category', of: COUNTS },
		byRisk: { known: RISK_LEVELS, open: false, what: 'risk level', of: COUNTS },
		resolvedWithDue: 'count',
		resolvedOnTime: 'count',
		onTimeRate: 'measure',
		handlingMinutesMedian: 'measure',
		handlingMinutesP90: 'measure',
		duplicates: 'count',
		duplicateRate: 'measure',
		satisfactionCount: 'count',
		satisfactionSum: 'count',
		satisfactionAverage: 'measure',
	},
	tasks: {
		created: 'count',
		done: 'count',
		createdByKind: { known: Object.keys(TASK_KINDS), open: true, what: 'task kind', of: 'count' },
		doneByKind: { known: Object.keys(TASK_KINDS), open: true, what: 'task kind', of: 'count' },
		doneWithDue: 'count',
		doneOnTime: 'count',
		onTimeRate: 'measure',
	},
	volunteers: { tasksDone: 'count', seconds: 'count', hours: 'measure' },
};

/** The leaf an indicator path reaches, or why it reaches none. */
function resolvePath(id: string): { leaf: Leaf } | { problem: string } {
	if (typeof id !== 'string' || id.trim() === '') return { problem: 'is empty; give a dotted path like incidents.created' };
	const segments = id.split('.');
	let shape: Shape = ROW_SHAPE;
	let walked = '';
	for (const seg of segments) {
		const here = walked === '' ? 'a rollup row' : walked;
		if (typeof shape === 'string') return { problem: `goes past ${here}, which is already a number` };
		if (isRecordShape(shape)) {
			if (!shape.known.includes(seg)) {
				if (!shape.open) return { problem: `names ${describeValue(seg)}, which is not a ${shape.what}; use one of ${shape.known.join(', ')}` };
				if (!PLAUSIBLE_KEY.test(seg)) return { problem: `names ${describeValue(seg)}, which cannot be a ${shape.what} code (lowercase letters, digits and _)` };
			}
			shape = shape.of;
		} else {
			if (!has(shape, seg)) return { problem: `has no ${describeValue(seg)} under ${here}; use one of ${Object.keys(shape).join(', ')}` };
			shape = shape[seg];
		}
		walked = walked === '' ? seg : `${walked}.${seg}`;
	}
	if (typeof shape !== 'string') {
		const next = isRecordShape(shape) ? `a ${shape.what} such as ${shape.known[0]}` : `one of ${Object.keys(shape).join(', ')}`;
		return { problem: `stops at ${walked}, which is not a number; continue with ${next}` };
	}
	return { leaf: shape };
}

/** Why an indicator id names no figure of a rollup row, or undefined when it does. */
export function indicatorPathProblem(id: string): string | undefined {
	const r = resolvePath(id);
	return 'problem' in r ? r.problem : undefined;
}

/**
 * Reads one indicator's figure out of rows, with the path resolved once: writers call it for every
 * unit × indicator. A key missing inside a keyed group (a category nobody reported in) counts as 0;
 * rates, averages and quantiles may be null; an unknown path is always null.
 */
export function indicatorReader(id: string): (row: RollupRow) => number | null {
	const r = resolvePath(id);
	if ('problem' in r) return () => null;
	const segments = id.split('.');
	const missing = r.leaf === 'count' ? 0 : null;
	return (row) => {
		let cur: unknown = row;
		for (const seg of segments) {
			if (typeof cur !== 'object' || cur === null || !has(cur, seg)) return missing;
			cur = (cur as Record<string, unknown>)[seg];
		}
		return typeof cur === 'number' && Number.isFinite(cur) ? cur : missing;
	};
}

/** The figure an indicator names in a row (see indicatorReader). */
export function indicatorValue(row: RollupRow, id: string): number | null {
	return indicatorReader(id)(row);
}

// ---------------------------------------------------------------------------------------------------
// Codes per format

const CODE_PATTERNS: Record<ExportFormat, { re: RegExp; hint: string }> = {
	// DHIS2 codes are at most 50 characters
	dhis2: { re: /^[A-Za-z0-9_.:\-]{1,50}$/, hint: '1–50 letters, digits, "_", ".", ":" or "-", like GRID_INC_CREATED' },
	fhir: { re: /^[A-Za-z0-9_.:\-]{1,64}$/, hint: '1–64 letters, digits, "_", ".", ":" or "-"' },
	// used as CSV column headers and JSON keys: keep them plain
	csv: { re: /^[A-Za-z_][A-Za-z0-9_.]{0,63}$/, hint: '1–64 letters, digits, "_" or ".", starting with a letter or "_", like incidents_created' },
	json: { re: /^[A-Za-z_][A-Za-z0-9_.]{0,63}$/, hint: '1–64 letters, digits, "_" or ".", starting with a letter or "_", like incidents_created' },
};

/**
 * The code an indicator carries in a format. CSV and JSON use `codes.csv` / `codes.json` when set
 * and otherwise the indicator id: the id is a valid column name and key, and a file for people needs
 * no registry on the other side. DHIS2 has no such fallback: a data element code must exist there,
 * so a missing one is undefined and checkExportable reports it. FHIR exports resources, not
 * indicators, so its code is informative only.
 */
export function indicatorCode(indicator: Indicator, format: ExportFormat): string | undefined {
	const code = indicator.codes[format];
	if (code !== undefined) return code;
	return format === 'csv' || format === 'json' ? indicator.id : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Checking datasets from node parameters

const DATASET_KEYS = new Set(['code', 'name', 'periodTypes', 'indicators']);
const INDICATOR_KEYS = new Set(['id', 'name', 'codes']);
const DATASET_CODE = /^[A-Za-z0-9_.:\-]{1,50}$/;

/**
 * Checks a dataset from node parameters: an object, its JSON text, or the code of a shipped dataset
 * (GRID_DAILY, GRID_MONTHLY). Throws a FieldError naming the indicator (1-based position and id) and
 * its bad property.
 */
export function checkDataset(raw: unknown, field = 'Dataset'): Dataset {
	let value = raw;
	if (typeof value === 'string') {
		const text = value.trim();
		if (!text.startsWith('{')) {
			const shipped = DEFAULT_DATASETS.find((d) => d.code === text);
			if (shipped) return shipped;
			throw new FieldError(field, `${field} ${describeValue(raw)} is neither a dataset in JSON nor one of the shipped datasets ${DEFAULT_DATASETS.map((d) => d.code).join(', ')}`);
		}
		try {
			value = JSON.parse(text);
		} catch (e) {
			throw new FieldError(field, `${field} is not valid JSON: ${(e as Error).message}`);
		}
	}
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw new FieldError(field, `${field} must be an object like {"code": "GRID_DAILY", "name": "…", "periodTypes": ["day"], "indicators": [...]}, got ${describeValue(value)}`);
	}
	const o = value as Record<string, unknown>;
	for (const key of Object.keys(o)) {
		if (!DATASET_KEYS.has(key)) throw new FieldError(field, `${field} has unknown property "${key}"; allowed are code, name, periodTypes, indicators`);
	}
	const code = typeof o.code === 'string' ? o.code.trim() : o.code;
	if (typeof code !== 'string' || !DATASET_CODE.test(code)) {
		throw new FieldError(field, `${field}: code ${describeValue(o.code)} must be 1–50 letters, digits, "_", ".", ":" or "-", like GRID_DAILY`);
	}
	const name = typeof o.name === 'string' ? o.name.trim() : o.name;
	if (typeof name !== 'string' || name === '' || [...name].length > 200) {
		throw new FieldError(field, `${field} ${code}: name must be text of 1–200 characters, got ${describeValue(o.name)}`);
	}
	const periodTypes = checkPeriodTypes(o.periodTypes, `${field} ${code}`, field);
	if (!Array.isArray(o.indicators) || o.indicators.length === 0) {
		throw new FieldError(field, `${field} ${code}: indicators must be a non-empty list of {"id", "name", "codes"}, got ${describeValue(o.indicators)}`);
	}
	if (o.indicators.length > 1000) throw new FieldError(field, `${field} ${code} has ${o.indicators.length} indicators; at most 1000 are allowed`);

	const seenId = new Map<string, number>();
	const seenCode = new Map<string, number>();
	const indicators = o.indicators.map((item: unknown, i: number) => {
		const indicator = checkIndicator(item, `${field} ${code}: indicator ${i + 1}`, field);
		const at = `${field} ${code}: indicator ${i + 1} ("${indicator.id}")`;
		const first = seenId.get(indicator.id);
		if (first !== undefined) throw new FieldError(field, `${at} repeats the id of indicator ${first + 1}`);
		seenId.set(indicator.id, i);
		for (const format of EXPORT_FORMATS) {
			// two indicators under one code would overwrite each other on the receiving side
			const c = indicatorCode(indicator, format);
			if (c === undefined) continue;
			const other = seenCode.get(`${format}\0${c}`);
			if (other !== undefined) throw new FieldError(field, `${at}: codes.${format} "${c}" is already the ${format} code of indicator ${other + 1}`);
			seenCode.set(`${format}\0${c}`, i);
		}
		return indicator;
	});
	return { code, name, periodTypes, indicators };
}

function checkPeriodTypes(raw: unknown, where: string, field: string): PeriodType[] {
	const list = typeof raw === 'string' ? raw.split(',').map((s) => s.trim()).filter(Boolean) : raw;
	if (!Array.isArray(list) || list.length === 0) {
		throw new FieldError(field, `${where}: periodTypes must be a non-empty list of ${PERIOD_TYPES.join(', ')}, got ${describeValue(raw)}`);
	}
	const out: PeriodType[] = [];
	for (const t of list) {
		if (!PERIOD_TYPES.includes(t as PeriodType)) {
			throw new FieldError(field, `${where}: period type ${describeValue(t)} is not one of ${PERIOD_TYPES.join(', ')}`);
		}
		if (!out.includes(t as PeriodType)) out.push(t as PeriodType);
	}
	return out;
}

function checkIndicator(item: unknown, where: string, field: string): Indicator {
	if (typeof item !== 'object' || item === null || Array.isArray(item)) {
		throw new FieldError(field, `${where} must be an object with id, name and codes, got ${describeValue(item)}`);
	}
	const o = item as Record<string, unknown>;
	const id = typeof o.id === 'string' ? o.id.trim() : o.id;
	if (typeof id !== 'string') throw new FieldError(field, `${where}: id must be a dotted path like incidents.created, got ${describeValue(o.id)}`);
	const at = `${where} ("${id}")`;
	const problem = indicatorPathProblem(id);
	if (problem) throw new FieldError(field, `${at}: id ${problem}`);
	for (const key of Object.keys(o)) {
		if (!INDICATOR_KEYS.has(key)) throw new FieldError(field, `${at} has unknown property "${key}"; allowed are id, name, codes`);
	}
	let name = id;
	if (o.name !== undefined && o.name !== null && o.name !== '') {
		if (typeof o.name !== 'string' || o.name.trim() === '' || [...o.name.trim()].length > 200) {
			throw new FieldError(field, `${at}: name must be text of 1–200 characters, got ${describeValue(o.name)}`);
		}
		name = o.name.trim();
	}
	const codes: Partial<Record<ExportFormat, string>> = {};
	if (o.codes !== undefined && o.codes !== null) {
		if (typeof o.codes !== 'object' || Array.isArray(o.codes)) {
			throw new FieldError(field, `${at}: codes must be an object like {"dhis2": "GRID_INC_CREATED", "csv": "incidents_created"}, got ${describeValue(o.codes)}`);
		}
		for (const [format, c] of Object.entries(o.codes as Record<string, unknown>)) {
			if (!EXPORT_FORMATS.includes(format as ExportFormat)) {
				throw new FieldError(field, `${at}: codes has unknown format "${format}"; use ${EXPORT_FORMATS.join(', ')}`);
			}
			if (c === undefined || c === null || c === '') continue;
			const text = typeof c === 'string' ? c.trim() : c;
			const pattern = CODE_PATTERNS[format as ExportFormat];
			if (typeof text !== 'string' || !pattern.re.test(text)) {
				throw new FieldError(field, `${at}: codes.${format} ${describeValue(c)} must be ${pattern.hint}`);
			}
			codes[format as ExportFormat] = text;
		}
	}
	return { id, name, codes };
}

// ---------------------------------------------------------------------------------------------------
// Checking one export before it starts

function orList(items: string[]): string {
	return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/**
 * Checks that a dataset can go out for a period in a format, before any byte is written, and returns
 * the indicators with their codes in that format. The period must be of one of the dataset's types;
 * DHIS2 needs a data element code on every indicator. FHIR exports resources, so only the period is
 * checked for it and the list holds the indicators that happen to carry a fhir code.
 */
export function checkExportable(dataset: Dataset, period: Period, format: ExportFormat): MappedIndicator[] {
	if (!EXPORT_FORMATS.includes(format)) {
		throw new FieldError('Format', `Format must be one of ${EXPORT_FORMATS.join(', ')} (got ${describeValue(format)})`);
	}
	if (!dataset.periodTypes.includes(period.type)) {
		throw new FieldError('Period', `a ${period.type} period does not fit the ${dataset.periodTypes[0]}-based dataset ${dataset.code}; choose a ${orList(dataset.periodTypes)} period`);
	}
	if (format === 'fhir') {
		return dataset.indicators.filter((i) => i.codes.fhir !== undefined).map((i) => ({ id: i.id, name: i.name, code: i.codes.fhir! }));
	}
	const missing = dataset.indicators.filter((i) => indicatorCode(i, format) === undefined);
	if (missing.length > 0) {
		const named = missing.map((i) => `${i.id} (${i.name})`);
		const shown = named.length > 20 ? `${named.slice(0, 20).join(', ')} and ${named.length - 20} more` : named.join(', ');
		throw new FieldError('Dataset', `dataset ${dataset.code} cannot go to ${format}: ${missing.length === 1 ? 'indicator' : `${missing.length} indicators`} ${shown} ${missing.length === 1 ? 'has' : 'have'} no ${format} code; add codes.${format} to ${missing.length === 1 ? 'it' : 'each'} or remove ${missing.length === 1 ? 'it' : 'them'} from the dataset`);
	}
	return dataset.indicators.map((i) => ({ id: i.id, name: i.name, code: indicatorCode(i, format)! }));
}

// ---------------------------------------------------------------------------------------------------
// Shipped datasets

/** One indicator of the shipped catalogue: the same figure keeps one DHIS2 data element in every dataset. */
function ind(id: string, en: string, zh: string, dhis2: string, snake: string): Indicator {
	return { id, name: `${en} (${zh})`, codes: { dhis2, csv: snake, json: snake } };
}

const CATALOGUE = {
	incCreated: ind('incidents.created', 'Incidents reported', '事件上报数', 'GRID_INC_CREATED', 'incidents_created'),
	incClosed: ind('incidents.closed', 'Incidents closed', '事件办结数', 'GRID_INC_CLOSED', 'incidents_closed'),
	incOverdue: ind('incidents.overdue', 'Incidents overdue', '事件超时数', 'GRID_INC_OVERDUE', 'incidents_overdue'),
	incEscalated: ind('incidents.escalated', 'Incidents escalated', '事件上报升级数', 'GRID_INC_ESCALATED', 'incidents_escalated'),
	incHigh: ind('incidents.byRisk.high.created', 'High-risk incidents reported', '高风险事件数', 'GRID_INC_HIGH_CREATED', 'incidents_high_risk_created'),
	incCritical: ind('incidents.byRisk.critical.created', 'Critical incidents reported', '紧急事件数', 'GRID_INC_CRITICAL_CREATED', 'incidents_critical_created'),
	incHighOverdue: ind('incidents.byRisk.high.overdue', 'High-risk incidents overdue', '高风险事件超时数', 'GRID_INC_HIGH_OVERDUE', 'incidents_high_risk_overdue'),
	incFever: ind('incidents.byCategory.fever_symptoms.created', 'Fever or symptom reports', '发热/症状上报数', 'GRID_INC_FEVER_CREATED', 'incidents_fever_created'),
	incBreach: ind('incidents.byCategory.quarantine_breach.created', 'Quarantine breach reports', '违反隔离上报数', 'GRID_INC_BREACH_CREATED', 'incidents_quarantine_breach_created'),
	incArrival: ind('incidents.byCategory.arrival_from_risk_area.created', 'Arrivals from risk areas reported', '涉疫返回上报数', 'GRID_INC_ARRIVAL_CREATED', 'incidents_arrival_created'),
	incSupply: ind('incidents.byCategory.supply_need.created', 'Supply needs reported', '物资需求上报数', 'GRID_INC_SUPPLY_CREATED', 'incidents_supply_need_created'),
	incMedical: ind('incidents.byCategory.medical_need.created', 'Medical needs reported', '就医需求上报数', 'GRID_INC_MEDICAL_CREATED', 'incidents_medical_need_created'),
	incVulnerable: ind('incidents.byCategory.vulnerable_resident_help.created', 'Help requests of vulnerable residents', '特殊人群求助数', 'GRID_INC_VULNERABLE_CREATED', 'incidents_vulnerable_help_created'),
	incOnTime: ind('incidents.onTimeRate', 'Incidents resolved on time, rate', '事件按时办结率', 'GRID_INC_ONTIME_RATE', 'incidents_on_time_rate'),
	incDupRate: ind('incidents.duplicateRate', 'Duplicate reports, rate', '重复件率', 'GRID_INC_DUPLICATE_RATE', 'incidents_duplicate_rate'),
	incSatisfaction: ind('incidents.satisfactionAverage', 'Satisfaction, average', '满意度均值', 'GRID_INC_SATISFACTION_AVG', 'incidents_satisfaction_average'),
	incMedian: ind('incidents.handlingMinutesMedian', 'Handling time, median minutes', '办理时长中位数(分钟)', 'GRID_INC_HANDLING_MEDIAN', 'incidents_handling_minutes_median'),
	incP90: ind('incidents.handlingMinutesP90', 'Handling time, 90th percentile minutes', '办理时长90分位(分钟)', 'GRID_INC_HANDLING_P90', 'incidents_handling_minutes_p90'),
	resTotal: ind('residents.total', 'Residents registered', '登记居民数', 'GRID_RES_TOTAL', 'residents_total'),
	resHomeQ: ind('residents.byHealthStatus.home_quarantine', 'Residents in home quarantine', '居家隔离人数', 'GRID_RES_HOME_QUARANTINE', 'residents_home_quarantine'),
	resCentralQ: ind('residents.byHealthStatus.central_quarantine', 'Residents in central quarantine', '集中隔离人数', 'GRID_RES_CENTRAL_QUARANTINE', 'residents_central_quarantine'),
	resSymptomatic: ind('residents.byHealthStatus.symptomatic', 'Residents with symptoms', '有症状人数', 'GRID_RES_SYMPTOMATIC', 'residents_symptomatic'),
	resConfirmed: ind('residents.byHealthStatus.confirmed', 'Confirmed cases', '确诊人数', 'GRID_RES_CONFIRMED', 'residents_confirmed'),
	resElderly: ind('residents.byTag.elderly_living_alone', 'Elderly living alone', '独居老人数', 'GRID_RES_ELDERLY_ALONE', 'residents_elderly_living_alone'),
	resDisabled: ind('residents.byTag.disabled', 'Disabled residents', '残疾人数', 'GRID_RES_DISABLED', 'residents_disabled'),
	resKey: ind('residents.byTag.key_population', 'Key population', '重点人群数', 'GRID_RES_KEY_POPULATION', 'residents_key_population'),
	healthObs: ind('health.observations', 'Health observations', '健康监测次数', 'GRID_HEALTH_OBSERVATIONS', 'health_observations'),
	healthFevers: ind('health.fevers', 'Fevers found', '发热人次', 'GRID_HEALTH_FEVERS', 'health_fevers'),
	healthQStart: ind('health.quarantinesStarted', 'Quarantines started', '新增隔离人数', 'GRID_HEALTH_QUARANTINE_STARTED', 'health_quarantines_started'),
	healthQEnd: ind('health.quarantinesEnded', 'Quarantines ended', '解除隔离人数', 'GRID_HEALTH_QUARANTINE_ENDED', 'health_quarantines_ended'),
	taskCreated: ind('tasks.created', 'Tasks created', '任务创建数', 'GRID_TASK_CREATED', 'tasks_created'),
	taskDone: ind('tasks.done', 'Tasks done', '任务完成数', 'GRID_TASK_DONE', 'tasks_done'),
	taskOnTime: ind('tasks.onTimeRate', 'Tasks done on time, rate', '任务按时完成率', 'GRID_TASK_ONTIME_RATE', 'tasks_on_time_rate'),
	taskTemp: ind('tasks.doneByKind.temperature_check', 'Temperature checks done', '体温检测完成数', 'GRID_TASK_TEMPERATURE_DONE', 'tasks_temperature_check_done'),
	taskSurvey: ind('tasks.doneByKind.door_survey', 'Door-to-door surveys done', '入户摸排完成数', 'GRID_TASK_SURVEY_DONE', 'tasks_door_survey_done'),
	taskErrand: ind('tasks.doneByKind.errand', 'Errands done', '生活代办完成数', 'GRID_TASK_ERRAND_DONE', 'tasks_errand_done'),
	taskSupply: ind('tasks.doneByKind.supply_delivery', 'Supply deliveries done', '物资配送完成数', 'GRID_TASK_SUPPLY_DONE', 'tasks_supply_delivery_done'),
	volTasks: ind('volunteers.tasksDone', 'Tasks done by volunteers', '志愿者完成任务数', 'GRID_VOL_TASKS_DONE', 'volunteer_tasks_done'),
	volHours: ind('volunteers.hours', 'Volunteer hours', '志愿服务时长(小时)', 'GRID_VOL_HOURS', 'volunteer_hours'),
};
const C = CATALOGUE;

function dataset(code: string, name: string, periodTypes: PeriodType[], indicators: Indicator[]): Dataset {
	return Object.freeze({
		code, name, periodTypes: Object.freeze([...periodTypes]) as PeriodType[],
		indicators: Object.freeze(indicators.map((i) => Object.freeze({ ...i, codes: Object.freeze({ ...i.codes }) }))) as Indicator[],
	});
}

/** The shipped datasets: a daily epidemic-control report and a monthly/quarterly work report. */
export const DEFAULT_DATASETS: readonly Dataset[] = Object.freeze([
	dataset('GRID_DAILY', 'Daily grid report (网格日报)', ['day'], [
		C.incCreated, C.incClosed, C.incOverdue, C.incEscalated, C.incHigh, C.incCritical,
		C.incFever, C.incBreach, C.incArrival, C.incSupply, C.incMedical,
		C.resTotal, C.resHomeQ, C.resCentralQ, C.resSymptomatic, C.resConfirmed,
		C.healthObs, C.healthFevers, C.healthQStart, C.healthQEnd,
		C.taskCreated, C.taskDone, C.taskTemp, C.taskSupply, C.volTasks, C.volHours,
	]),
	dataset('GRID_MONTHLY', 'Monthly grid work report (网格月报)', ['month', 'quarter'], [
		C.incCreated, C.incClosed, C.incOverdue, C.incEscalated, C.incHigh, C.incHighOverdue,
		C.incSupply, C.incVulnerable, C.incOnTime, C.incDupRate, C.incSatisfaction, C.incMedian, C.incP90,
		C.resTotal, C.resElderly, C.resDisabled, C.resKey,
		C.healthObs, C.healthFevers,
		C.taskCreated, C.taskDone, C.taskOnTime, C.taskSurvey, C.taskErrand, C.volTasks, C.volHours,
	]),
]);

/** A shipped dataset by code, or undefined. */
export function defaultDataset(code: string): Dataset | undefined {
	return DEFAULT_DATASETS.find((d) => d.code === code);
}
