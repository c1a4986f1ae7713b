/**
 * URL layout of a Hugging Face compatible hub. Mirrors (HF_ENDPOINT) use the same paths, so the
 * endpoint is the only thing that changes between huggingface.co, a mirror and our test server.
 */
import { EngineError } from '../../errors.ts';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

/** `owner/name`, each part made of the characters the hub allows in repo names. */
const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function isRepoId(value: string): boolean {
  return REPO_ID.test(value) && !value.includes('..');
}

export function assertRepoId(value: string): string {
  if (!isRepoId(value)) {
    throw new EngineError(
      'INVALID_INPUT',
      `not a hub repository id: "${value}" (expected owner/name, e.g. Xenova/clip-vit-base-patch32)`,
    );
  }
  return value;
}

/** Validates an endpoint and drops trailing slashes so paths can be appended. */
export function normalizeEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (error) {
    throw new EngineError('INVALID_INPUT', `hub endpoint is not a URL: "${endpoint}"`, { cause: error });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new EngineError('INVALID_INPUT', `hub endpoint must be http(s): "${endpoint}"`);
  }
  return url.href.replace(/\/+$/, '');
}

// Each path segment is encoded on its own so '/' stays a separator but spaces, '#', '?' do not
// break the URL (the hub's own clients do the same).
function encodePath(filePath: string): string {
  return filePath.split('/').map(encodeURIComponent).join('/');
}

/** `<endpoint>/<repo>/resolve/<revision>/<path>`: the file itself (LFS files answer with a 302 to a CDN). */
export function resolveFileUrl(endpoint: string, repo: string, revision: string, filePath: string): string {
  return `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${encodePath(filePath)}`;
}

/** `<endpoint>/api/models/<repo>/revision/<revision>`: repo info pinned to one commit (`sha`). */
export function revisionInfoUrl(endpoint: string, repo: string, revision: string): string {
  return `${endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}`;
}

/** `<endpoint>/api/models/<repo>/tree/<revision>?recursive=true`: every file with size and LFS sha256. */
export function treeUrl(endpoint: string, repo: string, revision: string): string {
  return `${endpoint}/api/models/${repo}/tree/${encodeURIComponent(revision)}?recursive=true`;
}

/** The next page from an RFC 8288 `Link` header (`<url>; rel="next"`), as the hub paginates trees. */
export function nextPageUrl(linkHeader: string | null, base: string): string | undefined {
  if (!linkHeader) return undefined;
  for (const part of linkHeader.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (match?.[1]) return new URL(match[1], base).href;
  }
  return undefined;
}
