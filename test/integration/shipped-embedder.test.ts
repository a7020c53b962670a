import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { resolveModelFile, sha256File } from '../../src/core/models/cache.ts';
import type { HeadTrainingOptions } from '../../src/core/head/softmax-head.ts';
import { getModel } from '../../src/core/models/manifest.ts';
import { dlcNewgame8, EmbeddingCache } from '../../src/services/evaluation/index.ts';
import { openServices } from '../../src/services/index.ts';
import {
  BASE_EMBEDDER_ID,
  defaultEmbedderId,
  manifestEmbedders,
  manifestVersionId,
  resolveVersionName,
} from '../../src/services/embedder-registry.ts';
import { openStore } from '../../src/store/index.ts';
import { DATA, ROOT, tempDir } from '../helpers/paths.ts';
import { MODEL_SOURCES, serviceOptionsFor } from '../helpers/settings.ts';
import { sharedData, skipUnless } from '../helpers/prerequisites.ts';

const made: string[] = [];
function scratch(prefix: string): string {
  const dir = tempDir(prefix);
  made.push(dir);
  return dir;
}
after(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('the embedder idoltag ships', {
  skip: skipUnless('the shipped embedder', sharedData('nagadomi10'), sharedData('keima3'), sharedData('newgame8')),
}, () => {
  it('is the default, in models/ with the sha256 of every file in the manifest', async () => {
    const id = defaultEmbedderId();
    assert.notEqual(id, BASE_EMBEDDER_ID, 'the manifest names a shipped default embedder');
    const entry = getModel(id);
    assert.equal(entry.kind, 'embedder');
    assert.equal(entry.shipped, `models/${id}`);
    for (const name of ['model.onnx', 'model.json', 'checkpoint.pt']) {
      const file = entry.files.find((f) => f.name === name);
      assert.ok(file?.sha256, `${name} has a sha256`);
      const resolved = await resolveModelFile(MODEL_SOURCES, id, name);
      assert.equal(path.relative(ROOT, resolved), path.join('models', id, name));
      assert.equal(await sha256File(resolved), file.sha256);
    }
    const modelJson = readFileSync(await resolveModelFile(MODEL_SOURCES, id, 'model.json'), 'utf8');
    assert.equal(
      JSON.parse(modelJson).id,
      (await sha256File(await resolveModelFile(MODEL_SOURCES, id))).slice(0, 16),
      'model.json belongs to model.onnx',
    );
    assert.doesNotMatch(modelJson, /"\/(work|root|home|tmp)\//, 'no path of the machine it was trained on');
  });

  it('is refused when a shipped file is damaged, with what to do', { timeout: 120_000 }, async () => {
    // A copy of the checkout, so the real models/ stays untouched.
    const checkout = scratch('idoltag-damaged-checkout-');
    for (const part of ['src', 'migrations', 'package.json', 'tsconfig.json'])
      cpSync(path.join(ROOT, part), path.join(checkout, part), { recursive: true });
    mkdirSync(path.join(checkout, 'models'));
    cpSync(path.join(ROOT, 'models', 'manifest.json'), path.join(checkout, 'models', 'manifest.json'));
    const id = defaultEmbedderId();
    for (const shipped of manifestEmbedders().flatMap((m) => (m.shipped ? [m.shipped] : [])))
      cpSync(path.join(ROOT, shipped), path.join(checkout, shipped), { recursive: true });
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(checkout, 'node_modules'));
    const onnx = path.join(checkout, 'models', id, 'model.onnx');
    const bytes = readFileSync(onnx);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(onnx, bytes);
    const data = scratch('idoltag-damaged-data-');
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(checkout, 'src', 'cli', 'main.ts'),
        '--data',
        data,
        'tag',
        '--crops',
        path.join(DATA, 'newgame8', 'faces', 'ahagon_umiko', '0.jpg'),
      ],
      {
        cwd: checkout,
        encoding: 'utf8',
        env: { ...process.env, IDOLTAG_LOG_LEVEL: 'warn' },
      },
    );
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`models/${id}/model\\.onnx is damaged`));
    assert.match(r.stderr, /git checkout -- /);
  });

  it('serves a new data folder; an existing folder keeps its model until it activates the shipped one', {
    timeout: 5 * 60_000,
  }, async () => {
    const fresh = await openServices(serviceOptionsFor(scratch('idoltag-new-folder-')));
    try {
      assert.equal(fresh.embedders.activeVersion(), manifestVersionId(getModel(defaultEmbedderId())));
      assert.equal(
        (await fresh.embedders.activeEmbedder()).dim,
        JSON.parse(readFileSync(await resolveModelFile(MODEL_SOURCES, defaultEmbedderId(), 'model.json'), 'utf8'))
          .output.dim,
      );
    } finally {
      await fresh.close();
    }

    // A folder made before the shipped model: it serves the ImageNet base and has taught faces.
    const dataDir = scratch('idoltag-old-folder-');
    const old = await openServices(serviceOptionsFor(dataDir));
    const imagenet = resolveVersionName('imagenet');
    await old.activateEmbedder(imagenet);
    const faces = ['ahagon_umiko/0.jpg', 'ahagon_umiko/2.jpg', 'toyama_rin/1.jpg', 'toyama_rin/10.jpg'];
    for (const face of faces) {
      const character = face.split('/')[0];
      const result = await old.teaching.teach({
        guildId: 'g',
        character,
        by: 'test',
        crops: true,
        previews: false,
        images: [
          {
            bytes: readFileSync(path.join(DATA, 'newgame8', 'faces', face)),
            name: face,
            source: { kind: 'import', path: face },
          },
        ],
      });
      assert.ok(
        result.results.every((x) => x.ok),
        JSON.stringify(result.results),
      );
    }
    await old.close();

    const reopened = await openServices(serviceOptionsFor(dataDir));
    try {
      assert.equal(reopened.embedders.activeVersion(), imagenet, 'an existing folder keeps its model');
      const shipped = resolveVersionName('default');
      assert.ok(
        reopened.embedders.versions().some((v) => v.id === shipped),
        'the shipped model is registered, ready to activate',
      );
      await reopened.activateEmbedder(shipped);
      assert.equal(reopened.embedders.activeVersion(), shipped);
      const store = openStore(dataDir);
      try {
        assert.equal(store.embeddings.missingFor(shipped).length, 0, 'every taught face was re-embedded');
      } finally {
        store.close();
      }
      const head = reopened.heads.current('g');
      assert.deepEqual(head?.head.labels, ['ahagon_umiko', 'toyama_rin']);
      await reopened.activateEmbedder(resolveVersionName('imagenet'));
      assert.equal(reopened.embedders.activeVersion(), imagenet, 'ImageNet stays selectable');
    } finally {
      await reopened.close();
    }
  });

  it('beats ImageNet on the newgame8 DLC protocol (issue target: 0.40 more named right)', {
    timeout: 15 * 60_000,
  }, async (t) => {
    const services = await openServices(serviceOptionsFor(scratch('idoltag-dlc-')));
    const cache = new EmbeddingCache(services, true);
    try {
      const namedRight = async (head?: HeadTrainingOptions) => {
        const report = await services.evaluation.run({ ...dlcNewgame8(DATA), head, cache });
        return report.dlc!.new.labelAccuracy.mean;
      };
      const shipped = await namedRight();
      await services.activateEmbedder(resolveVersionName('imagenet'));
      // What a new data folder got before: ImageNet, and the gate as it was then.
      const imagenetBefore = await namedRight({
        knownAcceptance: 0.98,
        neverTaughtRejection: null,
        minProbability: 0.35,
      });
      // ImageNet at today's gate, which names more of its few-shot characters too.
      const imagenetNow = await namedRight();
      const figures = `shipped ${shipped.toFixed(3)}, ImageNet before ${imagenetBefore.toFixed(3)}, ImageNet at today's gate ${imagenetNow.toFixed(3)}`;
      t.diagnostic(figures);
      // Measured with idoltag_idols_v5 on an AMD EPYC: 0.942 / 0.414 / 0.553 (the 0.41 the issue recorded
      // for ImageNet); v4 on an Intel Xeon: 0.941 / 0.414 / 0.553. ImageNet's INT8 network scored higher on
      // another AMD EPYC (0.534 / 0.627: integer kernels differ between CPUs), where the margin was about
      // 0.40, so 0.40 is asserted as the issue asks; the margin at today's gate is guarded at what that gave.
      assert.ok(shipped - imagenetBefore >= 0.4, figures);
      assert.ok(shipped - imagenetNow >= 0.25, figures);
    } finally {
      await services.close();
    }
  });
});
