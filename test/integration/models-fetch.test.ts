import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadManifest } from '../../src/core/models/manifest.ts';
import { runCli } from '../helpers/cli.ts';
import { DATA, tempDir } from '../helpers/paths.ts';
import { mirroredModel, skipUnless } from '../helpers/prerequisites.ts';

describe('idoltag models fetch', {
  skip: skipUnless('idoltag models fetch', mirroredModel('mobilenetv2_12_int8'), mirroredModel('lbpcascade_animeface')),
}, () => {
  const cache = tempDir('idoltag-fetch-cache-');
  after(() => rmSync(cache, { recursive: true, force: true }));

  it('gets every model of the manifest into an empty cache, derived ones included', async () => {
    const { code, stdout, stderr } = await runCli(['models', 'fetch'], {
      IDOLTAG_MODEL_CACHE: cache,
      IDOLTAG_MODEL_MIRROR: path.join(DATA, 'models'),
      IDOLTAG_OFFLINE: '1',
    });
    assert.equal(code, 0, `exit ${code}\n${stdout}\n${stderr}`);
    for (const model of loadManifest()) {
      for (const file of model.files) {
        const line = stdout.split('\n').find((l) => l.startsWith(`${model.id}: `) && l.endsWith(file.name));
        assert.ok(line, `no line for ${model.id}/${file.name} in:\n${stdout}`);
        assert.ok(existsSync(line.slice(model.id.length + 2)), line);
      }
    }
  });
});
