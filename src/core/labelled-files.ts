// Image lists for the CLI, the evaluation and the benches: ImageFolder trees and labels CSVs.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.avif', '.bmp', '.tif', '.tiff', '.heic']);

export interface LabelledFile {
  path: string;
  label: string;
}

/** Minimal RFC 4180 CSV (quoted fields, commas and quotes inside quotes). */
export function parseCsv(text: string): Array<Record<string, string>> {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(field), (field = '');
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field), rows.push(row), (row = []), (field = '');
    } else field += ch;
  }
  if (field !== '' || row.length > 0) row.push(field), rows.push(row);
  const [header, ...body] = rows.filter((r) => r.length > 1 || r[0] !== '');
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h.trim(), r[i] ?? ''])));
}

/**
 * Labelled examples from an ImageFolder tree (<dir>/<character>/<image>) or a labels CSV with
 * `path` and `label` columns (paths relative to the CSV), optionally filtered by a split column.
 */
export function labelledFiles(source: string, split?: string): LabelledFile[] {
  if (statSync(source).isFile()) {
    const base = path.dirname(path.resolve(source));
    return parseCsv(readFileSync(source, 'utf8'))
      .filter((r) => !split || (r.split ?? r.orig_split) === split)
      .map((r) => ({ path: path.resolve(base, r.path), label: r.label }));
  }
  return readdirSync(source, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((d) => imageFiles(path.join(source, d.name)).map((file) => ({ path: file, label: d.name })));
}

/** Image files under a folder, recursively, in a stable order. */
export function imageFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((d) => {
      const full = path.join(dir, d.name);
      if (d.isDirectory()) return d.name.startsWith('.') ? [] : imageFiles(full);
      return IMAGE_EXTENSIONS.has(path.extname(d.name).toLowerCase()) ? [full] : [];
    });
}

/** Files to tag: files as given, folders expanded, a .csv read for its `path` column. */
export function filesToTag(inputs: string[], split?: string): string[] {
  return inputs.flatMap((input) => {
    let stat;
    try {
      stat = statSync(input);
    } catch {
      return [input]; // reported per file as an error
    }
    if (stat.isDirectory()) return imageFiles(input);
    if (input.toLowerCase().endsWith('.csv')) return labelledFiles(input, split).map((f) => f.path);
    return [input];
  });
}
