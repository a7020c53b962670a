/**
 * The README's CLI on a fresh clone, as a stranger runs it: the project's files copied to a folder with
 * no node_modules, then `npx idoltag …` straight away. The first command installs the dependencies
 * (scripts/setup.mjs, as `npm start` and `npm test` do) and still prints nothing but JSON on stdout;
 * the clone then teaches two characters and names them.
 *
 *   IDOLTAG_MODEL_MIRROR=../shared/data/models node --import tsx --test test/e2e/fresh-clone.test.ts
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { type Finished, finished, jsonLines } from '../helpers/cli.ts';
import { ROOT, tempDir } from '../helpers/paths.ts';
import { mirroredModel, sharedData, skipUnless } from '../helpers/prerequisites.ts';
import type { TagLine } from '../../src/cli/tag.ts';
import { crops, MODEL_MIRROR } from './data.ts';

const skip = skipUnless('the fresh-clone CLI test', sharedData('nagadomi10'), mirroredModel('mobilenetv2_12_int8'));

/** The files a clone of the working tree would hold: tracked, and new files git does not ignore. */
function copyProject(to: string): void {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(listed.status, 0, listed.stderr);
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    // Deleted in the working tree but not yet committed, or not a plain file (a linked node_modules).
    if (!existsSync(path.join(ROOT, file)) || !lstatSync(path.join(ROOT, file)).isFile()) continue;
    mkdirSync(path.dirname(path.join(to, file)), { recursive: true });
    copyFileSync(path.join(ROOT, file), path.join(to, file));
  }
}

/**
 * better-sqlite3's install script downloads a prebuilt binary and, where it cannot (offline, as here),
 * compiles SQLite from source: most of the set-up time of the clone. The checkout's own build stands in
 * for the download: prebuild-install looks in npm_config_better_sqlite3_local_prebuilds first. The clone
 * still runs `npm ci` and every install script; a version the checkout has no build of is compiled.
 */
function localPrebuilds(): Record<string, string> {
  const pkg = path.join(ROOT, 'node_modules', 'better-sqlite3');
  const binary = path.join('build', 'Release', 'better_sqlite3.node');
  if (!existsSync(path.join(pkg, binary))) return {};
  const { version } = JSON.parse(readFileSync(path.join(pkg, 'package.json'), 'utf8'));
  const dir = tempDir('idoltag-fresh-prebuilds-');
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const packed = spawnSync('tar', ['-czf', path.join(dir, name), '-C', pkg, binary], { encoding: 'utf8' });
  assert.equal(packed.status, 0, packed.stderr);
  return { npm_config_better_sqlite3_local_prebuilds: dir };
}

function npx(cwd: string, args: string[], prebuilds: Record<string, string> = {}): Promise<Finished> {
  const env = {
    ...process.env,
    IDOLTAG_LOG_LEVEL: 'warn',
    IDOLTAG_MODEL_MIRROR: MODEL_MIRROR,
    npm_config_update_notifier: 'false',
    ...prebuilds,
  };
  return finished(spawn('npx', ['idoltag', ...args], { cwd, env }));
}

describe('the CLI on a fresh clone', { skip, timeout: 15 * 60_000 }, () => {
  test('npx idoltag installs what it needs, tags with clean JSON, then learns two characters', async () => {
    const clone = tempDir('idoltag-fresh-clone-');
    copyProject(clone);
    assert.equal(existsSync(path.join(clone, 'node_modules')), false);
    const data = path.join(clone, 'data');
    const characters = ['hatsune_miku', 'shana'];
    const teach = path.join(tempDir('idoltag-fresh-teach-'), 'teach');
    const queries: string[] = [];
    const shots = tempDir('idoltag-fresh-shots-');
    for (const name of characters) {
      mkdirSync(path.join(teach, name), { recursive: true });
      for (const c of crops(name, 'train', 5)) writeFileSync(path.join(teach, name, c.filename), c.bytes);
      for (const c of crops(name, 'test', 2)) {
        const file = path.join(shots, c.filename);
        writeFileSync(file, c.bytes);
        queries.push(file);
      }
    }

    // The first command of a fresh clone: it sets itself up, and stdout stays one JSON object per image.
    const first = await npx(clone, ['--data', data, 'tag', '--crops', '--json', ...queries], localPrebuilds());
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /\[setup\] installing npm dependencies/);
    const before = jsonLines<TagLine>(first.stdout);
    assert.equal(before.length, queries.length, first.stdout);
    assert.ok(existsSync(path.join(clone, 'node_modules', '.package-lock.json')));

    const version = await npx(clone, ['--version']);
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
    assert.doesNotMatch(version.stderr, /\[setup\]/, 'set up once, not on every command');

    const taught = await npx(clone, ['--data', data, 'import', teach, '--crops']);
    assert.equal(taught.code, 0, taught.stderr);
    const tagged = await npx(clone, ['--data', data, 'tag', '--crops', '--json', ...queries]);
    assert.equal(tagged.code, 0, tagged.stderr);
    const after = jsonLines<TagLine>(tagged.stdout);
    const named = after.filter((line) =>
      line.faces?.some((f) => f.label !== null && path.basename(line.path).startsWith(`${f.label}-`)),
    );
    assert.ok(named.length >= 3, `named ${named.length} of ${queries.length}: ${JSON.stringify(after)}`);
  });
});
