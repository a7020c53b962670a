import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, tempDir } from '../helpers/paths.ts';
import { inCi, MissingPrerequisiteError, pythonSkips, reportMissing } from '../helpers/prerequisites.ts';
import { PYTHON } from '../helpers/settings.ts';

const CI_VARIABLES = ['CI', 'GITHUB_ACTIONS', 'GITLAB_CI', 'BUILDKITE', 'TF_BUILD'];

function runFixture(ci: string | undefined) {
  const env = { ...process.env };
  // NODE_TEST_CONTEXT would make the child think it runs inside this test and skip the file; the
  // fixture's skip is on purpose and stays out of the run's closing summary of skips.
  for (const name of [...CI_VARIABLES, 'NODE_TEST_CONTEXT', 'IDOLTAG_TEST_SKIP_LOG']) delete env[name];
  if (ci !== undefined) env.CI = ci;
  return spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-reporter=spec', 'test/fixtures/needs-missing-data.ts'],
    {
      cwd: ROOT,
      env,
      encoding: 'utf8',
    },
  );
}

describe('missing test prerequisites', () => {
  it('fail the run in CI and name what is missing', () => {
    const r = runFixture('true');
    assert.notEqual(r.status, 0, 'a missing data set must not pass in CI');
    assert.match(r.stdout + r.stderr, /fixture suite: a prerequisite is missing in CI: needs the no-such-set data set/);
  });

  it('skip outside CI and print why', () => {
    const r = runFixture(undefined);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    // The test runner passes the file's stderr on in its own report.
    assert.match(r.stdout + r.stderr, /\[skip\] fixture suite: needs the no-such-set data set/);
    assert.match(r.stdout, /# needs the no-such-set data set/);
  });

  it('read CI=false and CI=0 as not CI', () => {
    assert.equal(inCi({ CI: 'false' }), false);
    assert.equal(inCi({ CI: '0' }), false);
    assert.equal(inCi({}), false);
    assert.equal(inCi({ CI: 'true' }), true);
    assert.equal(inCi({ CI: '1' }), true);
  });

  it("count Python's skipped tests with their reasons instead of reading OK (skipped=N) as success", () => {
    const dir = tempDir('idoltag-pyskip-');
    writeFileSync(
      path.join(dir, 'test_sample.py'),
      [
        'import unittest',
        'class Sample(unittest.TestCase):',
        '    def test_runs(self):',
        '        self.assertTrue(True)',
        '    @unittest.skip("needs the moon")',
        '    def test_moon(self):',
        '        pass',
        '    @unittest.skipUnless(False, "needs the moon")',
        '    def test_moon_again(self):',
        '        pass',
        '',
      ].join('\n'),
    );
    const r = spawnSync(PYTHON, ['-m', 'unittest', 'discover', '-v', '-s', dir], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /OK \(skipped=2\)/);
    const skips = pythonSkips(r.stderr);
    assert.deepEqual(skips, ['needs the moon (2 Python tests skipped)']);
    const saved = process.env.CI;
    process.env.CI = 'true';
    try {
      assert.throws(() => reportMissing('trainer unit tests', skips), MissingPrerequisiteError);
    } finally {
      if (saved === undefined) delete process.env.CI;
      else process.env.CI = saved;
    }
  });
});
