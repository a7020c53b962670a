// Reading numbers out of bench/results/*.json for the generated figure blocks of the docs, and
// putting those blocks between their markers. The spec of what is shown is in scripts/readme-figures.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The results files of one folder, read on first use. A path is JSON-pointer-like, segments split by
 * "/": a key, an array index, `*` for every element of an array, or `key=value[&key=value]` for the
 * one array element whose fields have those values (`results/name=faceboxes/multiface/found`).
 * A value that is not there is an error naming the file and the path, never a blank cell.
 */
export class ResultsReader {
  private readonly files = new Map<string, unknown>();
  private touched: string[] = [];

  constructor(readonly dir: string) {}

  /** Every value the path reaches (one, unless it holds a `*`). */
  values(file: string, pointer: string): unknown[] {
    let nodes = [this.json(file)];
    for (const segment of pointer.split('/')) {
      nodes = nodes.flatMap((node) => step(node, segment, () => `${file}: ${pointer}`));
    }
    return nodes;
  }

  num(file: string, pointer: string): number {
    const [value, ...more] = this.nums(file, pointer);
    if (more.length > 0) throw new Error(`${file}: ${pointer} holds ${more.length + 1} numbers, not one`);
    return value;
  }

  nums(file: string, pointer: string): number[] {
    return this.values(file, pointer).map((value) => {
      if (typeof value !== 'number' || !Number.isFinite(value))
        throw new Error(`${file}: ${pointer} is ${JSON.stringify(value)}, not a number`);
      return value;
    });
  }

  text(file: string, pointer: string): string {
    const [value] = this.values(file, pointer);
    if (typeof value !== 'string') throw new Error(`${file}: ${pointer} is ${JSON.stringify(value)}, not text`);
    return value;
  }

  /** The day a run recorded (its `date` or `started`, else the date in the file's name). */
  day(file: string): string {
    const json = this.json(file) as Record<string, unknown>;
    const stamp = [json.date, json.started].find((v) => typeof v === 'string') as string | undefined;
    const day = (stamp ?? file).match(/\d{4}-\d{2}-\d{2}/)?.[0];
    if (!day) throw new Error(`${file} records no date`);
    return day;
  }

  /** The files read since the last call, in the order they were first read. */
  takeTouched(): string[] {
    const touched = this.touched;
    this.touched = [];
    return touched;
  }

  private json(file: string): unknown {
    if (!this.touched.includes(file)) this.touched.push(file);
    let json = this.files.get(file);
    if (json === undefined) {
      json = JSON.parse(readFileSync(path.join(this.dir, file), 'utf8'));
      this.files.set(file, json);
    }
    return json;
  }
}

function step(node: unknown, segment: string, where: () => string): unknown[] {
  if (Array.isArray(node)) {
    if (segment === '*') return node;
    if (segment.includes('=')) {
      const wanted = segment.split('&').map((pair) => pair.split('=') as [string, string]);
      const found = node.filter(
        (item) => item && typeof item === 'object' && wanted.every(([k, v]) => String(item[k]) === v),
      );
      if (found.length !== 1) throw new Error(`${where()}: ${found.length} elements match ${segment}`);
      return found;
    }
    if (/^\d+$/.test(segment) && Number(segment) < node.length) return [node[Number(segment)]];
  } else if (node && typeof node === 'object' && Object.hasOwn(node, segment)) {
    return [(node as Record<string, unknown>)[segment]];
  }
  throw new Error(`${where()}: nothing at "${segment}"`);
}

/** `x` rounded half away from zero to `digits` decimals, written with exactly that many. */
export function fixed(x: number, digits: number): string {
  // Shifting the decimal point in the text, not by multiplying, keeps 1.255 from rounding to 1.25.
  const rounded = Math.sign(x) * Math.round(Number(`${Math.abs(x)}e${digits}`));
  const back = Number(`${rounded}e-${digits}`);
  return (Number.isFinite(back) ? back : x).toFixed(digits);
}

/** A whole number (milliseconds, MB, a count). */
export const whole = (x: number): string => fixed(x, 0);

/** Milliseconds as seconds with `digits` decimals. */
export const seconds = (ms: number, digits: number): string => fixed(ms / 1000, digits);

/**
 * A paragraph broken at spaces into lines of at most `width` characters, like the docs' prose; the
 * lines after the first start with `indent` (two spaces under a list item's "- ").
 */
export function wrap(paragraph: string, indent = '', width = 105): string {
  const lines: string[] = [];
  for (const word of paragraph.split(' ')) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + 1 + word.length <= width) lines[last] += ` ${word}`;
    else lines.push(last >= 0 ? `${indent}${word}` : word);
  }
  return lines.join('\n');
}

/** Markdown table rows, one line each; a cell must not hold a "|" of its own. */
export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  for (const cell of [...header, ...rows.flat()]) {
    if (cell.includes('|') || cell.includes('\n')) throw new Error(`a table cell holds "|" or a line break: ${cell}`);
  }
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

const BLOCK = /<!-- figures:([\w-]+) -->\n[\s\S]*?<!-- \/figures -->/g;

/**
 * The text with each `<!-- figures:<id> -->` … `<!-- /figures -->` block's inside replaced by
 * `blocks[id]`; nothing outside the markers changes. Every block must be there exactly once, and
 * every marker must name a block.
 */
export function fillBlocks(text: string, blocks: Record<string, string>, name: string): string {
  const seen: string[] = [];
  const filled = text.replace(BLOCK, (_whole, id: string) => {
    if (!Object.hasOwn(blocks, id)) throw new Error(`${name}: no figures are generated for the block "${id}"`);
    if (seen.includes(id)) throw new Error(`${name}: the block "${id}" is there twice`);
    seen.push(id);
    return `<!-- figures:${id} -->\n${blocks[id].trimEnd()}\n<!-- /figures -->`;
  });
  const missing = Object.keys(blocks).filter((id) => !seen.includes(id));
  if (missing.length > 0) {
    throw new Error(`${name}: no <!-- figures:${missing[0]} --> … <!-- /figures --> markers (${missing.join(', ')})`);
  }
  return filled;
}
