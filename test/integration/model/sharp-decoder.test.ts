import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import sharp from 'sharp';
import { isEngineError } from '../../../src/errors.ts';
import { decodeImage, makeThumbnail, probeImage } from '../../../src/image/sharp-decoder.ts';
import { FIXTURES } from './model-test-dirs.ts';

const image = (name: string) => readFileSync(path.join(FIXTURES, 'images', name));

async function code(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return isEngineError(error) ? error.code : `not an EngineError: ${String(error)}`;
}

describe('sharp decoder (real libvips)', () => {
  it('applies EXIF orientation (stored 300×200, orientation 6 → 200×300)', async () => {
    const decoded = await decodeImage(image('exif-rotated.jpg'));
    expect([decoded.width, decoded.height, decoded.format]).to.deep.equal([200, 300, 'jpeg']);
    expect(decoded.data).to.have.length(200 * 300 * 3);
    expect(await probeImage(image('exif-rotated.jpg'))).to.deep.equal({ width: 200, height: 300, format: 'jpeg' });
  });

  it('composites transparency onto white', async () => {
    const decoded = await decodeImage(image('alpha.png'));
    // The top 40 rows are fully transparent in the fixture.
    expect(Array.from(decoded.data.subarray(0, 30))).to.deep.equal(new Array<number>(30).fill(255));
  });

  it('turns grey, CMYK and 16-bit images into 8-bit RGB', async () => {
    for (const name of ['grey.png', 'cmyk.jpg', 'rgb16.png']) {
      const decoded = await decodeImage(image(name));
      expect(decoded.data, name).to.be.instanceOf(Uint8Array);
      expect(decoded.data.length, name).to.equal(decoded.width * decoded.height * 3);
    }
    const g = await decodeImage(image('grey.png'));
    expect(g.data[0]).to.equal(g.data[1]);
    expect(g.data[1]).to.equal(g.data[2]);
  });

  it('rejects non-image bytes, truncated files and empty input with UNSUPPORTED_MEDIA', async () => {
    expect(await code(decodeImage(image('not-an-image.jpg')))).to.equal('UNSUPPORTED_MEDIA');
    expect(await code(decodeImage(image('truncated.jpg')))).to.equal('UNSUPPORTED_MEDIA');
    expect(await code(decodeImage(new Uint8Array(0)))).to.equal('UNSUPPORTED_MEDIA');
    expect(await code(probeImage(image('not-an-image.jpg')))).to.equal('UNSUPPORTED_MEDIA');
  });

  it('refuses images over the pixel limit with TOO_LARGE', async () => {
    expect(await code(decodeImage(image('photo-4000.jpg'), { maxPixels: 1_000_000 }))).to.equal('TOO_LARGE');
    expect(await code(probeImage(image('photo-4000.jpg'), { maxPixels: 1_000_000 }))).to.equal('TOO_LARGE');
  });

  it('makes oriented JPEG and WebP thumbnails that fit the box', async () => {
    const jpeg = await makeThumbnail(image('exif-rotated.jpg'), 64);
    const meta = await sharp(jpeg).metadata();
    expect([meta.format, meta.width, meta.height]).to.deep.equal(['jpeg', 43, 64]);
    const webp = await sharp(await makeThumbnail(image('photo-4000.jpg'), 128, { format: 'webp' })).metadata();
    expect([webp.format, webp.width]).to.deep.equal(['webp', 128]);
    const small = await sharp(await makeThumbnail(image('grey.png'), 1000)).metadata();
    expect([small.width, small.height]).to.deep.equal([200, 150]);
    expect(await code(makeThumbnail(image('not-an-image.jpg'), 64))).to.equal('UNSUPPORTED_MEDIA');
  });
});
