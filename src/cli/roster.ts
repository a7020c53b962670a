import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { PROJECT_ROOT } from '../core/models/manifest.ts';
import { decodePack, PACK_EXTENSION } from '../core/packs/pack-file.ts';
import { shippedPacks } from '../services/packs/library.ts';
import type { BuildSource } from '../services/packs/build.ts';
import { guildOf, progress, withServices, type GlobalOptions } from './context.ts';

interface BuildFlags {
  out: string;
  folder?: string;
  id?: string;
  title?: string;
  franchise?: string;
  art?: boolean;
  holdOut: boolean;
  report?: string;
  maxPerCharacter?: string;
  views?: string;
  impostors?: string[] | boolean;
}

/** Reference vectors of other packs for `embedder`: the given files, or every shipped pack but `pack`. */
function impostorVectors(pack: string, files: string[] | boolean | undefined, embedder: string): Float32Array[] {
  const paths = Array.isArray(files)
    ? files
    : shippedPacks()
        .filter((entry) => entry.id !== `pack-${pack}`)
        .map((entry) => path.join(PROJECT_ROOT, entry.shipped ?? '', entry.files[0].name));
  return paths.flatMap((file) => {
    const refs = decodePack(readFileSync(file), file).references.find((r) => r.embedder === embedder);
    if (!refs) return [];
    return Array.from({ length: refs.characterIndex.length }, (_, i) =>
      refs.vectors.subarray(i * refs.dim, (i + 1) * refs.dim),
    );
  });
}

/** `idoltag roster list|add|remove|build`: a guild's roster packs, and building pack files. */
export function registerRoster(program: Command): void {
  const roster = program
    .command('roster')
    .description("roster packs: a game's characters, named before anyone teaches them");

  roster
    .command('list')
    .description('the installed packs, and which this guild added')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const global = cmd.optsWithGlobals<GlobalOptions>();
      await withServices(
        global,
        async (services) => {
          const list = services.roster.list(guildOf(global));
          if (opts.json) return console.log(JSON.stringify(list, null, 2));
          if (list.length === 0) return console.log('No roster packs are installed.');
          for (const p of list) {
            const state = p.added ? 'added' : '-';
            const note = p.covered ? '' : '\t(no references for the embedder in service: taught faces only)';
            console.log(`${p.id}\t${state}\t${p.characters} characters\t${p.title}${note}`);
          }
        },
        { refitStaleHeads: false },
      );
    });

  roster
    .command('add <pack>')
    .description('add a pack to this guild: a pack id from `roster list`, or a pack file to install first')
    .action(async (pack: string, _opts, cmd: Command) => {
      const global = cmd.optsWithGlobals<GlobalOptions>();
      await withServices(global, async (services) => {
        let id = pack;
        if (pack.endsWith(PACK_EXTENSION) || (existsSync(pack) && statSync(pack).isFile())) {
          const installed = services.packs.installFile(readFileSync(pack), 'cli');
          console.error(`${installed.replaced ? 'Updated' : 'Installed'} ${installed.title} (${installed.id}).`);
          id = installed.id;
        }
        const added = await services.roster.add(guildOf(global), id, 'cli');
        console.log(
          `Added ${added.pack.title}: ${added.pack.characters} characters (${added.created} new${
            added.linked.length ? `; now part of it: ${added.linked.join(', ')}` : ''
          }) in ${(added.ms / 1000).toFixed(1)} s.`,
        );
        if (!added.pack.covered) {
          console.error(
            'This pack has no references for the embedder in service: its characters are named from taught faces only.',
          );
        }
      });
    });

  roster
    .command('remove <pack>')
    .description('remove a pack from this guild (characters people taught or corrected stay, with their faces)')
    .action(async (pack: string, _opts, cmd: Command) => {
      const global = cmd.optsWithGlobals<GlobalOptions>();
      await withServices(global, async (services) => {
        const removed = await services.roster.remove(guildOf(global), pack);
        console.log(
          `Removed ${removed.pack.title}: ${removed.removed} characters gone${
            removed.kept.length ? `; kept with what people taught: ${removed.kept.join(', ')}` : ''
          }.`,
        );
      });
    });

  roster
    .command('build [pack] [dirs...]')
    .description(
      'build a pack file with the embedder in service: from checkouts of a source (docs/packs.md), or --folder DIR/<character>/<picture>',
    )
    .requiredOption('--out <file>', `the pack file to write (${PACK_EXTENSION})`)
    .option('--folder <dir>', 'a labelled folder: one sub-folder of pictures per character')
    .option('--id <id>', "the pack's id (with --folder)")
    .option('--title <title>', "the pack's title (with --folder)")
    .option('--franchise <name>', 'the short game name shown beside ambiguous names (with --folder)')
    .option('--art', 'with --folder: the pictures are art, not face crops (find the face first)')
    .option('--no-hold-out', 'put every picture in the pack (no held-out measurement)')
    .option('--max-per-character <n>', 'references kept per character at most')
    .option(
      '--views <fractions>',
      'centre crops embedded as references too, e.g. 1,0.85,0.7 (default: by pictures per character)',
    )
    .option(
      '--impostors <packs...>',
      'pack files of other games whose faces calibrate the gate (default: every shipped pack but this one)',
    )
    .option('--no-impostors', "do not calibrate the gate on other games' faces")
    .option('--report <file>', 'also write the build report as JSON')
    .action(async (pack: string | undefined, dirs: string[], flags: BuildFlags, cmd: Command) => {
      const global = cmd.optsWithGlobals<GlobalOptions>();
      const { folderSource } = await import('../services/packs/build.ts');
      let source: BuildSource;
      if (flags.folder) {
        if (!flags.id) throw new Error('--folder needs --id (lower-case letters, digits and -)');
        source = folderSource(path.resolve(flags.folder), {
          id: flags.id,
          title: flags.title ?? flags.id,
          franchise: flags.franchise ?? flags.title ?? flags.id,
          art: flags.art,
        });
      } else {
        if (!pack || dirs.length === 0) throw new Error('name a pack and its checkout folders, or give --folder DIR');
        const { listSource } = await import('../core/packs/sources/index.ts');
        source = await listSource(
          pack,
          dirs.map((d) => path.resolve(d)),
        );
      }
      await withServices(
        global,
        async (services) => {
          const bar = progress(source.images.length + (source.measure?.length ?? 0), 'embedding');
          const { bytes, report } = await services.packs.build(source, {
            holdOut: flags.holdOut,
            maxPerCharacter: flags.maxPerCharacter ? Number(flags.maxPerCharacter) : undefined,
            views: flags.views ? flags.views.split(',').map(Number) : undefined,
            impostors:
              flags.impostors === false
                ? []
                : impostorVectors(source.pack, flags.impostors, services.embedders.activeVersion()),
            onProgress: () => bar.tick(),
          });
          bar.stop();
          writeFileSync(flags.out, bytes);
          if (flags.report) writeFileSync(flags.report, `${JSON.stringify(report, null, 2)}\n`);
          console.log(JSON.stringify(report, null, 2));
        },
        { refitStaleHeads: false },
      );
    });
}
