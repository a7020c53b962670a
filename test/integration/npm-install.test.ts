import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { ROOT } from '../helpers/paths.ts';

function npm(args: string[]) {
  return spawnSync('npm', args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
}

it('npm runs without warnings about the project config', () => {
  const r = npm(['pkg', 'get', 'name']);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /npm warn/i);
  assert.ok(
    !existsSync(path.join(ROOT, '.npmrc')) ||
      !/onnxruntime-node-install/.test(readFileSync(path.join(ROOT, '.npmrc'), 'utf8')),
  );
});

it("keeps onnxruntime-node's download script from running, and every other install script reviewed", () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  assert.equal(
    pkg.allowScripts?.['onnxruntime-node'],
    false,
    'the CPU build ships in the package; the CUDA download is opt-in',
  );
  const major = Number(npm(['--version']).stdout.split('.')[0]);
  if (major < 11) return; // allowScripts and approve-scripts came with npm 11; scripts/setup.mjs covers older npm
  const pending = npm(['approve-scripts', '--allow-scripts-pending']);
  assert.equal(pending.status, 0, pending.stderr);
  assert.match(pending.stdout + pending.stderr, /No packages with unreviewed install scripts/);
});
