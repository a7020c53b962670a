import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { guildOf, withServices, type GlobalOptions } from './context.ts';

export function registerMap(program: Command): void {
  program
    .command('map')
    .description("draw the guild's stored face embeddings in 2-D (UMAP): a PNG and an interactive HTML page")
    .option('--out <file>', 'PNG to write', 'map.png')
    .option('--html <file>', 'also write a self-contained HTML page with hover names and crops')
    .option('--highlight <characters>', 'comma-separated characters to ring and bold as newly taught')
    .option('--max-points <n>', 'at most this many faces (taught ones first)', '2500')
    .action(async (opts: { out: string; html?: string; highlight?: string; maxPoints: string }, cmd: Command) => {
      const global = cmd.optsWithGlobals<GlobalOptions>();
      await withServices(global, async (services) => {
        const map = await services.embeddingMap.render(guildOf(global), {
          highlight: opts.highlight
            ?.split(',')
            .map((s) => s.trim())
            .filter(Boolean),
          maxPoints: Number(opts.maxPoints) || 2500,
          thumbnails: !!opts.html,
        });
        if (map.faces === 0) throw new Error('No faces with embeddings yet: teach or tag some first.');
        writeFileSync(opts.out, map.png);
        if (opts.html) writeFileSync(opts.html, map.html);
        console.log(
          `Mapped ${map.faces} faces of ${map.characters} characters → ${opts.out}${opts.html ? ` and ${opts.html}` : ''}` +
            `${map.omitted ? ` (${map.omitted} more not shown)` : ''}.`,
        );
      });
    });
}
