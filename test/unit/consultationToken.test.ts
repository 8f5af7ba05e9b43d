import { checkAnswer, checkConsultation } from '../../nodes/shared/domain/consultation/consultationInput';
import { mintToken, newNonce, nonceHash, readToken } from '../../nodes/shared/domain/consultation/token';
import { deriveKeys } from '../../nodes/shared/domain/personalData';

const keys = deriveKeys('unit-test-personal-data-key-0123');
const parts = { consultationId: 12, invitationId: 345678, nonce: newNonce() };

describe('invitation tokens', () => {
	it('read back the parts they were minted from', () => {
		const token = mintToken(keys, parts);
		expect(readToken(keys, token)).toEqual(parts);
		expect(readToken(keys, `  ${token}\n`)).toEqual(parts);
	});

	it('are unguessable: nonces differ and carry 128 bits', () => {
		const nonces = new Set(Array.from({ length: 1000 }, () => newNonce()));
		expect(nonces.size).toBe(1000);
		for (const n of nonces) expect(Buffer.from(n, 'base64url')).toHaveLength(16);
	});

	it('refuse an altered body, an altered signature, another key, and malformed input', () => {
		const token = mintToken(keys, parts);
		const [body, mac] = token.split('.');
		const changed = Buffer.from(`12.345679.${parts.nonce}`).toString('base64url');
		expect(readToken(keys, `${changed}.${mac}`)).toEqual({ problem: expect.stringMatching(/invalid signature/) });
		expect(readToken(keys, `${body}.${mac[0] === 'x' ? 'y' : 'x'}${mac.slice(1)}`)).toEqual({ problem: expect.stringMatching(/invalid signature/) });
		expect(readToken(deriveKeys('another-key-of-at-least-16'), token)).toEqual({ problem: expect.stringMatching(/invalid signature/) });
		for (const bad of ['', 'abc', `${body}.${mac}.x`, `${body}.short`, `${body}!.${mac}`]) expect(readToken(keys, bad)).toHaveProperty('problem');
		expect(readToken(keys, undefined)).toEqual({ problem: 'Token is required but empty' });
	});

	it('keep only a hash of the nonce, which does not reveal it', () => {
		const h = nonceHash(parts.nonce);
		expect(h).toMatch(/^[0-9a-f]{64}$/);
		expect(mintToken(keys, parts)).not.toContain(h);
	});
});

describe('consultation input', () => {
	const base = {
		question: '是否同意？', scope: { code: '370614' }, choiceKind: 'single' as const,
		options: [{ code: 'A', label: '同意' }, { code: 'B', label: '不同意' }],
		opensAt: new Date('2030-03-01T00:00:00Z'), closesAt: new Date('2030-03-08T00:00:00Z'), electorate: 'household' as const, allowChange: false,
	};

	it('refuses closing at or before opening, naming Closes At', () => {
		expect(() => checkConsultation({ ...base, closesAt: base.opensAt })).toThrow(expect.objectContaining({ field: 'Closes At' }));
		expect(() => checkConsultation({ ...base, closesAt: new Date('2030-02-01T00:00:00Z') })).toThrow(/cannot close before it opens/);
	});

	it('checks answers against the options offered', () => {
		const rules = { choiceKind: 'multiple' as const, options: [{ code: 'A', label: 'a' }, { code: 'B', label: 'b' }, { code: 'C', label: 'c' }], maxTextLength: 5 };
		expect(checkAnswer(rules, ['C', 'A', 'A'], undefined)).toEqual({ choices: ['A', 'C'], freeText: null });
		expect(() => checkAnswer(rules, ['A', 'X'], undefined)).toThrow(expect.objectContaining({ field: 'Choice', message: expect.stringMatching(/"X" is not offered/) }));
		expect(() => checkAnswer(rules, [], undefined)).toThrow(expect.objectContaining({ field: 'Choice' }));
		expect(() => checkAnswer({ ...rules, choiceKind: 'single' }, ['A', 'B'], undefined)).toThrow(/single choice/);
		expect(checkAnswer({ ...rules, choiceKind: 'free_text', options: [] }, [], ' 好的 ')).toEqual({ choices: [], freeText: '好的' });
		expect(() => checkAnswer({ ...rules, choiceKind: 'free_text', options: [] }, [], '一二三四五六')).toThrow(expect.objectContaining({ field: 'Answer Text' }));
	});
});
