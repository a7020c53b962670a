import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseCsv } from '../../src/core/labelled-files.ts';
import { DATA, tempDir } from './paths.ts';

/**
 * A labels CSV (in a temp folder) of the first `perLabel` rows of every label of a shared data set,
 * in the set's own order, with absolute paths: for tests that need labelled faces as set-up for
 * something else (a training, a model swap), where importing the whole set costs time and checks
 * nothing. Returns the CSV's path, for `idoltag import <csv> --crops`.
 */
export function labelledSubset(set: string, perLabel: number): string {
  const taken = new Map<string, number>();
  const lines = parseCsv(readFileSync(path.join(DATA, set, 'labels.csv'), 'utf8')).flatMap((row) => {
    const n = taken.get(row.label) ?? 0;
    taken.set(row.label, n + 1);
    const image = path.join(DATA, set, row.path);
    return n < perLabel ? [`"${image.replace(/"/g, '""')}",${row.label}`] : [];
  });
  const file = path.join(tempDir(`idoltag-${set}-subset-`), 'labels.csv');
  writeFileSync(file, `path,label\n${lines.join('\n')}\n`);
  return file;
}
