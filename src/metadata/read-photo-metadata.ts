/**
 * The only importer of exifr. Turns the raw metadata blocks of a file (src/image's
 * readEmbeddedMetadata) into PhotoMetadata. Never throws: a block that is truncated, malformed or
 * too large is skipped and the reason recorded in `problems`, so the image is still indexed.
 */
import { createRequire } from 'node:module';
import type * as Exifr from 'exifr';
import type { EmbeddedMetadata } from '../image/sharp-decoder.ts';
import { parseExifDate, parseIptcDate, parseXmpDate, type DateResult } from './capture-date.ts';
import { emptyPhotoMetadata, type GeoPoint, type PhotoMetadata } from './photo-metadata.types.ts';

// exifr ships a UMD bundle whose default export lacks `sidecar` under some ESM interop layers
// (tsx's esbuild among them); its CommonJS exports object is the same everywhere.
const exifr = createRequire(import.meta.url)('exifr') as typeof Exifr;

/** XMP packets above this are refused unparsed (a 5 MB packet would stall indexing for nothing). */
export const MAX_XMP_BYTES = 1 << 20;
const MAX_FIELD_CHARS = 2000;
const MAX_LIST = 100;

type Bag = Record<string, unknown>;

const EXIF_OPTIONS = {
  tiff: true,
  exif: true,
  gps: true,
  ifd1: false,
  interop: false,
  makerNote: false,
  userComment: false,
  xmp: false,
  iptc: false,
  icc: false,
  jfif: false,
  ihdr: false,
  reviveValues: false,
  translateValues: false,
  translateKeys: true,
  mergeOutput: true,
  silentErrors: false,
} as const;

