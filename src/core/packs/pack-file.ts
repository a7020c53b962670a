// The roster pack file: a game's characters (names, aliases) and reference embeddings of their faces.
// It is untrusted input (anyone may share one), so decoding checks every size, index and number.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { UserFacingError } from '../user-facing-error.ts';
import { float16ToFloat32, float32ToFloat16 } from './float16.ts';

/** "IDTPACK" + format byte, then a u32 little-endian header length, the JSON header, the float16 payload. */
export const PACK_MAGIC = Buffer.from('IDTPACK1', 'ascii');
export const PACK_EXTENSION = '.idpack';
/** A pack bigger than this is refused before it is read (the shipped ones stay under 4 MB). */
export const MAX_PACK_BYTES = 32 * 1024 * 1024;
const MAX_HEADER_BYTES = 4 * 1024 * 1024;
const PREAMBLE = PACK_MAGIC.length + 4;

export class PackFileError extends UserFacingError {}

const slug = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" or "-"');
const name = z.string().trim().min(1).max(64);

const characterSchema = z
  .object({
    id: slug,
    name,
    nameJa: name.optional(),
    nameEn: name.optional(),
    aliases: z.array(name).max(32),
  })
  .strict();

const referencesSchema = z
  .object({
    /** The embedder version the vectors were made with, e.g. "idoltag_idols_v5@1a2b3c4d". */
    embedder: z.string().min(1).max(128),
    dim: z.number().int().min(2).max(4096),
    /** int8: each vector scaled so its largest value is ±127 (unit length is restored on reading). */
    encoding: z.enum(['float16', 'int8']),
    /** For each vector, the index of its character in `characters`. */
    characterIndex: z.array(z.number().int().min(0)).min(1),
    /** Where the vectors start in the payload, in bytes; count × dim values of `encoding`. */
    offset: z.number().int().min(0),
    /** Added to every open-set threshold of the head fit on these vectors (calibrated by the builder on other games' faces). */
    gateShift: z.number().min(-1).max(2).optional(),
  })
  .strict();

const headerSchema = z
  .object({
    format: z.literal(1),
    id: slug,
    title: name.max(128),
    franchise: name,
    built: z.string().max(64),
    sources: z
      .array(
        z
          .object({ repo: z.string().max(256), commit: z.string().max(64), paths: z.array(z.string().max(256)) })
          .strict(),
      )
      .max(16),
    characters: z.array(characterSchema).min(1).max(5000),
    references: z.array(referencesSchema).min(1).max(16),
    /** sha256 of the payload, so a damaged or altered file is refused even without a manifest. */
    payloadSha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** What the builder measured (held-out accuracy and such); shown, never trusted for anything. */
    metrics: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export type PackCharacter = z.infer<typeof characterSchema>;
export type PackHeader = z.infer<typeof headerSchema>;

/** One embedder's reference vectors, decoded: unit length, float32. */
export interface PackReferences {
  embedder: string;
  dim: number;
  gateShift: number;
  characterIndex: Int32Array;
  vectors: Float32Array;
}

export interface Pack {
  header: PackHeader;
  references: PackReferences[];
  /** sha256 of the whole file: what the manifest and the database know the pack by. */
  sha256: string;
  bytes: number;
}

export interface PackContent {
  id: string;
  title: string;
  franchise: string;
  built: string;
  sources: PackHeader['sources'];
  characters: PackCharacter[];
  references: Array<{
    embedder: string;
    dim: number;
    characterIndex: number[];
    vectors: Float32Array;
    encoding?: 'float16' | 'int8';
    gateShift?: number;
  }>;
  metrics?: Record<string, unknown>;
}

export function encodePack(content: PackContent): Buffer {
  const payloads: Buffer[] = [];
  let offset = 0;
  const references = content.references.map((r) => {
    if (r.vectors.length !== r.characterIndex.length * r.dim) {
      throw new Error(
        `references for ${r.embedder}: ${r.vectors.length} values for ${r.characterIndex.length} × ${r.dim}`,
      );
    }
    const encoding = r.encoding ?? 'int8';
    const encoded = encoding === 'int8' ? toInt8(r.vectors, r.dim) : float32ToFloat16(r.vectors);
    const bytes = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
    payloads.push(bytes);
    const entry = {
      embedder: r.embedder,
      dim: r.dim,
      encoding,
      characterIndex: r.characterIndex,
      offset,
      ...(r.gateShift !== undefined ? { gateShift: r.gateShift } : {}),
    };
    offset += bytes.length;
    return entry;
  });
  const payload = Buffer.concat(payloads);
  const header: PackHeader = {
    format: 1,
    id: content.id,
    title: content.title,
    franchise: content.franchise,
    built: content.built,
    sources: content.sources,
    characters: content.characters,
    references,
    payloadSha256: createHash('sha256').update(payload).digest('hex'),
    ...(content.metrics ? { metrics: content.metrics } : {}),
  };
  headerSchema.parse(header);
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length);
  return Buffer.concat([PACK_MAGIC, length, json, payload]);
}

/** The header alone (listing packs without decoding their vectors); throws PackFileError like decodePack. */
export function readPackHeader(bytes: Buffer, label = 'This pack'): { header: PackHeader; payload: Buffer } {
  if (bytes.length > MAX_PACK_BYTES) {
    throw new PackFileError(`${label} is ${mb(bytes.length)}; a pack is at most ${mb(MAX_PACK_BYTES)}.`);
  }
  if (bytes.length < PREAMBLE || !bytes.subarray(0, PACK_MAGIC.length).equals(PACK_MAGIC)) {
    throw new PackFileError(
      `${label} is not an idoltag roster pack (it does not start with ${PACK_MAGIC.toString()}).`,
    );
  }
  const headerLength = bytes.readUInt32LE(PACK_MAGIC.length);
  if (headerLength > MAX_HEADER_BYTES || PREAMBLE + headerLength > bytes.length) {
    throw new PackFileError(`${label} is cut short or damaged: its header runs past the end of the file.`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.subarray(PREAMBLE, PREAMBLE + headerLength).toString('utf8'));
  } catch {
    throw new PackFileError(`${label} is damaged: its header is not valid JSON.`);
  }
  const parsed = headerSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PackFileError(`${label} has a bad header: ${issue.path.join('.') || 'header'}: ${issue.message}.`);
  }
  return { header: parsed.data, payload: bytes.subarray(PREAMBLE + headerLength) };
}

