import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseCsv } from '../../src/core/labelled-files.ts';
import { sha256 } from '../../src/services/files.ts';
import { jsonLines, runCli } from '../helpers/cli.ts';
import { DATA, tempDir } from '../helpers/paths.ts';
import { mirroredModel, sharedData, skipUnless } from '../helpers/prerequisites.ts';

const SCREENSHOTS = path.join(DATA, 'screenshots_syncopika');
const skip = skipUnless(
  'the CLI with the default detector',
  sharedData('screenshots_syncopika', 'boxes.csv'),
  sharedData('multiface', 'images.csv'),
  mirroredModel('mobilenetv2_12_int8'),
);
const boxes = skip ? [] : parseCsv(readFileSync(path.join(SCREENSHOTS, 'boxes.csv'), 'utf8'));

function hits(hand: { x: number; y: number; w: number; h: number }, found: number[][]): boolean {
  const cx = hand.x + hand.w / 2;
  const cy = hand.y + hand.h / 2;
  return found.some(([x, y, w, h]) => {
    const ix = Math.max(0, Math.min(x + w, hand.x + hand.w) - Math.max(x, hand.x));
    const iy = Math.max(0, Math.min(y + h, hand.y + hand.h) - Math.max(y, hand.y));
    const iou = (ix * iy) / (w * h + hand.w * hand.h - ix * iy);
    return iou >= 0.3 || (cx >= x && cx <= x + w && cy >= y && cy <= y + h);
  });
}

describe('idoltag CLI with the default face detector', { skip }, () => {
  const data = tempDir();

  it('finds the boxed face in real screenshots', async () => {
    const sample = boxes.slice(0, 8);
    const r = await runCli(['--data', data, 'tag', '--json', ...sample.map((b) => path.join(SCREENSHOTS, b.path))]);
    assert.equal(r.code, 0, r.stderr);
    const lines = jsonLines(r.stdout);
    let found = 0;
    sample.forEach((b, i) => {
      assert.equal(lines[i].error, null);
      const hand = { x: +b.x, y: +b.y, w: +b.w, h: +b.h };
      if (
        hits(
          hand,
          lines[i].faces.map((f: any) => f.box),
        )
      )
        found++;
    });
    assert.ok(found >= 7, `found ${found}/8 boxed faces`);
  });

  it('finds many faces in a group illustration', async () => {
    const rows = parseCsv(readFileSync(path.join(DATA, 'multiface', 'images.csv'), 'utf8'));
    const cover = rows.find((r) => r.path.includes('xavier_test_1'))!;
    const r = await runCli(['--data', data, 'tag', '--json', path.join(DATA, 'multiface', cover.path)]);
    const [line] = jsonLines(r.stdout);
    assert.equal(line.error, null);
    assert.ok(line.faces.length >= 9, `found ${line.faces.length} of ~${cover.approx_face_count} faces`);
    for (const face of line.faces) {
      const [x, y, w, h] = face.box;
      assert.ok(
        x >= 0 && y >= 0 && x + w <= +cover.width + 1 && y + h <= +cover.height + 1,
        'boxes lie inside the image',
      );
    }
  });

  it('sorts screenshots into folders without touching the originals', async () => {
    const input = tempDir();
    for (const b of boxes.slice(0, 3))
      copyFileSync(path.join(SCREENSHOTS, b.path), path.join(input, path.basename(b.path)));
    mkdirSync(path.join(input, 'nested'));
    copyFileSync(path.join(DATA, 'multiface', 'images', 'xavier_test_1.jpg'), path.join(input, 'nested', 'cover.jpg'));
    const before = readdirSync(input).map((f) => f);
    const hashes = new Map(
      boxes
        .slice(0, 3)
        .map((b) => [path.basename(b.path), sha256(readFileSync(path.join(input, path.basename(b.path))))]),
    );
    const out = path.join(tempDir(), 'sorted');
    const r = await runCli(['--data', data, 'sort', input, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const folders = readdirSync(out);
    assert.ok(folders.length >= 1);
    const sortedFiles = folders.flatMap((f) => readdirSync(path.join(out, f)));
    for (const name of hashes.keys()) assert.ok(sortedFiles.includes(name), `${name} was sorted`);
    assert.ok(sortedFiles.includes('nested__cover.jpg'), 'files in subfolders keep their relative path');
    assert.deepEqual(readdirSync(input), before);
    for (const [name, hash] of hashes) assert.equal(sha256(readFileSync(path.join(input, name))), hash);
    assert.ok(existsSync(path.join(out, 'unknown')) || existsSync(path.join(out, 'no-face')));
  });
});
