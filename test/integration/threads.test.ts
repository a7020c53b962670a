/**
 * IDOLTAG_THREADS bounds every compute pool of a process: the detector's onnxruntime session (not only the
 * embedder's) and libvips. The load benchmark's "one thread per process" setups rely on it.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import type { ChainDetector } from '../../src/core/detect/chain.ts';
import { FACEBOXES_DEFAULTS } from '../../src/core/detect/faceboxes.ts';
import { openServices, type Services } from '../../src/services/index.ts';
import { tempDir } from '../helpers/paths.ts';
import { serviceOptionsFor } from '../helpers/settings.ts';

async function detectorThreads(services: Services): Promise<unknown> {
  const chain = (await services.recognition.detector()) as ChainDetector;
  const faceboxes = chain.detectors.find((d) => d.id.startsWith('faceboxes'));
  assert.ok(faceboxes, `the default chain has FaceBoxes: ${chain.id}`);
  return faceboxes.settings.threads;
}

describe('IDOLTAG_THREADS', { timeout: 2 * 60_000 }, () => {
  const before = sharp.concurrency();
  after(() => sharp.concurrency(before));

  it('sets the detector session and libvips to that many threads', async () => {
    const services = await openServices(serviceOptionsFor(tempDir('idoltag-threads-'), { embedder: { threads: 1 } }));
    try {
      assert.equal(await detectorThreads(services), 1);
      assert.equal(sharp.concurrency(), 1);
    } finally {
      await services.close();
    }
  });

  it('leaves the defaults when unset', async () => {
    sharp.concurrency(before);
    const services = await openServices(serviceOptionsFor(tempDir('idoltag-threads-')));
    try {
      assert.equal(await detectorThreads(services), FACEBOXES_DEFAULTS.threads);
      assert.equal(sharp.concurrency(), before);
    } finally {
      await services.close();
    }
  });
});
