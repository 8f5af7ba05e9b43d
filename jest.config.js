/** Unit, integration and workflow tests; all database tests run against real PostgreSQL. */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/unit/**/*.test.ts', '**/integration/**/*.test.ts', '**/workflows/**/*.test.ts'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
	},
	globalSetup: '<rootDir>/test/helpers/globalSetup.js',
	globalTeardown: '<rootDir>/test/helpers/globalTeardown.js',
	testTimeout: 180000,
	maxWorkers: 2,
};
