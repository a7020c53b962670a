import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { guildOf, withServices, type GlobalOptions } from './context.ts';

export function registerUnknowns(program: Command): void {
  const command = program
    .command('unknowns')
    .description('group the faces nobody could name; write a contact sheet per group (largest first)')
    .option('--out <dir>', 'write one contact sheet PNG per cluster here')
    .option('--json', 'print the clusters as JSON')
    .action(async (opts: { out?: string; json?: boolean }, cmd: Command) => {
      const global = cmd.optsWithGlobals<GlobalOptions>();
      await withServices(global, async (services) => {
        const service = services.unknowns;
        const listing = await service.listClusters(guildOf(global));
        if (opts.out) mkdirSync(opts.out, { recursive: true });
        const files: string[] = [];
        if (opts.out) {
          for (const [i, cluster] of listing.clusters.entries()) {
            const file = path.join(opts.out, `${String(i + 1).padStart(2, '0')}-${cluster.id}.png`);
            writeFileSync(file, await service.sheet(guildOf(global), cluster));
            files.push(file);
          }
        }
        if (opts.json) {
          console.log(JSON.stringify({ ...listing, files }, null, 2));
          return;
        }
        console.log(
          `${listing.unknownFaces} unknown faces${listing.truncated ? ' (the newest only)' : ''}: ` +
            `${listing.clusters.length} clusters, ${listing.noise} in none.`,
        );
        for (const [i, c] of listing.clusters.entries()) {
          const hint = c.nearest ? `  nearest taught: ${c.nearest.character} (${c.nearest.similarity.toFixed(2)})` : '';
          console.log(
            `${String(i + 1).padStart(3)}. ${c.id}  ${String(c.size).padStart(4)} faces  cohesion ${c.cohesion.toFixed(2)}${hint}${files[i] ? `  ${files[i]}` : ''}`,
          );
        }
        if (listing.clusters.length)
          console.log('\nName one: idoltag unknowns name <id> <character> [--exclude faceId,…]');
      });
    });
  command
    .command('name <clusterId> <character>')
    .description("teach every face of a cluster as a character (source 'corrected'), then refit the head")
    .option('--exclude <faceIds>', 'comma-separated face ids to leave out (the numbers on the contact sheet)')
    .action(async (clusterId: string, character: string, opts: { exclude?: string }, cmd: Command) => {
      const global = cmd.optsWithGlobals<GlobalOptions>();
      const exclude = (opts.exclude ?? '')
        .split(',')
        .map((s) => s.trim().replace(/^#/, ''))
        .filter(Boolean)
        .map(Number);
      if (exclude.some((n) => !Number.isInteger(n))) throw new Error('--exclude takes face ids such as 12,15');
      await withServices(global, async (services) => {
        const result = await services.unknowns.nameCluster(guildOf(global), clusterId, character, 'cli', exclude);
        console.log(
          `Named ${result.taught} faces ${result.character}${result.created ? ' (a new character)' : ''}` +
            `${result.excluded.length ? `, left out ${result.excluded.length}` : ''}; head v${result.headVersion}.`,
        );
      });
    });
}
