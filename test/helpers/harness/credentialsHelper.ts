import {
	type ICredentialDataDecryptedObject,
	type ICredentials,
	ICredentialsHelper,
	type IHttpRequestOptions,
	type INodeCredentialsDetails,
	type INodeProperties,
	type IRequestOptionsSimplified,
} from 'n8n-workflow';
import type { HarnessNodeTypes } from './nodeTypes';

/** Credential data by credential type name, e.g. { gridGovernancePostgres: {...}, postgres: {...} }. */
export type CredentialsByType = Record<string, ICredentialDataDecryptedObject>;

/**
 * Supplies decrypted credentials in-process, by type, in place of n8n's database-backed helper.
 * As n8n does, the defaults of the credential type's properties fill in whatever the test leaves out.
 */
export class HarnessCredentialsHelper extends ICredentialsHelper {
	constructor(
		private readonly credentials: CredentialsByType,
		private readonly nodeTypes: HarnessNodeTypes,
	) {
		super();
	}

	getParentTypes(name: string): string[] {
		const type = this.nodeTypes.getCredentialType(name);
		const parents = type?.extends ?? [];
		return parents.flatMap((p) => [p, ...this.getParentTypes(p)]);
	}

	async authenticate(_credentials: ICredentialDataDecryptedObject, _typeName: string, requestOptions: IHttpRequestOptions | IRequestOptionsSimplified): Promise<IHttpRequestOptions> {
		return requestOptions as IHttpRequestOptions;
	}

	async preAuthentication(): Promise<ICredentialDataDecryptedObject | undefined> {
		return undefined;
	}

	async getCredentials(_nodeCredentials: INodeCredentialsDetails, type: string): Promise<ICredentials> {
		throw new Error(`The harness hands out decrypted credentials only (asked for encrypted "${type}")`);
	}

	async getDecrypted(_additionalData: unknown, _nodeCredentials: INodeCredentialsDetails, type: string): Promise<ICredentialDataDecryptedObject> {
		const given = this.credentials[type];
		if (!given) {
			throw new Error(`No test credentials of type "${type}" were given to the harness (given: ${Object.keys(this.credentials).join(', ') || 'none'})`);
		}
		const data: ICredentialDataDecryptedObject = {};
		for (const p of this.getCredentialsProperties(type)) {
			if (p.type !== 'notice' && p.default !== undefined) data[p.name] = p.default as ICredentialDataDecryptedObject[string];
		}
		return { ...data, ...structuredClone(given) };
	}

	async updateCredentials(): Promise<void> {
		// nothing is stored
	}

	async updateCredentialsOauthTokenData(): Promise<void> {
		// nothing is stored
	}

	getCredentialsProperties(type: string): INodeProperties[] {
		return this.nodeTypes.getCredentialType(type)?.properties ?? [];
	}
}
