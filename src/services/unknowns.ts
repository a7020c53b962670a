import { createHash } from 'node:crypto';
import { findOrCreateCharacter } from './character-names.ts';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { centroidSimilarity } from '../core/head/softmax-head.ts';
import { cosineDistances, hdbscan } from '../core/map/hdbscan.ts';
import { blobToVector } from '../store/database.ts';
import { validateCharacterName } from '../store/characters.ts';
import type { ServiceBlocks } from './service-blocks.ts';
import { UserInputError } from './errors.ts';
import { centredUnitVectors, dot, l2normalise, sumOf } from '../core/vector.ts';
import { escapeXml } from '../core/xml.ts';

/**
 * Faces the bot could not name (their current label is a prediction of "unknown"), grouped by
 * HDBSCAN so that a person can name a whole group at once.
 *
 * Clustering: the faces are centred on their own mean and compared by cosine. Centring matters:
 * every face embedding shares a large common component, which squeezes all cosine distances into a
 * narrow band; without it the density estimate sees one blob. HDBSCAN needs no distance threshold,
 * so the same settings work for any embedder: a cluster is at least 3 faces, and a face is "dense"
 * when it has 3 neighbours close by (minSamples). Faces in no dense group are left out (noise).
 *
 * Cluster ids are the first 10 hex digits of a SHA-1 of the sorted face ids: the same faces give the
 * same id on every call and across processes; once a face joins or leaves, the id changes (naming a
 * stale id is refused, so nobody names faces they did not see).
 */
export interface UnknownCluster {
  id: string;
  faceIds: number[];
  size: number;
  /** Mean cosine of the faces to the cluster's centroid (1 = identical). */
  cohesion: number;
  /** The taught character whose centroid is closest, as a hint. */
  nearest?: { character: string; similarity: number };
}

export interface ClusterListing {
  clusters: UnknownCluster[];
  /** Unknown faces considered and those left in no cluster. */
  unknownFaces: number;
  noise: number;
  /** When there were more unknown faces than MAX_FACES, only the newest were clustered. */
  truncated: boolean;
}

export const CLUSTER_SETTINGS = { minClusterSize: 3, minSamples: 3, allowSingleCluster: true };
const MAX_FACES = 4000;

export interface NameResult {
  character: string;
  created: boolean;
  taught: number;
  excluded: number[];
  headVersion: number;
}

export class UnknownsService {
  readonly #services: ServiceBlocks;

  constructor(services: ServiceBlocks) {
    this.#services = services;
  }

