import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { decodeImage, ImageInputError, sniffImageType } from '../../src/core/decode.ts';
import { DATA } from '../helpers/paths.ts';

const screenshot = readFileSync(path.join(DATA, 'screenshots_syncopika/images/aletta7.jpg'));

async function rejects(bytes: Buffer, code: ImageInputError['code']) {
  await assert.rejects(
    decodeImage(bytes),
    (err: unknown) => err instanceof ImageInputError && err.code === code && err.message.length > 10,
  );
}

describe('decodeImage', () => {
  it('decodes a real screenshot to RGB', async () => {
    const img = await decodeImage(screenshot);
    assert.equal(img.data.length, img.width * img.height * 3);
    assert.equal(img.format, 'jpeg');
  });

  it('refuses empty, non-image and truncated files with a clear message', async () => {
    await rejects(Buffer.alloc(0), 'empty');
    await rejects(Buffer.from('hello, this is not an image at all'), 'not_image');
    await rejects(screenshot.subarray(0, Math.floor(screenshot.length / 3)), 'corrupt');
  });

  it('refuses a decompression bomb before decoding it', async () => {
    const bomb = await sharp({ create: { width: 12000, height: 12000, channels: 3, background: '#000' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    await rejects(bomb, 'too_large');
  });

  it('applies EXIF orientation', async () => {
    const rotated = await sharp({ create: { width: 60, height: 20, channels: 3, background: '#f00' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const img = await decodeImage(rotated);
    assert.deepEqual([img.width, img.height], [20, 60]);
  });

  it('flattens alpha, converts CMYK, 16-bit and grey, and takes the first frame of an animation', async () => {
    const alpha = await sharp({
      create: { width: 32, height: 32, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    const flat = await decodeImage(alpha);
    assert.equal(flat.data[0], 255, 'transparent pixels become white');
    const cmyk = await sharp(screenshot).toColourspace('cmyk').jpeg().toBuffer();
    assert.equal((await decodeImage(cmyk)).data.length % 3, 0);
    const sixteen = await sharp(screenshot).toColourspace('rgb16').png().toBuffer();
    assert.equal((await decodeImage(sixteen)).width, (await decodeImage(screenshot)).width);
    const grey = await sharp(screenshot).greyscale().png().toBuffer();
    assert.equal((await decodeImage(grey)).data.length % 3, 0);
    const red = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#f00' } })
      .png()
      .toBuffer();
    const blue = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#00f' } })
      .png()
      .toBuffer();
    const animated = await sharp([red, blue], { join: { animated: true } })
      .gif()
      .toBuffer();
    const anim = await decodeImage(animated);
    assert.deepEqual([anim.width, anim.height], [16, 16]);
    assert.deepEqual([...anim.data.subarray(0, 3)], [255, 0, 0], 'the first frame');
  });

  it('sniffs types from bytes, not names', () => {
    assert.equal(sniffImageType(screenshot), 'jpeg');
    assert.equal(sniffImageType(Buffer.from('GIF89a000000000')), 'gif');
    assert.equal(sniffImageType(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>')), undefined);
  });
});
