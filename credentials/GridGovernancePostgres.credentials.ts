import type { ICredentialType, INodeProperties } from 'n8n-workflow';

export class GridGovernancePostgres implements ICredentialType {
	name = 'gridGovernancePostgres';

	displayName = 'Grid Governance Postgres';

	documentationUrl = 'https://github.com/n8n-nodes-grid-governance/n8n-nodes-grid-governance#credential';

	icon = 'file:grid.svg' as const;

	properties: INodeProperties[] = [
		{
			displayName: 'Host',
			name: 'host',
			type: 'string',
			default: 'localhost',
			required: true,
			description: 'Host name or IP address of the PostgreSQL server',
		},
		{
			displayName: 'Port',
			name: 'port',
			type: 'number',
			default: 5432,
			required: true,
			description: 'TCP port of the PostgreSQL server',
		},
		{
			displayName: 'Database',
			name: 'database',
			type: 'string',
			default: 'postgres',
			required: true,
			description: 'Database that holds (or will hold) the governance schema',
		},
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: 'postgres',
			required: true,
			description: 'Login role; it must be allowed to create the schema on first use, or the schema must already be migrated',
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Password of the login role',
		},
		{
			displayName: 'SSL',
			name: 'ssl',
			type: 'options',
			options: [
				{ name: 'Disable', value: 'disable', description: 'Plain connection, for a server on the same host or a trusted network' },
				{ name: 'Require', value: 'require', description: 'Encrypt, without checking the server certificate' },
				{ name: 'Verify With CA', value: 'verify', description: 'Encrypt and check the server certificate against the CA below' },
			],
			default: 'disable',
			description: 'Whether and how to encrypt the connection',
		},
		{
			displayName: 'CA Certificate',
			name: 'caCertificate',
			type: 'string',
			typeOptions: { password: true, rows: 4 },
			displayOptions: { show: { ssl: ['verify'] } },
			default: '',
			description: 'PEM text of the certificate authority that signed the server certificate',
		},
		{
			displayName: 'Schema',
			name: 'schema',
			type: 'string',
			default: 'grid',
			description: 'Schema for the governance tables; it is created and migrated automatically on first use',
		},
		{
			displayName: 'Max Connections',
			name: 'maxConnections',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 100 },
			default: 5,
			description: 'Size of the connection pool this credential keeps in each n8n process; executions wait for a free connection rather than opening more',
		},
		{
			displayName: 'Personal Data Key',
			name: 'personalDataKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'Secret (at least 16 characters) used to hash and encrypt ID numbers and phones. Keep it safe: the database remembers its fingerprint and refuses a different key. To change it, rotate: see Previous Personal Data Key.',
		},
		{
			displayName: 'Previous Personal Data Key',
			name: 'previousPersonalDataKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Only while rotating to a new key: the key the data is protected with now. Put the new key in Personal Data Key and the old one here; reads and lookups then accept both, writes use the new key, and Grid → Maintenance → Rotate Personal Data Key re-encrypts the stored data in batches. Clear this field once that operation reports done.',
		},
		{
			displayName: 'Scope (Grid Code)',
			name: 'scopeCode',
			type: 'string',
			default: '',
			placeholder: '370614-001-002',
			description: 'Optional. Confines everything done with this credential to the subtree of this grid unit, enforced by PostgreSQL row-level security. Leave empty for the whole district.',
		},
		{
			displayName: 'Time Zone',
			name: 'timezone',
			type: 'string',
			default: 'Asia/Shanghai',
			description: 'IANA time zone for periods, working calendars and SLA arithmetic',
		},
		{
			displayName: 'Code Segment Widths',
			name: 'segmentWidths',
			type: 'string',
			default: '3,3,3,4',
			description: 'Digits of the street, community, base grid and building segments that follow the 6-digit GB/T 2260 county code, e.g. 370614-001-002-003-0005',
		},
	];
}
