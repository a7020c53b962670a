#!/usr/bin/env node
// Runs flake8 over trainer/ with the Python that has Debian's python3-flake8 (IDOLTAG_PYTHON wins),
// the same interpreter rule the trainer itself uses. Without flake8 the lint is skipped and named
// outside CI (a machine with Node.js only passes `npm test`), and fails the run in CI.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inCi, recordSkip } from './skip-report.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const python = process.env.IDOLTAG_PYTHON || (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const missing = `flake8 for ${python}`;

const probe = spawnSync(python, ['-c', 'import flake8'], { cwd: root, stdio: 'ignore' });
if (probe.error || probe.status !== 0) {
  if (inCi()) {
    console.error(`Python lint: ${missing} is missing in CI (apt-get install python3-flake8)`);
    process.exit(1);
  }
  console.error(`[skip] Python lint: needs ${missing} (apt-get install python3-flake8)`);
  recordSkip({ check: 'Python lint', missing: [missing], apt: ['python3-flake8'] });
  process.exit(0);
}
const r = spawnSync(python, ['-m', 'flake8', 'trainer'], { cwd: root, stdio: 'inherit' });
if (r.error) console.error(`could not run ${python} -m flake8: ${r.error.message}`);
process.exit(r.status ?? 1);
