// Lets plain Node require the TypeScript test helpers (test/helpers/n8nHarness.ts and what it imports)
// without ts-node: each .ts file under this project (outside node_modules) is transpiled on load with
// TypeScript's transpileModule, the project's compiler options, no type check. The nodes themselves are
// never loaded this way: the harness loads the built package from dist/.
const fs = require('fs');
const path = require('path');
const ts = require('typescript');

const ROOT = path.resolve(__dirname, '..', '..');

function compilerOptions() {
	const configPath = path.join(ROOT, 'tsconfig.json');
	const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
	if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
	const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
	return { ...options, module: ts.ModuleKind.CommonJS, sourceMap: false, inlineSourceMap: true, incremental: false, declaration: false, noEmit: false };
}

let installed = false;

function install() {
	if (installed) return;
	installed = true;
	const options = compilerOptions();
	const previous = require.extensions['.ts'];
	require.extensions['.ts'] = function loadTs(module, filename) {
		if (filename.includes(`${path.sep}node_modules${path.sep}`) || !filename.startsWith(ROOT + path.sep)) {
			if (previous) return previous(module, filename);
			throw new Error(`bench/lib/tsRequire only loads this project's TypeScript, not ${filename}`);
		}
		const source = fs.readFileSync(filename, 'utf8');
		const { outputText } = ts.transpileModule(source, { compilerOptions: options, fileName: filename });
		module._compile(outputText, filename);
	};
}

module.exports = { install, ROOT };
