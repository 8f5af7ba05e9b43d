import type { ICredentialType, INodeProperties } from 'n8n-workflow';

const when = (auth: string[]) => ({ show: { authentication: auth } });

/** The higher-level system (DHIS2, a city platform) that Grid Statistics delivers exports to. */
export class GridUpstreamApi implements ICredentialType {
	name = 'gridUpstreamApi';

	displayName = 'Grid Upstream API';

	documentationUrl = 'https://github.com/n8n-nodes-grid-governance/n8n-nodes-grid-governance#delivery-with-the-grid-upstream-api-credential';

	icon = 'file:grid.svg' as const;

	properties: INodeProperties[] = [
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'https://dhis2.example.gov.cn',
			description: 'The http or https address of the higher-level system; the path chosen in the node is added to it. No user or password in it: use Basic authentication.',
		},
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'options',
			options: [
				{ name: 'None', value: 'none' },
				{ name: 'Bearer Token', value: 'bearer' },
				{ name: 'Basic (User and Password)', value: 'basic' },
				{ name: 'HMAC-SHA256 Signature', value: 'hmac' },
			],
			default: 'bearer',
			description: 'How requests prove who sends them',
		},
		{
			displayName: 'Token',
			name: 'token',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Sent as Authorization: Bearer <token>',
			displayOptions: when(['bearer']),
		},
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: '',
			description: 'User name for basic authentication',
			displayOptions: when(['basic']),
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Password for basic authentication',
			displayOptions: when(['basic']),
		},
		{
			displayName: 'Key ID',
			name: 'keyId',
			type: 'string',
			// not secret, but n8n's lint treats every *Id of a credential as one; hiding it costs nothing
			typeOptions: { password: true },
			default: '',
			description: 'Names the shared secret to the upstream; sent as X-Grid-Key-Id',
			displayOptions: when(['hmac']),
		},
		{
			displayName: 'Secret',
			name: 'secret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Shared secret the body is signed with; it is never sent',
			displayOptions: when(['hmac']),
		},
		{
			displayName:
				'Each request carries X-Grid-Key-Id: <key ID>, X-Grid-Timestamp: <Unix time in seconds> and X-Grid-Signature: sha256=<hex>, where hex is the HMAC-SHA256, keyed with the secret, of the timestamp, a dot, and the exact body bytes ("<timestamp>.<body>"). The upstream recomputes it, compares in constant time, and should refuse timestamps more than 5 minutes off. Each retry is signed anew.',
			name: 'hmacNotice',
			type: 'notice',
			default: '',
			displayOptions: when(['hmac']),
		},
		{
			displayName: 'Extra Headers',
			name: 'headers',
			type: 'json',
			default: '{}',
			description: 'A JSON object of headers sent with every request, e.g. {"X-Org-Code": "370614"}. Authorization, Content-Type, Idempotency-Key and the X-Grid-* headers are set by the delivery itself.',
		},
		{
			displayName: 'Timeout (Ms)',
			name: 'timeoutMs',
			type: 'number',
			typeOptions: { minValue: 100, maxValue: 600000 },
			default: 30000,
			description: 'How long one request may wait for an answer before it counts as timed out and is retried',
		},
		{
			displayName: 'Max Attempts',
			name: 'maxAttempts',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 20 },
			default: 5,
			description: 'Attempts per export (the first included) on server errors, 429, timeouts and dropped or refused connections, with exponential backoff; a node may set its own',
		},
		{
			displayName: 'CA Certificate',
			name: 'caCertificate',
			type: 'string',
			typeOptions: { password: true, rows: 4 },
			default: '',
			description: 'PEM certificate of a private certificate authority that signed the upstream\'s TLS certificate; empty trusts the usual public ones',
		},
	];
}
