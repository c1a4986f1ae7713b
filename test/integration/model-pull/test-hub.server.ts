/**
 * A real HTTP server on 127.0.0.1 that speaks the parts of the Hugging Face hub protocol
 * `clipdex model pull` uses: repo info pinned to a commit, the paginated recursive tree with
 * git oids and LFS sha256s, `/<repo>/resolve/<rev>/<path>` answering small files directly and
 * LFS files with a 302 to a `/cdn/…` URL plus `X-Linked-Etag`/`X-Linked-Size`, and Range
 * requests. Knobs make it drop a connection mid-body, corrupt bytes, or demand a token.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubRepo {
  readonly commit: string;
  readonly files: Map<string, Buffer>;
}

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
  readonly range: string | undefined;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const gitOid = (b: Buffer): string => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
/** As on the hub: weights go through LFS, configs stay in git. */
const isLfs = (p: string): boolean => /\.(onnx|onnx_data|bin|safetensors)$/.test(p);

export class TestHub {
  readonly repos = new Map<string, HubRepo>();
  readonly requests: RecordedRequest[] = [];
  /** Paths whose next body is cut off half way by destroying the socket (each once). */
  readonly dropOnce = new Set<string>();
  /** Paths served with one byte flipped while the listing keeps the true checksum. */
  readonly corrupt = new Set<string>();
  /** Old repo id → new one: answered with a relative 307, as the hub does for renamed repos. */
  readonly renamed = new Map<string, string>();
  /** When set, every request without `Authorization: Bearer <token>` gets 401. */
  requiredToken: string | undefined;
  treePageSize = 4;
  #server: Server | undefined;
  endpoint = '';

  async start(): Promise<void> {
    this.#server = createServer((req, res) => this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.endpoint);
    this.requests.push({
      method: req.method ?? 'GET',
      url: url.pathname + url.search,
      authorization: req.headers.authorization,
      range: req.headers.range,
    });
    if (
      this.requiredToken &&
      req.headers.authorization !== `Bearer ${this.requiredToken}` &&
      !url.pathname.startsWith('/cdn/')
    ) {
      res.writeHead(401, { 'x-error-code': 'RepoNotFound' }).end('{"error":"Invalid credentials"}');
      return;
    }
    for (const [from, to] of this.renamed) {
      if (url.pathname.startsWith(`/${from}/`) || url.pathname.startsWith(`/api/models/${from}/`)) {
        res.writeHead(307, { location: url.pathname.replace(`/${from}/`, `/${to}/`) + url.search }).end();
        return;
      }
    }
    const parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
    if (parts[0] === 'api' && parts[1] === 'models') return this.#api(parts.slice(2), url, res);
    if (parts[0] === 'cdn') return this.#cdn(url, req, res);
    if (parts[2] === 'resolve') return this.#resolve(parts, req, res);
    res.writeHead(404).end();
  }

