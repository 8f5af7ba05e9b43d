import {
	type Category, DEFAULT_CATEGORIES, checkCategories, findCategory, resolveCategory,
} from '../../nodes/shared/domain/incident/categories';
import {
	type Open311Incident, isoInZone, parseServiceRequest, serviceList, toServiceRequest,
} from '../../nodes/shared/domain/incident/open311';
import { FieldError } from '../../nodes/shared/validation/errors';

function fieldError(fn: () => unknown): FieldError {
	try {
		fn();
	} catch (e) {
		if (e instanceof FieldError) return e;
		throw e;
	}
	throw new Error('expected a FieldError, but nothing was thrown');
}

describe('category vocabulary', () => {
	it('ships the ten default categories with stable codes and bilingual labels', () => {
		expect(DEFAULT_CATEGORIES.map((c) => [c.code, c.zh])).toEqual([
			['fever_symptoms', '发热/症状'],
			['quarantine_breach', '违反隔离'],
			['arrival_from_risk_area', '涉疫返回'],
			['supply_need', '物资需求'],
			['vulnerable_resident_help', '特殊人群求助'],
			['medical_need', '就医需求'],
			['sanitation', '环境卫生'],
			['safety_hazard', '安全隐患'],
			['neighbour_dispute', '邻里纠纷'],
			['public_opinion_other', '舆情/其他'],
		]);
		for (const c of DEFAULT_CATEGORIES) {
			expect(c.serviceCode).toBe(c.code);
			expect(c.en.length).toBeGreaterThan(0);
			expect(c.group.length).toBeGreaterThan(0);
		}
		// the shipped vocabulary passes its own check
		expect(checkCategories(JSON.stringify(DEFAULT_CATEGORIES))).toEqual(DEFAULT_CATEGORIES);
	});

	it('finds a category by code, service code, either label or the combined label', () => {
		const vocab = checkCategories([
			{ code: 'water', en: 'Water supply', zh: '供水', serviceCode: 'W-01' },
			{ code: 'noise', en: 'Noise', zh: '噪音' },
		]);
		expect(findCategory(vocab, 'water')?.code).toBe('water');
		expect(findCategory(vocab, 'w-01')?.code).toBe('water');
		expect(findCategory(vocab, ' WATER SUPPLY ')?.code).toBe('water');
		expect(findCategory(vocab, '噪音')?.code).toBe('noise');
		expect(findCategory(vocab, 'Noise (噪音)')?.code).toBe('noise');
		expect(findCategory(vocab, 'electricity')).toBeUndefined();
		expect(findCategory(vocab, '')).toBeUndefined();
		expect(findCategory(DEFAULT_CATEGORIES, '环境卫生')?.code).toBe('sanitation');
	});

	it('fills in the service code and group, and reads keywords from a list or a comma string', () => {
		const [a, b] = checkCategories('[{"code": "water", "en": "Water", "zh": "供水", "keywords": "pipe, leak ,"}, {"code": "gas", "en": "Gas", "zh": "燃气", "service_code": 7, "group": "Utilities"}]');
		expect(a).toEqual({ code: 'water', en: 'Water', zh: '供水', serviceCode: 'water', group: 'Other (其他)', keywords: ['pipe', 'leak'] });
		expect(b).toEqual({ code: 'gas', en: 'Gas', zh: '燃气', serviceCode: '7', group: 'Utilities', keywords: [] });
	});

	it.each([
		['not JSON', '[{', /Categories is not valid JSON/],
		['an object', { code: 'x' }, /must be a JSON array of categories/],
		['an empty list', [], /Categories is empty/],
		['a bad code', [{ code: 'Bad Code', en: 'Bad', zh: '坏' }], /entry 1 has code "Bad Code"/],
		['a missing Chinese label', [{ code: 'a', en: 'A', zh: 'A甲' }, { code: 'b', en: 'B' }], /entry 2 \("b"\) needs a Chinese label "zh"/],
		['an unknown property', [{ code: 'a', en: 'A', zh: '甲', label: 'x' }], /entry 1 \("a"\) has unknown property "label"/],
		['a repeated code', [{ code: 'a', en: 'A', zh: '甲' }, { code: 'a', en: 'B', zh: '乙' }], /entry 2 \("a"\) repeats the code "a" of entry 1/],
		['a repeated service code', [{ code: 'a', en: 'A', zh: '甲', serviceCode: 'S1' }, { code: 'b', en: 'B', zh: '乙', serviceCode: 's1' }], /entry 2 \("b"\) repeats the serviceCode "s1" of entry 1/],
		['a repeated label', [{ code: 'a', en: 'Water', zh: '甲' }, { code: 'b', en: 'WATER', zh: '乙' }], /entry 2 \("b"\) repeats the English label "WATER" of entry 1/],
		['a bad service code', [{ code: 'a', en: 'A', zh: '甲', serviceCode: 'a b' }], /serviceCode "a b" must be/],
		['keywords that are not words', [{ code: 'a', en: 'A', zh: '甲', keywords: [1] }], /keywords must be a list of words/],
	])('rejects %s', (_what, raw, message) => {
		const e = fieldError(() => checkCategories(raw));
		expect(e.field).toBe('Categories');
		expect(e.message).toMatch(message);
	});

	it('resolves a category or names the known codes', () => {
		expect(resolveCategory(DEFAULT_CATEGORIES, 'Sanitation').code).toBe('sanitation');
		const e = fieldError(() => resolveCategory(DEFAULT_CATEGORIES, 'potholes'));
		expect(e.field).toBe('Category');
		expect(e.message).toMatch(/"potholes" is not a known category; use one of fever_symptoms, quarantine_breach/);
		expect(fieldError(() => resolveCategory(DEFAULT_CATEGORIES, ' ')).message).toMatch(/Category is required/);
	});
});

