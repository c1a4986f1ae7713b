import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Runs `.ci/test` (what `.ci/run` runs) on a fixture suite, with CI unset in its environment. */
function ciTest(fixture: string): { status: number | null; output: string } {
  const env = { ...process.env };
  delete env.CI;
  const result = spawnSync(path.join(ROOT, '.ci/test'), [path.join('test/fixtures/ci', fixture)], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('.ci/test: the summary line CI reads', function () {
  it('counts passed, failed and skipped (mocha pending) and keeps the failing exit status', () => {
    const { status, output } = ciTest('mixed.suite.ts');
    expect(output).to.include('tests: 2 passed, 1 failed, 1 skipped');
    expect(status).to.equal(1);
  });

  it('sets CI itself, so a stray .only fails the run (forbidOnly)', () => {
    const { status, output } = ciTest('only.suite.ts');
    expect(status).to.not.equal(0);
    expect(output).to.match(/\.only.* forbidden/);
  });
});
