import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { EmbedderRegistry, resolveVersionName } from '../../src/services/embedder-registry.ts';
import { openStore } from '../../src/store/index.ts';
import { tempDir } from '../helpers/paths.ts';

const SPEC = { input: { name: 'input', size: 160, mean: [0.5], std: [0.5] }, output: { name: 'pooled', dim: 4 } };

describe('model versions', () => {
  it('are stored with their spec and metrics decoded, and training runs with their metrics', () => {
    const store = openStore(tempDir());
    store.embedders.upsert({
      id: 'backbone-1@abc',
      path: 'models/b/model.onnx',
      spec: SPEC,
      metrics: { parity: 1e-5 },
    });
    store.embedders.upsert({ id: 'plain@def', path: 'models/p/model.onnx', spec: SPEC });
    assert.deepEqual(store.embedders.get('backbone-1@abc')?.spec, SPEC);
    assert.deepEqual(store.embedders.get('backbone-1@abc')?.metrics, { parity: 1e-5 });
    assert.equal(store.embedders.get('plain@def')?.metrics, null);
    store.embedders.activate('plain@def');
    assert.equal(store.embedders.active()?.id, 'plain@def');
    assert.deepEqual(
      store.embedders.list().map((row) => row.spec),
      [SPEC, SPEC],
    );
    const run = store.trainingRuns.start('backbone', null);
    store.trainingRuns.finish(run, 'succeeded', { modelVersion: 'backbone-1@abc', metrics: { labels: 12 } });
    assert.deepEqual(store.trainingRuns.lastSucceeded('backbone')?.metrics, { labels: 12 });
    store.close();
  });

  it('are listed for `idoltag embedder list`: shipped or trained, and the held-out figures of a training', () => {
    const store = openStore(tempDir());
    const shipped = resolveVersionName('imagenet');
    store.embedders.upsert({ id: shipped, path: 'manifest:mobilenetv2_pool', spec: SPEC });
    const val = { pooled: { map_at_r: 0.41, recall_at_1: 0.83 } };
    store.embedders.upsert({
      id: 'backbone-2@abc',
      path: 'models/b/model.onnx',
      spec: SPEC,
      metrics: { trainer: { val } },
    });
    store.embedders.activate('backbone-2@abc');
    const registry = new EmbedderRegistry(store, pino({ level: 'silent' }), { offline: true });
    assert.deepEqual(
      registry
        .versions()
        .map(({ createdAt: _, ...v }) => v)
        .sort((a, b) => Number(a.active) - Number(b.active)),
      [
        { id: shipped, active: false, shipped: 'shipped', heldOut: undefined },
        { id: 'backbone-2@abc', active: true, shipped: undefined, heldOut: { mapAtR: 0.41, recallAt1: 0.83 } },
      ],
    );
    store.close();
  });
});