describe('Open311 service requests in', () => {
	it('reads a JSON payload', () => {
		const r = parseServiceRequest({
			service_code: 'sanitation',
			description: '  3号楼楼道垃圾堆积\n已三天  ',
			lat: 37.4638,
			long: 121.4479,
			email: 'li.wei@example.cn',
			phone: '13800138000',
			first_name: 'Wei',
			last_name: 'Li',
			device_id: 'dev-1',
			account_id: 1234,
			media_url: 'https://example.cn/p/1.jpg',
			attribute: { floor: 3, urgent: true },
		});
		expect(r).toEqual({
			serviceCode: 'sanitation',
			category: 'sanitation',
			description: '3号楼楼道垃圾堆积\n已三天',
			lat: 37.4638,
			long: 121.4479,
			email: 'li.wei@example.cn',
			phone: '13800138000',
			firstName: 'Wei',
			lastName: 'Li',
			deviceId: 'dev-1',
			accountId: '1234',
			mediaUrl: 'https://example.cn/p/1.jpg',
			attributes: { floor: '3', urgent: 'true' },
		});
	});

	it('reads a form-encoded body as the Webhook node gives it, with attribute[...] keys', () => {
		const r = parseServiceRequest({
			api_key: 'k-123',
			jurisdiction_id: 'zhifu.yantai',
			service_code: 'fever_symptoms',
			lat: ' 37.46 ',
			long: '121.44',
			description: 'fever since last night',
			phone: '+86 138-0013-8000',
			'attribute[WHO]': 'myself',
			'attribute[SYMPTOMS][]': ['cough', 'fever'],
			'attribute[EMPTY]': '',
		});
		expect(r).toEqual({
			serviceCode: 'fever_symptoms',
			category: 'fever_symptoms',
			description: 'fever since last night',
			lat: 37.46,
			long: 121.44,
			jurisdictionId: 'zhifu.yantai',
			phone: '13800138000',
			attributes: { WHO: 'myself', SYMPTOMS: ['cough', 'fever'] },
		});
	});

	it('reads the raw text of a form body and a whole Webhook item', () => {
		const raw = `service_code=supply_need&address_string=${encodeURIComponent('钟楼北路12号 3单元')}&attribute%5BITEMS%5D%5B%5D=rice&attribute%5BITEMS%5D%5B%5D=oil`;
		expect(parseServiceRequest(raw)).toEqual({
			serviceCode: 'supply_need',
			category: 'supply_need',
			addressString: '钟楼北路12号 3单元',
			attributes: { ITEMS: ['rice', 'oil'] },
		});
		const item = {
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			params: {},
			query: {},
			body: { service_code: 'medical_need', address_id: 'B-0005', 'attribute[DIALYSIS]': 'yes' },
		};
		expect(parseServiceRequest(item)).toEqual({
			serviceCode: 'medical_need', category: 'medical_need', addressId: 'B-0005', attributes: { DIALYSIS: 'yes' },
		});
		expect(parseServiceRequest('{"service_code": "sanitation", "address_string": "x"}').category).toBe('sanitation');
	});

	it('maps a service code of a custom vocabulary to its category', () => {
		const vocab: Category[] = checkCategories([{ code: 'water', en: 'Water', zh: '供水', serviceCode: '001' }]);
		const r = parseServiceRequest({ service_code: '001', lat: '0', long: '-0.5' }, { categories: vocab });
		expect(r).toEqual({ serviceCode: '001', category: 'water', lat: 0, long: -0.5, attributes: {} });
		expect(fieldError(() => parseServiceRequest({ service_code: 'sanitation', lat: 1, long: 1 }, { categories: vocab })).field).toBe('service_code');
	});

	it.each([
		['a missing service_code', { description: 'x', lat: 1, long: 1 }, 'service_code', /service_code is required/],
		['an empty service_code', { service_code: '  ', lat: 1, long: 1 }, 'service_code', /service_code is required/],
		['an unknown service_code', { service_code: 'potholes', lat: 1, long: 1 }, 'service_code', /"potholes" is not a service/],
		['service_code sent twice', { service_code: ['sanitation', 'supply_need'], lat: 1, long: 1 }, 'service_code', /given 2 times/],
		['a lat without a long', { service_code: 'sanitation', lat: '37.4' }, 'long', /long is required when lat is given/],
		['a long without a lat', { service_code: 'sanitation', long: '121.4', address_string: 'x' }, 'lat', /lat is required when long is given/],
		['a non-numeric lat', { service_code: 'sanitation', lat: 'north', long: '121.4' }, 'lat', /lat must be a decimal number/],
		['a lat in exponent form', { service_code: 'sanitation', lat: '1e1', long: '121.4' }, 'lat', /lat must be a decimal number/],
		['a lat out of range', { service_code: 'sanitation', lat: '90.5', long: '121.4' }, 'lat', /between -90 and 90 degrees, got 90.5/],
		['a long out of range', { service_code: 'sanitation', lat: 37, long: -180.01 }, 'long', /between -180 and 180 degrees, got -180.01/],
		['a non-numeric long', { service_code: 'sanitation', lat: 37, long: { x: 1 } }, 'long', /long must be a decimal number/],
		['no location', { service_code: 'sanitation', description: 'x' }, 'address_string', /a location is required/],
		['a bad email', { service_code: 'sanitation', address_string: 'x', email: 'li at example' }, 'email', /not an email address/],
		['a bad phone', { service_code: 'sanitation', address_string: 'x', phone: '12345' }, 'phone', /not a mainland mobile/],
		['a media_url that is not http', { service_code: 'sanitation', address_string: 'x', media_url: 'ftp://x/y.jpg' }, 'media_url', /http or https URL/],
		['a description over 4,000 characters', { service_code: 'sanitation', address_string: 'x', description: '脏'.repeat(4001) }, 'description', /4001 characters long; at most 4000/],
		['a nested attribute value', { service_code: 'sanitation', address_string: 'x', 'attribute[A]': { b: 1 } }, 'attribute[A]', /attribute\[A\] must be text/],
		['an attribute given twice', { service_code: 'sanitation', address_string: 'x', 'attribute[A]': 'x', attribute: { A: 'y' } }, 'attribute[A]', /more than once/],
		['a payload that is a list', [{ service_code: 'sanitation' }], 'body', /must be an object of GeoReport fields/],
	])('rejects %s', (_what, payload, field, message) => {
		const e = fieldError(() => parseServiceRequest(payload));
		expect(e.field).toBe(field);
		expect(e.message).toMatch(message);
	});

	it('lets a request without location through when told to', () => {
		expect(parseServiceRequest({ service_code: 'sanitation' }, { requireLocation: false }))
			.toEqual({ serviceCode: 'sanitation', category: 'sanitation', attributes: {} });
	});
});

