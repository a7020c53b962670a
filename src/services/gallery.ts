import { readFile } from 'node:fs/promises';
import { resolveCharacter } from './character-names.ts';
import sharp from 'sharp';
import type { Store } from '../store/index.ts';
import type { DataFiles } from './files.ts';

export interface GalleryItem {
  imageId: number;
  channelId?: string;
  messageId?: string;
  url?: string;
  sourcePath?: string;
  confirmed: boolean;
  confidence: number;
  createdAt: string;
}

export interface GalleryPage {
  character: string | null;
  total: number;
  page: number;
  pages: number;
  items: GalleryItem[];
}

/** Every screenshot a character is in: confirmed first, then confident predictions, newest first. */
export class GalleryService {
  readonly #store: Store;

  constructor(
    store: Store,
    private readonly files: DataFiles,
    private readonly minConfidence = 0.5,
  ) {
    this.#store = store;
  }

  page(req: { guildId: string; character: string; page: number; pageSize: number }): GalleryPage {
    const character = resolveCharacter(this.#store, req.guildId, req.character);
    if (!character) return { character: null, total: 0, page: 0, pages: 0, items: [] };
    const rows = this.#store.images.appearances(req.guildId, character.id, this.minConfidence);
    const pages = Math.max(1, Math.ceil(rows.length / req.pageSize));
    const page = Math.min(Math.max(0, req.page), pages - 1);
    const items = rows.slice(page * req.pageSize, (page + 1) * req.pageSize).map(
      (r): GalleryItem => ({
        ...r,
        channelId: r.channelId ?? undefined,
        messageId: r.messageId ?? undefined,
        url: r.url ?? undefined,
        sourcePath: r.sourcePath ?? undefined,
        confirmed: !!r.confirmed,
      }),
    );
    return { character: character.display_name, total: rows.length, page, pages, items };
  }

  async thumbnail(guildId: string, imageId: number, width = 320): Promise<Buffer | undefined> {
    const image = this.#store.images.image(guildId, imageId);
    // Only our own copy, or a CLI user's own file: a chat attachment's name is never a path to read.
    const file = image?.stored_path
      ? this.files.absolute(image.stored_path)
      : image?.source_kind === 'file'
        ? (image.source_path ?? undefined)
        : undefined;
    if (!file) return undefined;
    try {
      return await sharp(await readFile(file), { pages: 1 })
        .rotate()
        .resize({ width, withoutEnlargement: true })
        .jpeg({ quality: 80 })
        .toBuffer();
    } catch {
      return undefined;
    }
  }
}
