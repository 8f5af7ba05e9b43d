import { FieldError, describeValue } from '../../validation/errors';

/**
 * The incident category vocabulary: stable codes with English and Chinese labels, the Open311
 * service code each one is offered under, and a group for the Open311 service list.
 * Pure data and checks; no database, no n8n.
 */
export interface Category {
	/** Stable code stored with incidents: lowercase letters, digits and underscores. */
	code: string;
	/** English label, e.g. "Fever or symptoms". */
	en: string;
	/** Chinese label, e.g. "发热/症状". */
	zh: string;
	/** GeoReport v2 service_code; the defaults use the category code itself. */
	serviceCode: string;
	/** Group shown in the Open311 service list. */
	group: string;
	/** Search words for the Open311 service list (GeoReport `keywords`). */
	keywords: string[];
	/** Longer explanation for the Open311 service list; the bilingual label when not given. */
	description?: string;
}

const GROUP_EPIDEMIC = 'Epidemic control (疫情防控)';
const GROUP_LIVELIHOOD = 'Livelihood (民生服务)';
const GROUP_SAFETY = 'Environment and safety (环境安全)';
const GROUP_COMMUNITY = 'Community affairs (社会事务)';
export const DEFAULT_GROUP = 'Other (其他)';

function entry(code: string, en: string, zh: string, group: string, keywords: string[]): Category {
	return { code, en, zh, serviceCode: code, group, keywords };
}

/** The default vocabulary (issue 4). Codes never change; labels may be reworded. */
export const DEFAULT_CATEGORIES: readonly Category[] = Object.freeze([
	entry('fever_symptoms', 'Fever or symptoms', '发热/症状', GROUP_EPIDEMIC, ['fever', 'cough', 'symptoms', '发热', '发烧', '咳嗽']),
	entry('quarantine_breach', 'Quarantine breach', '违反隔离', GROUP_EPIDEMIC, ['quarantine', 'breach', '隔离', '外出']),
	entry('arrival_from_risk_area', 'Arrival from a risk area', '涉疫返回', GROUP_EPIDEMIC, ['arrival', 'risk area', '返回', '中高风险地区']),
	entry('supply_need', 'Supply need', '物资需求', GROUP_LIVELIHOOD, ['food', 'supplies', 'medicine', '物资', '买菜', '药品']),
	entry('vulnerable_resident_help', 'Vulnerable resident needs help', '特殊人群求助', GROUP_LIVELIHOOD, ['elderly', 'disabled', 'help', '独居老人', '残疾', '求助']),
	entry('medical_need', 'Medical need', '就医需求', GROUP_LIVELIHOOD, ['doctor', 'hospital', 'dialysis', '就医', '医院', '透析']),
	entry('sanitation', 'Sanitation', '环境卫生', GROUP_SAFETY, ['rubbish', 'garbage', 'cleaning', '垃圾', '卫生', '消杀']),
	entry('safety_hazard', 'Safety hazard', '安全隐患', GROUP_SAFETY, ['hazard', 'fire exit', 'gas', '隐患', '消防', '燃气']),
	entry('neighbour_dispute', 'Neighbour dispute', '邻里纠纷', GROUP_COMMUNITY, ['dispute', 'noise', 'neighbour', '纠纷', '噪音', '邻里']),
	entry('public_opinion_other', 'Public opinion or other', '舆情/其他', GROUP_COMMUNITY, ['opinion', 'rumour', 'other', '舆情', '谣言', '其他']),
].map((c) => Object.freeze({ ...c, keywords: Object.freeze([...c.keywords]) as string[] })));

export const CATEGORY_CODE_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

/** "Fever or symptoms (发热/症状)", the form used across the package for bilingual labels. */
export function categoryLabel(c: Pick<Category, 'en' | 'zh'>): string {
	return `${c.en} (${c.zh})`;
}

const ALLOWED_KEYS = new Set(['code', 'en', 'zh', 'serviceCode', 'service_code', 'group', 'keywords', 'description']);

/**
 * Validates a user-supplied vocabulary: a JSON array (or its text) of objects
 * `{ code, en, zh, serviceCode?, group?, keywords?, description? }` (`service_code` is accepted for
 * `serviceCode`). Codes, service codes and labels must be unique. Throws a FieldError naming the
 * entry (1-based position and code) and its bad property.
 */