describe('Open311 request records out', () => {
	const base: Open311Incident = {
		id: 42,
		reference: 'INC-20261126-000123',
		category: 'sanitation',
		status: 'in_progress',
		description: '3号楼楼道垃圾堆积',
		createdAt: '2026-11-26T01:30:00Z',
		updatedAt: new Date('2026-11-26T02:00:00.500Z'),
		dueAt: '2026-11-27T09:30:00Z',
		responsibleUnitName: '钟楼社区第三网格',
		address: '钟楼北路12号',
		lat: '37.4638',
		long: 121.4479,
		mediaUrl: null,
	};

	it('produces a GeoReport v2 record in Shanghai time', () => {
		expect(toServiceRequest(base)).toEqual({
			service_request_id: 'INC-20261126-000123',
			status: 'open',
			status_notes: 'In progress (处理中)',
			service_name: 'Sanitation (环境卫生)',
			service_code: 'sanitation',
			description: '3号楼楼道垃圾堆积',
			agency_responsible: '钟楼社区第三网格',
			requested_datetime: '2026-11-26T09:30:00+08:00',
			updated_datetime: '2026-11-26T10:00:00+08:00',
			expected_datetime: '2026-11-27T17:30:00+08:00',
			address: '钟楼北路12号',
			lat: 37.4638,
			long: 121.4479,
			media_url: null,
		});
	});

	it.each([
		['new', 'open'],
		['triaged', 'open'],
		['assigned', 'open'],
		['in_progress', 'open'],
		['resolved', 'closed'],
		['closed', 'closed'],
		['rejected', 'closed'],
		['duplicate', 'closed'],
	] as const)('maps %s to %s', (status, expected) => {
		expect(toServiceRequest({ ...base, status }).status).toBe(expected);
	});

	it('explains the status in status_notes', () => {
		expect(toServiceRequest({ ...base, status: 'rejected', statusNotes: 'not within the district' }).status_notes)
			.toBe('Rejected (不予受理): not within the district');
		expect(toServiceRequest({ ...base, status: 'duplicate', duplicateOf: 'INC-20261126-000100' }).status_notes)
			.toBe('Duplicate (重复件): duplicate of INC-20261126-000100 (原件 INC-20261126-000100)');
		expect(toServiceRequest({ ...base, status: 'resolved', statusNotes: 'cleaned' }).status_notes).toBe('Resolved (已办结): cleaned');
	});

	it('falls back to the id, the default agency, and nulls', () => {
		const r = toServiceRequest(
			{ id: 7, category: 'medical_need', status: 'new', createdAt: new Date('2026-01-01T00:00:00Z') },
			{ agency: '芝罘区网格中心', language: 'zh' },
		);
		expect(r).toEqual({
			service_request_id: '7',
			status: 'open',
			status_notes: 'Received (已受理)',
			service_name: '就医需求',
			service_code: 'medical_need',
			description: null,
			agency_responsible: '芝罘区网格中心',
			requested_datetime: '2026-01-01T08:00:00+08:00',
			updated_datetime: '2026-01-01T08:00:00+08:00',
			expected_datetime: null,
			address: null,
			lat: null,
			long: null,
			media_url: null,
		});
		expect(toServiceRequest({ ...base, responsibleUnitName: null }).agency_responsible).toBeNull();
	});

	it('gives no coordinates when only one of lat and long is known', () => {
		const r = toServiceRequest({ ...base, long: null });
		expect([r.lat, r.long]).toEqual([null, null]);
	});

	it('uses the service code and name of the vocabulary, and the code for an unknown category', () => {
		const vocab = checkCategories([{ code: 'water', en: 'Water', zh: '供水', serviceCode: '001' }]);
		const r = toServiceRequest({ ...base, category: 'water' }, { categories: vocab, language: 'en' });
		expect([r.service_code, r.service_name]).toEqual(['001', 'Water']);
		const u = toServiceRequest({ ...base, category: 'retired_code' });
		expect([u.service_code, u.service_name]).toEqual(['retired_code', 'retired_code']);
	});

	it('writes datetimes with the offset of the configured zone', () => {
		const at = new Date('2026-11-26T01:30:00Z');
		expect(isoInZone(at, 'UTC')).toBe('2026-11-26T01:30:00+00:00');
		expect(isoInZone(at, 'America/New_York')).toBe('2026-11-25T20:30:00-05:00');
		expect(isoInZone(new Date('2026-07-01T12:00:00Z'), 'America/New_York')).toBe('2026-07-01T08:00:00-04:00');
		expect(isoInZone(at, 'Asia/Kolkata')).toBe('2026-11-26T07:00:00+05:30');
		expect(isoInZone(new Date('2026-12-31T16:00:00Z'))).toBe('2027-01-01T00:00:00+08:00');
		expect(toServiceRequest(base, { timeZone: 'UTC' }).expected_datetime).toBe('2026-11-27T09:30:00+00:00');
		expect(fieldError(() => toServiceRequest(base, { timeZone: 'Mars/Olympus' })).field).toBe('Time Zone');
	});

	it('rejects an unknown status or a bad date', () => {
		expect(fieldError(() => toServiceRequest({ ...base, status: 'pending' as never })).field).toBe('status');
		expect(fieldError(() => toServiceRequest({ ...base, createdAt: 'yesterday' })).field).toBe('createdAt');
	});
});

