#!/usr/bin/env node
// Runs flake8 over trainer/ with the Python that has Debian's python3-flake8 (IDOLTAG_PYTHON wins),
// the same interpreter rule the trainer itself uses.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const python = process.env.IDOLTAG_PYTHON || (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const r = spawnSync(python, ['-m', 'flake8', 'trainer'], { cwd: root, stdio: 'inherit' });
if (r.error) console.error(`could not run ${python} -m flake8: ${r.error.message} (apt-get install python3-flake8)`);
process.exit(r.status ?? 1);
