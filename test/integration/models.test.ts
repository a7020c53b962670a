import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, it } from 'node:test';
import { ort } from '../../src/core/onnx-runtime.ts';
import { loadRuntimeSettings, modelSources } from '../../src/config.ts';
import { ModelUnavailableError, resolveModelFile, sha256File, sourcesOf } from '../../src/core/models/cache.ts';
import { getModel } from '../../src/core/models/manifest.ts';
import { DATA, tempDir } from '../helpers/paths.ts';

const MIRROR = path.join(DATA, 'models');

describe('models fetched by name', () => {
  let cacheDir = '';
  const from = (mirrorDir: string) => ({ cacheDir, mirrorDir, offline: true });
  beforeEach(() => {
    cacheDir = tempDir('idoltag-cache-');
  });

  it('copies a model from the mirror into the cache and verifies its hash', async () => {
    const file = await resolveModelFile(from(MIRROR), 'lbpcascade_animeface');
    assert.ok(file.startsWith(cacheDir));
    assert.equal(await sha256File(file), '9376d30ac38db6bda2a68b88b3b76bbd7e6aa33af47f7f5c76bc88ca75f1ce30');
  });

  it('names the file, the URL and the variable when a model is missing', async () => {
    await assert.rejects(
      resolveModelFile(from(tempDir('idoltag-empty-mirror-')), 'mobilenetv2_12_int8'),
      (err: Error) => {
        assert.ok(err instanceof ModelUnavailableError);
        assert.match(err.message, /mobilenetv2-12-int8\.onnx/);
        assert.match(err.message, /https:\/\/github\.com\/onnx\/models/);
        assert.match(err.message, /IDOLTAG_MODEL_MIRROR/);
        return true;
      },
    );
  });

  it('refuses a corrupt mirror copy and re-fetches a corrupted cache entry', async () => {
    const badMirror = tempDir('idoltag-bad-mirror-');
    mkdirSync(path.join(badMirror, 'lbpcascade_animeface'));
    writeFileSync(path.join(badMirror, 'lbpcascade_animeface', 'lbpcascade_animeface.xml'), 'tampered');
    await assert.rejects(resolveModelFile(from(badMirror), 'lbpcascade_animeface'), /does not match/);

    const file = await resolveModelFile(from(MIRROR), 'lbpcascade_animeface');
    writeFileSync(file, 'corrupted in the cache');
    const again = await resolveModelFile(from(MIRROR), 'lbpcascade_animeface');
    assert.notEqual(readFileSync(again, 'utf8'), 'corrupted in the cache');
  });

  it('derives the pooled-feature MobileNetV2 graph and caches it with its own hash', async () => {
    const file = await resolveModelFile(from(MIRROR), 'mobilenetv2_pool');
    assert.ok(existsSync(`${file}.sha256`));
    assert.equal(readFileSync(`${file}.sha256`, 'utf8').trim(), await sha256File(file));
    const session = await ort.InferenceSession.create(file);
    assert.ok(session.outputNames.includes('pooled'));
    const input = new ort.Tensor('float32', new Float32Array(2 * 3 * 224 * 224).fill(0.1), [2, 3, 224, 224]);
    const out = await session.run({ input }, ['pooled']);
    assert.deepEqual(out.pooled.dims, [2, 1280]);
    await session.release();
    // A copy in a fresh cache is rebuilt byte for byte.
    const first = readFileSync(file);
    cacheDir = tempDir('idoltag-cache-');
    assert.ok(first.equals(readFileSync(await resolveModelFile(from(MIRROR), 'mobilenetv2_pool'))));
  });

  it('reaches upstream unless IDOLTAG_OFFLINE says offline (0 means online)', () => {
    const model = getModel('mobilenetv2_12_int8');
    const [file] = model.files;
    const tried = (offline: string) =>
      sourcesOf(modelSources(loadRuntimeSettings({ IDOLTAG_OFFLINE: offline })), model, file).map(([where]) => where);
    for (const online of ['0', 'false', 'no', 'off', '']) assert.deepEqual(tried(online), [file.url], online);
    for (const offline of ['1', 'true', 'yes', 'on']) assert.deepEqual(tried(offline), [], offline);
  });
});