describe('Open311 service list', () => {
	it('lists every category as a realtime service without metadata', () => {
		const list = serviceList();
		expect(list).toHaveLength(10);
		expect(list.map((s) => s.service_code)).toEqual(DEFAULT_CATEGORIES.map((c) => c.code));
		for (const s of list) {
			expect(s.metadata).toBe(false);
			expect(s.type).toBe('realtime');
		}
		const fever = list[0];
		expect(fever.service_name).toBe('Fever or symptoms (发热/症状)');
		expect(fever.group).toBe('Epidemic control (疫情防控)');
		expect(fever.keywords.split(', ')).toContain('发热');
	});

	it('uses the custom vocabulary, its description, keywords and group', () => {
		const vocab = checkCategories([
			{ code: 'water', en: 'Water', zh: '供水', serviceCode: '001', group: 'Utilities', keywords: ['pipe', '漏水'], description: 'Burst pipes and outages' },
			{ code: 'noise', en: 'Noise', zh: '噪音' },
		]);
		expect(serviceList(vocab, { language: 'zh' })).toEqual([
			{ service_code: '001', service_name: '供水', description: 'Burst pipes and outages', metadata: false, type: 'realtime', keywords: 'pipe, 漏水', group: 'Utilities' },
			{ service_code: 'noise', service_name: '噪音', description: 'Noise (噪音)', metadata: false, type: 'realtime', keywords: '', group: 'Other (其他)' },
		]);
	});
});
