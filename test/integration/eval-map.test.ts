/**
 * The embedding map: renderEmbeddingMap on a small real guild, and `idoltag map` writing the PNG
 * and the self-contained HTML page.
 *
 *   IDOLTAG_MODEL_MIRROR=../shared/data/models node --import tsx --test test/integration/eval-map.test.ts
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { openServices, type Services } from '../../src/services/index.ts';
import { idoltag, pick, rows } from './eval-fixture.ts';
import { mirroredModel, sharedData, skipUnless } from '../helpers/prerequisites.ts';
import { serviceOptionsFor } from '../helpers/settings.ts';

const skip = skipUnless(
  'embedding map',
  sharedData('nagadomi10'),
  sharedData('keima3'),
  mirroredModel('mobilenetv2_12_int8'),
);

describe('embedding map', { skip, timeout: 180_000 }, () => {
  let dir: string;
  let services: Services;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'idoltag-map-test-'));
    services = await openServices(serviceOptionsFor(dir));
    const taught = pick('nagadomi10', ['hatsune_miku', 'shana', 'suzumiya_haruhi'], 8, 0);
    for (const label of new Set(taught.map((r) => r.label))) {
      await services.teaching.teach({
        guildId: 'local',
        character: label,
        by: 'test',
        crops: true,
        refit: false,
        previews: false,
        images: taught.filter((r) => r.label === label).map((r) => ({ bytes: readFileSync(r.path), name: r.path })),
      });
    }
    await services.teaching.teach({
      guildId: 'local',
      character: 'nishikino_maki',
      by: 'test',
      crops: true,
      previews: false,
      images: rows('keima3')
        .filter((r) => r.label === 'nishikino_maki')
        .slice(0, 6)
        .map((r) => ({ bytes: readFileSync(r.path), name: r.path })),
    });
    // Some predictions and unknowns too.
    for (const r of [
      ...pick('nagadomi10', ['shana'], 0, 4),
      ...rows('keima3')
        .filter((x) => x.label === 'sakurauchi_riko')
        .slice(0, 4),
    ]) {
      await services.tagging.tagImage({
        guildId: 'local',
        bytes: readFileSync(r.path),
        source: { kind: 'file', path: r.path },
        crops: true,
      });
    }
  });
  after(async () => {
    await services?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('renderEmbeddingMap: a PNG of the asked size and a self-contained page', async () => {
    const map = await services.embeddingMap.render('local', {
      highlight: ['NISHIKINO_MAKI'],
      width: 1200,
      height: 800,
    });
    assert.equal(map.faces, 38);
    assert.equal(map.characters, 4);
    const meta = await sharp(map.png).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 1200, 800]);
    assert.match(map.html, /^<!doctype html>/);
    assert.match(map.html, /<svg[^>]+viewBox="0 0 1200 800"/);
    assert.match(map.html, /nishikino_maki\s+\(new\)/);
    assert.ok(!/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org)/.test(map.html), 'no external resources');
    assert.equal((map.html.match(/data-i="/g) ?? []).length, 38);
  });

  test('idoltag map writes the PNG (default 1600 × 1000) and the HTML', async () => {
    await services.close();
    const png = path.join(dir, 'map.png');
    const html = path.join(dir, 'map.html');
    const { stdout } = await idoltag([
      '--data',
      dir,
      'map',
      '--out',
      png,
      '--html',
      html,
      '--highlight',
      'nishikino_maki',
    ]);
    assert.match(stdout, /Mapped 38 faces of 4 characters/);
    const meta = await sharp(png).metadata();
    assert.deepEqual([meta.width, meta.height], [1600, 1000]);
    assert.ok(existsSync(html) && readFileSync(html, 'utf8').includes('data:image/jpeg;base64,'));
    services = await openServices(serviceOptionsFor(dir));
  });
});
