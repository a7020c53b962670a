/**
 * Moving one guild between hosts (`idoltag guild export` / `import`): every face, crop, screenshot,
 * label, correction and head of the guild, and nothing of any other guild.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { archiveFiles, GuildArchiveError, openGuildArchive, type ArchiveCounts } from '../store/guild-archive.ts';
import type { ServiceBlocks } from './service-blocks.ts';
import { reembedAll } from './embedder-swap.ts';

export { GuildArchiveError } from '../store/guild-archive.ts';

export interface GuildImport extends ArchiveCounts {
  guildId: string;
  /** Faces embedded again here because the archive's model version is not on this host. */
  reembedded: number;
  headVersion: number | null;
}

export function exportGuild(services: ServiceBlocks, guildId: string, target: string): ArchiveCounts {
  if (services.store.guildArchives.rowCount(guildId) === 0)
    throw new GuildArchiveError(`This data folder holds nothing of guild ${guildId}.`);
  return services.store.guildArchives.write(guildId, path.resolve(target), (stored) =>
    readFileSync(services.files.absolute(stored)),
  );
}

/** Only files the way idoltag lays them out: no absolute paths, nothing outside crops/ and images/. */
function checkStoredPath(stored: string): void {
  const normal = path.posix.normalize(stored.split(path.sep).join('/'));
  if (
    path.isAbsolute(stored) ||
    normal !== stored.split(path.sep).join('/') ||
    !/^(crops|images)\/[^/]/.test(normal) ||
    normal.includes('..')
  ) {
    throw new GuildArchiveError(`The archive holds a file at an unexpected place (${stored}); nothing was imported.`);
  }
}

/**
 * Imports an archive into a data folder that holds nothing of its guild yet. Files are written
 * first and removed again if the rows can't be committed, so a failed import leaves nothing behind.
 */
export async function importGuild(services: ServiceBlocks, file: string): Promise<GuildImport> {
  const { archive, guildId } = openGuildArchive(path.resolve(file));
  let counts: ArchiveCounts & { skippedModelVersions: string[] };
  try {
    if (services.store.guildArchives.rowCount(guildId) > 0) {
      throw new GuildArchiveError(
        `Guild ${guildId} already has data in this folder; an import only moves a guild to a host that doesn't have it. Nothing was imported.`,
      );
    }
    const written: string[] = [];
    try {
      for (const stored of archiveFiles(archive)) {
        checkStoredPath(stored.path);
        const target = services.files.absolute(stored.path);
        if (existsSync(target)) {
          // Screenshots are stored by content hash, so the same picture may already be here.
          if (readFileSync(target).equals(stored.bytes)) continue;
          throw new GuildArchiveError(`${stored.path} already exists here with other contents; nothing was imported.`);
        }
        services.files.writeAtomic(stored.path, stored.bytes);
        written.push(target);
      }
      counts = services.store.guildArchives.insert(archive, guildId);
    } catch (err) {
      for (const target of written) rmSync(target, { force: true });
      throw err;
    }
  } finally {
    archive.close();
  }
  const reembedded =
    counts.skippedModelVersions.length > 0 ? await reembedAll(services, services.embedders.activeVersion()) : 0;
  if (reembedded > 0 || (counts.faces > 0 && !services.heads.current(guildId))) await services.heads.refit(guildId);
  const { skippedModelVersions: _skipped, ...rest } = counts;
  return { guildId, ...rest, reembedded, headVersion: services.heads.current(guildId)?.version ?? null };
}
