import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { type UpstreamAuth, type UpstreamConfig, checkUpstream } from '../domain/export/upstream';

export const UPSTREAM_CREDENTIAL_NAME = 'gridUpstreamApi';

/** Turns the decrypted Grid Upstream API credential into the checked plain configuration. */
export function upstreamConfigFromCredential(c: ICredentialDataDecryptedObject): UpstreamConfig {
	const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v).trim() || undefined);
	// secrets are taken as typed: a space may belong to them
	const secret = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : String(v));
	const num = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : Number(v));
	return checkUpstream({
		baseUrl: str(c.baseUrl) ?? '',
		auth: (str(c.authentication) ?? 'none') as UpstreamAuth,
		token: str(c.token),
		user: str(c.user),
		password: secret(c.password),
		keyId: str(c.keyId),
		secret: secret(c.secret),
		headers: c.headers,
		timeoutMs: num(c.timeoutMs),
		maxAttempts: num(c.maxAttempts),
		caCertificate: str(c.caCertificate),
	});
}
