import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Services, TagResult } from '../services/index.ts';
import { ImageInputError } from '../services/index.ts';
import { guildOf, progress, withServices, type GlobalOptions } from './context.ts';
import { filesToTag } from '../core/labelled-files.ts';
import { gracefulStop, stoppedNote } from './shutdown.ts';

export interface TagLine {
  path: string;
  faces: Array<{
    box: [number, number, number, number];
    label: string | null;
    confidence: number;
    candidates: Array<{ label: string; score: number }>;
  }>;
  error: string | null;
}

/** Tags one file; a bad file becomes an `error` line instead of stopping the run. */
export async function tagFile(
  services: Services,
  guildId: string,
  file: string,
  crops?: boolean,
): Promise<{ line: TagLine; result?: TagResult }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    return {
      line: {
        path: file,
        faces: [],
        error: `cannot read file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      },
    };
  }
  try {
    const result = await services.tagging.tagImage({ guildId, bytes, source: { kind: 'file', path: file }, crops });
    return {
      result,
      line: {
        path: file,
        faces: result.faces.map((f) => ({
          box: [f.box.x, f.box.y, f.box.w, f.box.h],
          label: f.label,
          confidence: round(f.confidence),
          candidates: f.candidates.map((c) => ({ label: c.label, score: round(c.score) })),
        })),
        error: null,
      },
    };
  } catch (err) {
    if (err instanceof ImageInputError) return { line: { path: file, faces: [], error: err.message } };
    throw err;
  }
}

/** Said once, on stderr, when a guild knows nobody: every face would be "unknown" without a word why. */
export function nothingTaught(installedPack?: string): string {
  return (
    'Nothing is taught yet and no roster pack is added: every face will be unknown. ' +
    `Add a pack (idoltag roster add ${installedPack ?? 'FILE.idpack'}) or teach (idoltag import DIR).`
  );
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

export function registerTag(program: Command): void {
  program
    .command('tag <inputs...>')
    .description('name the faces in images (files, folders, or a labels CSV)')
    .option('--crops', 'the images are face crops: skip detection')
    .option('--split <name>', 'with a CSV: only rows of this split')
    .option('--json', 'one JSON object per image on its own line')
    .action(async (inputs: string[], opts: { crops?: boolean; json?: boolean; split?: string }, cmd: Command) => {
      const global = cmd.optsWithGlobals<GlobalOptions>();
      const files = filesToTag(inputs, opts.split);
      const stop = gracefulStop();
      await withServices(global, async (services) => {
        if (services.characters.isBlank(guildOf(global))) {
          console.error(nothingTaught(services.roster.list(guildOf(global))[0]?.id));
        }
        const bar = opts.json ? progress(files.length, 'tagging') : { tick() {}, stop() {} };
        let done = 0;
        for (const file of files) {
          if (stop.aborted) break;
          const { line } = await tagFile(services, guildOf(global), file, opts.crops);
          bar.tick();
          if (opts.json) process.stdout.write(`${JSON.stringify(line)}\n`);
          else if (line.error) console.log(`${file}: error: ${line.error}`);
          else if (line.faces.length === 0) console.log(`${file}: no faces`);
          else {
            const names = line.faces.map((f) =>
              f.label ? `${f.label} (${Math.round(f.confidence * 100)}%)` : 'unknown',
            );
            console.log(`${file}: ${names.join(', ')}`);
          }
          done++;
        }
        bar.stop();
        const stopped = stoppedNote(done, files.length);
        if (stopped) console.error(stopped);
      });
    });
}
