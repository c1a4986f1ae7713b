/**
 * What clipdex keeps of a photo's embedded metadata (EXIF, XMP, IPTC, PNG text). Plain JSON,
 * stored with the item; every field is null or empty when the file does not say, or says
 * something we could not trust (the reason is in `problems`).
 */
/** Where a capture date came from; 'video' is a video container's creation date (ffprobe). */
export type TakenAtSource = 'exif' | 'xmp' | 'iptc' | 'video' | 'file';

export interface GeoPoint {
  readonly lat: number;
  readonly lon: number;
}

export interface PhotoMetadata {
  /**
   * ISO 8601 capture time: with its UTC offset when the file gives one ("2021-07-04T15:30:00+02:00"),
   * otherwise the camera's wall-clock time without an offset ("2021-07-04T15:30:00").
   */
  readonly takenAt: string | null;
  /** Epoch milliseconds for sorting and filtering; a wall-clock time without offset counts as UTC. */
  readonly takenAtMs: number | null;
  readonly takenAtSource: Exclude<TakenAtSource, 'file' | 'video'> | null;
  /** "+02:00" when known. */
  readonly timeZone: string | null;
  readonly gps: GeoPoint | null;
  /** Make and model, e.g. "Canon EOS 5D Mark IV". */
  readonly camera: string | null;
  readonly lens: string | null;
  readonly keywords: readonly string[];
  readonly title: string | null;
  readonly description: string | null;
  /** People named in XMP face regions (MWG, Microsoft) or IPTC PersonInImage. */
  readonly people: readonly string[];
  /** PNG text chunks other than the ones mapped above (e.g. "parameters", "Comment"), truncated. */
  readonly text: Readonly<Record<string, string>>;
  /** Why a field is null although the file had something there; empty when all went well. */
  readonly problems: readonly string[];
}

export function emptyPhotoMetadata(problems: readonly string[] = []): PhotoMetadata {
  return {
    takenAt: null,
    takenAtMs: null,
    takenAtSource: null,
    timeZone: null,
    gps: null,
    camera: null,
    lens: null,
    keywords: [],
    title: null,
    description: null,
    people: [],
    text: {},
    problems,
  };
}
