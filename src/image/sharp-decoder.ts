/**
 * The only importer of sharp. Turns untrusted image bytes into 8-bit sRGB RGB pixels the way the
 * CLIP Python pipelines see them (EXIF orientation applied, transparency flattened onto white,
 * grey/CMYK/16-bit converted), resizes raw pixels with PIL-like bicubic, and makes thumbnails.
 */
import sharp, { type Sharp } from 'sharp';
import { EngineError } from '../errors.ts';

/** Interleaved 8-bit RGB, row-major. */
export interface RawRgb {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export interface DecodedImage extends RawRgb {
  /** Decoder's name for the source format ('jpeg', 'png', 'webp', …). */
  readonly format: string;
}

export interface DecodeOptions {
  /** Refuse images with more pixels than this (decompression bombs). Default: sharp's 268 Mpx. */
  readonly maxPixels?: number;
}

export type ResizeKernel = 'cubic' | 'linear' | 'nearest';

const DEFAULT_MAX_PIXELS = 0x3fff * 0x3fff;

function toEngineError(error: unknown, what: string): EngineError {
  const reason = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(reason)) {
    return new EngineError('TOO_LARGE', `${what}: image has more pixels than allowed (${reason})`, { cause: error });
  }
  return new EngineError('UNSUPPORTED_MEDIA', `${what}: not a decodable image (${reason})`, { cause: error });
}

function source(bytes: Uint8Array, maxPixels: number | undefined): Sharp {
  return sharp(bytes, {
    limitInputPixels: maxPixels ?? DEFAULT_MAX_PIXELS,
    failOn: 'error',
    // Only the first frame/page of animated or multi-page files.
    pages: 1,
  });
}

/**
 * Decodes fully (no JPEG shrink-on-load: it aliases large photos, see docs/models.md) to 8-bit
 * sRGB RGB after EXIF rotation.
 */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> {
  if (bytes.length === 0) throw new EngineError('UNSUPPORTED_MEDIA', 'decode: empty input');
  try {
    const image = source(bytes, options.maxPixels);
    const meta = await image.metadata();
    const { data, info } = await image
      .autoOrient()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) {
      throw new EngineError('UNSUPPORTED_MEDIA', `decode: expected 3 channels after conversion, got ${info.channels}`);
    }
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, format: meta.format ?? 'unknown' };
  } catch (error) {
    if (error instanceof EngineError) throw error;
    throw toEngineError(error, 'decode');
  }
}

/** Resizes raw RGB to exactly width × height (the aspect ratio is the caller's business). */
export async function resizeRgb(image: RawRgb, width: number, height: number, kernel: ResizeKernel): Promise<RawRgb> {
  if (image.width === width && image.height === height) return image;
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { kernel, fit: 'fill', fastShrinkOnLoad: false })
    .raw()
    .toBuffer();
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width, height };
}

export interface ThumbnailOptions {
  readonly format?: 'jpeg' | 'webp';
  readonly quality?: number;
  readonly maxPixels?: number;
}

/** A small oriented preview that fits in maxSide × maxSide (never enlarged). */
export async function makeThumbnail(bytes: Uint8Array, maxSide: number, options: ThumbnailOptions = {}): Promise<Uint8Array> {
  if (!Number.isInteger(maxSide) || maxSide < 1) throw new EngineError('INVALID_INPUT', `thumbnail size must be a positive integer, got ${maxSide}`);
  const quality = options.quality ?? 80;
  try {
    const pipeline = source(bytes, options.maxPixels)
      .autoOrient()
      .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb');
    const out = options.format === 'webp' ? await pipeline.webp({ quality }).toBuffer() : await pipeline.jpeg({ quality, mozjpeg: true }).toBuffer();
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  } catch (error) {
    throw toEngineError(error, 'thumbnail');
  }
}

export interface ImageInfo {
  /** Size after EXIF orientation. */
  readonly width: number;
  readonly height: number;
  readonly format: string;
}

/** Reads the header only: cheap size/format check before a full decode. */
export async function probeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<ImageInfo> {
  if (bytes.length === 0) throw new EngineError('UNSUPPORTED_MEDIA', 'probe: empty input');
  try {
    const meta = await source(bytes, options.maxPixels).metadata();
    if (!meta.width || !meta.height) throw new EngineError('UNSUPPORTED_MEDIA', 'probe: image has no dimensions');
    const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
    if (meta.width * meta.height > maxPixels) {
      throw new EngineError('TOO_LARGE', `probe: ${meta.width}×${meta.height} is more than ${maxPixels} pixels`);
    }
    const swapped = (meta.orientation ?? 1) >= 5;
    return { width: swapped ? meta.height : meta.width, height: swapped ? meta.width : meta.height, format: meta.format ?? 'unknown' };
  } catch (error) {
    if (error instanceof EngineError) throw error;
    throw toEngineError(error, 'probe');
  }
}
