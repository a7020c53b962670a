#!/usr/bin/env node
// Settings are read in one place: src/config.ts validates every IDOLTAG_* variable and the adapters pass
// the values down through the service options. This check fails any other module of src/ or commands/
// that reads process.env.IDOLTAG_* (two readings of one variable drift apart: IDOLTAG_OFFLINE=0 once meant
// offline in one and online in the other).
//   node scripts/lint-settings.mjs [project root]
// bench/, test/ and scripts/ are left out: they set these variables for the processes they start, and
// read variables of their own (IDOLTAG_TEST_DATA, IDOLTAG_SHARED_DATA).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
const SETTINGS_MODULE = 'src/config.ts';
const READS = [
  // process.env.IDOLTAG_X, process.env['IDOLTAG_X']
  /process\.env(?:\.|\[\s*['"`])(IDOLTAG_\w*)/g,
  // const { IDOLTAG_X } = process.env
  /\{[^}]*?\b(IDOLTAG_\w+)[^}]*\}\s*=\s*process\.env\b/g,
];

function sourceFiles(dir) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.(ts|mts|js|mjs)$/.test(name) ? [full] : [];
  });
}

const problems = [];
for (const file of ['src', 'commands'].flatMap((top) => sourceFiles(path.join(root, top)))) {
  const relative = path.relative(root, file).split(path.sep).join('/');
  if (relative === SETTINGS_MODULE) continue;
  const text = readFileSync(file, 'utf8');
  for (const pattern of READS) {
    for (const match of text.matchAll(pattern)) {
      const line = text.slice(0, match.index).split('\n').length;
      problems.push(`${relative}:${line} reads ${match[1]} from process.env`);
    }
  }
}

if (problems.length > 0) {
  console.error(
    `Settings are read only in ${SETTINGS_MODULE} (take the value from the settings, passed down through the service options):\n` +
      problems.map((p) => `  ${p}`).join('\n'),
  );
  process.exit(1);
}
