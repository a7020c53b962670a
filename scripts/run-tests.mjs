#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's own test runner (through tsx), one file at a time:
// the machine has 2 cores and several suites load ONNX models.
import { readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const filter = process.argv.slice(2);

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'fixtures' ? [] : walk(full);
    return name.endsWith('.test.ts') ? [full] : [];
  });
}

const files = walk(path.join(root, 'test'))
  .sort()
  .filter((f) => filter.length === 0 || filter.some((s) => f.includes(s)));

const env = { ...process.env };
const sharedModels = path.resolve(root, '..', 'shared', 'data', 'models');
env.IDOLTAG_MODEL_MIRROR ??= sharedModels;
env.IDOLTAG_LOG_LEVEL ??= 'warn';
env.IDOLTAG_OFFLINE ??= '1';
env.OMP_WAIT_POLICY ??= 'PASSIVE';

const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit', env },
);
process.exit(r.status ?? 1);