/** Decodes and checks a pack file: sizes, hash, indexes, dimensions, finite numbers, unique ids. */
export function decodePack(bytes: Buffer, label = 'This pack'): Pack {
  const { header, payload } = readPackHeader(bytes, label);
  if (createHash('sha256').update(payload).digest('hex') !== header.payloadSha256) {
    throw new PackFileError(`${label} is damaged or was altered: its vectors do not match the hash in its header.`);
  }
  const ids = new Set<string>();
  for (const c of header.characters) {
    if (ids.has(c.id)) throw new PackFileError(`${label} names the character id "${c.id}" twice.`);
    ids.add(c.id);
  }
  const seenEmbedders = new Set<string>();
  let expected = 0;
  const references = header.references.map((r) => {
    if (seenEmbedders.has(r.embedder)) throw new PackFileError(`${label} has two reference sets for ${r.embedder}.`);
    seenEmbedders.add(r.embedder);
    const count = r.characterIndex.length;
    const size = count * r.dim * (r.encoding === 'int8' ? 1 : 2);
    if (r.offset !== expected || r.offset + size > payload.length) {
      throw new PackFileError(
        `${label} has the wrong size: the references for ${r.embedder} (${count} × ${r.dim}) do not fit its payload.`,
      );
    }
    expected += size;
    const bad = r.characterIndex.find((i) => i >= header.characters.length);
    if (bad !== undefined)
      throw new PackFileError(`${label} points at character ${bad}, but has ${header.characters.length}.`);
    const raw = new Uint8Array(size); // a copy: aligned, whatever the payload's offset
    raw.set(payload.subarray(r.offset, r.offset + size));
    const vectors =
      r.encoding === 'int8'
        ? Float32Array.from(new Int8Array(raw.buffer))
        : float16ToFloat32(new Uint16Array(raw.buffer));
    for (let v = 0; v < count; v++) {
      let norm = 0;
      for (let d = 0; d < r.dim; d++) {
        const x = vectors[v * r.dim + d];
        if (!Number.isFinite(x)) throw new PackFileError(`${label} holds a number that is not finite (vector ${v}).`);
        norm += x * x;
      }
      if (norm < 1e-6) throw new PackFileError(`${label} holds an empty vector (vector ${v}).`);
      const scale = 1 / Math.sqrt(norm);
      for (let d = 0; d < r.dim; d++) vectors[v * r.dim + d] *= scale;
    }
    return {
      embedder: r.embedder,
      dim: r.dim,
      gateShift: r.gateShift ?? 0,
      characterIndex: Int32Array.from(r.characterIndex),
      vectors,
    };
  });
  if (expected !== payload.length) {
    throw new PackFileError(
      `${label} has the wrong size: ${payload.length - expected} bytes more than its header describes.`,
    );
  }
  return { header, references, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
}

/** Each vector scaled so its largest magnitude is 127: for unit vectors of hundreds of values, cosines move by about 1e-4. */
function toInt8(vectors: Float32Array, dim: number): Int8Array {
  const out = new Int8Array(vectors.length);
  for (let v = 0; v < vectors.length / dim; v++) {
    let max = 0;
    for (let d = 0; d < dim; d++) max = Math.max(max, Math.abs(vectors[v * dim + d]));
    const scale = max > 0 ? 127 / max : 0;
    for (let d = 0; d < dim; d++) out[v * dim + d] = Math.round(vectors[v * dim + d] * scale);
  }
  return out;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
