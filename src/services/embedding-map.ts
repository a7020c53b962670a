import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { seededRandom, shuffled } from '../core/eval/random.ts';
import { project2d } from '../core/map/projection.ts';
import { renderMapHtml, renderMapSvg, type MapPoint } from '../core/map/render.ts';
import { blobToVector } from '../store/database.ts';
import type { ServiceBlocks } from './service-blocks.ts';

export interface EmbeddingMapOptions {
  /** Characters to ring and bold as newly taught (display names or keys). */
  highlight?: string[];
  /** At most this many faces (taught ones are kept first, the rest sampled); default 2500. */
  maxPoints?: number;
  /** Hover crops in the HTML (default on up to 2500 faces). */
  thumbnails?: boolean;
  width?: number;
  height?: number;
  seed?: number;
  title?: string;
}

export interface EmbeddingMap {
  png: Buffer;
  html: string;
  faces: number;
  characters: number;
  /** Faces left out by maxPoints. */
  omitted: number;
}

/**
 * A guild's stored face embeddings (active embedder) in 2-D: one colour per character by the
 * current human label, predictions faded, unknown faces grey, `highlight` characters ringed.
 * Faces a person marked "not a character" are left out. For the CLI `map` and Discord `/map`.
 */
/** Through the queue: the projection and the drawing are heavy. */
export function renderEmbeddingMap(
  services: ServiceBlocks,
  guildId: string,
  options: EmbeddingMapOptions = {},
): Promise<EmbeddingMap> {
  return services.queue.run(() => drawEmbeddingMap(services, guildId, options));
}

async function drawEmbeddingMap(
  services: ServiceBlocks,
  guildId: string,
  options: EmbeddingMapOptions,
): Promise<EmbeddingMap> {
  const rows = services.store.embeddings.mapFaces(guildId, services.embedders.activeVersion());
  const maxPoints = options.maxPoints ?? 2500;
  let kept = rows;
  if (rows.length > maxPoints) {
    const human = rows.filter((r) => r.source && r.source !== 'predicted');
    const rest = shuffled(
      rows.filter((r) => !r.source || r.source === 'predicted'),
      seededRandom(options.seed ?? 7),
    );
    kept = [...shuffled(human, seededRandom(options.seed ?? 7)).slice(0, maxPoints), ...rest]
      .slice(0, maxPoints)
      .sort((a, b) => a.id - b.id);
  }
  const xy = await project2d(
    kept.map((r) => blobToVector(r.vector)),
    { seed: options.seed },
  );
  const thumbnails = options.thumbnails ?? kept.length <= 2500;
  const points: MapPoint[] = await Promise.all(
    kept.map(
      async (r, i): Promise<MapPoint> => ({
        x: xy[i][0],
        y: xy[i][1],
        character: r.display_name,
        kind: !r.display_name ? 'unknown' : r.source === 'predicted' ? 'predicted' : 'human',
        faceId: r.id,
        thumb: thumbnails ? await thumbnail(services.files.absolute(r.crop_path)) : undefined,
        note: [
          r.source_path?.split(/[\\/]/).slice(-2).join('/'),
          r.source === 'predicted' && r.confidence !== null ? `${Math.round(r.confidence * 100)} %` : '',
        ]
          .filter(Boolean)
          .join(' · '),
      }),
    ),
  );
  const keyOf = (s: string) => s.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, ' ');
  const wanted = new Set((options.highlight ?? []).map(keyOf));
  const highlight = [
    ...new Set(points.map((p) => p.character).filter((c): c is string => !!c && wanted.has(keyOf(c)))),
  ];
  const characters = new Set(points.map((p) => p.character).filter(Boolean)).size;
  const human = points.filter((p) => p.kind === 'human').length;
  const render = {
    title: options.title ?? `idoltag: who looks like whom (guild ${guildId})`,
    subtitle:
      `${points.length} faces (${human} named by people, ${points.length - human} by the bot or unknown), ${characters} characters` +
      `${rows.length > kept.length ? `, ${rows.length - kept.length} more not shown` : ''} · UMAP of ${services.embedders.activeVersion()}`,
    highlight,
    width: options.width,
    height: options.height,
  };
  const svg = renderMapSvg(points, render);
  const png = await sharp(Buffer.from(svg)).png().toBuffer();
  return {
    png,
    html: renderMapHtml(points, render),
    faces: points.length,
    characters,
    omitted: rows.length - kept.length,
  };
}

async function thumbnail(file: string): Promise<string | undefined> {
  try {
    const jpeg = await sharp(await readFile(file))
      .resize(64, 64, { fit: 'cover' })
      .jpeg({ quality: 70 })
      .toBuffer();
    return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
  } catch {
    return undefined;
  }
}
