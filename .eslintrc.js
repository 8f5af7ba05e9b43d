/**
 * n8n's community-node rules: package.json, credentials and nodes. This package is self-hosted
 * and needs knex, pg and axios at run time, so rules that forbid runtime dependencies are not used.
 */
module.exports = {
	root: true,
	env: { browser: false, es2021: true, node: true },
	parser: '@typescript-eslint/parser',
	parserOptions: { project: ['./tsconfig.json'], sourceType: 'module', extraFileExtensions: ['.json'] },
	ignorePatterns: ['.eslintrc.js', '**/*.js', '**/node_modules/**', '**/dist/**', 'test/**', 'bench/**', 'scripts/**'],
	overrides: [
		{
			files: ['package.json'],
			plugins: ['eslint-plugin-n8n-nodes-base'],
			extends: ['plugin:n8n-nodes-base/community'],
			rules: { 'n8n-nodes-base/community-package-json-name-still-default': 'off' },
		},
		{
			files: ['./credentials/**/*.ts'],
			plugins: ['eslint-plugin-n8n-nodes-base'],
			extends: ['plugin:n8n-nodes-base/credentials'],
			rules: {
				// applies only to n8n's own repository, whose docs live under short slugs
				'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
				// a database credential, named like n8n's own "postgres", not an HTTP API
				'n8n-nodes-base/cred-class-name-unsuffixed': 'off',
				'n8n-nodes-base/cred-class-field-name-unsuffixed': 'off',
			},
		},
		{
			files: ['./nodes/**/*.ts'],
			plugins: ['eslint-plugin-n8n-nodes-base'],
			extends: ['plugin:n8n-nodes-base/nodes'],
			rules: {
				'n8n-nodes-base/node-class-description-credentials-name-unsuffixed': 'off',
			},
		},
	],
};
