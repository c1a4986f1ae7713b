/**
 * SVG → pixels with sharp (librsvg), always flattened on white: the sources are transparent and
 * the engine flattens alpha onto white too, so training and inference see the same background.
 */
import sharp from 'sharp';

sharp.concurrency(1);

export function sizedSvg(svg: string, size: number): Buffer {
  return Buffer.from(svg.replaceAll('"SIZE"', `"${size}"`));
}

/** RGB bytes, size×size×3, row-major. */
export async function renderRgb(svg: string, size: number): Promise<Buffer> {
  return sharp(sizedSvg(svg, size)).flatten({ background: '#ffffff' }).removeAlpha().raw().toBuffer();
}

export async function renderPng(svg: string, size: number): Promise<Buffer> {
  return sharp(sizedSvg(svg, size))
    .flatten({ background: '#ffffff' })
    .removeAlpha()
    .png({ compressionLevel: 9, palette: true })
    .toBuffer();
}

/** Runs `fn` over items with a small fixed number of jobs in flight, keeping output order. */
export async function mapPool<T, R>(
  items: readonly T[],
  jobs: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  return out;
}
