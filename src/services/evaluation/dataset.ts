import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { imageFiles, parseCsv } from '../../core/labelled-files.ts';

/** One labelled picture to evaluate on. */
export interface EvalItem {
  path: string;
  label: string;
  /** Items of one group (crops of one source picture) always land on the same side of a split. */
  group: string;
  /** From a split column: where the source put it; undefined means "split it yourself". */
  split?: 'train' | 'test';
  /** Which source (folder or CSV) it came from. */
  source: string;
}

export interface LoadOptions {
  /** Rename labels, e.g. lijima_yun → iijima_yun. */
  aliases?: Map<string, string>;
}

/**
 * Items from ImageFolder trees (<dir>/<character>/<image>) or labels CSVs (`path`, `label`, and
 * optionally `group`, `source_path`, `split` or `orig_split`). A CSV's paths are relative to it. The
 * group is the `group` column, else `source_path`, else the file itself, prefixed by the source so
 * two sets never share one by accident.
 */
export function loadEvalItems(sources: string[], options: LoadOptions = {}): EvalItem[] {
  const rename = (label: string) => options.aliases?.get(label) ?? label;
  return sources.flatMap((source) => {
    const stat = statSync(source);
    if (stat.isFile()) {
      const base = path.dirname(path.resolve(source));
      return parseCsv(readFileSync(source, 'utf8'))
        .filter((r) => r.path && r.label)
        .map(
          (r): EvalItem => ({
            path: path.resolve(base, r.path),
            label: rename(r.label),
            group: `${source}:${r.group || r.source_path || r.path}`,
            split: normaliseSplit(r.split ?? r.orig_split),
            source,
          }),
        );
    }
    return readdirSync(source, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .sort((a, b) => a.name.localeCompare(b.name))
      .flatMap((d) =>
        imageFiles(path.join(source, d.name)).map(
          (file): EvalItem => ({
            path: file,
            label: rename(d.name),
            group: `${source}:${file}`,
            source,
          }),
        ),
      );
  });
}

/** train / train_set → train; test / test_set / val → test; anything else → none. */
export function normaliseSplit(value: string | undefined): 'train' | 'test' | undefined {
  const v = (value ?? '').trim().toLowerCase();
  if (/^train/.test(v)) return 'train';
  if (/^(test|val)/.test(v)) return 'test';
  return undefined;
}