  private unknownFaces(guildId: string): { ids: number[]; vectors: Float32Array[]; truncated: boolean } {
    const rows = this.#services.store.embeddings.unnamedFaces(
      guildId,
      this.#services.embedders.activeVersion(),
      MAX_FACES + 1,
    );
    const truncated = rows.length > MAX_FACES;
    const kept = rows.slice(0, MAX_FACES).reverse();
    return { ids: kept.map((r) => r.id), vectors: kept.map((r) => blobToVector(r.vector)), truncated };
  }

  /** The clusters of never-named faces, largest first (through the queue: distances run onnxruntime). */
  listClusters(guildId: string): Promise<ClusterListing> {
    return this.#services.queue.run(() => this.clusters(guildId));
  }

  cluster(guildId: string, clusterIdOrPrefix: string): Promise<UnknownCluster> {
    return this.#services.queue.run(() => this.findCluster(guildId, clusterIdOrPrefix));
  }

  private async clusters(guildId: string): Promise<ClusterListing> {
    const { ids, vectors, truncated } = this.unknownFaces(guildId);
    if (ids.length < CLUSTER_SETTINGS.minClusterSize) {
      return { clusters: [], unknownFaces: ids.length, noise: ids.length, truncated };
    }
    const centred = centredUnitVectors(vectors);
    const result = hdbscan(await cosineDistances(centred), ids.length, CLUSTER_SETTINGS);
    const head = this.#services.heads.current(guildId)?.head;
    const names = new Map(
      this.#services.store.characters.listWithCounts(guildId).map((c) => [c.name_key, c.display_name]),
    );
    const clusters: UnknownCluster[] = [];
    for (let c = 0; c < result.clusters; c++) {
      const members = [...result.labels.keys()].filter((i) => result.labels[i] === c);
      const faceIds = members.map((i) => ids[i]).sort((a, b) => a - b);
      const centroid = l2normalise(sumOf(members.map((i) => vectors[i])));
      const cohesion = members.reduce((s, i) => s + dot(vectors[i], centroid), 0) / members.length;
      let nearest: UnknownCluster['nearest'];
      if (head && head.labels.length > 0) {
        head.labels.forEach((label, k) => {
          const similarity = centroidSimilarity(head, k, centroid);
          if (!nearest || similarity > nearest.similarity)
            nearest = { character: names.get(label) ?? label, similarity };
        });
      }
      clusters.push({ id: clusterId(faceIds), faceIds, size: faceIds.length, cohesion, nearest });
    }
    clusters.sort((a, b) => b.size - a.size || a.faceIds[0] - b.faceIds[0]);
    return { clusters, unknownFaces: ids.length, noise: result.labels.filter((l) => l < 0).length, truncated };
  }

  private async findCluster(guildId: string, clusterIdOrPrefix: string): Promise<UnknownCluster> {
    const { clusters } = await this.clusters(guildId);
    const wanted = clusterIdOrPrefix.trim().toLowerCase();
    const found = clusters.filter((c) => c.id.startsWith(wanted));
    if (found.length === 0 || wanted.length < 4) {
      throw new UserInputError(`There is no unknown-face cluster ${clusterIdOrPrefix} (any more); list them again.`);
    }
    if (found.length > 1)
      throw new UserInputError(`${clusterIdOrPrefix} matches several clusters; give more of the id.`);
    return found[0];
  }

  /** A contact sheet PNG of a cluster's crops, with face ids to pass to --exclude. */
  async contactSheet(
    guildId: string,
    clusterId: string,
    options: { tile?: number; columns?: number; max?: number } = {},
  ): Promise<Buffer> {
    const cluster = await this.cluster(guildId, clusterId);
    return this.sheet(guildId, cluster, options);
  }

  async sheet(
    guildId: string,
    cluster: UnknownCluster,
    options: { tile?: number; columns?: number; max?: number } = {},
  ): Promise<Buffer> {
    const tile = options.tile ?? 112;
    const faces = cluster.faceIds.slice(0, options.max ?? 60);
    const columns = Math.min(options.columns ?? 8, faces.length);
    const rows = Math.ceil(faces.length / columns);
    const pad = 6;
    const label = 16;
    const header = 34;
    const width = columns * (tile + pad) + pad;
    const height = header + rows * (tile + label + pad) + pad;
    const composites: sharp.OverlayOptions[] = [];
    const texts: string[] = [];
    for (const [k, faceId] of faces.entries()) {
      const x = pad + (k % columns) * (tile + pad);
      const y = header + Math.floor(k / columns) * (tile + label + pad);
      const face = this.#services.store.images.face(guildId, faceId);
      const thumb = face
        ? await readFile(this.#services.files.absolute(face.crop_path)).then(
            (b) => sharp(b).resize(tile, tile, { fit: 'cover' }).png().toBuffer(),
            () => undefined,
          )
        : undefined;
      if (thumb) composites.push({ input: thumb, left: x, top: y });
      else texts.push(`<rect x="${x}" y="${y}" width="${tile}" height="${tile}" fill="#ccc"/>`);
      texts.push(
        `<text x="${x + tile / 2}" y="${y + tile + 13}" text-anchor="middle" font-size="12" font-family="DejaVu Sans" fill="#333">#${faceId}</text>`,
      );
    }
    const more = cluster.size > faces.length ? ` (first ${faces.length})` : '';
    const hint = cluster.nearest
      ? `, nearest taught: ${escapeXml(cluster.nearest.character)} ${cluster.nearest.similarity.toFixed(2)}`
      : '';
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
<text x="${pad}" y="23" font-size="16" font-weight="bold" font-family="DejaVu Sans" fill="#111">cluster ${cluster.id}: ${cluster.size} faces${more}, cohesion ${cluster.cohesion.toFixed(2)}${hint}</text>
${texts.join('\n')}</svg>`;
    return sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
      .composite([...composites, { input: Buffer.from(svg), left: 0, top: 0 }])
      .png()
      .toBuffer();
  }

  /**
   * Names every face of a cluster (but `exclude`) as `character`: labels with source 'corrected'
   * by `by`, in one transaction, then one head refit; all of it through the queue.
   */
  nameCluster(
    guildId: string,
    clusterId: string,
    character: string,
    by: string,
    exclude: number[] = [],
  ): Promise<NameResult> {
    return this.#services.queue.run(() => this.name(guildId, clusterId, character, by, exclude));
  }

  private async name(
    guildId: string,
    clusterId: string,
    character: string,
    by: string,
    exclude: number[],
  ): Promise<NameResult> {
    const invalid = validateCharacterName(character);
    if (invalid) throw new UserInputError(invalid);
    const cluster = await this.findCluster(guildId, clusterId);
    const unknownExcludes = exclude.filter((id) => !cluster.faceIds.includes(id));
    if (unknownExcludes.length)
      throw new UserInputError(`Faces ${unknownExcludes.join(', ')} are not in cluster ${cluster.id}.`);
    const faces = cluster.faceIds.filter((id) => !exclude.includes(id));
    if (faces.length === 0) throw new UserInputError('Every face of that cluster is excluded; nothing to name.');
    const store = this.#services.store;
    const { created, display } = store.transaction(() => {
      const found = findOrCreateCharacter(store, guildId, character, by);
      for (const faceId of faces)
        store.labels.add({ guildId, faceId, characterId: found.character.id, source: 'corrected', by });
      return { created: found.created, display: found.character.display_name };
    });
    const refit = await this.#services.heads.refit(guildId);
    return { character: display, created, taught: faces.length, excluded: exclude, headVersion: refit.headVersion };
  }
}

export function clusterId(faceIds: number[]): string {
  return createHash('sha1')
    .update([...faceIds].sort((a, b) => a - b).join(','))
    .digest('hex')
    .slice(0, 10);
}

/** An UnknownsService of its own (tests); the bot and the CLI use `services.unknowns` from openServices(). */
export function unknowns(services: ServiceBlocks): UnknownsService {
  return new UnknownsService(services);
}
