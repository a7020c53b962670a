/**
 * `idoltag embedder` lists and activates embedder versions; `model`, its old name one letter from
 * `models` (the model files), still works for scripts but is left out of the help.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/paths.ts';

describe('idoltag embedder', { timeout: 2 * 60_000 }, () => {
  const data = tempDir('idoltag-embedder-');
  after(() => rmSync(data, { recursive: true, force: true }));

  it('lists the embedder in service, under its new name and its hidden old one', async () => {
    const listed = await runCli(['--data', data, 'embedder', 'list']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^\* \S+@\S+\t/m, 'the base embedder, marked as in service');
    const old = await runCli(['--data', data, 'model', 'list']);
    assert.equal(old.code, 0, old.stderr);
    assert.equal(old.stdout, listed.stdout);
  });

  it('shows `embedder` and `models` in the help, not `model`', async () => {
    const help = await runCli(['--help']);
    assert.match(help.stdout, /^\s+embedder\b/m);
    assert.match(help.stdout, /^\s+models\b/m);
    assert.doesNotMatch(help.stdout, /^\s+model\s/m);
  });
});
