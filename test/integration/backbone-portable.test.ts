import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { resolveModelFile } from '../../src/core/models/cache.ts';
import { defaultEmbedderId } from '../../src/services/embedder-registry.ts';
import { runCli } from '../helpers/cli.ts';
import { labelledSubset } from '../helpers/labelled-subset.ts';
import { DATA, ROOT, tempDir } from '../helpers/paths.ts';
import { MODEL_SOURCES } from '../helpers/settings.ts';
import { mirroredModel, sharedData, skipUnless, torch } from '../helpers/prerequisites.ts';

/**
 * Issue 11 §2: a backbone training may only use the checkout, a model mirror given through
 * IDOLTAG_MODEL_MIRROR and its data folder; nothing of the machine it was written on.
 */
describe('a backbone training on a machine that is not the development machine', {
  skip: skipUnless('portable backbone training', torch(), sharedData('newgame8'), mirroredModel('mobilenetv2_12_int8')),
}, () => {
  const made: string[] = [];
  const scratch = (prefix: string) => {
    const dir = tempDir(prefix);
    made.push(dir);
    return dir;
  };
  after(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  /** Only the checkout: its own HOME, the given mirror and cache, no shared data folder, offline. */
  const strangerEnv = (mirror: string, cache: string) => ({
    HOME: scratch('idoltag-portable-home-'),
    IDOLTAG_MODEL_MIRROR: mirror,
    IDOLTAG_MODEL_CACHE: cache,
    IDOLTAG_SHARED_DATA: path.join(scratch('idoltag-portable-noshared-'), 'missing'),
    IDOLTAG_OFFLINE: '1',
  });
  /**
   * A new data folder holding 8 crops of each newgame8 character, imported through the CLI: enough for
   * a training with held-out characters (src/services/training-set.ts), and its passes stay short.
   */
  const importNewgame8 = async (env: Record<string, string>) => {
    const data = scratch('idoltag-portable-data-');
    const imported = await runCli(
      ['--data', data, 'import', labelledSubset('newgame8', 8), '--crops', '--alias', 'lijima_yun=iijima_yun'],
      env,
    );
    assert.equal(imported.code, 0, imported.stderr);
    return data;
  };

  it('starts from ImageNet with the INT8 file the manifest resolves', { timeout: 15 * 60_000 }, async () => {
    const mirror = scratch('idoltag-portable-mirror-');
    mkdirSync(path.join(mirror, 'mobilenetv2_12_int8'));
    copyFileSync(
      path.join(DATA, 'models', 'mobilenetv2_12_int8', 'mobilenetv2-12-int8.onnx'),
      path.join(mirror, 'mobilenetv2_12_int8', 'mobilenetv2-12-int8.onnx'),
    );
    const cache = scratch('idoltag-portable-cache-');
    const env = strangerEnv(mirror, cache);
    const data = await importNewgame8(env);

    // The cache now holds the INT8 file; the mirror's copy goes, so the trainer can only have the
    // file Node resolved and passed to it, not one it looked up by itself.
    const fetched = await runCli(['models', 'fetch', '--only', 'mobilenetv2_12_int8'], env);
    assert.equal(fetched.code, 0, fetched.stderr);
    rmSync(path.join(mirror, 'mobilenetv2_12_int8'), { recursive: true });

    const r = await runCli(
      [
        '--data',
        data,
        'train',
        'backbone',
        '--force',
        '--from',
        'imagenet',
        '--epochs',
        '1',
        '--max-steps',
        '2',
        '--device',
        'cpu',
      ],
      env,
    );
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^(activated|rejected): /m);
    const db = new Database(path.join(data, 'idoltag.sqlite'), { readonly: true });
    const run = db.prepare("SELECT * FROM training_runs WHERE kind = 'backbone' ORDER BY id DESC").get() as {
      model_version: string;
    };
    db.close();
    const modelJson = readFileSync(path.join(data, 'models', run.model_version, 'model.json'), 'utf8');
    const parent = JSON.parse(modelJson).parent;
    assert.equal(parent.kind, 'imagenet-int8');
    assert.equal(parent.sha256, '83530ad811bc31d2b60a5599a21265a5057608c9b044b4ee758cc22f2309f54f');
    // The trainer was handed the cached copy, not a file it knew of by itself.
    assert.ok(
      !modelJson.includes(path.resolve(ROOT, '..', 'shared')),
      `model.json names the shared folder: ${modelJson}`,
    );
    if (parent.path && path.isAbsolute(parent.path)) assert.ok(parent.path.startsWith(cache), parent.path);
  });

  it("starts a server's training from the shipped model's checkpoint, not from ImageNet", {
    timeout: 15 * 60_000,
  }, async () => {
    const env = strangerEnv(
      path.join(scratch('idoltag-portable-nomirror-'), 'missing'),
      scratch('idoltag-portable-cache-'),
    );
    const data = await importNewgame8(env);
    const r = await runCli(
      ['--data', data, 'train', 'backbone', '--force', '--epochs', '1', '--max-steps', '2', '--device', 'cpu'],
      env,
    );
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const db = new Database(path.join(data, 'idoltag.sqlite'), { readonly: true });
    const run = db.prepare("SELECT * FROM training_runs WHERE kind = 'backbone' ORDER BY id DESC").get() as {
      model_version: string;
    };
    db.close();
    const trained = JSON.parse(readFileSync(path.join(data, 'models', run.model_version, 'model.json'), 'utf8'));
    const shipped = JSON.parse(
      readFileSync(await resolveModelFile(MODEL_SOURCES, defaultEmbedderId(), 'model.json'), 'utf8'),
    );
    assert.equal(trained.parent.kind, 'checkpoint');
    assert.equal(trained.parent.id, shipped.id);
    assert.equal(trained.input.size, shipped.input.size, 'trained at the input size of the model it started from');
  });
});
