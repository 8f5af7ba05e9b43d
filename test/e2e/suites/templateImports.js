// Every template in workflows/ imports into real n8n with no error and no word of an unknown node
// type, n8n's REST API knows every node type (at its version) the templates use, and every
// template with a trigger activates.
const assert = require('assert/strict');
const { EXPECTED } = require('../lib/templates');

const UNKNOWN_WORDS = /unknown|unrecogni[sz]ed|not installed|not known|could not find|missing node/i;

/** The trigger nodes that make a workflow worth activating (a manual trigger alone does not). */
const isTrigger = (n) => /(webhook|scheduleTrigger|gridTrigger)$/.test(n.type);

async function templateImports({ check }, setup, templates) {
	await check(`the ${EXPECTED.length} templates of issue 7 are in workflows/`, () => {
		const have = templates.map((t) => t.file);
		assert.deepEqual(EXPECTED.filter((f) => !have.includes(f)), [], 'missing templates');
	});
	await check(`n8n import:workflow takes all ${templates.length} templates, with no warning about unknown nodes`, () => {
		const r = setup.imports.workflows;
		const out = `${r.stdout}\n${r.stderr}`;
		assert.equal(r.code, 0, `exit code ${r.code}\n${out}`);
		assert.match(out, new RegExp(`Successfully imported ${templates.length} workflows?`));
		const warnings = out.split('\n').filter((l) => UNKNOWN_WORDS.test(l));
		assert.deepEqual(warnings, []);
	});
	await check('n8n\'s REST API knows every node type and version the templates use', async () => {
		const wanted = [...new Set(templates.flatMap((t) => t.workflow.nodes.map((n) => `${n.type}@${n.typeVersion ?? 1}`)))].sort();
		// one type per call: n8n answers a request naming an unknown type with an error as a whole
		const describe = (id) => {
			const at = id.lastIndexOf('@');
			return setup.rest.request('POST', '/node-types', { nodeInfos: [{ name: id.slice(0, at), version: Number(id.slice(at + 1)) }] });
		};
		const unknown = [];
		for (const id of wanted) {
			const found = await describe(id).catch((error) => error);
			if (!Array.isArray(found) || found.length !== 1 || !found[0].properties) unknown.push(`${id}: ${found.message ?? 'no description'}`);
		}
		assert.deepEqual(unknown, []);
		// and the question can fail: a type nobody installed is not known
		await assert.rejects(describe('n8n-nodes-grid-governance.noSuchNode@1'), /Unrecognized node type/);
		assert.ok(wanted.some((id) => id.startsWith('n8n-nodes-grid-governance.')), 'the templates use none of our nodes');
	});
	await check('n8n\'s database holds every template with all its nodes, types and versions as shipped', async () => {
		const rows = await setup.n8nSql(`SELECT id, nodes FROM workflow_entity`);
		assert.deepEqual(rows.map((r) => r.id).sort(), templates.map((t) => t.workflow.id).sort());
		const shape = (nodes) => nodes.map((n) => `${n.name}|${n.type}|${n.typeVersion}`).sort();
		for (const r of rows) assert.deepEqual(shape(r.nodes), shape(templates.find((t) => t.workflow.id === r.id).workflow.nodes));
	});
	const triggered = templates.filter((t) => t.workflow.nodes.some(isTrigger));
	await check(`every template with a trigger activates (${triggered.length}: ${triggered.map((t) => t.file.replace('.json', '')).join(', ')})`, () => {
		const failed = triggered.filter((t) => setup.activated[t.file] !== true).map((t) => `${t.file}: ${setup.activated[t.file]?.message ?? 'not tried'}`);
		assert.deepEqual(failed, []);
	});
}

module.exports = { templateImports, isTrigger };
