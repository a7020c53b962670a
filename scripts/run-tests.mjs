#!/usr/bin/env node
// Runs the test tiers with node's own test runner (through tsx):
//   node scripts/run-tests.mjs [--tier unit|integration|e2e] [substring ...]
// unit: test/unit, pure (no models, no data sets), all files in one process to stay under 5 s.
// integration: test/integration, test/trainer and test/repo (checks of the checkout), real models and ../shared/data.
// e2e: test/e2e and test/reliability, real bot and CLI processes (the fake Discord on loopback).
// Integration and e2e files run one at a time: the machine has 2 cores and several suites load ONNX models.
import { readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TIERS = {
  unit: ['unit'],
  integration: ['integration', 'trainer', 'repo'],
  e2e: ['e2e', 'reliability'],
};

const args = process.argv.slice(2);
const tierAt = args.findIndex((a) => a === '--tier' || a.startsWith('--tier='));
let tiers = Object.keys(TIERS);
if (tierAt >= 0) {
  const [flag] = args.splice(tierAt, 1);
  const name = flag.includes('=') ? flag.slice('--tier='.length) : args.splice(tierAt, 1)[0];
  if (!(name in TIERS)) {
    console.error(`Unknown test tier "${name}"; the tiers are ${Object.keys(TIERS).join(', ')}.`);
    process.exit(2);
  }
  tiers = [name];
}
const filter = args;

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'fixtures' ? [] : walk(full);
    return name.endsWith('.test.ts') ? [full] : [];
  });
}

const testRoot = path.join(root, 'test');
const allFiles = walk(testRoot).sort();
const tierOf = (file) =>
  Object.keys(TIERS).find((t) => TIERS[t].includes(path.relative(testRoot, file).split(path.sep)[0]));
const untiered = allFiles.filter((f) => !tierOf(f));
if (untiered.length > 0) {
  console.error(
    `These test files are in no tier (see scripts/run-tests.mjs): ${untiered.map((f) => path.relative(root, f)).join(', ')}`,
  );
  process.exit(2);
}

const env = { ...process.env };
const sharedModels = path.resolve(root, '..', 'shared', 'data', 'models');
env.IDOLTAG_MODEL_MIRROR ??= sharedModels;
env.IDOLTAG_LOG_LEVEL ??= 'warn';
env.IDOLTAG_OFFLINE ??= '1';
env.OMP_WAIT_POLICY ??= 'PASSIVE';

function run(nodeArgs) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', ...nodeArgs], { cwd: root, stdio: 'inherit', env });
  return r.status ?? 1;
}

let status = 0;
for (const tier of tiers) {
  const files = allFiles.filter(
    (f) => tierOf(f) === tier && (filter.length === 0 || filter.some((s) => f.includes(s))),
  );
  if (files.length === 0) continue;
  console.log(`\n# ${tier} tier: ${files.length} file(s)`);
  if (tier === 'unit') {
    // One process for all of them: starting tsx per file would cost more than the tests.
    const imports = files.map((f) => `await import(${JSON.stringify(pathToFileURL(f).href)});`).join('\n');
    status ||= run(['--test-reporter=spec', '--input-type=module', '-e', imports]);
  } else {
    status ||= run(['--test', '--test-concurrency=1', '--test-reporter=spec', ...files]);
  }
  if (status !== 0) break;
}
process.exit(status);
