#!/usr/bin/env node
// `npm test`: the whole check a fresh clone needs, in order, stopping at the first failure:
// set-up (npm dependencies), types, lint (layers, TypeScript, Python), then every test tier.
// Arguments go to scripts/run-tests.mjs (`npm test -- --jobs 1`, `npm test -- --tier e2e`).
// Ends with each step's time and, when the machine lacked something, one line of what was skipped
// and the command that brings it in.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setUp } from './setup.mjs';
import { closeSkipLog, openSkipLog } from './skip-report.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const skipLog = openSkipLog(process.env);
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const run = (command, args) => spawnSync(command, args, { cwd: root, stdio: 'inherit', env: process.env }).status ?? 1;

const steps = [
  ['set-up', () => setUp()],
  ['types', () => run(bin('tsc'), ['--noEmit'])],
  ['lint', () => run('npm', ['run', '--silent', 'lint'])],
  ['tests', () => run(process.execPath, [path.join(root, 'scripts', 'run-tests.mjs'), ...process.argv.slice(2)])],
];

const times = [];
let status = 0;
for (const [name, step] of steps) {
  const started = Date.now();
  status = step();
  times.push(`${name} ${Math.round((Date.now() - started) / 1000)} s`);
  if (status !== 0) {
    console.error(`\nnpm test: ${name} failed (exit ${status})`);
    break;
  }
}
console.log(`\n# npm test: ${times.join(', ')}`);
closeSkipLog(skipLog);
process.exit(status);
