import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
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

const solid = (r: number, g: number, b: number, size = 16) =>
  sharp({ create: { width: size, height: size, channels: 3, background: { r, g, b } } })
    .png()
    .toBuffer();

describe('sharp decoder (real libvips)', () => {
  it("an animated GIF decodes to its first frame only (one frame tall, the first frame's colour)", async () => {
    const gif = await sharp([await solid(255, 0, 0), await solid(0, 0, 255)], { join: { animated: true } })
      .gif()
      .toBuffer();
    expect((await sharp(gif).metadata()).pages).to.equal(2);
    const decoded = await decodeImage(gif);
    expect([decoded.width, decoded.height, decoded.format]).to.deep.equal([16, 16, 'gif']);
    const pixels = Array.from(decoded.data);
    for (let i = 0; i < pixels.length; i += 3) expect(pixels.slice(i, i + 3)).to.deep.equal([255, 0, 0]);
  });

  it('an SVG is rendered without fetching or embedding external resources', async () => {
    let requests = 0;
    const server = http.createServer((_req, res) => {
      requests += 1;
      void solid(255, 0, 0, 64).then((png) => res.writeHead(200, { 'content-type': 'image/png' }).end(png));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const local = path.join(FIXTURES, 'images', 'grey.png');
    try {
      // A blue square on white, plus an external image over HTTP and a local file over the left half.
      const svg = Buffer.from(
        `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="64">` +
          `<rect x="16" y="16" width="32" height="32" fill="#0000ff"/>` +
          `<image x="0" y="0" width="64" height="64" href="http://127.0.0.1:${port}/red.png"/>` +
          `<image x="0" y="0" width="32" height="64" xlink:href="file://${local}"/>` +
          `</svg>`,
      );
      const decoded = await decodeImage(svg);
      expect([decoded.width, decoded.height, decoded.format]).to.deep.equal([64, 64, 'svg']);
      const at = (x: number, y: number) =>
        Array.from(decoded.data.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3));
      expect(at(2, 2), 'corner: white, not the external red or the local file').to.deep.equal([
        255, 255, 255,
      ]);
      expect(at(20, 32), 'left half: the blue square, not the local file').to.deep.equal([0, 0, 255]);
      expect(at(40, 32)).to.deep.equal([0, 0, 255]);
      expect(requests).to.equal(0);
    } finally {
      server.close();
    }
  });

  it('applies EXIF orientation (stored 300×200, orientation 6 → 200×300)', async () => {
    const decoded = await decodeImage(image('exif-rotated.jpg'));
    expect([decoded.width, decoded.height, decoded.format]).to.deep.equal([200, 300, 'jpeg']);
    expect(decoded.data).to.have.length(200 * 300 * 3);
    expect(await probeImage(image('exif-rotated.jpg'))).to.deep.equal({
      width: 200,
      height: 300,
      format: 'jpeg',
    });
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
    const webp = await sharp(
      await makeThumbnail(image('photo-4000.jpg'), 128, { format: 'webp' }),
    ).metadata();
    expect([webp.format, webp.width]).to.deep.equal(['webp', 128]);
    const small = await sharp(await makeThumbnail(image('grey.png'), 1000)).metadata();
    expect([small.width, small.height]).to.deep.equal([200, 150]);
    expect(await code(makeThumbnail(image('not-an-image.jpg'), 64))).to.equal('UNSUPPORTED_MEDIA');
  });
});
