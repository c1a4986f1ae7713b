/**
 * Which files discovery picks up, by extension. The extension only selects candidates; whether
 * a file really is an image is decided by decoding it, so a `.jpg` holding text fails cleanly.
 */
const IMAGE_EXTENSIONS = new Set([
  'jpg',
  'jpeg',
  'jpe',
  'jfif',
  'png',
  'webp',
  'avif',
  'gif',
  'tif',
  'tiff',
  'svg',
  'heic',
  'heif',
  'bmp',
]);

/** Video containers; ffprobe decides whether the file really holds a video. */
const VIDEO_EXTENSIONS = new Set(['mp4', 'mov', 'm4v', 'mkv', 'webm', 'avi', '3gp']);

const TEXT_CORPUS_EXTENSIONS = new Set(['txt', 'jsonl', 'ndjson', 'csv', 'tsv']);

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot + 1).toLowerCase();
}

export function isImageName(name: string): boolean {
  return IMAGE_EXTENSIONS.has(extensionOf(name));
}

export function isVideoName(name: string): boolean {
  return VIDEO_EXTENSIONS.has(extensionOf(name));
}

/** Files the media walk picks up: images and videos. */
export function isMediaName(name: string): boolean {
  return isImageName(name) || isVideoName(name);
}

export function isTextCorpusName(name: string): boolean {
  return TEXT_CORPUS_EXTENSIONS.has(extensionOf(name));
}

export { extensionOf };
