// Mocha runs the TypeScript sources directly through tsx (no build step).
module.exports = {
  'node-option': ['import=tsx'],
  spec: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
  extension: ['ts'],
  timeout: 60000,
  forbidOnly: Boolean(process.env.CI),
  reporter: 'spec',
};