export async function readPhotoMetadata(embedded: EmbeddedMetadata): Promise<PhotoMetadata> {
  const problems: string[] = [];
  const exif = embedded.exif
    ? await parseBlock('EXIF', problems, () => exifr.parse(toBuffer(embedded.exif!), EXIF_OPTIONS))
    : undefined;
  let xmp: Bag | undefined;
  if (embedded.xmp && embedded.xmp.length > MAX_XMP_BYTES) {
    problems.push(
      `XMP: packet of ${embedded.xmp.length} bytes exceeds the ${MAX_XMP_BYTES}-byte limit; skipped`,
    );
  } else if (embedded.xmp) {
    xmp = await parseBlock('XMP', problems, () =>
      exifr.sidecar(toBuffer(embedded.xmp!), { xmp: true, reviveValues: false }, 'xmp'),
    );
  }
  const iptc = embedded.iptc
    ? await parseBlock('IPTC', problems, () =>
        exifr.sidecar(toBuffer(embedded.iptc!), { iptc: true, reviveValues: false }, 'iptc'),
      )
    : undefined;
  return assemble(exif ?? {}, xmp ?? {}, iptc ? recodeUtf8(iptc) : {}, embedded.comments ?? [], problems);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * exifr reads IPTC strings byte by byte (Latin-1); nearly every IPTC writer today stores UTF-8
 * (CodedCharacterSet ESC % G). Re-decode strings whose bytes are valid UTF-8.
 */
function recodeUtf8(bag: Bag): Bag {
  const fix = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(fix);
    // Only strings of bytes (every char ≤ U+00FF) with some high bytes can be mis-decoded UTF-8.
    if (
      typeof value !== 'string' ||
      !/[\u0080-\u00ff]/.test(value) ||
      [...value].some((c) => c.charCodeAt(0) > 0xff)
    ) {
      return value;
    }
    try {
      return strictUtf8.decode(Buffer.from(value, 'latin1'));
    } catch {
      return value;
    }
  };
  return Object.fromEntries(Object.entries(bag).map(([k, v]) => [k, fix(v)]));
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

async function parseBlock(
  what: string,
  problems: string[],
  parse: () => Promise<unknown>,
): Promise<Bag | undefined> {
  try {
    const out = await parse();
    if (out === undefined || out === null) return undefined;
    if (typeof out !== 'object') {
      problems.push(`${what}: unreadable block`);
      return undefined;
    }
    const errors = (out as { errors?: unknown[] }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      problems.push(`${what}: partly unreadable (${describe(errors[0])})`);
    }
    return out as Bag;
  } catch (error) {
    problems.push(`${what}: unreadable (${describe(error)})`);
    return undefined;
  }
}

function describe(error: unknown): string {
  const message =
    error instanceof Error ? error.message : typeof error === 'string' ? error : JSON.stringify(error);
  return (message || 'unknown error').slice(0, 200);
}

function assemble(
  exif: Bag,
  xmp: Bag,
  iptc: Bag,
  comments: ReadonlyArray<{ keyword: string; text: string }>,
  problems: string[],
): PhotoMetadata {
  const ns = (name: string): Bag => (isBag(xmp[name]) ? xmp[name] : {});
  const [dc, xmpBasic, photoshop, xmpExif, aux, exifEx, iptcExt, mwgRs, mpReg, mp] = [
    'dc',
    'xmp',
    'photoshop',
    'exif',
    'aux',
    'exifEX',
    'Iptc4xmpExt',
    'mwg-rs',
    'MPReg',
    'MP',
  ].map(ns) as [Bag, Bag, Bag, Bag, Bag, Bag, Bag, Bag, Bag, Bag];
  const png = new Map(comments.map((c) => [c.keyword.toLowerCase(), c.text]));

  const taken = pickDate(
    [
      {
        source: 'exif',
        parse: () =>
          exif.DateTimeOriginal !== undefined
            ? parseExifDate(
                exif.DateTimeOriginal,
                exif.OffsetTimeOriginal ?? exif.OffsetTime,
                'EXIF DateTimeOriginal',
              )
            : undefined,
      },
      {
        source: 'exif',
        parse: () =>
          exif.CreateDate !== undefined
            ? parseExifDate(exif.CreateDate, exif.OffsetTimeDigitized ?? exif.OffsetTime, 'EXIF CreateDate')
            : undefined,
      },
      {
        source: 'xmp',
        parse: () =>
          xmpExif.DateTimeOriginal !== undefined
            ? parseXmpDate(text(xmpExif.DateTimeOriginal), 'XMP exif:DateTimeOriginal')
            : undefined,
      },
      {
        source: 'xmp',
        parse: () =>
          photoshop.DateCreated !== undefined
            ? parseXmpDate(text(photoshop.DateCreated), 'XMP photoshop:DateCreated')
            : undefined,
      },
      {
        source: 'xmp',
        parse: () =>
          xmpBasic.CreateDate !== undefined
            ? parseXmpDate(text(xmpBasic.CreateDate), 'XMP xmp:CreateDate')
            : undefined,
      },
      {
        source: 'iptc',
        parse: () =>
          iptc.DateCreated !== undefined
            ? parseIptcDate(iptc.DateCreated, iptc.TimeCreated, 'IPTC DateCreated')
            : undefined,
      },
      {
        source: 'exif',
        parse: () =>
          exif.ModifyDate !== undefined
            ? parseExifDate(exif.ModifyDate, exif.OffsetTime, 'EXIF ModifyDate')
            : undefined,
      },
    ],
    problems,
  );

  const make = clean(exif.Make ?? aux.Make ?? xmpTiff(xmp, 'Make'));
  const model = clean(exif.Model ?? xmpTiff(xmp, 'Model'));
  const camera =
    make && model
      ? model.toLowerCase().startsWith(make.toLowerCase().split(/\s+/)[0]!)
        ? model
        : `${make} ${model}`
      : (model ?? make);

  const keywords = unique([
    ...list(dc.subject),
    ...list(iptc.Keywords),
    ...list(png.get('keywords')?.split(/[,;]/)),
  ]);
  const people = unique([...regionNames(mwgRs), ...regionNames(mpReg, mp), ...list(iptcExt.PersonInImage)]);
  const title = clean(langText(dc.title) ?? iptc.ObjectName ?? iptc.Headline ?? png.get('title'));
  const description = clean(
    langText(dc.description) ??
      iptc.Caption ??
      iptc['Caption-Abstract'] ??
      exif.ImageDescription ??
      png.get('description') ??
      png.get('comment'),
  );
  const pngText: Record<string, string> = {};
  for (const c of comments) {
    if (['title', 'description', 'keywords', 'xml:com.adobe.xmp'].includes(c.keyword.toLowerCase())) continue;
    if (Object.keys(pngText).length >= 20) break;
    pngText[c.keyword.slice(0, 80)] = c.text.slice(0, MAX_FIELD_CHARS);
  }

  return {
    ...emptyPhotoMetadata(),
    takenAt: taken?.date.iso ?? null,
    takenAtMs: taken?.date.ms ?? null,
    takenAtSource: taken?.source ?? null,
    timeZone: taken?.date.timeZone ?? null,
    gps: readGps(exif, xmpExif, problems),
    camera,
    lens: clean(exif.LensModel ?? exifEx.LensModel ?? aux.Lens),
    keywords,
    title,
    description,
    people,
    text: pngText,
    problems,
  };
}

function pickDate(
  candidates: Array<{ source: 'exif' | 'xmp' | 'iptc'; parse: () => DateResult | undefined }>,
  problems: string[],
) {
  for (const c of candidates) {
    let result: DateResult | undefined;
    try {
      result = c.parse();
    } catch (error) {
      problems.push(`date: ${describe(error)}`);
      continue;
    }
    if (result === undefined) continue;
    if (result.problem) problems.push(result.problem);
    if (result.date) return { date: result.date, source: c.source };
  }
  return undefined;
}

function readGps(exif: Bag, xmpExif: Bag, problems: string[]): GeoPoint | null {
  const hasExif = exif.GPSLatitude !== undefined || exif.GPSLongitude !== undefined;
  const hasXmp = xmpExif.GPSLatitude !== undefined || xmpExif.GPSLongitude !== undefined;
  if (!hasExif && !hasXmp) return null;
  const lat = hasExif
    ? exifCoordinate(exif.GPSLatitude, exif.GPSLatitudeRef, 'S')
    : xmpCoordinate(xmpExif.GPSLatitude, 'S');
  const lon = hasExif
    ? exifCoordinate(exif.GPSLongitude, exif.GPSLongitudeRef, 'W')
    : xmpCoordinate(xmpExif.GPSLongitude, 'W');
  if (lat === null || lon === null || Math.abs(lat) > 90 || Math.abs(lon) > 180) {
    problems.push('GPS: coordinates missing or out of range');
    return null;
  }
  return { lat: Math.round(lat * 1e7) / 1e7, lon: Math.round(lon * 1e7) / 1e7 };
}

/** EXIF: [deg, min, sec] rationals (already numbers) and a N/S or E/W reference. */
function exifCoordinate(value: unknown, ref: unknown, negative: string): number | null {
  const parts = Array.isArray(value) ? value.map(Number) : typeof value === 'number' ? [value] : [];
  if (parts.length === 0 || parts.some((p) => !Number.isFinite(p) || p < 0)) return null;
  const [d = 0, m = 0, s = 0] = parts;
  if (m >= 60 || s >= 60) return null;
  const deg = d + m / 60 + s / 3600;
  return typeof ref === 'string' && ref.trim().toUpperCase() === negative ? -deg : deg;
}

/** XMP: "33,52.5S" or "33,52,30S" or a decimal. */
function xmpCoordinate(value: unknown, negative: string): number | null {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return null;
  const m = /^\s*(\d+(?:\.\d+)?)(?:,(\d+(?:\.\d+)?))?(?:,(\d+(?:\.\d+)?))?\s*([NSEW])?\s*$/i.exec(value);
  if (!m) return null;
  const deg = Number(m[1]) + Number(m[2] ?? 0) / 60 + Number(m[3] ?? 0) / 3600;
  return m[4]?.toUpperCase() === negative ? -deg : deg;
}

function xmpTiff(xmp: Bag, key: string): unknown {
  const tiff = xmp.tiff;
  return isBag(tiff) ? tiff[key] : undefined;
}

/** MWG regions (RegionList[].Name) or Microsoft's (Regions[].PersonDisplayName). */
function regionNames(...bags: Bag[]): string[] {
  const names: string[] = [];
  const visit = (node: unknown, depth: number): void => {
    if (depth > 6 || names.length >= MAX_LIST) return;
    if (Array.isArray(node)) for (const n of node) visit(n, depth + 1);
    else if (isBag(node)) {
      for (const [key, value] of Object.entries(node)) {
        if ((key === 'Name' || key === 'PersonDisplayName') && typeof value === 'string') names.push(value);
        else if (typeof value === 'object') visit(value, depth + 1);
      }
    }
  };
  for (const bag of bags) visit(bag.Regions ?? bag.RegionInfo, 0);
  return names;
}

function isBag(value: unknown): value is Bag {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** dc:title / dc:description: a string, {lang, value}, or a list of those (x-default first). */
function langText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const list = value as unknown[];
    const preferred: unknown = list.find((v) => isBag(v) && v.lang === 'x-default') ?? list[0];
    return langText(preferred);
  }
  if (isBag(value) && typeof value.value === 'string') return value.value;
  return undefined;
}

function text(value: unknown): unknown {
  return langText(value) ?? value;
}

function clean(value: unknown): string | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  // Control characters (NULs padding EXIF strings, stray newlines) become spaces.
  const s = [...String(value)]
    .map((c) => (c.charCodeAt(0) < 0x20 ? ' ' : c))
    .join('')
    .replace(/ +/g, ' ')
    .trim();
  return s === '' ? null : s.slice(0, MAX_FIELD_CHARS);
}

function list(value: unknown): string[] {
  const items = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return items.map((v) => clean(langText(v) ?? v)).filter((v): v is string => v !== null);
}

function unique(values: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const v of values) {
    const key = v.toLowerCase();
    if (seen.has(key) || out.length >= MAX_LIST) continue;
    seen.add(key);
    out.push(v.slice(0, 200));
  }
  return out;
}
