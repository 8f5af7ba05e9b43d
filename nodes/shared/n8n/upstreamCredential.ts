import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { type UpstreamConfig, checkUpstream } from '../domain/export/upstream';

export const UPSTREAM_CREDENTIAL_NAME = 'gridUpstreamApi';

/** Turns the decrypted Grid Upstream API credential into the checked plain configuration. */
export function upstreamConfigFromCredential(c: ICredentialDataDecryptedObject): UpstreamConfig {
	const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v).trim() || undefined);
	return checkUpstream({
		baseUrl: str(c.baseUrl) ?? '',
		auth: (str(c.authentication) ?? 'none') as UpstreamConfig['auth'],
		token: str(c.token),
		user: str(c.user),
		password: c.password === undefined || c.password === null ? undefined : String(c.password),
		keyId: str(c.keyId),
		secret: c.secret === undefined || c.secret === null ? undefined : String(c.secret),
		headers: c.headers as Record<string, string> | undefined,
		timeoutMs: c.timeoutMs === undefined ? undefined : Number(c.timeoutMs),
		caCertificate: str(c.caCertificate),
	});
}
