#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so `npx idoltag …` works without a build step. On a fresh clone
// it first installs the dependencies, as `npm start` and `npm test` do.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setUp } from '../scripts/setup.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ready = setUp();
if (ready !== 0) process.exit(ready);
const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
const r = spawnSync(process.execPath, [tsxCli, path.join(root, 'src/cli/main.ts'), ...process.argv.slice(2)], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
