/**
 * What the CLI's log lines look like where they are read: on a terminal (a pseudo-terminal made by
 * util-linux `script`) readable lines, piped to a file or a collector JSON lines, and IDOLTAG_LOG_FORMAT
 * overrides either.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { finished } from '../helpers/cli.ts';
import { ROOT, tempDir } from '../helpers/paths.ts';

const bin = path.join(ROOT, 'bin/idoltag.js');
const hasScript = spawnSync('script', ['--version']).status === 0;
const NEW_FOLDER = /a new data folder: serving the default embedder/;

/** `idoltag characters` on a new data folder logs one line (the default embedder) and prints to stdout. */
function characters(format: string | undefined, terminal: boolean) {
  const env: NodeJS.ProcessEnv = { ...process.env, IDOLTAG_LOG_LEVEL: 'info' };
  delete env.IDOLTAG_LOG_FORMAT;
  if (format) env.IDOLTAG_LOG_FORMAT = format;
  const command = `${process.execPath} ${bin} --data ${tempDir()} characters`;
  // `script` gives the child a terminal and copies everything it writes to its own stdout.
  const child = terminal
    ? spawn('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env })
    : spawn(process.execPath, [bin, '--data', tempDir(), 'characters'], { cwd: ROOT, env });
  return finished(child);
}

describe('log lines of the CLI', { skip: hasScript ? false : 'util-linux `script` is not installed' }, () => {
  it('are readable on a terminal', async () => {
    const r = await characters(undefined, true);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const line = r.stdout.split(/\r?\n/).find((l) => NEW_FOLDER.test(l));
    assert.match(line ?? '', /^\d\d:\d\d:\d\d INFO {2}a new data folder: serving the default embedder model=idoltag_/);
    assert.doesNotMatch(r.stdout, /"level":/);
  });

  it('are JSON when piped, and when IDOLTAG_LOG_FORMAT=json on a terminal', async () => {
    for (const r of [await characters(undefined, false), await characters('json', true)]) {
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const line = (r.stderr + r.stdout).split(/\r?\n/).find((l) => NEW_FOLDER.test(l));
      assert.equal(JSON.parse(line ?? '{}').level, 30, line);
    }
  });

  it('are readable when piped with IDOLTAG_LOG_FORMAT=text', async () => {
    const r = await characters('text', false);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /INFO {2}a new data folder: serving the default embedder model=/);
    assert.match(r.stdout, /No characters taught yet/);
  });
});
