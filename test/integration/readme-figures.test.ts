/**
 * The generated figure blocks of the docs: reading numbers out of bench/results/ files and putting the
 * blocks between their markers (scripts/figures/results.ts).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fillBlocks, fixed, ResultsReader, wrap } from '../../scripts/figures/results.ts';
import { tempDir } from '../helpers/paths.ts';

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
