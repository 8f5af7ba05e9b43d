import { checkNotice, type NoticeDraft } from '../../nodes/shared/domain/notice/noticeInput';
import { smsSize } from '../../nodes/shared/domain/notice/smsSegments';
import { fillTemplate, maskName, placeholdersOf } from '../../nodes/shared/domain/notice/template';
import { callbackStatus } from '../../nodes/Notice/actions/notice/callbacks.operation';
import { noticeDescription, noticeHandlers, noticeOperations } from '../../nodes/Notice/actions/notice/operations';
import { FieldError } from '../../nodes/shared/validation/errors';

const draft = (extra: Partial<NoticeDraft> = {}): NoticeDraft => ({
	title: '核酸检测通知',
	body: '{{name}}您好：{{building}}明早8点核酸检测，请联系网格员{{gridMember}}。',
	category: 'health_alert',
	channel: 'sms',
	within: { code: '370614-001' },
	target: { reach: 'every', tagMatch: 'all' },
	...extra,
});

function fieldError(fn: () => unknown): FieldError {
	try {
		fn();
	} catch (e) {
		expect(e).toBeInstanceOf(FieldError);
		return e as FieldError;
	}
	throw new Error('expected a FieldError');
}

describe('SMS segments', () => {
	it.each([
		['a'.repeat(160), 'gsm7', 1],
		['a'.repeat(161), 'gsm7', 2],
		['a'.repeat(306), 'gsm7', 2],
		['a'.repeat(307), 'gsm7', 3],
		['通'.repeat(70), 'ucs2', 1],
		['通'.repeat(71), 'ucs2', 2],
		['通'.repeat(134), 'ucs2', 2],
		['通'.repeat(135), 'ucs2', 3],
		// one Chinese character turns the whole message into UCS-2
		[`${'a'.repeat(69)}通`, 'ucs2', 1],
		[`${'a'.repeat(70)}通`, 'ucs2', 2],
	])('%#: %s… is %s in %i part(s)', (text, encoding, segments) => {
		expect(smsSize(text)).toMatchObject({ encoding, segments });
	});

	it('counts the GSM extension characters twice', () => {
		expect(smsSize('{'.repeat(80))).toEqual({ encoding: 'gsm7', length: 160, segments: 1 });
		expect(smsSize('{'.repeat(81))).toEqual({ encoding: 'gsm7', length: 162, segments: 2 });
	});
});

describe('placeholders', () => {
	it('finds the known ones, with or without spaces, and fills them', () => {
		expect(placeholdersOf('{{ name }} {{building}} {{gridMember}} {{name}}').sort()).toEqual(['building', 'gridMember', 'name']);
		expect(fillTemplate('{{ name }}，{{building}}：{{gridMember}}', { name: '王*明', building: '3号楼', gridMember: '李芳' })).toBe('王*明，3号楼：李芳');
	});

	it('names an unknown placeholder', () => {
		const e = fieldError(() => placeholdersOf('您好 {{phone}}'));
		expect(e.field).toBe('Body');
		expect(e.message).toMatch(/\{\{phone\}\}, which does not exist/);
	});

	it('masks names keeping the surname', () => {
		expect([maskName('王'), maskName('王芳'), maskName('王小明'), maskName('欧阳娜娜')]).toEqual(['王', '王*', '王*明', '欧**娜']);
	});
});

describe('checkNotice', () => {
	it('accepts a good draft and reports its SMS size', () => {
		const d = checkNotice(draft());
		expect(d.sms).toMatchObject({ encoding: 'ucs2', segments: 1 });
		expect(d.maxSegments).toBe(3);
	});

	it('refuses an empty body', () => {
		const e = fieldError(() => checkNotice(draft({ body: '  \n ' })));
		expect(e.field).toBe('Body');
		expect(e.message).toMatch(/empty/);
	});

	it('refuses a body over the SMS limit, counting the segments', () => {
		const e = fieldError(() => checkNotice(draft({ body: '通'.repeat(202) })));
		expect(e.field).toBe('Body');
		// 202 UCS-2 characters need ceil(202 / 67) = 4 parts
		expect(e.message).toMatch(/needs 4 SMS segments \(202 characters/);
		expect(e.message).toMatch(/at most 3/);
		// a higher limit, or another channel, lets it through
		expect(checkNotice(draft({ body: '通'.repeat(202), maxSegments: 4 })).sms?.segments).toBe(4);
		expect(checkNotice(draft({ body: '通'.repeat(202), channel: 'wechat' })).sms).toBeUndefined();
	});

	it('refuses an unknown placeholder, category, reach and a validity that ends before it starts', () => {
		expect(fieldError(() => checkNotice(draft({ body: '{{nmae}}您好' }))).message).toMatch(/\{\{nmae\}\}/);
		expect(fieldError(() => checkNotice(draft({ category: 'gossip' as never }))).field).toBe('Category');
		expect(fieldError(() => checkNotice(draft({ target: { reach: 'everyone' as never, tagMatch: 'all' } }))).field).toBe('Reach');
		const from = new Date('2030-01-02T00:00:00Z');
		expect(fieldError(() => checkNotice(draft({ validFrom: from, validUntil: new Date('2030-01-01T00:00:00Z') }))).field).toBe('Valid Until');
		expect(fieldError(() => checkNotice(draft({ target: { reach: 'every', tagMatch: 'all', minAge: 60, maxAge: 20 } }))).field).toBe('Max Age');
	});
});

describe('the notice resource', () => {
	it('exports a handler for every operation, operations in alphabetical order, and properties shown only for notices', () => {
		const names = noticeOperations.map((o) => o.name);
		expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
		expect(Object.keys(noticeHandlers).sort()).toEqual(noticeOperations.map((o) => o.value).sort());
		for (const p of noticeDescription) {
			expect(p.displayOptions?.show?.resource).toEqual(['notice']);
			expect((p.displayOptions?.show?.operation as string[]).length).toBeGreaterThan(0);
			if (p.type !== 'collection') expect(p.description).toBeTruthy();
		}
	});

	it('understands gateway status words', () => {
		expect(['DELIVRD', 'delivered', 'success'].map(callbackStatus)).toEqual(['delivered', 'delivered', 'delivered']);
		expect(['UNDELIV', 'failed', 'error'].map(callbackStatus)).toEqual(['failed', 'failed', 'failed']);
		expect(fieldError(() => callbackStatus('maybe')).field).toBe('Status');
	});
});
