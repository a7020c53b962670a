// The CLI process itself refuses a bad setting (the settings' own checks are in test/unit/settings.test.ts).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/paths.ts';

describe('a bad setting on the command line', () => {
  it('stops the CLI with one message naming the variable, before any work', async () => {
    const data = tempDir('idoltag-settings-');
    const r = await runCli(['--data', data, 'characters'], { IDOLTAG_DEVICE: 'gpu' });
    rmSync(data, { recursive: true, force: true });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /idoltag: Some settings need a look/);
    assert.match(r.stderr, /IDOLTAG_DEVICE must be auto, cpu or cuda/);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace');
  });
});
