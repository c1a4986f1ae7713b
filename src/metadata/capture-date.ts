/**
 * Capture dates as cameras and editors write them, parsed strictly: EXIF "YYYY:MM:DD HH:MM:SS"
 * with an optional OffsetTime "+HH:MM", XMP ISO 8601 (date-only and minute precision allowed),
 * IPTC "YYYYMMDD" + "HHMMSS±HHMM". Pure: no time zone of the machine running it leaks in.
 */

/** Years outside this range are placeholders ("0000:00:00") or corruption, not capture dates. */
export const MIN_YEAR = 1826;
export const MAX_YEAR = 2199;

export interface CaptureDate {
  /** ISO 8601, with the offset when there is one. */
  readonly iso: string;
  /** Epoch ms; wall-clock as UTC when there is no offset. */
  readonly ms: number;
  readonly timeZone: string | null;
}

export type DateResult =
  | { readonly date: CaptureDate; readonly problem?: string }
  | { readonly date: null; readonly problem: string };

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** "+02:00", "-0530", "Z" → normalised "+HH:MM" (Z → "+00:00"); null when invalid. */
export function parseOffset(raw: string): string | null {
  const s = raw.trim();
  if (s === 'Z') return '+00:00';
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(s);
  if (!m) return null;
  const hours = Number(m[2]);
  const minutes = Number(m[3]);
  if (hours > 14 || minutes > 59 || (hours === 14 && minutes > 0)) return null;
  return `${m[1]}${m[2]}:${m[3]}`;
}

function build(
  fields: { y: number; mo: number; d: number; h: number; mi: number; s: number; frac?: string },
  offset: string | null,
  what: string,
): DateResult {
  const { y, mo, d, h, mi, s } = fields;
  if (y < MIN_YEAR || y > MAX_YEAR) {
    return { date: null, problem: `${what}: year ${y} is outside ${MIN_YEAR}–${MAX_YEAR}` };
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
    return { date: null, problem: `${what}: not a calendar date` };
  }
  const wall = Date.UTC(y, mo - 1, d, h, mi, Math.min(s, 59));
  const check = new Date(wall);
  if (check.getUTCDate() !== d || check.getUTCMonth() !== mo - 1) {
    return { date: null, problem: `${what}: no such day` };
  }
  const millis = fields.frac ? Math.round(Number(`0.${fields.frac}`) * 1000) : 0;
  const local = `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(Math.min(s, 59))}${millis ? `.${pad(millis, 3)}` : ''}`;
  if (offset === null) return { date: { iso: local, ms: wall + millis, timeZone: null } };
  const sign = offset.startsWith('-') ? -1 : 1;
  const offsetMs = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6))) * 60_000;
  return { date: { iso: local + offset, ms: wall + millis - offsetMs, timeZone: offset } };
}

/** Applies an offset string; an invalid one is dropped (wall-clock kept) with a problem. */
function withOffset(
  result: DateResult,
  rawOffset: string | undefined,
  what: string,
  rebuild: (offset: string | null) => DateResult,
): DateResult {
  if (rawOffset === undefined || rawOffset.trim() === '' || result.date === null) return result;
  const offset = parseOffset(rawOffset);
  if (offset === null) {
    return {
      ...result,
      problem: `${what}: invalid time zone offset ${JSON.stringify(rawOffset.slice(0, 20))} ignored`,
    };
  }
  return rebuild(offset);
}

/** EXIF "2021:07:04 15:30:00" (also "-" separators, optional fraction) + optional "+02:00". */
export function parseExifDate(raw: unknown, rawOffset: unknown, what = 'EXIF date'): DateResult {
  if (typeof raw !== 'string') return { date: null, problem: `${what}: not text` };
  const m =
    /^\s*(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$/.exec(
      raw,
    );
  if (!m) return { date: null, problem: `${what}: unreadable ${JSON.stringify(raw.slice(0, 40))}` };
  const fields = {
    y: Number(m[1]),
    mo: Number(m[2]),
    d: Number(m[3]),
    h: Number(m[4]),
    mi: Number(m[5]),
    s: Number(m[6] ?? 0),
    ...(m[7] ? { frac: m[7] } : {}),
  };
  const inline = m[8] ? parseOffset(m[8]) : null;
  const base = build(fields, inline, what);
  const offset = typeof rawOffset === 'string' ? rawOffset : undefined;
  return withOffset(base, offset, what, (o) => build(fields, o, what));
}

/** XMP ISO 8601: "2019-05-01", "2019-05-01T10:00", "2019-05-01T10:00:00.5+09:00". */
export function parseXmpDate(raw: unknown, what = 'XMP date'): DateResult {
  if (typeof raw !== 'string') return { date: null, problem: `${what}: not text` };
  const m =
    /^\s*(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?\s*$/.exec(
      raw,
    );
  if (!m) return { date: null, problem: `${what}: unreadable ${JSON.stringify(raw.slice(0, 40))}` };
  const fields = {
    y: Number(m[1]),
    mo: Number(m[2] ?? 1),
    d: Number(m[3] ?? 1),
    h: Number(m[4] ?? 0),
    mi: Number(m[5] ?? 0),
    s: Number(m[6] ?? 0),
    ...(m[7] ? { frac: m[7] } : {}),
  };
  if (m[8]) {
    const offset = parseOffset(m[8]);
    if (offset === null) {
      return {
        ...build(fields, null, what),
        problem: `${what}: invalid time zone offset ${JSON.stringify(m[8])} ignored`,
      };
    }
    return build(fields, offset, what);
  }
  return build(fields, null, what);
}

/** IPTC DateCreated "20190501" and TimeCreated "100000+0900" (time optional). */
export function parseIptcDate(rawDate: unknown, rawTime: unknown, what = 'IPTC date'): DateResult {
  if (typeof rawDate !== 'string' && typeof rawDate !== 'number') {
    return { date: null, problem: `${what}: not text` };
  }
  const d = /^\s*(\d{4})-?(\d{2})-?(\d{2})\s*$/.exec(String(rawDate));
  if (!d) {
    return { date: null, problem: `${what}: unreadable ${JSON.stringify(String(rawDate).slice(0, 40))}` };
  }
  const t =
    typeof rawTime === 'string'
      ? /^\s*(\d{2}):?(\d{2}):?(\d{2})\s*(Z|[+-]\d{2}:?\d{2})?\s*$/.exec(rawTime)
      : null;
  const fields = {
    y: Number(d[1]),
    mo: Number(d[2]),
    d: Number(d[3]),
    h: Number(t?.[1] ?? 0),
    mi: Number(t?.[2] ?? 0),
    s: Number(t?.[3] ?? 0),
  };
  const base = build(fields, null, what);
  return withOffset(base, t?.[4], what, (o) => build(fields, o, what));
}
