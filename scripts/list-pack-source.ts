// Lists what a roster pack's source adapter makes of checkouts of its data repositories (src/core/packs/sources):
// characters, images per kind, groups, measure faces, characters with no image or no romaji, files left out;
// with --samples DIR, writes N prepared pictures there to look at the trims (keep them out of the repository).
//   npx tsx scripts/list-pack-source.ts <pack> <dir>... [--samples DIR] [--count N] [--names] [--skipped]
// e.g. npx tsx scripts/list-pack-source.ts cinderella-girls ../data/cgss-checker ../data/cgss-ssr --samples ../cg-samples
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { listSource, SOURCE_PACKS, type SourceImage, sourceFolders } from '../src/core/packs/sources/index.ts';

function usage(): never {
  console.error(
    'usage: npx tsx scripts/list-pack-source.ts <pack> <dir>... [--samples DIR] [--count N] [--names] [--skipped]',
  );
  for (const pack of SOURCE_PACKS) console.error(`  ${pack}: ${sourceFolders(pack)}`);
  process.exit(2);
}

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const value = args[at + 1];
  if (value === undefined || value.startsWith('--')) usage();
  args.splice(at, 2);
  return value;
};
const flag = (name: string): boolean => {
  const at = args.indexOf(name);
  if (at >= 0) args.splice(at, 1);
  return at >= 0;
};
const samplesDir = option('--samples');
const count = Number(option('--count') ?? 24);
const showNames = flag('--names');
const showSkipped = flag('--skipped');
const [pack, ...dirs] = args;
if (!pack || dirs.length === 0 || !Number.isInteger(count) || count < 0) usage();

const started = Date.now();
const listing = await listSource(pack, dirs);
const seconds = ((Date.now() - started) / 1000).toFixed(1);
const tally = <T>(items: T[], key: (t: T) => string) => {
  const m = new Map<string, number>();
  for (const t of items) m.set(key(t), (m.get(key(t)) ?? 0) + 1);
  return [...m].sort((a, b) => b[1] - a[1]);
};
const images = listing.images;
const measure = listing.measure ?? [];
const withImage = new Set(images.map((i) => i.characterId));
const noImage = listing.characters.filter((c) => !withImage.has(c.id));
const noRomaji = listing.characters.filter((c) => !c.nameEn);
const perCharacter = tally(images, (i) => i.characterId).map(([, n]) => n);

console.log(`${listing.title} (${listing.pack}, "${listing.franchise}"), listed in ${seconds} s`);
for (const s of listing.sources) console.log(`  source ${s.repo}@${s.commit.slice(0, 8)}: ${s.paths.join(', ')}`);
console.log(`characters: ${listing.characters.length}`);
console.log(
  `images: ${images.length} (${tally(images, (i) => i.kind)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ')}; media: ${tally(images, (i) => i.medium ?? '-')
    .map(([k, n]) => `${k} ${n}`)
    .join(', ')})`,
);
console.log(`groups: ${new Set(images.map((i) => i.group)).size}`);
const sidePose = images.filter((i) => i.pose === 'side').length;
if (sidePose > 0) console.log(`profile icons (pose 'side'): ${sidePose}`);
if (perCharacter.length > 0)
  console.log(
    `images per character: min ${Math.min(...perCharacter)}, median ${perCharacter.sort((a, b) => a - b)[Math.floor(perCharacter.length / 2)]}, max ${Math.max(...perCharacter)}`,
  );
console.log(`measure: ${measure.length} (characters: ${new Set(measure.map((i) => i.characterId)).size})`);
console.log(
  `characters with no image: ${noImage.length}${noImage.length ? ` (${noImage.map((c) => c.name).join(', ')})` : ''}`,
);
console.log(
  `characters without romaji/English: ${noRomaji.length}${noRomaji.length ? ` (${noRomaji.map((c) => c.name).join(', ')})` : ''}`,
);
const skipped = listing.skipped ?? [];
console.log(`skipped files: ${skipped.length}`);
for (const [reason, n] of tally(skipped, (s) =>
  s.reason
    .replace(/\s*\([^)]*\)/g, '')
    .replace(/ of \/.*$/, '')
    .replace(/\d+/g, 'N'),
))
  console.log(`  ${n} × ${reason}`);
if (showSkipped) for (const s of skipped) console.log(`  ${s.path}: ${s.reason}`);
if (showNames)
  for (const c of listing.characters)
    console.log(
      `  ${c.id}\t${c.name}\t${c.nameJa ?? ''}\t${c.aliases.join(' | ')}\t${images.filter((i) => i.characterId === c.id).length}`,
    );

if (samplesDir && count > 0) {
  mkdirSync(samplesDir, { recursive: true });
  // Evenly spread over the images, then over the measure faces.
  const spread = (list: SourceImage[], n: number) =>
    list.length === 0
      ? []
      : Array.from(
          { length: Math.min(n, list.length) },
          (_, i) => list[Math.floor((i * list.length) / Math.min(n, list.length))],
        );
  const picks = [...spread(images, count), ...spread(measure, Math.ceil(count / 4))];
  for (const [i, image] of picks.entries()) {
    const png = await listing.prepare(image);
    const side = image.region ? (image.region.left === 0 ? '-a' : '-b') : '';
    const name = `${String(i).padStart(3, '0')}-${image.medium ?? 'x'}-${image.kind}-${image.characterId}-${path
      .basename(image.path)
      .replace(/\.[^.]+$/, '')
      .replace(/[^A-Za-z0-9_-]+/g, '_')}${side}.png`;
    writeFileSync(path.join(samplesDir, name), png);
  }
  console.log(`wrote ${picks.length} prepared samples to ${samplesDir}`);
}
