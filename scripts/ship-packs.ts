/**
 * Lists every pack file of models/packs in models/manifest.json (kind "roster-pack", with its sha256 and
 * size), replacing the entries of packs rebuilt: `npx tsx scripts/ship-packs.ts` after `idoltag roster build`.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MANIFEST_PATH, PROJECT_ROOT } from '../src/core/models/manifest.ts';
import { decodePack, PACK_EXTENSION } from '../src/core/packs/pack-file.ts';

const dir = path.join(PROJECT_ROOT, 'models', 'packs');
const manifest = JSON.parse(readFileSync(MANIFEST_PATH, 'utf8')) as { models: Array<Record<string, unknown>> };
const models = manifest.models.filter((m) => m.kind !== 'roster-pack');
for (const name of readdirSync(dir)
  .filter((f) => f.endsWith(PACK_EXTENSION))
  .sort()) {
  const bytes = readFileSync(path.join(dir, name));
  const { header } = decodePack(bytes, name);
  models.push({
    id: `pack-${header.id}`,
    kind: 'roster-pack',
    licence: 'MIT (names and face embeddings made by idoltag; no image of the sources is in the file)',
    shipped: 'models/packs',
    madeBy: `idoltag roster build ${header.id} (docs/packs.md), ${header.built}`,
    files: [{ name, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length }],
  });
  console.log(`${name}: ${header.characters.length} characters, ${bytes.length} bytes`);
}
writeFileSync(MANIFEST_PATH, `${JSON.stringify({ ...manifest, models }, null, 2)}\n`);