export function checkCategories(raw: unknown, field = 'Categories'): Category[] {
	let value = raw;
	if (typeof value === 'string') {
		try {
			value = JSON.parse(value);
		} catch (e) {
			throw new FieldError(field, `${field} is not valid JSON: ${(e as Error).message}`);
		}
	}
	if (!Array.isArray(value)) {
		throw new FieldError(field, `${field} must be a JSON array of categories such as [{"code": "sanitation", "en": "Sanitation", "zh": "环境卫生"}], got ${describeValue(value)}`);
	}
	if (value.length === 0) throw new FieldError(field, `${field} is empty; give at least one category`);
	if (value.length > 500) throw new FieldError(field, `${field} has ${value.length} categories; at most 500 are allowed`);

	const out: Category[] = [];
	const seenCode = new Map<string, number>();
	const seenService = new Map<string, number>();
	const seenLabel = new Map<string, number>();
	value.forEach((item: unknown, i: number) => {
		const where = `${field}: entry ${i + 1}`;
		if (typeof item !== 'object' || item === null || Array.isArray(item)) {
			throw new FieldError(field, `${where} must be an object with code, en and zh, got ${describeValue(item)}`);
		}
		const o = item as Record<string, unknown>;
		const code = typeof o.code === 'string' ? o.code.trim() : o.code;
		if (typeof code !== 'string' || !CATEGORY_CODE_PATTERN.test(code)) {
			throw new FieldError(field, `${where} has code ${describeValue(o.code)}; a code is 1–64 lowercase letters, digits or underscores starting with a letter, e.g. "sanitation"`);
		}
		const at = `${where} ("${code}")`;
		for (const key of Object.keys(o)) {
			if (!ALLOWED_KEYS.has(key)) {
				throw new FieldError(field, `${at} has unknown property "${key}"; allowed are code, en, zh, serviceCode, group, keywords, description`);
			}
		}
		const label = (key: 'en' | 'zh' | 'group' | 'description', max: number, required: boolean): string | undefined => {
			const v = o[key];
			if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) {
				if (required) throw new FieldError(field, `${at} needs ${key === 'en' ? 'an English label "en"' : 'a Chinese label "zh"'}`);
				return undefined;
			}
			if (typeof v !== 'string') throw new FieldError(field, `${at}: ${key} must be text, got ${describeValue(v)}`);
			const t = v.trim();
			if ([...t].length > max) throw new FieldError(field, `${at}: ${key} is longer than ${max} characters`);
			return t;
		};
		const en = label('en', 100, true)!;
		const zh = label('zh', 100, true)!;
		const group = label('group', 100, false) ?? DEFAULT_GROUP;
		const description = label('description', 1000, false);
		const sc = o.serviceCode ?? o.service_code;
		let serviceCode = code;
		if (sc !== undefined && sc !== null && sc !== '') {
			const s = typeof sc === 'number' && Number.isSafeInteger(sc) ? String(sc) : sc;
			if (typeof s !== 'string' || !/^[A-Za-z0-9_.\-]{1,64}$/.test(s.trim())) {
				throw new FieldError(field, `${at}: serviceCode ${describeValue(sc)} must be 1–64 letters, digits, "_", "." or "-"`);
			}
			serviceCode = s.trim();
		}
		let keywords: string[] = [];
		if (o.keywords !== undefined && o.keywords !== null) {
			const list = typeof o.keywords === 'string' ? o.keywords.split(',') : o.keywords;
			if (!Array.isArray(list) || list.some((k) => typeof k !== 'string')) {
				throw new FieldError(field, `${at}: keywords must be a list of words, got ${describeValue(o.keywords)}`);
			}
			keywords = [...new Set((list as string[]).map((k) => k.trim()).filter((k) => k !== ''))];
			if (keywords.some((k) => k.includes(','))) throw new FieldError(field, `${at}: a keyword may not contain a comma`);
		}

		const dup = (seen: Map<string, number>, key: string, what: string) => {
			const first = seen.get(key);
			if (first !== undefined) throw new FieldError(field, `${at} repeats the ${what} of entry ${first + 1}`);
			seen.set(key, i);
		};
		dup(seenCode, code, `code "${code}"`);
		dup(seenService, serviceCode.toLowerCase(), `serviceCode "${serviceCode}"`);
		dup(seenLabel, en.toLowerCase(), `English label "${en}"`);
		dup(seenLabel, zh, `Chinese label "${zh}"`);

		const category: Category = { code, en, zh, serviceCode, group, keywords };
		if (description !== undefined) category.description = description;
		out.push(category);
	});
	return out;
}

/**
 * Finds a category by its code, its service code, its English label (any case), its Chinese label
 * or the combined label "English (中文)". Undefined when nothing matches.
 */
export function findCategory(vocab: readonly Category[], codeOrLabel: string): Category | undefined {
	if (typeof codeOrLabel !== 'string') return undefined;
	const wanted = codeOrLabel.normalize('NFKC').trim();
	if (wanted === '') return undefined;
	const lower = wanted.toLowerCase();
	return (
		vocab.find((c) => c.code === lower) ??
		vocab.find((c) => c.serviceCode.toLowerCase() === lower) ??
		vocab.find((c) => c.en.toLowerCase() === lower || c.zh === wanted) ??
		vocab.find((c) => categoryLabel(c).toLowerCase() === lower)
	);
}

/** Like findCategory, but an unknown or empty value is a FieldError listing the known codes. */
export function resolveCategory(vocab: readonly Category[], value: unknown, field = 'Category'): Category {
	if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
		throw new FieldError(field, `${field} is required; use one of ${vocab.map((c) => c.code).join(', ')}`);
	}
	const found = typeof value === 'string' ? findCategory(vocab, value) : undefined;
	if (!found) {
		throw new FieldError(field, `${field} ${describeValue(value)} is not a known category; use one of ${vocab.map((c) => c.code).join(', ')}`);
	}
	return found;
}
