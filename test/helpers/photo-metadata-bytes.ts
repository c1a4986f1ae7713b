/**
 * Builds images carrying EXIF, XMP and IPTC metadata for tests and the hybrid eval fixtures:
 * EXIF and XMP through sharp (withExif / withXmp), IPTC-IIM as a hand-built JPEG APP13 segment
 * (sharp cannot write IPTC), and broken blocks for the bad-input tests.
 */
import sharp from 'sharp';

export interface XmpFields {
  readonly keywords?: readonly string[];
  readonly title?: string;
  readonly description?: string;
  readonly people?: readonly string[];
  /** Written as xmp:CreateDate. */
  readonly createDate?: string;
  /** Written as exif:GPSLatitude / exif:GPSLongitude ("33,52.5S"). */
  readonly gps?: { readonly lat: string; readonly lon: string };
  /** Extra bytes of padding inside the packet (for the oversized-packet test). */
  readonly padding?: number;
}

const esc = (s: string): string =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

export function xmpPacket(fields: XmpFields): string {
  const attrs = [
    fields.createDate ? ` xmp:CreateDate="${esc(fields.createDate)}"` : '',
    fields.gps ? ` exif:GPSLatitude="${esc(fields.gps.lat)}" exif:GPSLongitude="${esc(fields.gps.lon)}"` : '',
  ].join('');
  const bag = (items: readonly string[]) =>
    `<rdf:Bag>${items.map((i) => `<rdf:li>${esc(i)}</rdf:li>`).join('')}</rdf:Bag>`;
  const alt = (s: string) => `<rdf:Alt><rdf:li xml:lang="x-default">${esc(s)}</rdf:li></rdf:Alt>`;
  const body = [
    fields.keywords ? `<dc:subject>${bag(fields.keywords)}</dc:subject>` : '',
    fields.title ? `<dc:title>${alt(fields.title)}</dc:title>` : '',
    fields.description ? `<dc:description>${alt(fields.description)}</dc:description>` : '',
    fields.people
      ? `<mwg-rs:Regions rdf:parseType="Resource"><mwg-rs:RegionList><rdf:Bag>${fields.people
          .map(
            (p) =>
              `<rdf:li rdf:parseType="Resource"><mwg-rs:Name>${esc(p)}</mwg-rs:Name><mwg-rs:Type>Face</mwg-rs:Type></rdf:li>`,
          )
          .join('')}</rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions>`
      : '',
  ].join('');
  const padding = fields.padding ? `\n${' '.repeat(fields.padding)}\n` : '';
  return (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">' +
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about=""' +
    ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"' +
    ' xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"' +
    `${attrs}>${body}</rdf:Description></rdf:RDF></x:xmpmeta>${padding}<?xpacket end="w"?>`
  );
}

/** EXIF tags as sharp's withExif takes them: IFD0 (camera), IFD2 (Exif: dates), IFD3 (GPS). */
export interface ExifFields {
  readonly make?: string;
  readonly model?: string;
  readonly dateTimeOriginal?: string;
  readonly offsetTimeOriginal?: string;
  /** Decimal degrees; written as DMS rationals with N/S, E/W references. */
  readonly gps?: { readonly lat: number; readonly lon: number };
  readonly orientation?: number;
}

function dms(value: number): string {
  const abs = Math.abs(value);
  const d = Math.floor(abs);
  const mFloat = (abs - d) * 60;
  const m = Math.floor(mFloat);
  const s = Math.round((mFloat - m) * 60 * 1000);
  return `${d}/1 ${m}/1 ${s}/1000`;
}

export function exifTags(fields: ExifFields): Record<string, Record<string, string>> {
  const ifd0: Record<string, string> = {};
  if (fields.make) ifd0.Make = fields.make;
  if (fields.model) ifd0.Model = fields.model;
  const ifd2: Record<string, string> = {};
  if (fields.dateTimeOriginal) ifd2.DateTimeOriginal = fields.dateTimeOriginal;
  if (fields.offsetTimeOriginal) ifd2.OffsetTimeOriginal = fields.offsetTimeOriginal;
  const ifd3: Record<string, string> = {};
  if (fields.gps) {
    ifd3.GPSLatitudeRef = fields.gps.lat < 0 ? 'S' : 'N';
    ifd3.GPSLatitude = dms(fields.gps.lat);
    ifd3.GPSLongitudeRef = fields.gps.lon < 0 ? 'W' : 'E';
    ifd3.GPSLongitude = dms(fields.gps.lon);
  }
  return { IFD0: ifd0, IFD2: ifd2, IFD3: ifd3 };
}

export type MetaFormat = 'jpeg' | 'png' | 'webp' | 'tiff';

