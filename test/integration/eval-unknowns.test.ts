/**
 * Unknown faces: two characters nobody taught (keima3's Maki and Riko) are tagged, their faces
 * fall into separate clusters, and naming one teaches all its faces at once.
 *
 *   IDOLTAG_MODEL_MIRROR=../shared/data/models node --import tsx --test test/integration/eval-unknowns.test.ts
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { openServices, type Services } from '../../src/services/index.ts';
import type { UnknownCluster } from '../../src/services/unknowns.ts';
import { openStore } from '../../src/store/index.ts';
import { idoltag, rows } from './eval-fixture.ts';
import { mirroredModel, sharedData, skipUnless } from '../helpers/prerequisites.ts';
import { serviceOptionsFor } from '../helpers/settings.ts';

const skip = skipUnless(
  'unknown-face clusters',
  sharedData('nagadomi10'),
  sharedData('keima3'),
  mirroredModel('mobilenetv2_12_int8'),
);
const PER_CHARACTER = 20;

describe('unknown-face clusters', { skip, timeout: 240_000 }, () => {
  let dir: string;
  let services: Services;
  const truth = new Map<number, string>();
  let clusters: UnknownCluster[];

  const majority = (c: UnknownCluster) => {
    const counts = new Map<string, number>();
    for (const id of c.faceIds) counts.set(truth.get(id)!, (counts.get(truth.get(id)!) ?? 0) + 1);
    const [label, n] = [...counts].sort((a, b) => b[1] - a[1])[0];
    return { label, purity: n / c.size };
  };

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'idoltag-unknowns-test-'));
    services = await openServices(serviceOptionsFor(dir));
    // Nobody is taught yet, so every face is "unknown".
    const keima = rows('keima3');
    for (const label of ['nishikino_maki', 'sakurauchi_riko']) {
      for (const row of keima.filter((r) => r.label === label).slice(0, PER_CHARACTER)) {
        const result = await services.tagging.tagImage({
          guildId: 'g',
          bytes: readFileSync(row.path),
          source: { kind: 'file', path: row.path },
          crops: true,
        });
        assert.equal(result.faces[0].label, null);
        truth.set(result.faces[0].faceId, label);
      }
    }
  });
  after(async () => {
    await services?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the two characters' faces land in separate clusters", async () => {
    const listing = await services.unknowns.listClusters('g');
    clusters = listing.clusters;
    assert.equal(listing.unknownFaces, 2 * PER_CHARACTER);
    assert.ok(clusters.length >= 2, `only ${clusters.length} clusters`);
    assert.ok(clusters[0].size >= clusters[1].size, 'largest first');
    const [a, b] = [majority(clusters[0]), majority(clusters[1])];
    assert.notEqual(a.label, b.label);
    assert.ok(a.purity >= 0.75 && b.purity >= 0.75, `purity ${a.purity}, ${b.purity}`);
    for (const c of clusters) assert.ok(c.size >= 3);
    // Stable ids: the same faces give the same clusters again.
    assert.deepEqual(
      (await services.unknowns.listClusters('g')).clusters.map((c) => c.id),
      clusters.map((c) => c.id),
    );
    const sheet = await services.unknowns.contactSheet('g', clusters[0].id);
    const meta = await sharp(sheet).metadata();
    assert.equal(meta.format, 'png');
    assert.ok(meta.width! > 300 && meta.height! > 100);
  });

  test('naming a cluster teaches its faces (but the excluded) and refits the head', async () => {
    const target = clusters[0];
    const { label } = majority(target);
    const stray = target.faceIds.find((id) => truth.get(id) !== label) ?? target.faceIds[0];
    const result = await services.unknowns.nameCluster('g', target.id.slice(0, 6), label, 'cli', [stray]);
    assert.equal(result.taught, target.size - 1);
    assert.equal(result.character, label);
    const store = openStore(dir);
    for (const id of target.faceIds) {
      const current = store.labels.current(id)!;
      if (id === stray) assert.equal(current.source, 'predicted');
      else {
        assert.equal(current.source, 'corrected');
        assert.equal(current.by_user, 'cli');
        assert.equal(store.characters.byId('g', current.character_id!)!.name_key, label);
      }
    }
    store.close();
    assert.deepEqual(services.heads.current('g')!.head.labels, [label]);
    const after = await services.unknowns.listClusters('g');
    assert.equal(after.unknownFaces, 2 * PER_CHARACTER - result.taught);
    assert.ok(!after.clusters.some((c) => c.id === target.id));
    await assert.rejects(services.unknowns.nameCluster('g', target.id, label, 'cli'), /no unknown-face cluster/);
  });

  test('the CLI lists clusters with contact sheets and names one', async () => {
    await services.close();
    const out = path.join(dir, 'sheets');
    const listing = JSON.parse(
      (await idoltag(['--data', dir, '--guild', 'g', 'unknowns', '--out', out, '--json'])).stdout,
    );
    assert.ok(listing.clusters.length >= 1);
    assert.equal(readdirSync(out).length, listing.clusters.length);
    assert.match(readdirSync(out).sort()[0], new RegExp(`^01-${listing.clusters[0].id}\\.png$`));
    const { stdout } = await idoltag([
      '--data',
      dir,
      '--guild',
      'g',
      'unknowns',
      'name',
      listing.clusters[0].id,
      'Riko',
    ]);
    assert.match(stdout, new RegExp(`Named ${listing.clusters[0].size} faces Riko \\(a new character\\)`));
    services = await openServices(serviceOptionsFor(dir));
    const store = openStore(dir);
    assert.ok(store.characters.find('g', 'riko'));
    store.close();
  });
});
