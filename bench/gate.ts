/**
 * The open-set gate with few-shot characters: `npx tsx bench/gate.ts <known> --unknown <source>
 * [--embedder default|imagenet|<version>] [--out bench/results/gate-<name>.json]`.
 *
 * Embeds the known crops (an ImageFolder tree or labels CSV) and the never-taught crops once, then in
 * each of 5 seeded runs holds 10 known characters out (never taught, same game), teaches 5 shots of
 * the others, and queries: the taught characters' other faces, the held-out characters' faces and
 * the --unknown faces. Compares the gate before this calibration (leave-one-out floor and softmax
 * probability 0.35) with the default one (softmax-head.ts), at the same heads.
 */
import path from 'node:path';
import { seededRandom, seedFrom } from '../src/core/eval/random.ts';
import type { HeadTrainingOptions } from '../src/core/head/softmax-head.ts';
import { fitHead, holdOutSplit, query } from '../src/services/evaluation/protocols.ts';
import { embedSources, printReport, withScratchServices } from './common.ts';

const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const known = args[0];
const unknownSource = option('--unknown');
if (!known || !unknownSource)
  throw new Error('usage: npx tsx bench/gate.ts <known> --unknown <source> [--embedder name] [--out file]');
const SHOTS = 5;
const HELD_OUT = 10;
const SEEDS = 5;

await withScratchServices('gate', option('--embedder'), async (services, cache) => {
  const samples = await embedSources(cache, [known]);
  const knownLabels = new Set(samples.map((s) => s.item.label));
  const others = (await embedSources(cache, [unknownSource])).filter((s) => !knownLabels.has(s.item.label));
  const gates: Record<string, HeadTrainingOptions> = {
    before: { knownAcceptance: 0.98, neverTaughtRejection: null, minProbability: 0.35 },
    default: {},
  };
  const tally = Object.fromEntries(
    Object.keys(gates).map((g) => [
      g,
      {
        named: 0,
        top1: 0,
        queries: 0,
        sameGameUnknown: 0,
        sameGame: 0,
        otherUnknown: 0,
        other: 0,
        thresholds: [] as number[],
      },
    ]),
  );
  const labels = [...knownLabels].sort();
  const unknownCount = (outcomes: Array<{ label: string | null }>) => outcomes.filter((o) => o.label === null).length;
  for (let run = 0; run < SEEDS; run++) {
    const split = holdOutSplit(samples, labels, {
      heldOut: HELD_OUT,
      shots: SHOTS,
      random: seededRandom(seedFrom('gate', run)),
    });
    for (const [name, options] of Object.entries(gates)) {
      const head = await fitHead(split.support, options);
      const t = tally[name];
      t.thresholds.push(Number(head.openSetThreshold.toFixed(4)));
      const outcomes = query(head, split.queries);
      t.queries += outcomes.length;
      t.named += outcomes.filter((o) => o.label === o.truth).length;
      t.top1 += outcomes.filter((o) => o.top1 === o.truth).length;
      t.sameGame += split.heldOut.length;
      t.sameGameUnknown += unknownCount(query(head, split.heldOut));
      t.other += others.length;
      t.otherUnknown += unknownCount(query(head, others));
    }
  }
  const round = (x: number) => Number(x.toFixed(3));
  const report = {
    date: new Date().toISOString(),
    embedder: services.embedders.activeVersion(),
    known: path.relative(process.cwd(), known),
    unknown: path.relative(process.cwd(), unknownSource),
    protocol: `${SEEDS} runs: ${HELD_OUT} known characters held out (never taught), ${SHOTS} shots of each other one taught, the rest queried`,
    gates: Object.fromEntries(
      Object.entries(tally).map(([name, t]) => [
        name,
        {
          settings:
            name === 'before' ? 'leave-one-out floor 0.98, softmax probability ≥ 0.35' : 'softmax-head.ts defaults',
          namedRight: round(t.named / t.queries),
          bestCandidate: round(t.top1 / t.queries),
          neverTaughtSameGameUnknown: round(t.sameGameUnknown / t.sameGame),
          neverTaughtOtherUnknown: round(t.otherUnknown / t.other),
          queries: t.queries,
          thresholds: t.thresholds,
        },
      ]),
    ),
  };
  printReport(report, option('--out'));
});
