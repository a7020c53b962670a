/**
 * Tagging encodes each face's crop while the network embeds it (`encodeCrops`). What lands in the
 * data folder must still be, face by face, the very crop that was embedded: re-embedding reads it
 * back. Here on a real group picture (13 faces, so the order of the encodings matters), and on a
 * close-up in a 1080p frame, whose crop is shrunk before it is embedded and kept.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { MAX_CROP_SIDE } from '../../src/core/pipeline.ts';
import { openServices, type Services } from '../../src/services/index.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { DATA, tempDir } from '../helpers/paths.ts';
import { serviceOptionsFor } from '../helpers/settings.ts';

const GUILD = '100000000000000001';

describe('crops stored by tagging', { timeout: 3 * 60_000 }, () => {
  let services: Services;
  // The rows the services wrote, read beside them (the services do not hand out their store).
  let store: Store;
  let dataDir: string;
  before(async () => {
    dataDir = tempDir('idoltag-tag-crops-');
    services = await openServices(serviceOptionsFor(dataDir));
    store = openStore(dataDir);
  });
  after(async () => {
    store?.close();
    await services?.close();
  });

  it('are the embedded crops, each under its own face, and re-embed to the stored vector', async () => {
    const bytes = readFileSync(path.join(DATA, 'multiface', 'images', 'xavier_test_1.jpg'));
    const tagged = await services.tagging.tagImage({
      guildId: GUILD,
      bytes,
      source: { kind: 'file', path: 'group.jpg' },
    });
    assert.ok(tagged.faces.length >= 10, `a group picture: ${tagged.faces.length} faces`);

    const fresh = await services.recognition.recognise(bytes, { wholeImageFallback: true });
    const rows = store.images.facesOfImage(tagged.imageId);
    assert.equal(rows.length, fresh.faces.length);
    const version = services.embedders.activeVersion();
    for (const row of rows) {
      const face = fresh.faces.find((f) => f.box.x === row.x && f.box.y === row.y && f.box.w === row.w);
      assert.ok(face, `face ${row.id} at ${row.x},${row.y} is found again`);
      const png = readFileSync(path.join(dataDir, row.crop_path));
      const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([info.width, info.height, info.channels], [face.crop.width, face.crop.height, 3]);
      assert.ok(Buffer.from(face.crop.data).equals(data), `face ${row.id}: the stored crop is the embedded one`);

      const stored = store.embeddings.get(row.id, version);
      assert.ok(stored, `face ${row.id} has an embedding`);
      const again = await services.recognition.recognise(png, { crops: true });
      const cosine = again.faces[0].embedding.reduce((s, v, i) => s + v * stored[i], 0);
      assert.ok(cosine > 0.999, `face ${row.id}: re-embedding its crop gives cosine ${cosine}`);
    }
  });

  it('of a close-up in a 1080p frame are shrunk to MAX_CROP_SIDE, named as the full crop is', async () => {
    const shot = path.join(DATA, 'screenshots_syncopika', 'images', 'aletta7.jpg');
    const bytes = await sharp(shot).resize(1920, 1080, { fit: 'contain', background: '#000' }).jpeg().toBuffer();
    const tagged = await services.tagging.tagImage({
      guildId: GUILD,
      bytes,
      source: { kind: 'file', path: 'big.jpg' },
    });
    assert.equal(tagged.faces.length, 1);
    assert.ok(tagged.faces[0].box.w > MAX_CROP_SIDE, `a close-up: a ${tagged.faces[0].box.w} px face`);
    const [row] = store.images.facesOfImage(tagged.imageId);
    const png = readFileSync(path.join(dataDir, row.crop_path));
    const meta = await sharp(png).metadata();
    assert.equal(Math.max(meta.width!, meta.height!), MAX_CROP_SIDE);

    // The full-size crop embeds to (nearly) the same vector: nothing the embedder sees was lost.
    const full = await services.recognition.recognise(bytes, { maxCropSide: 4096 });
    assert.ok(full.faces[0].crop.width > MAX_CROP_SIDE);
    const stored = store.embeddings.get(row.id, services.embedders.activeVersion())!;
    const cosine = full.faces[0].embedding.reduce((s, v, i) => s + v * stored[i], 0);
    assert.ok(cosine > 0.99, `cosine ${cosine} between the shrunk and the full crop's embeddings`);
  });
});
