// What the test run skipped because the machine lacks it, gathered across processes into one line.
// Every skip (test/helpers/prerequisites.ts, scripts/lint-python.mjs) appends a JSON line to the file
// named by IDOLTAG_TEST_SKIP_LOG; whoever opened the log prints the summary once at the end of the run.
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const SKIP_LOG_VARIABLE = 'IDOLTAG_TEST_SKIP_LOG';

/** CI set and not "false"/"0": there a missing prerequisite fails the run instead of skipping. */
export function inCi(env = process.env) {
  const ci = (env.CI ?? '').trim().toLowerCase();
  return ci !== '' && ci !== '0' && ci !== 'false';
}

/**
 * Sets IDOLTAG_TEST_SKIP_LOG in `env` unless an outer runner already did. Returns the log's path when
 * this caller owns it (and so prints the summary), else undefined.
 */
export function openSkipLog(env = process.env) {
  if (env[SKIP_LOG_VARIABLE]) return undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'idoltag-skips-'));
  env[SKIP_LOG_VARIABLE] = path.join(dir, 'skips.jsonl');
  return env[SKIP_LOG_VARIABLE];
}

/**
 * Records one skipped check. `apt` lists the Debian packages that bring it in; `hint` says what to do
 * when no package does (a data folder, a setting).
 */
export function recordSkip({ check, missing, apt = [], hint }, env = process.env) {
  const log = env[SKIP_LOG_VARIABLE];
  if (!log) return;
  appendFileSync(log, `${JSON.stringify({ check, missing, apt, hint })}\n`);
}

function readSkips(log) {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}

/** The one summary line of a run's skips, or undefined when nothing was skipped. */
export function skipSummary(skips) {
  if (skips.length === 0) return undefined;
  const checks = [...new Set(skips.map((s) => s.check))];
  const missing = [...new Set(skips.flatMap((s) => s.missing))];
  const apt = [...new Set(skips.flatMap((s) => s.apt ?? []))].sort();
  const hints = [...new Set(skips.map((s) => s.hint).filter(Boolean))];
  const commands = [];
  if (apt.length > 0) {
    const sudo = typeof process.getuid === 'function' && process.getuid() !== 0 ? 'sudo ' : '';
    commands.push(`${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends ${apt.join(' ')}`);
  }
  commands.push(...hints);
  return (
    `Skipped ${checks.length} check${checks.length === 1 ? '' : 's'} (${checks.join(', ')}) for want of ` +
    `${missing.join('; ')}. To run them: ${commands.join('; and ')}`
  );
}

/** Prints the summary of the log this caller opened, then removes the log. */
export function closeSkipLog(log) {
  if (!log) return;
  const line = skipSummary(readSkips(log));
  rmSync(path.dirname(log), { recursive: true, force: true });
  if (line) console.log(`\n${line}`);
}
