/**
 * A small client for a Hugging Face compatible hub: repo info pinned to a commit, the file tree
 * with sizes and checksums, and file requests that follow redirects by hand so the headers of
 * the hub's own answer (`X-Linked-Etag`, `X-Linked-Size`) are kept when it redirects to its CDN.
 * Endpoint and token come from the caller (the CLI reads HF_ENDPOINT / HF_TOKEN).
 */
import { EngineError } from '../../errors.ts';
import { hubStatusError, transportError } from './hub-errors.ts';
import { nextPageUrl, normalizeEndpoint, resolveFileUrl, revisionInfoUrl, treeUrl } from './hub-url.ts';

export interface HubClientOptions {
  /** e.g. https://huggingface.co or a mirror; default huggingface.co. */
  readonly endpoint: string;
  /** Sent as `Authorization: Bearer` to the hub (never to a CDN on another origin). */
  readonly token?: string | undefined;
  readonly userAgent?: string;
}

/** One file of a repo at a commit, with what the hub says its bytes must be. */
export interface HubFile {
  readonly path: string;
  readonly size: number;
  /** Git blob id (sha1 of `blob <size>\0<bytes>`) for files stored in git. */
  readonly gitOid?: string;
  /** sha256 of the bytes for files stored in LFS (the hub's `lfs.oid` and `X-Linked-Etag`). */
  readonly sha256?: string;
}

export interface OpenedFile {
  readonly response: Response;
  /** What the hub's first answer said about the file, before any CDN redirect. */
  readonly linkedEtag: string | undefined;
  readonly linkedSize: number | undefined;
}

const MAX_REDIRECTS = 5;

/** Etags arrive quoted and sometimes weak (`W/"…"`); the checksum is what is inside. */
export function normalizeEtag(value: string | null): string | undefined {
  if (!value) return undefined;
  return value.replace(/^W\//, '').replace(/^"|"$/g, '');
}

export class HubClient {
  readonly endpoint: string;
  readonly #token: string | undefined;
  readonly #userAgent: string;

  constructor(options: HubClientOptions) {
    this.endpoint = normalizeEndpoint(options.endpoint);
    this.#token = options.token || undefined;
    this.#userAgent = options.userAgent ?? 'clipdex';
  }

  /** Resolves a branch or tag to the commit every later request is pinned to. */
  async commitOf(repo: string, revision: string, signal?: AbortSignal): Promise<string> {
    const what = `model ${repo} at revision "${revision}"`;
    const info = await this.#json<{ sha?: unknown }>(
      revisionInfoUrl(this.endpoint, repo, revision),
      what,
      signal,
    );
    if (typeof info.sha !== 'string' || info.sha.length === 0) {
      throw new EngineError('NETWORK_ERROR', `${what}: the hub's answer has no commit id`);
    }
    return info.sha;
  }

  /** Every file of the repo at `commit`, following the hub's `Link: rel="next"` pages. */
  async listFiles(repo: string, commit: string, signal?: AbortSignal): Promise<HubFile[]> {
    const files: HubFile[] = [];
    let url: string | undefined = treeUrl(this.endpoint, repo, commit);
    while (url) {
      const response = await this.#get(url, `file list of ${repo}`, signal);
      const page: unknown = await response.json();
      if (!Array.isArray(page)) {
        throw new EngineError('NETWORK_ERROR', `file list of ${repo}: not a JSON array`);
      }
      for (const entry of page as TreeEntry[]) {
        if (entry.type !== 'file' || typeof entry.path !== 'string') continue;
        const lfs = entry.lfs;
        files.push({
          path: entry.path,
          size: Number(lfs?.size ?? entry.size),
          ...(typeof entry.oid === 'string' && !lfs ? { gitOid: entry.oid } : {}),
          ...(typeof lfs?.oid === 'string' ? { sha256: lfs.oid } : {}),
        });
      }
      url = nextPageUrl(response.headers.get('link'), url);
    }
    return files;
  }

  /** GET of one file, optionally from a byte offset; the response is checked to be 200, 206 or 416. */
  async openFile(
    repo: string,
    commit: string,
    filePath: string,
    offset: number,
    signal?: AbortSignal,
  ): Promise<OpenedFile> {
    const what = `${repo}/${filePath}`;
    const headers: Record<string, string> = { 'accept-encoding': 'identity' };
    if (offset > 0) headers.range = `bytes=${offset}-`;
    const opened = await this.#follow(
      resolveFileUrl(this.endpoint, repo, commit, filePath),
      headers,
      what,
      signal,
    );
    const status = opened.response.status;
    if (status !== 200 && status !== 206 && status !== 416) {
      await opened.response.body?.cancel();
      throw hubStatusError(opened.response, what);
    }
    return opened;
  }

  /**
   * Follows redirects by hand: the hub answers renamed repos with a relative redirect and LFS
   * files with a 302 to its CDN, and only its own first answer carries X-Linked-Etag/-Size.
   */
  async #follow(
    start: string,
    headers: Record<string, string>,
    what: string,
    signal?: AbortSignal,
  ): Promise<OpenedFile> {
    let url = start;
    let linkedEtag: string | undefined;
    let linkedSize: number | undefined;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
      const response = await this.#fetch(url, headers, what, signal);
      linkedEtag ??= normalizeEtag(response.headers.get('x-linked-etag'));
      const size = response.headers.get('x-linked-size');
      if (linkedSize === undefined && size !== null) linkedSize = Number(size);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        url = new URL(location, url).href;
        continue;
      }
      return { response, linkedEtag, linkedSize };
    }
    throw new EngineError('NETWORK_ERROR', `${what}: more than ${MAX_REDIRECTS} redirects`);
  }

  async #json<T>(url: string, what: string, signal?: AbortSignal): Promise<T> {
    const response = await this.#get(url, what, signal);
    try {
      return (await response.json()) as T;
    } catch (error) {
      throw transportError(error, `${what}: unreadable answer`, signal);
    }
  }

  async #get(url: string, what: string, signal?: AbortSignal): Promise<Response> {
    const { response } = await this.#follow(url, { accept: 'application/json' }, what, signal);
    if (!response.ok) {
      await response.body?.cancel();
      throw hubStatusError(response, what);
    }
    return response;
  }

  async #fetch(
    url: string,
    headers: Record<string, string>,
    what: string,
    signal?: AbortSignal,
  ): Promise<Response> {
    const all: Record<string, string> = { 'user-agent': this.#userAgent, ...headers };
    // The token is for the hub only: a CDN on another origin gets a signed URL instead.
    if (this.#token && new URL(url).origin === new URL(this.endpoint).origin) {
      all.authorization = `Bearer ${this.#token}`;
    }
    try {
      return await fetch(url, { headers: all, redirect: 'manual', ...(signal ? { signal } : {}) });
    } catch (error) {
      throw transportError(error, `${what}: cannot reach ${new URL(url).origin}`, signal);
    }
  }
}

interface TreeEntry {
  type?: string;
  path?: string;
  size?: number;
  oid?: string;
  lfs?: { oid?: string; size?: number };
}
