import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { jsonLines, runCli } from '../helpers/cli.ts';
import { DATA, tempDir } from '../helpers/paths.ts';
import { sharedData, skipUnless } from '../helpers/prerequisites.ts';

const SHOTS = path.join(DATA, 'screenshots_syncopika', 'images');
/** Screenshots of the same character from different scenes: all but the last are taught, the last is tagged. */
const CHARACTERS: Record<string, string[]> = {
  kyaru: ['kyaru7', 'kyaru10', 'kyaru12', 'kyaru15', 'kyaru17'],
  lillie: ['lillie3', 'lillie4', 'lillie5', 'lillie17'],
  jashinchan: ['jashinchan3', 'jashinchan5', 'jashinchan13'],
};

describe('running and tagging need Node alone', {
  skip: skipUnless('Node-only tagging', sharedData('screenshots_syncopika', 'boxes.csv')),
}, () => {
  const made: string[] = [];
  const scratch = (prefix: string) => {
    const dir = tempDir(prefix);
    made.push(dir);
    return dir;
  };
  after(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const cache = scratch('idoltag-nopython-cache-');
  // No Python at all, a model cache that starts empty, and nothing to fetch models from: the shipped
  // detector and embedder are all it has.
  const nowhere = path.join(scratch('idoltag-nopython-'), 'missing');
  const env = {
    IDOLTAG_PYTHON: path.join(nowhere, 'python3'),
    IDOLTAG_MODEL_CACHE: cache,
    IDOLTAG_MODEL_MIRROR: nowhere,
    IDOLTAG_OFFLINE: '1',
  };

  it('finds and names the faces of screenshots with an empty model cache, no model mirror and no Python', {
    timeout: 10 * 60_000,
  }, async () => {
    const data = scratch('idoltag-nopython-data-');
    const teach = scratch('idoltag-nopython-teach-');
    for (const [character, shots] of Object.entries(CHARACTERS)) {
      mkdirSync(path.join(teach, character));
      for (const shot of shots.slice(0, -1))
        symlinkSync(path.join(SHOTS, `${shot}.jpg`), path.join(teach, character, `${shot}.jpg`));
    }
    const taught = await runCli(['--data', data, 'import', teach], env);
    assert.equal(taught.code, 0, taught.stderr);
    assert.match(taught.stdout, /Taught 9 faces of 3 characters \(0 skipped/);

    const held = Object.entries(CHARACTERS).map(([character, shots]) => [
      character,
      path.join(SHOTS, `${shots.at(-1)}.jpg`),
    ]);
    const tagged = await runCli(['--data', data, 'tag', '--json', ...held.map(([, file]) => file)], env);
    assert.equal(tagged.code, 0, tagged.stderr);
    const lines = jsonLines(tagged.stdout);
    held.forEach(([character], i) => {
      assert.equal(lines[i].error, null);
      assert.ok(lines[i].faces.length >= 1, `a face found in ${held[i][1]}`);
      assert.equal(
        lines[i].faces[0].candidates[0].label,
        character,
        `${held[i][1]}: ${JSON.stringify(lines[i].faces[0])}`,
      );
    });
    const named = held.filter(([character], i) =>
      lines[i].faces.some((f: { label: string | null }) => f.label === character),
    ).length;
    assert.ok(named >= 2, `named ${named} of ${held.length}: ${tagged.stdout}`);
  });

  it('says in one sentence, with the install command, that face-model training needs PyTorch', {
    timeout: 120_000,
  }, async () => {
    const fakeBin = scratch('idoltag-notorch-');
    const noTorch = path.join(fakeBin, 'python3');
    writeFileSync(noTorch, '#!/bin/sh\necho "ModuleNotFoundError: No module named \'torch\'" >&2\nexit 1\n');
    chmodSync(noTorch, 0o755);
    for (const [python, why] of [
      [env.IDOLTAG_PYTHON, /could not be started/],
      [noTorch, /has no torch module/],
    ] as const) {
      const data = scratch('idoltag-notorch-data-');
      const r = await runCli(['--data', data, 'train', 'backbone', '--force'], { ...env, IDOLTAG_PYTHON: python });
      assert.equal(r.code, 1);
      const said = (r.stdout + r.stderr).trim();
      assert.equal(said.split('\n').length, 1, said);
      assert.match(said, /needs Python 3 with PyTorch/);
      assert.match(said, why);
      assert.match(said, /pip install torch torchvision onnx/);
      assert.doesNotMatch(said, /\n\s+at |Error:/);
      assert.deepEqual(
        readdirSync(path.join(data)).filter((f) => f === 'training'),
        [],
        'no training folder was started',
      );
    }
  });
});
