// Mocha runs the TypeScript sources directly through tsx (no build step). The spec globs live in
// package.json's scripts, so `npx mocha path/to/one.test.ts` runs just that file.
module.exports = {
  'node-option': ['import=tsx'],
  extension: ['ts'],
  timeout: 60000,
  forbidOnly: Boolean(process.env.CI),
  reporter: 'spec',
};