/** A small image (solid colour or the given source image) in `format`, with EXIF and/or XMP. */
export async function imageWithMetadata(
  format: MetaFormat,
  meta: { readonly exif?: ExifFields; readonly xmp?: XmpFields | string },
  source?: Uint8Array,
): Promise<Buffer> {
  let image = source
    ? sharp(source)
    : sharp({ create: { width: 24, height: 16, channels: 3, background: '#3a7' } });
  if (meta.exif) {
    image = image.withExif(exifTags(meta.exif));
    if (meta.exif.orientation) image = image.withMetadata({ orientation: meta.exif.orientation });
  }
  if (meta.xmp) image = image.withXmp(typeof meta.xmp === 'string' ? meta.xmp : xmpPacket(meta.xmp));
  return image.toFormat(format, format === 'jpeg' ? { quality: 85 } : {}).toBuffer();
}

export interface IptcFields {
  readonly keywords?: readonly string[];
  readonly caption?: string;
  readonly objectName?: string;
  /** "YYYYMMDD" */
  readonly dateCreated?: string;
  /** "HHMMSS±HHMM" */
  readonly timeCreated?: string;
}

/** An APP13 segment: "Photoshop 3.0" resource block holding one IPTC-IIM (0x0404) resource. */
export function iptcApp13(fields: IptcFields): Buffer {
  const records: Buffer[] = [];
  const dataset = (tag: number, value: string): void => {
    const data = Buffer.from(value, 'utf8');
    const head = Buffer.from([0x1c, 2, tag, data.length >> 8, data.length & 0xff]);
    records.push(head, data);
  };
  // 1:90 CodedCharacterSet = ESC % G (UTF-8)
  records.push(Buffer.from([0x1c, 1, 90, 0, 3, 0x1b, 0x25, 0x47]));
  if (fields.objectName) dataset(5, fields.objectName);
  for (const k of fields.keywords ?? []) dataset(25, k);
  if (fields.dateCreated) dataset(55, fields.dateCreated);
  if (fields.timeCreated) dataset(60, fields.timeCreated);
  if (fields.caption) dataset(120, fields.caption);
  let iptc = Buffer.concat(records);
  if (iptc.length % 2) iptc = Buffer.concat([iptc, Buffer.from([0])]);
  const resource = Buffer.concat([
    Buffer.from('8BIM', 'latin1'),
    Buffer.from([0x04, 0x04, 0, 0]),
    u32(iptc.length),
    iptc,
  ]);
  const payload = Buffer.concat([Buffer.from('Photoshop 3.0\0', 'latin1'), resource]);
  return segment(0xed, payload);
}

/** A raw APP1 Exif segment whose TIFF body is cut after `keep` bytes (truncated EXIF). */
export function truncatedExifApp1(full: Buffer, keep: number): Buffer {
  const exif = findSegment(full, 0xe1, 'Exif\0\0');
  if (!exif) throw new Error('no EXIF segment to truncate');
  return segment(0xe1, exif.subarray(0, keep));
}

/** Inserts segments right after SOI (and after any APP0/JFIF). */
export function insertJpegSegments(
  jpeg: Buffer,
  segments: readonly Buffer[],
  options: { readonly dropMarker?: number } = {},
): Buffer {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('not a JPEG');
  let pos = 2;
  const kept: Buffer[] = [jpeg.subarray(0, 2)];
  const rest: Buffer[] = [];
  while (pos + 4 <= jpeg.length && jpeg[pos] === 0xff && jpeg[pos + 1]! >= 0xe0 && jpeg[pos + 1]! <= 0xef) {
    const len = jpeg.readUInt16BE(pos + 2);
    const seg = jpeg.subarray(pos, pos + 2 + len);
    if (options.dropMarker !== jpeg[pos + 1]) (jpeg[pos + 1] === 0xe0 ? kept : rest).push(seg);
    pos += 2 + len;
  }
  return Buffer.concat([...kept, ...segments, ...rest, jpeg.subarray(pos)]);
}

function findSegment(jpeg: Buffer, marker: number, prefix: string): Buffer | undefined {
  let pos = 2;
  while (pos + 4 <= jpeg.length && jpeg[pos] === 0xff) {
    const len = jpeg.readUInt16BE(pos + 2);
    const payload = jpeg.subarray(pos + 4, pos + 2 + len);
    if (jpeg[pos + 1] === marker && payload.subarray(0, prefix.length).toString('latin1') === prefix) {
      return payload;
    }
    if (jpeg[pos + 1] === 0xda) return undefined;
    pos += 2 + len;
  }
  return undefined;
}

function segment(marker: number, payload: Buffer): Buffer {
  if (payload.length + 2 > 0xffff) throw new Error('segment too large');
  return Buffer.concat([
    Buffer.from([0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]),
    payload,
  ]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
