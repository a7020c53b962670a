#!/usr/bin/env node
// Runs the test tiers with node's own test runner (through tsx):
//   node scripts/run-tests.mjs [--tier unit|integration|e2e] [--jobs N] [--times FILE] [substring ...]
// (--jobs and --times may come from IDOLTAG_TEST_JOBS and IDOLTAG_TEST_TIMES, e.g. under `npm test`.)
// unit: test/unit, pure (no models, no data sets), all files in one process to stay under 5 s.
// integration: test/integration, test/trainer and test/repo (checks of the checkout), real models and ../shared/data.
// e2e: test/e2e and test/reliability, real bot and CLI processes (the fake Discord on loopback).
// Integration and e2e files each run in their own process, two at a time by default (--jobs, or
// IDOLTAG_TEST_JOBS): most of them wait on child processes, sockets or disk for much of their time.
// A file's output is printed whole when it ends, with its time; --times writes every file's seconds
// as JSON (bench/results/test-times-*.json keep such records, and the most recently recorded one
// orders the files, longest first, so that no long file starts last). The run ends with the slowest files and one
// line of what was skipped for want of something on this machine (scripts/skip-report.mjs).
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { closeSkipLog, openSkipLog } from './skip-report.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TIERS = {
  unit: ['unit'],
  integration: ['integration', 'trainer', 'repo'],
  e2e: ['e2e', 'reliability'],
};

function option(args, name) {
  const at = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (at < 0) return undefined;
  const [flag] = args.splice(at, 1);
  return flag.includes('=') ? flag.slice(name.length + 1) : args.splice(at, 1)[0];
}

const args = process.argv.slice(2);
const tierName = option(args, '--tier');
const jobs = Number(option(args, '--jobs') ?? process.env.IDOLTAG_TEST_JOBS ?? 2);
const timesFile = option(args, '--times') ?? process.env.IDOLTAG_TEST_TIMES;
if (tierName !== undefined && !(tierName in TIERS)) {
  console.error(`Unknown test tier "${tierName}"; the tiers are ${Object.keys(TIERS).join(', ')}.`);
  process.exit(2);
}
if (!Number.isInteger(jobs) || jobs < 1) {
  console.error('--jobs (IDOLTAG_TEST_JOBS) takes a whole number of files to run at once, 1 or more.');
  process.exit(2);
}
const tiers = tierName ? [tierName] : Object.keys(TIERS);
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
const skipLog = openSkipLog(env);

const seconds = (ms) => Math.round(ms / 100) / 10;

/** Each file's seconds in the most recently recorded bench/results/test-times-*.json. */
function recordedSeconds() {
  const results = path.join(root, 'bench', 'results');
  const records = existsSync(results)
    ? readdirSync(results)
        .filter((f) => /^test-times-.*\.json$/.test(f))
        .map((f) => JSON.parse(readFileSync(path.join(results, f), 'utf8')))
        .sort((a, b) => String(a.recorded).localeCompare(String(b.recorded)))
    : [];
  const newest = records.at(-1);
  return new Map(Object.values(newest?.tiers ?? {}).flatMap((t) => t.files.map((f) => [f.file, f.seconds])));
}
const known = recordedSeconds();
const longestFirst = (files) =>
  [...files].sort(
    (a, b) => (known.get(path.relative(root, b)) ?? 0) - (known.get(path.relative(root, a)) ?? 0) || a.localeCompare(b),
  );

function runUnitTier(files) {
  // One process for all of them: starting tsx per file would cost more than the tests.
  const imports = files.map((f) => `await import(${JSON.stringify(pathToFileURL(f).href)});`).join('\n');
  const started = Date.now();
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test-reporter=spec', '--input-type=module', '-e', imports],
    { cwd: root, stdio: 'inherit', env },
  );
  return {
    status: r.status ?? 1,
    times: [{ file: 'test/unit (one process)', seconds: seconds(Date.now() - started) }],
  };
}

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', file], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    child.on('close', (code, signal) =>
      resolve({ status: code ?? (signal ? 1 : 0), output: Buffer.concat(output), ms: Date.now() - started }),
    );
  });
}

/** Runs the files `jobs` at a time; prints each file's output whole when it ends. */
async function runPooled(files) {
  const queue = longestFirst(files);
  const times = [];
  const failed = [];
  async function worker() {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const name = path.relative(root, file);
      const r = await runFile(file);
      process.stdout.write(`\n## ${name} (${seconds(r.ms)} s${r.status === 0 ? '' : `, exit ${r.status}`})\n`);
      process.stdout.write(r.output);
      times.push({ file: name, seconds: seconds(r.ms) });
      if (r.status !== 0) failed.push(name);
    }
  }
  await Promise.all(Array.from({ length: Math.min(jobs, files.length) }, worker));
  if (failed.length > 0) console.log(`\n# failed: ${failed.join(', ')}`);
  return { status: failed.length === 0 ? 0 : 1, times };
}

let status = 0;
const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout?.trim();
const report = {
  recorded: new Date().toISOString(),
  commit: commit || null,
  jobs,
  cpus: os.cpus().length,
  loadAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  tiers: {},
};
for (const tier of tiers) {
  const files = allFiles.filter(
    (f) => tierOf(f) === tier && (filter.length === 0 || filter.some((s) => f.includes(s))),
  );
  if (files.length === 0) continue;
  console.log(`\n# ${tier} tier: ${files.length} file(s)${tier === 'unit' ? '' : `, ${jobs} at a time`}`);
  const started = Date.now();
  const result = tier === 'unit' ? runUnitTier(files) : await runPooled(files);
  const tierSeconds = seconds(Date.now() - started);
  report.tiers[tier] = { seconds: tierSeconds, files: result.times.sort((a, b) => b.seconds - a.seconds) };
  console.log(`\n# ${tier} tier: ${result.status === 0 ? 'passed' : 'FAILED'} in ${tierSeconds} s`);
  status = result.status;
  if (status !== 0) break;
}

const slowest = Object.values(report.tiers)
  .flatMap((t) => t.files)
  .sort((a, b) => b.seconds - a.seconds)
  .slice(0, 10);
if (slowest.length > 1) {
  console.log('\n# slowest test files');
  for (const t of slowest) console.log(`#   ${String(t.seconds).padStart(6)} s  ${t.file}`);
}
if (timesFile) writeFileSync(timesFile, `${JSON.stringify(report, null, 2)}\n`);
closeSkipLog(skipLog);
process.exit(status);
