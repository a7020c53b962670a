/**
 * Generates the bad-input corpus for test/reliability/bad-input.test.ts: every kind of file a busy
 * server throws at the bot, built at test time from a few real images (never stored in the repo).
 *
 * Each entry says what a correct answer is: an ImageInputError with one of the listed codes, or a
 * normal result (optionally with bounds on the number of faces).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import type { ImageInputError } from '../../src/core/decode.ts';
import { DATA } from '../helpers/paths.ts';

export type ErrorCode = ImageInputError['code'];

export type Expectation =
  | { error: ErrorCode[] }
  | { ok: true; minFaces?: number; maxFaces?: number; minFaceSide?: number; size?: [number, number] }
  /** Lenient decoders may read what is there, or refuse it: either is a fine answer. */
  | { okOrError: ErrorCode[] };

export interface BadInput {
  /** File name as sent (the "declared" name; extensions may lie). */
  name: string;
  kind: string;
  bytes: Buffer;
  expect: Expectation;
}

// ---------------------------------------------------------------- raw format helpers

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

interface PngChunk {
  type: string;
  data: Buffer;
}

function pngChunks(png: Buffer): PngChunk[] {
  const chunks: PngChunk[] = [];
  for (let at = 8; at < png.length; ) {
    const len = png.readUInt32BE(at);
    chunks.push({ type: png.subarray(at + 4, at + 8).toString('latin1'), data: png.subarray(at + 8, at + 8 + len) });
    at += 12 + len;
  }
  return chunks;
}

function ihdr(width: number, height: number, bitDepth = 8, colourType = 2): Buffer {
  const d = Buffer.alloc(13);
  d.writeUInt32BE(width, 0);
  d.writeUInt32BE(height, 4);
  d[8] = bitDepth;
  d[9] = colourType;
  return pngChunk('IHDR', d);
}

