import { readFileSync } from 'node:fs';
import path from 'node:path';
import { scoreGemm } from '../../core/head/scoring-session.ts';
import { loadManifest, PROJECT_ROOT, type ModelEntry } from '../../core/models/manifest.ts';
import {
  decodePack,
  PACK_EXTENSION,
  PackFileError,
  readPackHeader,
  type Pack,
  type PackHeader,
} from '../../core/packs/pack-file.ts';
import {
  deserialiseHead,
  predictFromScores,
  predictWithGate,
  scoringMatrix,
  serialiseHead,
  withGateShift,
  trainHead,
  type HeadModel,
} from '../../core/head/softmax-head.ts';
import type { Logger } from '../../log.ts';
import type { Store } from '../../store/index.ts';
import type { PackRow } from '../../store/packs.ts';
import type { EmbedderRegistry } from '../embedder-registry.ts';
import { type DataFiles, sha256 } from '../files.ts';
import type { JobQueue } from '../queue.ts';

/** A pack's head for one embedder, with what predictions need to name its characters. */
export interface PackHead {
  packId: string;
  sha256: string;
  head: HeadModel;
  /** The head as one matrix for batched scoring (scoringMatrix), made on first use. */
  scoring?: { matrix: Float32Array; bias: Float32Array };
}

/** What a pack head says about one face: the pack character, and how sure the gate is. */
export interface PackVote {
  packId: string;
  character: string;
  /** Softmax probability of the top character. */
  confidence: number;
  /** Cosine to the character's centroid, minus the gate's threshold for it: > 0 means named. */
  margin: number;
  accepted: boolean;
}

export function shippedPacks(): ModelEntry[] {
  return loadManifest().filter((m) => m.kind === 'roster-pack');
}

/**
 * The roster packs of a data folder: the shipped ones (models/manifest.json, read in place) and those a
 * person installed from a file (copied into <data>/packs). A pack's vectors are read only to fit its head,
 * once per pack file and embedder; the head is kept in the database and in memory, once per process, and
 * every guild that added the pack shares it.
 */
export class PackLibrary {
  readonly #store: Store;
  private readonly heads = new Map<string, PackHead | null>();
  private readonly fitting = new Map<string, Promise<PackHead | undefined>>();
  /** Each pack file's header, by its sha256: read (and the file checked whole) once per process. */
  private readonly headers = new Map<string, PackHeader>();

  constructor(
    store: Store,
    private readonly files: DataFiles,
    private readonly embedders: EmbedderRegistry,
    private readonly queue: JobQueue,
    private readonly logger: Logger,
  ) {
    this.#store = store;
  }

