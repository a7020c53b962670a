/**
 * `idoltag eval` on a small real fixture (3 nagadomi10 characters × 10 crops, the source's own
 * train/test split), checked against numbers computed here from `idoltag import` + `idoltag tag
 * --json`, which go through the bot's own database, head refit and tagging path.
 *
 *   IDOLTAG_MODEL_MIRROR=../shared/data/models node --import tsx --test test/integration/eval-cli.test.ts
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { idoltag, pick, writeCsv, type Row } from './eval-fixture.ts';
import { mirroredModel, sharedData, skipUnless } from '../helpers/prerequisites.ts';

const CHARACTERS = ['hatsune_miku', 'shana', 'suzumiya_haruhi'];
const skip = skipUnless(
  'idoltag eval',
  sharedData('nagadomi10'),
  sharedData('keima3'),
  mirroredModel('mobilenetv2_12_int8'),
);

describe('idoltag eval', { skip, timeout: 300_000 }, () => {
  let dir: string;
  let fixture: string;
  let rows: Row[];

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'idoltag-eval-test-'));
    rows = pick('nagadomi10', CHARACTERS, 7, 3);
    assert.equal(rows.length, 30);
    fixture = writeCsv(path.join(dir, 'fixture.csv'), rows);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('closed set: the same numbers as import + tag through the database', async () => {
    const evaluated = JSON.parse(
      (await idoltag(['eval', fixture, '--protocol', 'closed', '--crops', '--json'])).stdout,
    );

    const data = path.join(dir, 'data');
    await idoltag(['--data', data, 'import', fixture, '--split', 'train', '--crops']);
    const lines = (await idoltag(['--data', data, 'tag', fixture, '--split', 'test', '--crops', '--json'])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const truthOf = new Map(rows.map((r) => [r.path, r.label]));
    assert.equal(lines.length, 9);
    let top1 = 0;
    let named = 0;
    let unknown = 0;
    const confusion = new Map<string, number>();
    for (const line of lines) {
      const truth = truthOf.get(line.path)!;
      const face = line.faces[0];
      if (face.candidates[0].label === truth) top1++;
      if (face.label === truth) named++;
      if (face.label === null) unknown++;
      const key = `${truth}→${face.label ?? '(unknown)'}`;
      confusion.set(key, (confusion.get(key) ?? 0) + 1);
    }

    const closed = evaluated.closed;
    assert.equal(closed.train, 21);
    assert.equal(closed.characters, 3);
    assert.equal(closed.overall.queries, 9);
    assert.equal(closed.overall.top1, top1 / 9);
    assert.equal(closed.overall.labelAccuracy, named / 9);
    assert.equal(closed.overall.unknownRate, unknown / 9);
    // Every cell of the confusion matrix.
    const { labels, columns, matrix } = closed.confusion;
    assert.deepEqual(labels, CHARACTERS);
    labels.forEach((truth: string, i: number) =>
      columns.forEach((answer: string, j: number) => {
        assert.equal(matrix[i][j], confusion.get(`${truth}→${answer}`) ?? 0, `${truth} answered ${answer}`);
      }),
    );
    assert.match(evaluated.closed.split, /own train\/test split/);
    // Three characters: one is held out of a second head for the open-set figures.
    assert.equal(evaluated.openSet.unknown, 10);
    assert.ok(evaluated.openSet.auroc >= 0 && evaluated.openSet.auroc <= 1);
  });

  test('the readable report shows the same figure', async () => {
    const { stdout } = await idoltag(['eval', fixture, '--crops']);
    assert.match(stdout, /closed set/);
    assert.match(stdout, /named right \(after the gate\)\s+\d+\.\d %/);
    assert.match(stdout, /confusion/);
  });

  test('few-shot and DLC protocols count shots and queries as specified', async () => {
    // Without a split column: every crop is its own picture, so K shots leave 10 − K queries each.
    const noSplit = writeCsv(path.join(dir, 'nosplit.csv'), rows, false);
    const fewShot = JSON.parse(
      (await idoltag(['eval', noSplit, '--protocol', 'fewshot', '--shots', '3', '--seeds', '2', '--crops', '--json']))
        .stdout,
    ).fewShot;
    assert.equal(fewShot.support, 9);
    assert.equal(fewShot.queries, 21);
    assert.equal(fewShot.top1.runs.length, 2);
    assert.ok(Math.abs(fewShot.top1.mean - (fewShot.top1.runs[0] + fewShot.top1.runs[1]) / 2) < 1e-12);

    const dlc = JSON.parse(
      (
        await idoltag([
          'eval',
          fixture,
          '--protocol',
          'dlc',
          '--new',
          'shana',
          '--shots',
          '3',
          '--seeds',
          '2',
          '--crops',
          '--json',
        ])
      ).stdout,
    ).dlc;
    assert.deepEqual(dlc.newCharacters, ['shana']);
    assert.deepEqual(dlc.oldCharacters, ['hatsune_miku', 'suzumiya_haruhi']);
    assert.equal(dlc.oldBefore.queries, 6); // the old characters' test crops
    assert.equal(dlc.new.queries, 7); // shana: 10 crops − 3 shots
    assert.match(dlc.backbone, /head-only/);
  });
});