  #repo(
    owner: string | undefined,
    name: string | undefined,
    rev: string | undefined,
    res: ServerResponse,
  ): HubRepo | undefined {
    const repo = this.repos.get(`${owner}/${name}`);
    if (!repo) {
      res
        .writeHead(404, { 'x-error-code': 'RepoNotFound', 'content-type': 'application/json' })
        .end('{"error":"Repository not found"}');
      return undefined;
    }
    if (rev !== 'main' && rev !== repo.commit) {
      res.writeHead(404, { 'x-error-code': 'RevisionNotFound' }).end('{"error":"Invalid rev id"}');
      return undefined;
    }
    return repo;
  }

  #api([owner, name, kind, rev]: string[], url: URL, res: ServerResponse): void {
    const repo = this.#repo(owner, name, rev, res);
    if (!repo) return;
    const paths = [...repo.files.keys()].sort();
    if (kind === 'revision') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: `${owner}/${name}`,
          sha: repo.commit,
          siblings: paths.map((rfilename) => ({ rfilename })),
        }),
      );
      return;
    }
    // Tree: directories and files, recursive, in pages linked by `Link: <…>; rel="next"`.
    const dirs = new Set(
      paths.flatMap((p) =>
        p
          .split('/')
          .slice(0, -1)
          .map((_, i, a) => a.slice(0, i + 1).join('/')),
      ),
    );
    const entries = [
      ...[...dirs].map((p) => ({ type: 'directory', path: p, oid: gitOid(Buffer.from(p)), size: 0 })),
      ...paths.map((p) => {
        const bytes = repo.files.get(p)!;
        const pointer = Buffer.from(
          `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(bytes)}\nsize ${bytes.length}\n`,
        );
        return isLfs(p)
          ? {
              type: 'file',
              path: p,
              oid: gitOid(pointer),
              size: bytes.length,
              lfs: { oid: sha256(bytes), size: bytes.length, pointerSize: pointer.length },
            }
          : { type: 'file', path: p, oid: gitOid(bytes), size: bytes.length };
      }),
    ];
    const cursor = Number(url.searchParams.get('cursor') ?? 0);
    const page = entries.slice(cursor, cursor + this.treePageSize);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (cursor + this.treePageSize < entries.length) {
      headers.link = `<${url.pathname}?recursive=true&cursor=${cursor + this.treePageSize}>; rel="next"`;
    }
    res.writeHead(200, headers).end(JSON.stringify(page));
  }

  #resolve(parts: string[], req: IncomingMessage, res: ServerResponse): void {
    const [owner, name, , rev, ...rest] = parts;
    const repo = this.#repo(owner, name, rev, res);
    if (!repo) return;
    const filePath = rest.join('/');
    const bytes = repo.files.get(filePath);
    if (!bytes) {
      res.writeHead(404, { 'x-error-code': 'EntryNotFound' }).end('Entry not found');
      return;
    }
    const common = { 'x-repo-commit': repo.commit };
    if (isLfs(filePath)) {
      res.writeHead(302, {
        ...common,
        location: `/cdn/${sha256(bytes)}?repo=${owner}/${name}&path=${encodeURIComponent(filePath)}`,
        'x-linked-etag': `"${sha256(bytes)}"`,
        'x-linked-size': String(bytes.length),
        etag: `"${gitOid(bytes)}"`,
      });
      res.end();
      return;
    }
    this.#send(filePath, bytes, req, res, { ...common, etag: `W/"${gitOid(bytes)}"` });
  }

  #cdn(url: URL, req: IncomingMessage, res: ServerResponse): void {
    const repo = this.repos.get(url.searchParams.get('repo') ?? '');
    const filePath = url.searchParams.get('path') ?? '';
    const bytes = repo?.files.get(filePath);
    if (!bytes) {
      res.writeHead(404).end();
      return;
    }
    this.#send(filePath, bytes, req, res, { etag: `"${sha256(bytes)}"` });
  }

  #send(
    filePath: string,
    original: Buffer,
    req: IncomingMessage,
    res: ServerResponse,
    headers: Record<string, string>,
  ): void {
    let bytes = original;
    if (this.corrupt.has(filePath)) {
      bytes = Buffer.from(original);
      bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    if (start >= bytes.length && bytes.length > 0) {
      res.writeHead(416, { 'content-range': `bytes */${bytes.length}` }).end();
      return;
    }
    const body = bytes.subarray(start);
    res.writeHead(range ? 206 : 200, {
      ...headers,
      'accept-ranges': 'bytes',
      'content-length': String(body.length),
      ...(range ? { 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` } : {}),
    });
    if (this.dropOnce.delete(filePath)) {
      // Half the body, then a dead connection: what a flaky network or a Ctrl-C looks like. The
      // pause lets the client read what arrived (a stream that errors drops its unread queue).
      res.write(body.subarray(0, body.length >> 1), () => setTimeout(() => res.socket?.destroy(), 200));
      return;
    }
    res.end(body);
  }
}
