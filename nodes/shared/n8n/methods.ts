import type {
	ICredentialTestFunctions,
	ICredentialsDecrypted,
	ILoadOptionsFunctions,
	INodeCredentialTestResult,
	INodeListSearchResult,
} from 'n8n-workflow';
import { testConnection } from '../db/connectionTest';
import { withUnitOfWork } from '../db/unitOfWork';
import { searchStaffChoices } from '../domain/grid/staff';
import { searchUnitChoices } from '../domain/grid/units';
import { LEVEL_NAMES } from '../validation/gridCode';
import { CREDENTIAL_NAME, configFromCredential } from './credentials';

async function readOnly<T>(ctx: ILoadOptionsFunctions, fn: Parameters<typeof withUnitOfWork<T>>[2]): Promise<T> {
	const config = configFromCredential(await ctx.getCredentials(CREDENTIAL_NAME));
	return withUnitOfWork(config, { actor: { node: ctx.getNode().name } }, fn);
}

export const listSearch = {
	async searchGridUnits(this: ILoadOptionsFunctions, filter?: string, paginationToken?: string): Promise<INodeListSearchResult> {
		const offset = Number(paginationToken ?? 0) || 0;
		const { choices, more } = await readOnly(this, (uow) => searchUnitChoices(uow, filter, offset));
		return {
			results: choices.map((c) => ({ name: `${c.code} ${c.name} (${LEVEL_NAMES[c.level]})`, value: c.code })),
			paginationToken: more ? String(offset + choices.length) : undefined,
		};
	},
	async searchStaff(this: ILoadOptionsFunctions, filter?: string, paginationToken?: string): Promise<INodeListSearchResult> {
		const offset = Number(paginationToken ?? 0) || 0;
		const { choices, more } = await readOnly(this, (uow) => searchStaffChoices(uow, filter, offset));
		return {
			results: choices.map((c) => ({ name: `${c.name}${c.staff_no ? ` [${c.staff_no}]` : ''} · ${c.unit_code}`, value: String(c.id) })),
			paginationToken: more ? String(offset + choices.length) : undefined,
		};
	},
};

export const credentialTest = {
	async gridGovernancePostgresConnectionTest(
		this: ICredentialTestFunctions,
		credential: ICredentialsDecrypted,
	): Promise<INodeCredentialTestResult> {
		try {
			const report = await testConnection(configFromCredential(credential.data ?? {}));
			const bad = report.keyMatches === false || report.scopeFound === false || report.message.includes('newer than');
			return { status: bad ? 'Error' : 'OK', message: report.message };
		} catch (error) {
			const e = error as Error & { description?: string };
			return { status: 'Error', message: [e.message, e.description].filter(Boolean).join(' — ') };
		}
	},
};
