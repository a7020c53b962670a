/** The roster pack file: what it holds survives a round trip, and every kind of bad file gets one clear refusal. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { float16ToFloat32, float32ToFloat16 } from '../../src/core/packs/float16.ts';
import { decodePack, encodePack, PackFileError, type PackContent } from '../../src/core/packs/pack-file.ts';

const DIM = 8;

function unit(seed: number): Float32Array {
  const v = Float32Array.from({ length: DIM }, (_, d) => Math.sin(seed * 7.1 + d * 1.3) + (d === seed % DIM ? 2 : 0));
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function content(encoding: 'float16' | 'int8' = 'int8'): PackContent {
  const characterIndex = [0, 0, 1, 2];
  const vectors = new Float32Array(characterIndex.length * DIM);
  characterIndex.forEach((_, i) => vectors.set(unit(i), i * DIM));
  return {
    id: 'test-pack',
    title: 'A test pack',
    franchise: 'Test',
    built: '2026-12-08',
    sources: [{ repo: 'someone/somewhere', commit: 'abcdef12', paths: ['icons/'] }],
    characters: [
      { id: 'takagaki-kaede', name: 'Takagaki Kaede', nameJa: '高垣楓', aliases: ['kaede'] },
      { id: 'shibuya-rin', name: 'Shibuya Rin', nameJa: '渋谷凛', aliases: ['rin'] },
      { id: 'hoshii-miki', name: 'Hoshii Miki', aliases: ['miki'] },
    ],
    references: [{ embedder: 'e@1234abcd', dim: DIM, characterIndex, vectors, encoding }],
  };
}

/** Rewrites the header of a pack (and its length), keeping the payload: a pack someone edited by hand. */
function withHeader(bytes: Buffer, edit: (header: Record<string, unknown>) => void): Buffer {
  const length = bytes.readUInt32LE(8);
  const header = JSON.parse(bytes.subarray(12, 12 + length).toString('utf8'));
  edit(header);
  const json = Buffer.from(JSON.stringify(header));
  const size = Buffer.alloc(4);
  size.writeUInt32LE(json.length);
  return Buffer.concat([bytes.subarray(0, 8), size, json, bytes.subarray(12 + length)]);
}

function refused(bytes: Buffer, pattern: RegExp): void {
  assert.throws(
    () => decodePack(bytes),
    (err: unknown) => err instanceof PackFileError && pattern.test(err.message),
  );
}

describe('roster pack file', () => {
  for (const encoding of ['int8', 'float16'] as const) {
    test(`keeps names and unit vectors through a round trip (${encoding})`, () => {
      const original = content(encoding);
      const pack = decodePack(encodePack(original));
      assert.deepEqual(pack.header.characters, original.characters);
      assert.equal(pack.header.id, 'test-pack');
      const [refs] = pack.references;
      assert.deepEqual([...refs.characterIndex], [0, 0, 1, 2]);
      for (let v = 0; v < 4; v++) {
        let cos = 0;
        for (let d = 0; d < DIM; d++) cos += refs.vectors[v * DIM + d] * original.references[0].vectors[v * DIM + d];
        assert.ok(cos > 0.999, `vector ${v} kept its direction (cos ${cos})`);
      }
    });
  }

  test('float16 rounds like IEEE half precision', () => {
    const values = Float32Array.from([0, 1, -2, 0.1, 65504, 1e-8, 2.71]);
    const back = float16ToFloat32(float32ToFloat16(values));
    assert.deepEqual([...back.slice(0, 3)], [0, 1, -2]);
    assert.ok(Math.abs(back[3] - 0.1) < 1e-4);
    assert.equal(back[4], 65504);
    assert.equal(back[5], 0);
    assert.ok(Math.abs(back[6] - 2.71) < 2e-3);
  });

  test('refuses a file that is not a pack', () => {
    refused(Buffer.from('{"id":"not a pack"}'), /not an idoltag roster pack/);
    refused(Buffer.alloc(0), /not an idoltag roster pack/);
  });

  test('refuses a file cut short, or one with bytes added', () => {
    const bytes = encodePack(content());
    refused(bytes.subarray(0, 20), /cut short|damaged/);
    refused(bytes.subarray(0, bytes.length - 3), /wrong size|damaged/);
    refused(Buffer.concat([bytes, Buffer.alloc(16)]), /wrong size|damaged/);
  });

  test('refuses vectors that do not match the hash in the header', () => {
    const bytes = Buffer.from(encodePack(content()));
    bytes[bytes.length - 1] ^= 0x7f;
    refused(bytes, /do not match the hash/);
  });

  test('refuses a header of the wrong schema, with the field it is about', () => {
    const bytes = encodePack(content());
    refused(
      withHeader(bytes, (h) => delete h.franchise),
      /bad header: franchise/,
    );
    refused(
      withHeader(bytes, (h) => (h.id = 'Not A Slug!')),
      /bad header: id/,
    );
    refused(
      withHeader(bytes, (h) => (h.format = 2)),
      /bad header: format/,
    );
  });

  test('refuses a dimension that does not fit the payload', () => {
    refused(
      withHeader(encodePack(content()), (h) => {
        (h.references as Array<{ dim: number }>)[0].dim = DIM * 2;
      }),
      /wrong size/,
    );
  });

  test('refuses numbers that are not finite', () => {
    const c = content('float16');
    c.references[0].vectors[3] = Number.NaN;
    refused(encodePack(c), /not finite/);
    const inf = content('float16');
    inf.references[0].vectors[0] = Number.POSITIVE_INFINITY;
    refused(encodePack(inf), /not finite/);
  });

  test('refuses references to characters it does not have, and ids named twice', () => {
    const bytes = encodePack(content());
    refused(
      withHeader(bytes, (h) => {
        (h.references as Array<{ characterIndex: number[] }>)[0].characterIndex[3] = 9;
      }),
      /points at character 9/,
    );
    refused(
      withHeader(bytes, (h) => {
        (h.characters as Array<{ id: string }>)[1].id = 'takagaki-kaede';
      }),
      /twice/,
    );
  });

  test('the whole-file hash is what the manifest knows a pack by', () => {
    const bytes = encodePack(content());
    assert.equal(decodePack(bytes).sha256, createHash('sha256').update(bytes).digest('hex'));
  });
});
