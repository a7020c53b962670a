/**
 * `idoltag tag` with a year of screenshots: 1,000 long paths on the command line, and a folder of
 * 1,000 files. With ~300 such arguments onnxruntime's telemetry used to overflow the main thread's
 * stack while scanning /proc/self/cmdline (exit 139, no output); see src/core/onnx-runtime.ts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jsonLines } from '../helpers/cli.ts';
import { DATA, ROOT, tempDir } from '../helpers/paths.ts';
import { mirroredModel, sharedData, skipUnless } from '../helpers/prerequisites.ts';
import type { TagLine } from '../../src/cli/tag.ts';

const FILES = 1000;

/**
 * onnxruntime keeps its telemetry off when it sees a CI marker, so under CI the crash never showed.
 * The child runs as on a user's machine: without those markers and without our own opt-out.
 */
const CI_MARKERS = [
  'CI',
  'TF_BUILD',
  'GITHUB_ACTIONS',
  'GITLAB_CI',
  'CIRCLECI',
  'TRAVIS',
  'JENKINS_URL',
  'CODEBUILD_BUILD_ID',
  'BUILDKITE',
  'TEAMCITY_VERSION',
  'APPVEYOR',
  'BITBUCKET_BUILD_NUMBER',
  'SYSTEM_TEAMFOUNDATIONCOLLECTIONURI',
  'ORT_RUNNING_UNIT_TESTS',
  'ORT_DISABLE_TELEMETRY',
  'ORT_TELEMETRY_DISABLED',
];

function idoltag(
  args: string[],
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, IDOLTAG_LOG_LEVEL: 'warn' };
  for (const name of CI_MARKERS) delete env[name];
  return new Promise((resolve, reject) => {
    // bin/idoltag.js is what `npx idoltag` runs.
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/idoltag.js'), ...args], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const skip = skipUnless('tag with 1,000 files', sharedData('nagadomi10'), mirroredModel('mobilenetv2_12_int8'));

describe('idoltag tag with 1,000 files', { skip, timeout: 20 * 60_000 }, () => {
  let root: string;
  let shots: string;
  let files: string[];

  before(() => {
    root = tempDir('idoltag-many-');
    // A deep folder with long names, as a screenshot tool makes them: paths of 100+ characters.
    shots = path.join(root, 'screenshots-of-the-year-2026-from-the-idolmaster-game');
    mkdirSync(shots, { recursive: true });
    const crops = readFileSync(path.join(DATA, 'nagadomi10', 'labels.csv'), 'utf8')
      .split('\n')
      .slice(1)
      .filter(Boolean)
      .slice(0, 5)
      .map((row) => path.join(DATA, 'nagadomi10', row.split(',')[0]));
    files = Array.from({ length: FILES }, (_, i) => {
      const file = path.join(shots, `screenshot-2026-${String(i).padStart(4, '0')}.jpg`);
      symlinkSync(crops[i % crops.length], file);
      return file;
    });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  function assertAllTagged(lines: TagLine[]): void {
    assert.equal(lines.length, FILES, 'one JSON line per file');
    assert.deepEqual(lines.map((l) => l.path).sort(), [...files].sort());
    for (const line of lines) {
      assert.equal(line.error, null, `${line.path}: ${line.error}`);
      assert.equal(line.faces.length, 1, `${line.path}: a face crop is one face`);
    }
  }

  it('tags 1,000 files given on the command line', async () => {
    assert.ok(
      files.every((f) => f.length >= 95),
      'paths as long as the ones in the report',
    );
    assert.ok(files.join(' ').length > 90_000, 'a command line well past the old ~30 KB limit');
    const r = await idoltag(['--data', path.join(root, 'data-args'), 'tag', ...files, '--crops', '--json']);
    assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr.slice(-2000)}`);
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    assertAllTagged(jsonLines<TagLine>(r.stdout));
  });

  it('tags a folder of 1,000 files', async () => {
    assert.equal(readdirSync(shots).length, FILES);
    const r = await idoltag(['--data', path.join(root, 'data-folder'), 'tag', shots, '--crops', '--json']);
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    assertAllTagged(jsonLines<TagLine>(r.stdout));
  });
});

describe('the onnxruntime import', () => {
  it('goes through src/core/onnx-runtime.ts everywhere, so telemetry is off before any session', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name.endsWith('.ts') && full !== path.join(ROOT, 'src/core/onnx-runtime.ts')) {
          // Type-only imports are erased and load nothing.
          if (/^import (?!type\b)[^;]*from 'onnxruntime-node'/m.test(readFileSync(full, 'utf8')))
            offenders.push(path.relative(ROOT, full));
        }
      }
    };
    for (const dir of ['src', 'commands', 'bench', 'test']) walk(path.join(ROOT, dir));
    assert.deepEqual(offenders, []);
  });
});
