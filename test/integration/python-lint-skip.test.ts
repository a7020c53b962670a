import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { skipSummary } from '../../scripts/skip-report.mjs';
import { ROOT, tempDir } from '../helpers/paths.ts';

/** A python3 that has no flake8 (nor anything else): every `-c` import fails, as on a Node-only machine. */
function pythonWithoutFlake8(): string {
  const python = path.join(tempDir('idoltag-noflake8-'), 'python3');
  writeFileSync(python, '#!/bin/sh\necho "ModuleNotFoundError: No module named \'flake8\'" >&2\nexit 1\n');
  chmodSync(python, 0o755);
  return python;
}

function lintPython(extra: NodeJS.ProcessEnv) {
  const env: NodeJS.ProcessEnv = { ...process.env, IDOLTAG_PYTHON: pythonWithoutFlake8(), ...extra };
  for (const [name, value] of Object.entries(extra)) if (value === undefined) delete env[name];
  return spawnSync(process.execPath, ['scripts/lint-python.mjs'], { cwd: ROOT, env, encoding: 'utf8' });
}

describe('the Python lint step without flake8', () => {
  it('passes outside CI, says why, and records the skip for the closing summary', () => {
    const log = path.join(tempDir('idoltag-skiplog-'), 'skips.jsonl');
    const r = lintPython({ CI: undefined, IDOLTAG_TEST_SKIP_LOG: log });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /\[skip\] Python lint: needs flake8 for .*python3/);
    const skips = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      skips.map((s) => [s.check, s.apt]),
      [['Python lint', ['python3-flake8']]],
    );
    assert.match(
      skipSummary(skips) ?? '',
      /^Skipped 1 check \(Python lint\) .*apt-get install -y --no-install-recommends python3-flake8$/,
    );
  });

  it('fails in CI and names what is missing', () => {
    const r = lintPython({ CI: 'true' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Python lint: flake8 for .* is missing in CI/);
  });
});

describe('the closing summary of skipped checks', () => {
  it('is one line that merges the Debian packages into one command and keeps the other hints', () => {
    const line = skipSummary([
      { check: 'Python lint', missing: ['flake8 for python3'], apt: ['python3-flake8'] },
      { check: 'trainer unit tests', missing: ['PyTorch'], apt: ['python3-torch', 'python3-onnx'] },
      { check: 'FaceBoxes re-export', missing: ['PyTorch'], apt: ['python3-torch'] },
      { check: 'nagadomi10 suite', missing: ['the nagadomi10 data set'], hint: 'put the data sets in ../shared/data' },
    ]);
    assert.ok(line);
    assert.doesNotMatch(line, /\n/);
    assert.match(line, /^Skipped 4 checks \(Python lint, trainer unit tests, FaceBoxes re-export, nagadomi10 suite\)/);
    assert.match(line, /for want of flake8 for python3; PyTorch; the nagadomi10 data set\./);
    assert.match(
      line,
      /apt-get install -y --no-install-recommends python3-flake8 python3-onnx python3-torch; and put the data sets/,
    );
    assert.equal(skipSummary([]), undefined);
  });
});
