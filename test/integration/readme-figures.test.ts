/**
 * README.md's measured figures are generated from bench/results/ (scripts/readme-figures.ts): the
 * checked-in README must be what the generator makes of the checked-in results, and a changed result
 * must change the README.
 */
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fillBlocks, fixed, ResultsReader, wrap } from '../../scripts/figures/results.ts';
import { FIGURE_BLOCKS, RESULTS_DIR, regenerate } from '../../scripts/readme-figures.ts';
import { ROOT, tempDir } from '../helpers/paths.ts';

/** The first line where two texts part, for a message that shows what drifted. */
function firstDifference(actual: string, expected: string): string {
  const a = actual.split('\n');
  const e = expected.split('\n');
  const line = a.findIndex((text, i) => text !== e[i]);
  return `line ${line + 1}:\n  in the file: ${a[line]}\n  generated:   ${e[line]}`;
}

describe('generated figures', () => {
  for (const doc of Object.keys(FIGURE_BLOCKS)) {
    it(`${doc} matches bench/results/`, () => {
      const text = readFileSync(path.join(ROOT, doc), 'utf8');
      const fresh = regenerate(doc, text);
      assert.ok(
        fresh === text,
        `${doc}'s figures differ from bench/results/: run \`npm run docs:figures\` and commit the result.\n` +
          firstDifference(text, fresh),
      );
    });
  }

  it('a changed number in a results file changes the README', () => {
    const results = tempDir('idoltag-figures-');
    cpSync(RESULTS_DIR, results, { recursive: true });
    const file = path.join(results, 'bench-2026-12-03-amd-tag-v5.json');
    const run = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(run.tag.ms.total.median, 48.2, 'the v5 latency this test changes');
    run.tag.ms.total.median = 61.4;
    writeFileSync(file, JSON.stringify(run));

    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const changed = regenerate('README.md', readme, results);
    assert.notEqual(changed, readme);
    assert.match(changed, /\*\*61 ms\*\* \/ 63 ms with v5/);
    assert.doesNotMatch(changed, /\*\*48 ms\*\*/);
    const outside = (text: string) => text.replace(/<!-- figures:[\w-]+ -->[\s\S]*?<!-- \/figures -->/g, '');
    assert.equal(outside(changed), outside(readme), 'only the generated blocks change');
  });

  it('says which file and which value it could not read', () => {
    const results = tempDir('idoltag-figures-');
    cpSync(RESULTS_DIR, results, { recursive: true });
    const file = path.join(results, 'load-2026-12-02.json');
    const load = JSON.parse(readFileSync(file, 'utf8'));
    delete load.targets.twoProcessesOverOneCore;
    writeFileSync(file, JSON.stringify(load));
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    assert.throws(
      () => regenerate('README.md', readme, results),
      /load-2026-12-02\.json: targets\/twoProcessesOverOneCore/,
    );
  });
});

describe('figure blocks', () => {
  const blocks = { a: 'one', b: 'two\n' };

  it('rewrites only what is between the markers', () => {
    const text =
      'intro\n<!-- figures:a -->\nold\nlines\n<!-- /figures -->\nmiddle\n<!-- figures:b -->\n<!-- /figures -->\nend\n';
    assert.equal(
      fillBlocks(text, blocks, 'doc.md'),
      'intro\n<!-- figures:a -->\none\n<!-- /figures -->\nmiddle\n<!-- figures:b -->\ntwo\n<!-- /figures -->\nend\n',
    );
  });

  it('refuses a doc with a block missing, twice, or unknown', () => {
    const a = '<!-- figures:a -->\n<!-- /figures -->\n';
    const b = '<!-- figures:b -->\n<!-- /figures -->\n';
    assert.throws(() => fillBlocks(a, blocks, 'doc.md'), /doc\.md: no <!-- figures:b -->/);
    assert.throws(() => fillBlocks(a + a + b, blocks, 'doc.md'), /the block "a" is there twice/);
    assert.throws(() => fillBlocks(`${a}${b}<!-- figures:c -->\n<!-- /figures -->\n`, blocks, 'doc.md'), /"c"/);
  });
});

describe('reading and writing numbers', () => {
  it('finds array elements by index, by field values and all at once', () => {
    const results = tempDir('idoltag-figures-');
    writeFileSync(
      path.join(results, 'r.json'),
      JSON.stringify({
        runs: [
          { kind: 'cold', n: 1, ms: 5 },
          { kind: 'warm', n: 1, ms: 3 },
          { kind: 'warm', n: 2, ms: 4 },
        ],
      }),
    );
    const r = new ResultsReader(results);
    assert.equal(r.num('r.json', 'runs/0/ms'), 5);
    assert.equal(r.num('r.json', 'runs/kind=warm&n=2/ms'), 4);
    assert.deepEqual(r.nums('r.json', 'runs/*/ms'), [5, 3, 4]);
    assert.throws(() => r.num('r.json', 'runs/kind=warm/ms'), /2 elements match kind=warm/);
    assert.throws(() => r.num('r.json', 'runs/*/ms'), /holds 3 numbers/);
    assert.deepEqual(r.takeTouched(), ['r.json']);
  });

  it('rounds half away from zero, as the figures were written by hand', () => {
    assert.equal(fixed(1.255, 2), '1.26');
    assert.equal(fixed(146.5, 0), '147');
    assert.equal(fixed(6.9, 2), '6.90');
    assert.equal(fixed(0.9557, 3), '0.956');
  });

  it('wraps a paragraph at spaces', () => {
    assert.equal(wrap('aa bb cc dd', '  ', 5), 'aa bb\n  cc\n  dd');
  });
});
