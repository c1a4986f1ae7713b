/**
 * The only importer of sharp. Turns untrusted image bytes into 8-bit sRGB RGB pixels the way the
 * CLIP Python pipelines see them (EXIF orientation applied, transparency composited onto white,
 * grey/CMYK/16-bit converted), and makes thumbnails. Resampling for models is pil-resample.ts.
 */
import sharp, { type Sharp } from 'sharp';
import { EngineError } from '../errors.ts';
import { cmykToRgb, compositeOverWhite } from './pixel-convert.ts';

/** Interleaved 8-bit RGB, row-major. */
export interface RawRgb {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export interface DecodedImage extends RawRgb {
  /** Decoder's name for the source format ('jpeg', 'png', 'webp', …). */
  readonly format: string;
  /** Size of the source after EXIF orientation; larger than width/height when shrunk on load. */
  readonly sourceWidth: number;
  readonly sourceHeight: number;
}

export interface DecodeOptions {
  /** Refuse images with more pixels than this (decompression bombs). Default: sharp's 268 Mpx. */
  readonly maxPixels?: number;
  /**
   * Lets large JPEGs be shrunk by 2, 4 or 8 while decoding (libjpeg's DCT scaling, several times
   * faster) as long as the short side stays ≥ this many pixels. Unset: always decode in full.
   */
  readonly shrinkKeepingShortSide?: number;
  /**
   * Given the oriented source size, a size to resample to with libvips' cubic inside the decode
   * (no raw round trip through JS; ~25% less CPU than decode, then resizeRgbCubic, and the same
   * bytes), or undefined to decode at full size. Honoured for opaque non-CMYK images only: the
   * caller checks the returned width/height.
   */
  readonly cubicResize?: (
    sourceWidth: number,
    sourceHeight: number,
  ) => { readonly width: number; readonly height: number } | undefined;
}

/** Largest JPEG shrink-on-load factor that keeps the short side ≥ keep. */
export function jpegShrinkFactor(width: number, height: number, keep: number): number {
  let factor = 1;
  for (const f of [2, 4, 8]) if (Math.ceil(Math.min(width, height) / f) >= keep) factor = f;
  return factor;
}

const DEFAULT_MAX_PIXELS = 0x3fff * 0x3fff;

function toEngineError(error: unknown, what: string): EngineError {
  const reason = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(reason)) {
    return new EngineError('TOO_LARGE', `${what}: image has more pixels than allowed (${reason})`, {
      cause: error,
    });
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
 * Decodes to 8-bit sRGB RGB after EXIF rotation. JPEG shrink-on-load only on request and only as
 * far as `shrinkKeepingShortSide` allows (sharp's default fast path aliases big photos badly).
 */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> {
  if (bytes.length === 0) throw new EngineError('UNSUPPORTED_MEDIA', 'decode: empty input');
  try {
    const image = source(bytes, options.maxPixels);
    const meta = await image.metadata();
    if (meta.space === 'cmyk') return await decodeCmyk(image, meta.format ?? 'jpeg');
    if (meta.hasAlpha) return await decodeOverWhite(image, meta.format ?? 'unknown');
    const swapped = (meta.orientation ?? 1) >= 5;
    const sourceWidth = (swapped ? meta.height : meta.width) ?? 0;
    const sourceHeight = (swapped ? meta.width : meta.height) ?? 0;
    let pipeline = image.autoOrient();
    const size = options.cubicResize?.(sourceWidth, sourceHeight);
    const keep = options.shrinkKeepingShortSide;
    const factor =
      size === undefined && meta.format === 'jpeg' && keep !== undefined
        ? jpegShrinkFactor(sourceWidth, sourceHeight, keep)
        : 1;
    if (size !== undefined) {
      // An explicit pipeline colourspace turns off sharp's JPEG shrink-on-load, which would alias
      // (model-formats.md §5): a full decode, then the cubic reduce.
      pipeline = pipeline
        .pipelineColourspace('srgb')
        .resize(size.width, size.height, { kernel: 'cubic', fit: 'fill' });
    } else if (factor > 1) {
      // Exactly the shrink-on-load size, so libvips does the DCT scaling and no further resampling.
      pipeline = pipeline.resize(Math.ceil(sourceWidth / factor), Math.ceil(sourceHeight / factor), {
        fit: 'fill',
        fastShrinkOnLoad: true,
        kernel: 'nearest',
      });
    }
    const { data, info } = await pipeline
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) {
      throw new EngineError(
        'UNSUPPORTED_MEDIA',
        `decode: expected 3 channels after conversion, got ${info.channels}`,
      );
    }
    const format = meta.format ?? 'unknown';
    const raw = new Uint8Array(data.buffer, data.byteOffset, data.length);
    const scaled = factor > 1 || size !== undefined;
    return {
      data: raw,
      width: info.width,
      height: info.height,
      format,
      sourceWidth: scaled ? sourceWidth : info.width,
      sourceHeight: scaled ? sourceHeight : info.height,
    };
  } catch (error) {
    if (error instanceof EngineError) throw error;
    throw toEngineError(error, 'decode');
  }
}

/**
 * libvips' Catmull-Rom resize of raw RGB to exactly width × height. Its kernel is Pillow's bicubic
 * curve and it also widens on downscale, so for large reductions it lands within a few levels of
 * Pillow (model-formats.md §5) at native speed; its upscale differs (see pil-resample.ts).
 */
export async function resizeRgbCubic(image: RawRgb, width: number, height: number): Promise<RawRgb> {
  const { data, info } = await sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: 3 },
  })
    .resize(width, height, { kernel: 'cubic', fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
  };
}

