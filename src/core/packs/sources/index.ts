/**
 * The roster packs' source adapters: `listSource(pack, dirs)` reads checkouts of a game's public data
 * repositories (folders, never the network) into its characters, their names and the face images a pack
 * is built from. Each adapter's module says which repository, commit and paths it reads.
 */
import { listCinderellaGirls } from './cinderella-girls.ts';
import { SourceLayoutError } from './common.ts';
import { listGenshinImpact } from './genshin-impact.ts';
import { listMillionLive } from './million-live.ts';
import { listProjectSekai } from './project-sekai.ts';
import type { SourceListing } from './types.ts';
import { listUmaMusume } from './uma-musume.ts';

export { SourceLayoutError } from './common.ts';
export type * from './types.ts';

const ADAPTERS: Record<string, { list: (dirs: string[]) => Promise<SourceListing>; folders: string }> = {
  'cinderella-girls': {
    list: listCinderellaGirls,
    folders: 'a checkout of mufgmixi/cgss-checker and/or one of hatoba29/cgss-ssr-checker',
  },
  'million-live': { list: listMillionLive, folders: 'a checkout of tankarup/ML-4koma-viewer' },
  'project-sekai': {
    list: listProjectSekai,
    folders: 'Zenzenzest/pjsk-banners: its card icons (491b94f4) and cards.json (517e8a6c), in one folder or two',
  },
  'uma-musume': { list: listUmaMusume, folders: 'a checkout of alpha123/uma-tools' },
  'genshin-impact': { list: listGenshinImpact, folders: 'a checkout of genshindev/api' },
};

export const SOURCE_PACKS = Object.keys(ADAPTERS);

/** What each pack's adapter reads, for help texts. */
export function sourceFolders(pack: string): string | undefined {
  return ADAPTERS[pack]?.folders;
}

export async function listSource(pack: string, dirs: string[]): Promise<SourceListing> {
  const adapter = ADAPTERS[pack];
  if (!adapter)
    throw new SourceLayoutError(`There is no source adapter for "${pack}"; the packs are ${SOURCE_PACKS.join(', ')}.`);
  return adapter.list(dirs);
}