  /** Records every shipped pack (or its new file, after an update) so guilds can add them by id. */
  syncShipped(): void {
    for (const entry of shippedPacks()) {
      const file = entry.files[0];
      const relative = path.posix.join(entry.shipped ?? 'models/packs', file.name);
      const known = this.#store.packs.get(packIdOf(entry));
      if (known && known.origin === 'shipped' && known.sha256 === file.sha256) continue;
      if (known && known.origin === 'file') {
        this.logger.warn(
          { pack: known.id },
          'a pack installed from a file has the id of a shipped pack: the file stays',
        );
        continue;
      }
      const bytes = readFileSync(path.join(PROJECT_ROOT, relative));
      if (sha256(bytes) !== file.sha256) {
        throw new Error(`${relative} does not match its sha256 in models/manifest.json`);
      }
      const { header } = readPackHeader(bytes, relative);
      this.#store.transaction(() =>
        this.#store.packs.install({ ...installOf(header, sha256(bytes)), origin: 'shipped', path: relative }),
      );
    }
  }

  list(): PackRow[] {
    return this.#store.packs.all();
  }

  /** An installed pack by id, or undefined. */
  get(id: string): PackRow | undefined {
    return this.#store.packs.get(id);
  }

  /** Reads and checks an installed pack's file (the hash the database knows included). */
  read(row: PackRow): Pack {
    const file = row.origin === 'shipped' ? path.join(PROJECT_ROOT, row.path) : this.files.absolute(row.path);
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      throw new PackFileError(`The file of the pack ${row.id} is missing; install it again.`);
    }
    if (sha256(bytes) !== row.sha256) {
      throw new PackFileError(`The file of the pack ${row.id} changed since it was installed; install it again.`);
    }
    return decodePack(bytes, `The pack ${row.id}`);
  }

  /**
   * Installs a pack someone gave as a file: every check first (format, hash, dimensions, numbers), then the
   * file is copied into the data folder and recorded in one step; a refused file leaves nothing behind.
   */
  installFile(bytes: Buffer, by?: string): { row: PackRow; replaced: boolean } {
    const pack = decodePack(bytes, 'That pack file');
    const active = this.embedders.activeVersion();
    const dim = this.embedders.dimOf(active);
    for (const r of pack.references) {
      if (r.embedder === active && dim !== undefined && r.dim !== dim) {
        throw new PackFileError(
          `That pack file's vectors have ${r.dim} dimensions, but ${active} makes ${dim}: it was not built with this embedder.`,
        );
      }
    }
    const existing = this.#store.packs.get(pack.header.id);
    if (existing?.origin === 'shipped') {
      throw new PackFileError(`A shipped pack is called ${pack.header.id} already; give yours another id.`);
    }
    const relative = path.join('packs', `${pack.header.id}-${pack.sha256.slice(0, 8)}${PACK_EXTENSION}`);
    this.files.writeAtomic(relative, bytes);
    this.#store.transaction(() =>
      this.#store.packs.install({
        ...installOf(pack.header, pack.sha256),
        origin: 'file',
        path: relative,
        installedBy: by,
      }),
    );
    return { row: this.#store.packs.get(pack.header.id)!, replaced: existing !== undefined };
  }

  /** An installed pack's header (names, which embedders it has references for), checked once per process. */
  header(row: PackRow): PackHeader {
    let header = this.headers.get(row.sha256);
    if (!header) {
      header = this.read(row).header;
      this.headers.set(row.sha256, header);
    }
    return header;
  }

  /** Whether the pack has references for the embedder in service (else its characters rely on taught faces). */
  covers(row: PackRow, version = this.embedders.activeVersion()): boolean {
    return this.header(row).references.some((r) => r.embedder === version);
  }

  /**
   * The pack's head for the embedder in service: from memory, else from the database, else undefined (and
   * `ensureHead` fits it). Synchronous, because every prediction asks.
   */
  head(packId: string, version = this.embedders.activeVersion()): PackHead | undefined {
    const row = this.#store.packs.get(packId);
    if (!row) return undefined;
    const key = `${row.sha256}\u0000${version}`;
    const cached = this.heads.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const stored = this.#store.packHeads.get(row.sha256, version);
    if (!stored) return undefined;
    const head: PackHead = { packId, sha256: row.sha256, head: deserialiseHead(stored.head_json, stored.head_arrays) };
    this.heads.set(key, head);
    return head;
  }

  /**
   * Fits the pack's head for an embedder if it has none yet (through the queue: the fit runs onnxruntime).
   * Undefined when the pack has no references for that embedder.
   */
  ensureHead(packId: string, version = this.embedders.activeVersion()): Promise<PackHead | undefined> {
    const ready = this.head(packId, version);
    if (ready) return Promise.resolve(ready);
    const row = this.#store.packs.get(packId);
    if (!row) return Promise.resolve(undefined);
    const key = `${row.sha256}\u0000${version}`;
    if (this.heads.get(key) === null) return Promise.resolve(undefined);
    let pending = this.fitting.get(key);
    if (!pending) {
      pending = this.queue
        .run(() => this.fit(row, version), { whenFull: 'wait' })
        .finally(() => this.fitting.delete(key));
      this.fitting.set(key, pending);
    }
    return pending;
  }

  private async fit(row: PackRow, version: string): Promise<PackHead | undefined> {
    const key = `${row.sha256}\u0000${version}`;
    const done = this.head(row.id, version);
    if (done) return done;
    const pack = this.read(row);
    const references = pack.references.find((r) => r.embedder === version);
    if (!references) {
      this.heads.set(key, null);
      return undefined;
    }
    const started = performance.now();
    const vectors: Float32Array[] = [];
    const labels: string[] = [];
    for (let v = 0; v < references.characterIndex.length; v++) {
      vectors.push(references.vectors.subarray(v * references.dim, (v + 1) * references.dim));
      labels.push(pack.header.characters[references.characterIndex[v]].id);
    }
    const head = withGateShift(await trainHead(vectors, labels), references.gateShift);
    const fitMs = performance.now() - started;
    const stored = serialiseHead(head);
    this.#store.packHeads.put(row.sha256, version, {
      head_json: stored.json,
      head_arrays: stored.arrays,
      fit_ms: fitMs,
    });
    this.logger.info(
      { pack: row.id, embedder: version, characters: head.labels.length, fitMs: Math.round(fitMs) },
      'fit a pack head',
    );
    const packHead = { packId: row.id, sha256: row.sha256, head };
    this.heads.set(key, packHead);
    return packHead;
  }

  /**
   * What each of the guild's packs says about each face of a screenshot: one onnxruntime GEMM per pack for
   * all the faces (JavaScript loops took about 0.6 ms a face for five packs; this is about a tenth).
   */
  async votesMany(
    packIds: string[],
    embeddings: Float32Array[],
    version = this.embedders.activeVersion(),
  ): Promise<PackVote[][]> {
    const votes: PackVote[][] = embeddings.map(() => []);
    if (embeddings.length === 0) return votes;
    const D = embeddings[0].length;
    const X = new Float32Array(embeddings.length * D);
    embeddings.forEach((e, i) => X.set(e, i * D));
    for (const id of packIds) {
      const packHead = this.head(id, version);
      if (!packHead || packHead.head.labels.length === 0 || packHead.head.dim !== D) continue;
      packHead.scoring ??= scoringMatrix(packHead.head);
      const C = packHead.head.labels.length;
      const scores = await scoreGemm(X, [embeddings.length, D], packHead.scoring.matrix, [D, 2 * C]);
      for (let i = 0; i < embeddings.length; i++) {
        const p = predictFromScores(
          packHead.head,
          packHead.scoring.bias,
          scores.subarray(i * 2 * C, (i + 1) * 2 * C),
          1,
        );
        votes[i].push({
          packId: id,
          character: p.best ?? '',
          confidence: p.confidence,
          margin: p.margin,
          accepted: p.label !== null,
        });
      }
    }
    return votes;
  }

  /** What each of the guild's packs says about one face (packs without a head for the embedder say nothing). */
  votes(packIds: string[], embedding: Float32Array, version = this.embedders.activeVersion()): PackVote[] {
    const votes: PackVote[] = [];
    for (const id of packIds) {
      const packHead = this.head(id, version);
      if (!packHead || packHead.head.labels.length === 0) continue;
      votes.push(voteOf(packHead, embedding));
    }
    return votes;
  }
}

export function voteOf(packHead: PackHead, embedding: Float32Array): PackVote {
  const p = predictWithGate(packHead.head, embedding, 1);
  return {
    packId: packHead.packId,
    character: p.best ?? '',
    confidence: p.confidence,
    margin: p.margin,
    accepted: p.label !== null,
  };
}

function packIdOf(entry: ModelEntry): string {
  return entry.id.replace(/^pack-/, '');
}

function installOf(header: PackHeader, fileSha256: string) {
  return {
    id: header.id,
    sha256: fileSha256,
    title: header.title,
    franchise: header.franchise,
    names: header.characters.map((c) => ({
      character: c.id,
      names: [c.name, ...(c.nameJa ? [c.nameJa] : []), ...(c.nameEn ? [c.nameEn] : []), ...c.aliases],
    })),
  };
}
