#!/usr/bin/env node
// House rule: no absolute path of a machine in a committed file (find shared data as ../shared or
// through IDOLTAG_SHARED_DATA). Fails listing every tracked file that holds one.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Spelled in pieces so that this file does not hold them itself.
const FORBIDDEN = [['', 'work', ''].join('/'), ['', 'root', ''].join('/')];
const SKIP = new Set(['package-lock.json']);

let files;
try {
  files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
} catch (err) {
  console.error(`lint:paths needs a git checkout to list the committed files: ${err.message}`);
  process.exit(1);
}
const found = [];
for (const file of files) {
  if (SKIP.has(file)) continue;
  let text;
  try {
    text = readFileSync(path.join(root, file), 'utf8');
  } catch {
    continue; // deleted in the work tree
  }
  if (text.includes('\0')) continue; // binary
  text.split('\n').forEach((line, i) => {
    if (FORBIDDEN.some((p) => line.includes(p))) found.push(`${file}:${i + 1}: ${line.trim().slice(0, 120)}`);
  });
}
if (found.length > 0) {
  console.error(`Absolute machine paths in committed files (use ../shared or IDOLTAG_SHARED_DATA):\n${found.join('\n')}`);
  process.exit(1);
}
