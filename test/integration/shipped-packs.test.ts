/**
 * The shipped roster packs: each is listed in models/manifest.json with its sha256, stays under 4 MB,
 * decodes, holds no character without references, and has references for the default embedder. When the
 * default embedder changes, this fails until the packs are rebuilt (docs/packs.md).
 *
 *   node --import tsx --test test/integration/shipped-packs.test.ts
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { getModel, PROJECT_ROOT } from '../../src/core/models/manifest.ts';
import { decodePack } from '../../src/core/packs/pack-file.ts';
import { defaultEmbedderId, manifestVersionId } from '../../src/services/embedder-registry.ts';
import { openServices, type Services } from '../../src/services/index.ts';
import { shippedPacks } from '../../src/services/packs/library.ts';
import { tempDir } from '../helpers/paths.ts';
import { serviceOptionsFor } from '../helpers/settings.ts';

const EXPECTED = ['cinderella-girls', 'genshin-impact', 'million-live', 'project-sekai', 'uma-musume'];
const MAX_BYTES = 4 * 1024 * 1024;

describe('shipped roster packs', () => {
  const entries = shippedPacks();
  const defaultVersion = manifestVersionId(getModel(defaultEmbedderId()));
  let services: Services | undefined;

  after(async () => {
    await services?.close();
  });

  test('the five packs are in the manifest', () => {
    assert.deepEqual(entries.map((e) => e.id.replace(/^pack-/, '')).sort(), EXPECTED);
  });

  for (const entry of entries) {
    test(`${entry.id}: its file matches the manifest, stays small and has references for the default embedder`, () => {
      const file = entry.files[0];
      const full = path.join(PROJECT_ROOT, entry.shipped ?? '', file.name);
      const bytes = readFileSync(full);
      assert.equal(createHash('sha256').update(bytes).digest('hex'), file.sha256, 'sha256');
      assert.equal(statSync(full).size, file.bytes);
      assert.ok(bytes.length <= MAX_BYTES, `${bytes.length} bytes`);
      const pack = decodePack(bytes, file.name);
      assert.equal(`pack-${pack.header.id}`, entry.id);
      const refs = pack.references.find((r) => r.embedder === defaultVersion);
      assert.ok(
        refs,
        `${entry.id} has no references for the default embedder ${defaultVersion}: rebuild it (docs/packs.md)`,
      );
      const covered = new Set(refs.characterIndex);
      const without = pack.header.characters.filter((_, i) => !covered.has(i)).map((c) => c.id);
      assert.deepEqual(without, [], 'every character has references');
    });
  }

  test('a new data folder lists every shipped pack, added to no guild', async () => {
    services = await openServices(serviceOptionsFor(tempDir('idoltag-shipped-packs-'), { refitStaleHeads: false }));
    const list = services.roster.list('g');
    assert.deepEqual(list.map((p) => p.id).sort(), EXPECTED);
    assert.ok(list.every((p) => !p.added && p.covered && p.origin === 'shipped'));
  });
});
