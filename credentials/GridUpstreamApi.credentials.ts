import type { ICredentialType, INodeProperties } from 'n8n-workflow';

const when = (auth: string[]) => ({ show: { authentication: auth } });

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
			description: 'The http or https address of the higher-level system (DHIS2, a city platform); paths chosen in the node are added to it',
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
		{ displayName: 'Token', name: 'token', type: 'string', typeOptions: { password: true }, default: '', description: 'Sent as Authorization: Bearer <token>', displayOptions: when(['bearer']) },
		{ displayName: 'User', name: 'user', type: 'string', default: '', description: 'User name for basic authentication', displayOptions: when(['basic']) },
		{ displayName: 'Password', name: 'password', type: 'string', typeOptions: { password: true }, default: '', description: 'Password for basic authentication', displayOptions: when(['basic']) },
		{ displayName: 'Key ID', name: 'keyId', type: 'string',
																																										typeOptions: { password: true }, default: '', description: 'Identifies the shared secret to the upstream; sent as X-Grid-Key-Id', displayOptions: when(['hmac']) },
		{ displayName: 'Secret', name: 'secret', type: 'string', typeOptions: { password: true }, default: '', description: 'Shared secret the body is signed with', displayOptions: when(['hmac']) },
		{
			displayName: 'Each request carries X-Grid-Key-Id, X-Grid-Timestamp (Unix seconds) and X-Grid-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>. The upstream should reject old timestamps.',
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
			description: 'A JSON object of headers sent with every request, e.g. {"X-Org-Code": "370614"}; Authorization, Content-Type and Idempotency-Key are set by the delivery itself',
		},
		{ displayName: 'Timeout (Ms)', name: 'timeoutMs', type: 'number', typeOptions: { minValue: 100 }, default: 30000, description: 'How long one request may wait for an answer before it counts as timed out and is retried' },
		{ displayName: 'CA Certificate', name: 'caCertificate', type: 'string', typeOptions: { password: true, rows: 4 }, default: '', description: 'PEM certificate of a private certificate authority that signed the upstream\'s TLS certificate; empty trusts the usual public ones' },
	];
}