/** A tiny PNG whose header claims `width`×`height`: a decompression bomb that never needs building. */
function pngClaiming(width: number, height: number): Buffer {
  // One row of real data is enough to look plausible; a decoder that trusts the header explodes.
  const row = Buffer.alloc(1 + Math.min(width, 4096) * 3);
  return Buffer.concat([
    PNG_SIGNATURE,
    ihdr(width, height),
    pngChunk('IDAT', deflateSync(row)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** APNG by hand: sharp writes no APNG, so the frames' IDAT streams are wrapped in acTL/fcTL/fdAT. */
function apng(frames: Buffer[], width: number, height: number): Buffer {
  const out: Buffer[] = [PNG_SIGNATURE];
  const first = pngChunks(frames[0]);
  out.push(pngChunk('IHDR', first.find((c) => c.type === 'IHDR')!.data));
  const actl = Buffer.alloc(8);
  actl.writeUInt32BE(frames.length, 0);
  out.push(pngChunk('acTL', actl));
  let seq = 0;
  const fctl = () => {
    const d = Buffer.alloc(26);
    d.writeUInt32BE(seq++, 0);
    d.writeUInt32BE(width, 4);
    d.writeUInt32BE(height, 8);
    d.writeUInt16BE(50, 20); // delay 50/100 s
    d.writeUInt16BE(100, 22);
    return pngChunk('fcTL', d);
  };
  frames.forEach((frame, i) => {
    const chunks = pngChunks(frame);
    const ihdrOf = chunks.find((c) => c.type === 'IHDR')!.data;
    if (!ihdrOf.equals(first.find((c) => c.type === 'IHDR')!.data)) throw new Error('APNG frames must share one IHDR');
    out.push(fctl());
    for (const c of chunks.filter((c) => c.type === 'IDAT')) {
      if (i === 0) out.push(pngChunk('IDAT', c.data));
      else {
        const s = Buffer.alloc(4);
        s.writeUInt32BE(seq++);
        out.push(pngChunk('fdAT', Buffer.concat([s, c.data])));
      }
    }
  });
  out.push(pngChunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(out);
}

/** Rewrites a JPEG's frame header (SOFn) to claim another size. */
function jpegClaiming(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  for (let at = 2; at < out.length - 9; ) {
    if (out[at] !== 0xff) throw new Error('not a marker');
    const marker = out[at + 1];
    const len = out.readUInt16BE(at + 2);
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      out.writeUInt16BE(height, at + 5);
      out.writeUInt16BE(width, at + 7);
      return out;
    }
    at += 2 + len;
  }
  throw new Error('no SOF marker');
}

/** Rewrites a GIF's logical screen size. */
function gifClaiming(gif: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(gif);
  out.writeUInt16LE(width, 6);
  out.writeUInt16LE(height, 8);
  // The first image descriptor too, so the frame itself claims the size.
  const at = out.indexOf(0x2c, 13);
  if (at > 0) {
    out.writeUInt16LE(width, at + 5);
    out.writeUInt16LE(height, at + 7);
  }
  return out;
}

/** Repeats every frame block of an animated GIF `times` times (sharp's GIF encoder is slow). */
function gifRepeatFrames(gif: Buffer, times: number): Buffer {
  let at = 13;
  if (gif[10] & 0x80) at += 3 * 2 ** ((gif[10] & 7) + 1);
  const skipSubBlocks = (i: number) => {
    while (gif[i] !== 0) i += gif[i] + 1;
    return i + 1;
  };
  const head = gif.subarray(0, at);
  const loop: Buffer[] = [];
  const frames: Buffer[] = [];
  let frameStart = -1;
  while (gif[at] !== 0x3b) {
    const start = at;
    if (gif[at] === 0x21) {
      const label = gif[at + 1];
      at = skipSubBlocks(at + 2);
      if (label === 0xff)
        loop.push(gif.subarray(start, at)); // NETSCAPE loop block: keep once
      else if (frameStart < 0) frameStart = start; // graphic control: starts a frame
    } else if (gif[at] === 0x2c) {
      const flags = gif[at + 9];
      at += 10;
      if (flags & 0x80) at += 3 * 2 ** ((flags & 7) + 1);
      at = skipSubBlocks(at + 1);
      frames.push(gif.subarray(frameStart < 0 ? start : frameStart, at));
      frameStart = -1;
    } else throw new Error(`unexpected GIF block 0x${gif[at].toString(16)}`);
  }
  return Buffer.concat([head, ...loop, ...Array.from({ length: times }, () => frames).flat(), Buffer.from([0x3b])]);
}

/** An AVIF container relabelled as HEIC (HEVC-coded): the kind of file an iPhone sends. */
function heicFrom(avif: Buffer): Buffer {
  const out = Buffer.from(avif);
  const swap = (from: string, to: string) => {
    for (let at = out.indexOf(from, 0, 'latin1'); at >= 0; at = out.indexOf(from, at + 4, 'latin1'))
      out.write(to, at, 'latin1');
  };
  swap('avif', 'heic');
  swap('av01', 'hvc1');
  swap('av1C', 'hvcC');
  return out;
}

// ---------------------------------------------------------------- the corpus

function labelsCsv(set: string): Array<{ path: string; label: string }> {
  const [header, ...rows] = readFileSync(path.join(DATA, set, 'labels.csv'), 'utf8')
    .trim()
    .split('\n');
  const cols = header.split(',');
  return rows.map((r) => {
    const f = r.split(',');
    return { path: path.join(DATA, set, f[cols.indexOf('path')]), label: f[cols.indexOf('label')] };
  });
}

/** A grid of real face crops (nagadomi10), each `cell` px, on a neutral background. */
async function faceGrid(
  count: number,
  cols: number,
  cell: number,
  gap: number,
  canvas?: [number, number],
): Promise<Buffer> {
  const crops = labelsCsv('nagadomi10')
    .filter((_, i) => i % 7 === 0)
    .slice(0, count);
  const rows = Math.ceil(count / cols);
  const width = canvas?.[0] ?? cols * (cell + gap) + gap;
  const height = canvas?.[1] ?? rows * (cell + gap) + gap;
  const tiles = await Promise.all(
    crops.map(async (c, i) => ({
      input: await sharp(c.path).resize(cell, cell, { fit: 'cover' }).toBuffer(),
      left: gap + (i % cols) * (cell + gap),
      top: gap + Math.floor(i / cols) * (cell + gap),
    })),
  );
  return sharp({ create: { width, height, channels: 3, background: '#d8d4cc' } })
    .composite(tiles)
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** Builds every entry in memory (a few seconds; the 25 MB file dominates). */
export async function generateBadInputs(): Promise<BadInput[]> {
  const screenshotPath = path.join(DATA, 'screenshots_syncopika', 'images', 'aletta7.jpg');
  const screenshot = readFileSync(screenshotPath);
  const meta = await sharp(screenshot).metadata();
  const [sw, sh] = [meta.width!, meta.height!];
  const other = readFileSync(path.join(DATA, 'screenshots_syncopika', 'images', 'anya.jpg'));
  const crop = readFileSync(labelsCsv('nagadomi10')[0].path);
  const screenshotPng = await sharp(screenshot).png().toBuffer();
  const rgb = (w: number, h: number, colour = '#7a9cc6') =>
    sharp({ create: { width: w, height: h, channels: 3, background: colour } });
  const gradient = async (w: number, h: number) => {
    const data = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const i = (y * w + x) * 3;
        data[i] = (x * 255) / w;
        data[i + 1] = (y * 255) / h;
        data[i + 2] = 128;
      }
    return sharp(data, { raw: { width: w, height: h, channels: 3 } });
  };
  const frameA = await sharp(screenshot).resize(sw, sh).png({ palette: false }).toBuffer();
  const frameB = await sharp(other).resize(sw, sh, { fit: 'cover' }).png({ palette: false }).toBuffer();
  const animatedGif = await sharp([frameA, frameB], { join: { animated: true } })
    .gif()
    .toBuffer();
  const avif = await sharp(screenshot).avif({ quality: 50, effort: 0 }).toBuffer();
  const smallJpeg = await rgb(64, 64).jpeg().toBuffer();
  const smallGif = await rgb(16, 16).gif().toBuffer();
  const hugeNoise = randomBytes(3000 * 3000 * 3);
  const bigPng = await sharp(hugeNoise, { raw: { width: 3000, height: 3000, channels: 3 } })
    .png({ compressionLevel: 0 })
    .toBuffer();
  const badCrc = Buffer.from(screenshotPng);
  const idat = badCrc.indexOf('IDAT', 0, 'latin1');
  badCrc[idat + 40] ^= 0xff;
  const zeroWidth = Buffer.concat([
    PNG_SIGNATURE,
    ihdr(0, 64),
    pngChunk('IDAT', deflateSync(Buffer.alloc(65))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);

  const corrupt: ErrorCode[] = ['corrupt'];
  const notImage: ErrorCode[] = ['not_image'];
  const tooLarge: ErrorCode[] = ['too_large'];
  const oneFace = { ok: true as const, minFaces: 1, maxFaces: 3 };

  const entries: BadInput[] = [
    // Not images at all, named as images.
    {
      name: 'text-named.jpg',
      kind: 'plain text with an image name',
      bytes: Buffer.from('Just some notes about Haruka, not a picture.\n'.repeat(20)),
      expect: { error: notImage },
    },
    {
      name: 'page.png',
      kind: 'an HTML page with an image name',
      bytes: Buffer.from('<!doctype html><html><body><img src="x.png"></body></html>'),
      expect: { error: notImage },
    },
    {
      name: 'archive.png',
      kind: 'a zip archive with an image name',
      bytes: Buffer.concat([Buffer.from('PK\u0003\u0004', 'latin1'), randomBytes(2000)]),
      expect: { error: notImage },
    },
    { name: 'random.webp', kind: 'random bytes', bytes: randomBytes(50_000), expect: { error: notImage } },
    { name: 'empty.png', kind: 'zero bytes', bytes: Buffer.alloc(0), expect: { error: ['empty'] } },
    {
      name: 'drawing.svg',
      kind: 'an SVG (never rendered: it can reference external files)',
      bytes: Buffer.from(
        '<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="4000"><image href="file:///etc/passwd"/></svg>',
      ),
      expect: { error: notImage },
    },
    {
      name: 'svg-named.png',
      kind: 'an SVG named .png',
      bytes: Buffer.from(
        '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>',
      ),
      expect: { error: notImage },
    },

    // Broken images.
    {
      name: 'eleven-bytes.jpg',
      kind: 'a JPEG cut to 11 bytes',
      bytes: screenshot.subarray(0, 11),
      expect: { error: ['not_image', 'corrupt'] },
    },
    {
      name: 'truncated-header.jpg',
      kind: 'a JPEG cut inside its headers',
      bytes: screenshot.subarray(0, 300),
      expect: { error: corrupt },
    },
    {
      name: 'truncated.jpg',
      kind: 'a JPEG cut at a third',
      bytes: screenshot.subarray(0, Math.floor(screenshot.length / 3)),
      expect: { error: corrupt },
    },
    {
      name: 'truncated.png',
      kind: 'a PNG cut in half',
      bytes: screenshotPng.subarray(0, Math.floor(screenshotPng.length / 2)),
      expect: { error: corrupt },
    },
    {
      name: 'truncated.webp',
      kind: 'a WebP cut in half',
      bytes: (await sharp(screenshot).webp().toBuffer()).subarray(0, 3000),
      expect: { error: corrupt },
    },
    {
      name: 'truncated.gif',
      kind: 'a GIF cut in half',
      bytes: ((b) => b.subarray(0, b.length >> 1))(await sharp(screenshot).gif().toBuffer()),
      expect: { okOrError: corrupt },
    },
    {
      name: 'jpeg-magic-garbage.jpg',
      kind: 'JPEG magic bytes then garbage',
      bytes: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(20_000)]),
      expect: { error: corrupt },
    },
    { name: 'bad-crc.png', kind: 'a PNG with a damaged IDAT chunk', bytes: badCrc, expect: { okOrError: corrupt } },
    {
      name: 'zero-width.png',
      kind: 'a PNG whose header says 0 px wide',
      bytes: zeroWidth,
      expect: { error: ['corrupt', 'too_small'] },
    },

    // Size attacks.
    {
      name: 'bomb.png',
      kind: 'decompression bomb: 600-byte PNG claiming 100000×100000',
      bytes: pngClaiming(100_000, 100_000),
      expect: { error: tooLarge },
    },
    {
      name: 'bomb-40000.png',
      kind: 'PNG claiming 40000×40000',
      bytes: pngClaiming(40_000, 40_000),
      expect: { error: tooLarge },
    },
    {
      name: 'bomb.jpg',
      kind: 'JPEG whose frame header claims 65500×65500',
      bytes: jpegClaiming(smallJpeg, 65_500, 65_500),
      expect: { error: ['too_large', 'corrupt'] },
    },
    {
      name: 'bomb.gif',
      kind: 'GIF claiming 65535×65535',
      bytes: gifClaiming(smallGif, 65_535, 65_535),
      expect: { error: ['too_large', 'corrupt'] },
    },
    {
      name: 'bomb-real.png',
      kind: 'a real 9000×9000 one-colour PNG (small file, 81 MP)',
      bytes: await rgb(9000, 9000).png({ compressionLevel: 9 }).toBuffer(),
      expect: { error: tooLarge },
    },
    {
      name: 'side-40000-wide.png',
      kind: '40,000 px wide strip',
      bytes: await rgb(40_000, 120).png().toBuffer(),
      expect: { okOrError: ['too_small'] },
    },
    {
      name: 'side-40000-tall.jpg',
      kind: '40,000 px tall strip',
      bytes: await (await gradient(60, 40_000)).jpeg().toBuffer(),
      expect: { okOrError: ['too_small'] },
    },
    {
      name: 'side-40000-thin.png',
      kind: '40,000×8 px',
      bytes: await rgb(40_000, 8).png().toBuffer(),
      expect: { okOrError: ['too_small'] },
    },
    {
      name: 'one-pixel.png',
      kind: '1×1 px',
      bytes: await rgb(1, 1).png().toBuffer(),
      expect: { error: ['too_small'] },
    },
    {
      name: 'big-25mb.png',
      kind: 'a 25+ MB file (3000×3000 noise, uncompressed PNG)',
      bytes: bigPng,
      expect: { ok: true, maxFaces: 50 },
    },

    // Formats and colour spaces a decoder must convert.
    { name: 'animated.gif', kind: 'animated GIF (first frame is the screenshot)', bytes: animatedGif, expect: oneFace },
    {
      name: 'animated.webp',
      kind: 'animated WebP',
      bytes: await sharp([frameA, frameB], { join: { animated: true } })
        .webp()
        .toBuffer(),
      expect: oneFace,
    },
    {
      name: 'animated.png',
      kind: 'APNG (hand-built acTL/fcTL/fdAT)',
      bytes: apng([frameA, frameB], sw, sh),
      expect: oneFace,
    },
    {
      name: 'many-frames.gif',
      kind: '240-frame animated GIF',
      bytes: gifRepeatFrames(animatedGif, 120),
      expect: oneFace,
    },
    {
      name: 'cmyk.jpg',
      kind: 'CMYK JPEG',
      bytes: await sharp(screenshot).toColourspace('cmyk').jpeg().toBuffer(),
      expect: oneFace,
    },
    {
      name: 'sixteen-bit.png',
      kind: '16-bit RGB PNG',
      bytes: await sharp(screenshot).toColourspace('rgb16').png().toBuffer(),
      expect: oneFace,
    },
    {
      name: 'grey.png',
      kind: 'greyscale PNG',
      bytes: await sharp(screenshot).greyscale().png().toBuffer(),
      expect: { ok: true, maxFaces: 3 },
    },
    {
      name: 'grey-alpha.png',
      kind: 'grey + alpha PNG',
      bytes: await sharp(screenshot).greyscale().ensureAlpha(0.5).png().toBuffer(),
      expect: { ok: true, maxFaces: 3 },
    },
    {
      name: 'alpha-only.png',
      kind: 'fully transparent RGBA',
      bytes: await sharp({
        create: { width: 640, height: 480, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
      })
        .png()
        .toBuffer(),
      expect: { ok: true, maxFaces: 0 },
    },
    {
      name: 'exif-rotated.jpg',
      kind: 'EXIF orientation 6 (stored sideways)',
      bytes: await sharp(await sharp(screenshot).rotate(270).toBuffer())
        .withMetadata({ orientation: 6 })
        .jpeg()
        .toBuffer(),
      expect: { ...oneFace, size: [sw, sh] },
    },
    {
      name: 'photo.heic',
      kind: 'HEIC (HEVC), which sharp cannot decode',
      bytes: heicFrom(avif),
      expect: { error: ['unsupported'] },
    },
    { name: 'photo.avif', kind: 'AVIF', bytes: avif, expect: oneFace },
    {
      name: 'bitmap.bmp',
      kind: 'Windows BMP (no decoder in sharp)',
      bytes: bmp(await rgb(64, 48).raw().toBuffer(), 64, 48),
      expect: { error: ['unsupported'] },
    },
    { name: 'scan.tiff', kind: 'TIFF', bytes: await sharp(screenshot).tiff().toBuffer(), expect: oneFace },
    {
      name: 'trailing-garbage.jpg',
      kind: 'a JPEG followed by 1 MB of junk',
      bytes: Buffer.concat([screenshot, randomBytes(1024 * 1024)]),
      expect: { okOrError: corrupt },
    },

    // Lying names and types.
    { name: 'png-bytes.jpg', kind: 'PNG bytes named .jpg', bytes: screenshotPng, expect: oneFace },
    { name: 'jpeg-declared-text.txt', kind: 'a JPEG declared as text', bytes: screenshot, expect: oneFace },

    // Faces: none, many, too small, and a bare crop.
    {
      name: 'no-faces.png',
      kind: 'a gradient with no face',
      bytes: await (await gradient(800, 600)).png().toBuffer(),
      expect: { ok: true, maxFaces: 0 },
    },
    // How many of the 40 the detector finds depends on the detector (FaceBoxes wants faces of ~200 px).
    {
      name: 'forty-faces.jpg',
      kind: '40 real face crops in an 8×5 grid',
      bytes: await faceGrid(40, 8, 220, 30),
      expect: { ok: true, minFaces: 2, maxFaces: 50 },
    },
    {
      name: 'tiny-faces.jpg',
      kind: '40 faces of 10 px on a 1200×900 canvas',
      bytes: await faceGrid(40, 8, 10, 40, [1200, 900]),
      expect: { ok: true, minFaceSide: 16, maxFaces: 50 },
    },
    {
      name: 'face-crop.jpg',
      kind: 'a bare 128 px face crop (whole-image fallback)',
      bytes: crop,
      expect: { ok: true, minFaces: 1, maxFaces: 1 },
    },
  ];
  return entries;
}

/** An uncompressed 24-bit BMP (bottom-up rows, padded to 4 bytes). */
function bmp(rgbData: Buffer, width: number, height: number): Buffer {
  const rowSize = Math.ceil((width * 3) / 4) * 4;
  const header = Buffer.alloc(54);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(54 + rowSize * height, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(width, 18);
  header.writeInt32LE(height, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  header.writeUInt32LE(rowSize * height, 34);
  const pixels = Buffer.alloc(rowSize * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3;
      const d = (height - 1 - y) * rowSize + x * 3;
      pixels[d] = rgbData[s + 2];
      pixels[d + 1] = rgbData[s + 1];
      pixels[d + 2] = rgbData[s];
    }
  return Buffer.concat([header, pixels]);
}

/** Writes the corpus into `dir`; returns the file paths in corpus order. */
export function writeBadInputs(dir: string, inputs: BadInput[]): string[] {
  return inputs.map((input) => {
    const file = path.join(dir, input.name);
    writeFileSync(file, input.bytes);
    return file;
  });
}
