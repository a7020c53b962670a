import sharp from 'sharp';
import type { RgbImage } from './types.ts';
import { UserFacingError } from './user-facing-error.ts';

/** A file that cannot be used as an image; `message` is written for the person who sent it. */
export class ImageInputError extends UserFacingError {
  constructor(
    message: string,
    readonly code: 'empty' | 'not_image' | 'corrupt' | 'too_large' | 'too_small' | 'unsupported',
  ) {
    super(message);
  }
}

export interface DecodeOptions {
  /** Refuse images with more pixels than this before decoding them (decompression bombs). */
  maxPixels?: number;
  /** Downscale so the longest side is at most this; detection does not need more. */
  maxSide?: number;
}

export const DEFAULT_MAX_PIXELS = 50_000_000;
export const DEFAULT_MAX_SIDE = 2048;

export interface DecodedImage extends RgbImage {
  /** Size of the stored original, after EXIF orientation. */
  originalWidth: number;
  originalHeight: number;
  format: string;
}

const KNOWN_MAGIC: Array<[string, (b: Buffer) => boolean]> = [
  ['jpeg', (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff],
  ['png', (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))],
  ['gif', (b) => b.subarray(0, 4).toString('latin1') === 'GIF8'],
  ['webp', (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP'],
  ['avif', (b) => b.subarray(4, 12).toString('latin1').startsWith('ftypavi')],
  ['heif', (b) => /^ftyp(heic|heix|mif1|msf1)/.test(b.subarray(4, 12).toString('latin1'))],
  ['tiff', (b) => ['II*\0', 'MM\0*'].includes(b.subarray(0, 4).toString('latin1'))],
  ['bmp', (b) => b.subarray(0, 2).toString('latin1') === 'BM'],
];

/** Image type from magic bytes, or undefined; never trusts a file name or a declared type. */
export function sniffImageType(bytes: Buffer): string | undefined {
  if (bytes.length < 12) return undefined;
  return KNOWN_MAGIC.find(([, test]) => test(bytes))?.[0];
}

/**
 * Decodes any still or animated image sharp can read into 8-bit RGB: EXIF orientation applied,
 * alpha flattened onto white, CMYK/16-bit/grey converted, the first frame of an animation.
 */
export async function decodeImage(bytes: Buffer, options: DecodeOptions = {}): Promise<DecodedImage> {
  if (bytes.length === 0) throw new ImageInputError('The file is empty.', 'empty');
  const type = sniffImageType(bytes);
  if (!type)
    throw new ImageInputError("That file isn't an image I can read (JPEG, PNG, WebP, GIF or AVIF).", 'not_image');
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  let meta: sharp.Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: maxPixels, pages: 1 }).metadata();
  } catch (err) {
    throw classify(err, type);
  }
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (width * height > maxPixels) {
    throw new ImageInputError(
      `That image is too large (${width}×${height}); please send one under ${Math.round(maxPixels / 1e6)} megapixels.`,
      'too_large',
    );
  }
  if (width < 8 || height < 8) throw new ImageInputError('That image is too small to hold a face.', 'too_small');
  const rotated = (meta.orientation ?? 1) >= 5;
  const maxSide = options.maxSide ?? DEFAULT_MAX_SIDE;
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, pages: 1, failOn: 'error' })
      .rotate()
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .toColourspace('srgb')
      .flatten({ background: '#ffffff' })
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`unexpected channel count ${info.channels}`);
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
      originalWidth: rotated ? height : width,
      originalHeight: rotated ? width : height,
      format: meta.format ?? type,
    };
  } catch (err) {
    throw classify(err, type);
  }
}

function classify(err: unknown, type: string): ImageInputError {
  if (err instanceof ImageInputError) return err;
  const text = String((err as Error)?.message ?? err);
  if (/pixel limit/i.test(text)) {
    return new ImageInputError('That image is too large to process; please send a smaller one.', 'too_large');
  }
  if (/unsupported image format|no decoding plugin|bad seek|heif/i.test(text) && (type === 'heif' || type === 'avif')) {
    return new ImageInputError(
      `I can't read ${type === 'heif' ? 'HEIC/HEIF' : 'AVIF'} images yet; please send a PNG or JPEG.`,
      'unsupported',
    );
  }
  // The magic bytes named a known format but this build has no decoder for it (BMP): not damage.
  if (/unsupported image format/i.test(text)) {
    return new ImageInputError(`I can't read ${type.toUpperCase()} images; please send a PNG or JPEG.`, 'unsupported');
  }
  return new ImageInputError('That image looks damaged or cut off, so I could not read it.', 'corrupt');
}
