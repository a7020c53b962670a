import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resizeRgbLinear } from '../../src/core/crop.ts';
import { decodeImage } from '../../src/core/decode.ts';
import { OnnxEmbedder, type EmbedderSpec } from '../../src/core/embed/onnx-embedder.ts';
import { resolveModelFile } from '../../src/core/models/cache.ts';
import { getModel } from '../../src/core/models/manifest.ts';
import type { RgbImage } from '../../src/core/types.ts';
import { BASE_EMBEDDER_ID } from '../../src/services/embedder-registry.ts';
import { DATA } from '../helpers/paths.ts';
import { MODEL_SOURCES } from '../helpers/settings.ts';

function mirror(image: RgbImage): RgbImage {
  const { width, height, data } = image;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++) out[(y * width + x) * 3 + c] = data[(y * width + (width - 1 - x)) * 3 + c];
  return { width, height, data: out };
}

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0);

describe('flip-averaged embeddings', () => {
  let plain: OnnxEmbedder;
  let flipped: OnnxEmbedder;
  let crop: RgbImage;

  before(async () => {
    const file = await resolveModelFile(MODEL_SOURCES, BASE_EMBEDDER_ID);
    const entry = getModel(BASE_EMBEDDER_ID);
    const spec = { input: entry.input, output: entry.output } as EmbedderSpec;
    plain = await OnnxEmbedder.load(file, spec, 'plain');
    flipped = await OnnxEmbedder.load(file, { ...spec, flipAverage: true }, 'flip');
    const row = readFileSync(path.join(DATA, 'nagadomi10', 'labels.csv'), 'utf8').split('\n')[1];
    const decoded = await decodeImage(readFileSync(path.join(DATA, 'nagadomi10', row.split(',')[0])));
    // At the network's input size already: resizing is not exactly mirror-symmetric.
    crop = await resizeRgbLinear(decoded, spec.input.size, spec.input.size);
  });

  after(async () => {
    await plain?.dispose();
    await flipped?.dispose();
  });

  it('come from the spec, give a crop and its mirror image the same vector, and differ from one view', async () => {
    const [a, b] = await flipped.embed([crop, mirror(crop)]);
    assert.ok(cosine(a, b) > 0.99999, `mirror pair cosine ${cosine(a, b)}`);
    const [p, q] = await plain.embed([crop, mirror(crop)]);
    assert.ok(cosine(p, q) < 0.999, `single views of a crop and its mirror should differ: ${cosine(p, q)}`);
    // The average lies between the two views.
    assert.ok(cosine(a, p) > cosine(p, q) && cosine(a, q) > cosine(p, q));
  });
});