export interface ThumbnailOptions {
  readonly format?: 'jpeg' | 'webp';
  readonly quality?: number;
  readonly maxPixels?: number;
}

/** Transparency composited onto white the way Pillow does it (see pixel-convert.ts). */
async function decodeOverWhite(image: Sharp, format: string): Promise<DecodedImage> {
  const { data, info } = await image
    .autoOrient()
    .toColourspace('srgb')
    .ensureAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 4) {
    throw new EngineError('UNSUPPORTED_MEDIA', `decode: expected RGBA, got ${info.channels} channels`);
  }
  const rgb = compositeOverWhite(data, info.width * info.height);
  return {
    data: rgb,
    width: info.width,
    height: info.height,
    format,
    sourceWidth: info.width,
    sourceHeight: info.height,
  };
}

/** CMYK kept as CMYK by libvips, then converted the way Pillow does it (see pixel-convert.ts). */
async function decodeCmyk(image: Sharp, format: string): Promise<DecodedImage> {
  const { data, info } = await image
    .autoOrient()
    .pipelineColourspace('cmyk')
    .toColourspace('cmyk')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 4) {
    throw new EngineError('UNSUPPORTED_MEDIA', `decode: CMYK image decoded to ${info.channels} channels`);
  }
  const rgb = cmykToRgb(data, info.width * info.height);
  return {
    data: rgb,
    width: info.width,
    height: info.height,
    format,
    sourceWidth: info.width,
    sourceHeight: info.height,
  };
}

/** A small oriented preview that fits in maxSide × maxSide (never enlarged). */
export async function makeThumbnail(
  bytes: Uint8Array,
  maxSide: number,
  options: ThumbnailOptions = {},
): Promise<Uint8Array> {
  if (!Number.isInteger(maxSide) || maxSide < 1) {
    throw new EngineError('INVALID_INPUT', `thumbnail size must be a positive integer, got ${maxSide}`);
  }
  const quality = options.quality ?? 80;
  try {
    const pipeline = source(bytes, options.maxPixels)
      .autoOrient()
      .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb');
    const out =
      options.format === 'webp'
        ? await pipeline.webp({ quality }).toBuffer()
        : await pipeline.jpeg({ quality, mozjpeg: true }).toBuffer();
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
    if (!meta.width || !meta.height) {
      throw new EngineError('UNSUPPORTED_MEDIA', 'probe: image has no dimensions');
    }
    const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
    if (meta.width * meta.height > maxPixels) {
      throw new EngineError(
        'TOO_LARGE',
        `probe: ${meta.width}×${meta.height} is more than ${maxPixels} pixels`,
      );
    }
    const swapped = (meta.orientation ?? 1) >= 5;
    return {
      width: swapped ? meta.height : meta.width,
      height: swapped ? meta.width : meta.height,
      format: meta.format ?? 'unknown',
    };
  } catch (error) {
    if (error instanceof EngineError) throw error;
    throw toEngineError(error, 'probe');
  }
}

/** JPEG of raw RGB pixels (video keyframe thumbnails), at most maxSide on its longer side. */
export async function encodeRgbJpeg(image: RawRgb, maxSide: number, quality = 80): Promise<Uint8Array> {
  try {
    const out = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
      .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality, mozjpeg: true })
      .toBuffer();
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  } catch (error) {
    throw toEngineError(error, 'thumbnail');
  }
}

/** The metadata blocks a file carries, raw, as libvips found them (for src/metadata to parse). */
export interface EmbeddedMetadata {
  readonly format: string;
  /** EXIF as a TIFF structure (any leading `Exif\0\0` removed). */
  readonly exif?: Uint8Array;
  /** The XMP packet (XML). */
  readonly xmp?: Uint8Array;
  /** IPTC-IIM, as an APP13 Photoshop resource block when the file is a JPEG. */
  readonly iptc?: Uint8Array;
  /** PNG tEXt / zTXt / iTXt chunks. */
  readonly comments?: ReadonlyArray<{ readonly keyword: string; readonly text: string }>;
}

/**
 * Reads only the header and metadata blocks (no pixel decode), for every format libvips reads:
 * JPEG, PNG, WebP, TIFF, AVIF/HEIF, GIF. Throws UNSUPPORTED_MEDIA when the bytes are no image.
 */
export async function readEmbeddedMetadata(bytes: Uint8Array): Promise<EmbeddedMetadata> {
  if (bytes.length === 0) throw new EngineError('UNSUPPORTED_MEDIA', 'metadata: empty input');
  try {
    const meta = await sharp(bytes, { failOn: 'none', pages: 1, limitInputPixels: false }).metadata();
    // A TIFF file is itself the EXIF structure (libvips reports no separate block for it).
    const exif =
      meta.exif && meta.exif.length > 6 && meta.exif.subarray(0, 6).toString('latin1') === 'Exif\0\0'
        ? meta.exif.subarray(6)
        : (meta.exif ?? (meta.format === 'tiff' ? bytes : undefined));
    return {
      format: meta.format ?? 'unknown',
      ...(exif && exif.length > 0 ? { exif } : {}),
      ...(meta.xmp && meta.xmp.length > 0 ? { xmp: meta.xmp } : {}),
      ...(meta.iptc && meta.iptc.length > 0 ? { iptc: meta.iptc } : {}),
      ...(meta.comments && meta.comments.length > 0 ? { comments: meta.comments } : {}),
    };
  } catch (error) {
    throw toEngineError(error, 'metadata');
  }
}
