// `clipdex serve` as users start it: a real process, its real flags, its real socket. The API
// tests (server-api, server-errors) build the server in-process; this file checks that the
// command wires the same server with what its flags say.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import {
  autoProvider,
  demoRows,
  indexCorpus,
  MODEL_DIR,
  REPO,
  removeFixture,
  solidPng,
  writeCorpus,
  type CaptionRow,
} from './server-harness.ts';

interface Serving {
  readonly child: ChildProcessWithoutNullStreams;
  readonly url: string;
  readonly port: number;
  output(): string;
  readonly exit: Promise<number | null>;
}

const children: ChildProcessWithoutNullStreams[] = [];

/** Starts `clipdex serve` and resolves once it prints its URL. */
async function serve(libraryDir: string, flags: string[]): Promise<Serving> {
  const child = spawn(
    process.execPath,
    [
      path.join(REPO, 'bin/clipdex.js'),
      'serve',
      '--library',
      libraryDir,
      '--model',
      MODEL_DIR,
      '--port',
      '0',
      '--threads',
      '1',
      ...flags,
    ],
    { cwd: REPO },
  );
  children.push(child);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const check = () => {
      const match = /open (http:\/\/[^\s]+\/)/.exec(out);
      if (match) {
        child.stdout.off('data', check);
        resolve(match[1]!);
      }
    };
    child.stdout.on('data', check);
    void exit.then((code) => reject(new Error(`clipdex serve exited (${code}) before serving:\n${out}`)));
  });
  return { child, url, port: Number(new URL(url).port), output: () => out, exit };
}

/** Waits until the process has printed `pattern` (events, not sleeps). */
function printed(s: Serving, pattern: RegExp): Promise<void> {
  if (pattern.test(s.output())) return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (!pattern.test(s.output())) return;
      s.child.stdout.off('data', check);
      s.child.stderr.off('data', check);
      resolve();
    };
    s.child.stdout.on('data', check);
    s.child.stderr.on('data', check);
  });
}

/**
 * The local addresses of the listening TCP sockets on `port`, as the kernel reports them
 * (/proc/net/tcp and tcp6: hex address, little-endian words; state 0A = LISTEN).
 */
function listeningAddresses(port: number): string[] {
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // no IPv6 in this kernel
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 4 || fields[3] !== '0A') continue;
      const [hexAddress, hexPort] = fields[1]!.split(':') as [string, string];
      if (parseInt(hexPort, 16) !== port) continue;
      const words = hexAddress.match(/.{8}/g)!.map((w) => Buffer.from(w, 'hex').reverse());
      const bytes = Buffer.concat(words);
      found.push(
        bytes.length === 4 ? [...bytes].join('.') : bytes.toString('hex').replace(/(.{4})(?!$)/g, '$1:'),
      );
    }
  }
  return found;
}

const encodeBatches = async (url: string) => {
  const metrics = await (await fetch(`${url}metrics`)).text();
  const read = (what: string) =>
    Number(new RegExp(`clipdex_encode_batch_size_${what}\\{tower="text"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
  return { count: read('count'), sum: read('sum') };
};

const rawUpload = (url: string, bytes: Uint8Array) =>
  fetch(`${url}api/search?target=image&k=3`, {
    method: 'POST',
    headers: { 'content-type': 'image/png' },
    body: bytes,
  });

describe('e2e: the real `clipdex serve` process and its flags', function () {
  this.timeout(180_000);
  let tmp: string;
  let rows: CaptionRow[];
  let corpus: string;
  let library: string;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'clipdex-serve-'));
    rows = (await demoRows()).slice(20, 30);
    corpus = path.join(tmp, 'corpus');
    library = path.join(tmp, 'library');
    await writeCorpus(corpus, rows.slice(0, 5));
    await indexCorpus(corpus, library);
  });
  afterEach(() => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
  after(async () => {
    await removeFixture(tmp);
  });

  it('defaults: listens on loopback only, runs on the default device, micro-batches, accepts a 40 kpx query image', async () => {
    const s = await serve(library, []);
    expect(listeningAddresses(s.port)).to.deep.equal(['127.0.0.1']);
    const health = (await (await fetch(`${s.url}health`)).json()) as {
      executionProvider: string;
      microBatching: { enabled: boolean };
    };
    expect(health.executionProvider).to.equal(await autoProvider());
    expect(health.microBatching.enabled).to.equal(true);
    const before = await encodeBatches(s.url);
    const pages = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        fetch(`${s.url}api/search?q=${encodeURIComponent(`${rows[i % rows.length]!.captions[0]} ${i}`)}&k=2`),
      ),
    );
    expect(pages.every((p) => p.status === 200)).to.equal(true);
    const after = await encodeBatches(s.url);
    expect(after.sum - before.sum).to.equal(12);
    expect((await rawUpload(s.url, solidPng(200, 200))).status).to.equal(200);
    const foreign = await fetch(`${s.url}health`, { headers: { origin: 'http://elsewhere.example' } });
    expect(foreign.headers.get('access-control-allow-origin')).to.equal(null);
    expect(s.output()).to.not.match(/warning: listening on/);
    s.child.kill('SIGINT');
    expect(await s.exit, s.output()).to.equal(0);
  });

  it('--host 0.0.0.0 --cors --max-upload-mb --max-pixels --no-batching do what they say', async () => {
    const origin = 'http://allowed.example';
    const s = await serve(library, [
      '--host',
      '0.0.0.0',
      '--cors',
      origin,
      '--max-upload-mb',
      '1',
      '--max-pixels',
      '10000',
      '--no-batching',
    ]);
    expect(listeningAddresses(s.port)).to.deep.equal(['0.0.0.0']);
    await printed(s, /warning: listening on 0\.0\.0\.0: anyone who can reach this machine/);

    const allowed = await fetch(`${s.url}health`, { headers: { origin } });
    expect(allowed.headers.get('access-control-allow-origin')).to.equal(origin);
    const preflight = await fetch(`${s.url}api/search`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).to.equal(204);
    expect(preflight.headers.get('access-control-allow-methods')).to.include('POST');
    const other = await fetch(`${s.url}health`, { headers: { origin: 'http://elsewhere.example' } });
    expect(other.headers.get('access-control-allow-origin')).to.equal(null);

    // 1 MiB cap: a body just over it is refused before decoding; a small image passes.
    const big = new Uint8Array(1024 * 1024 + 1024);
    big.set(solidPng(8, 8));
    const tooBig = await rawUpload(s.url, big);
    expect(tooBig.status).to.equal(413);
    // 10 000 pixels: 200×200 (the default accepts it, see above) is refused, 64×64 is served.
    const tooMany = await rawUpload(s.url, solidPng(200, 200));
    expect(tooMany.status).to.equal(413);
    expect(((await tooMany.json()) as { error: { message: string } }).error.message).to.match(/pixels/);
    expect((await rawUpload(s.url, solidPng(64, 64))).status).to.equal(200);

    // --no-batching: concurrent queries are encoded one by one, never through the batcher.
    const health = (await (await fetch(`${s.url}health`)).json()) as { microBatching: { enabled: boolean } };
    expect(health.microBatching.enabled).to.equal(false);
    const pages = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        fetch(`${s.url}api/search?q=${encodeURIComponent(`query ${i}`)}&k=2`),
      ),
    );
    expect(pages.every((p) => p.status === 200)).to.equal(true);
    expect(await encodeBatches(s.url)).to.deep.equal({ count: 0, sum: 0 });
    s.child.kill('SIGINT');
    expect(await s.exit, s.output()).to.equal(0);
  });

  it('new items from a concurrent `clipdex index` are searchable within a second, at the default settings', async () => {
    // The shared library holds rows 0-4; this test adds 5-9 (no other test depends on its size).
    const s = await serve(library, []);
    const newcomer = path.basename(rows[8]!.image);
    const search = async () => {
      const res = await fetch(`${s.url}api/search?q=${encodeURIComponent(rows[8]!.captions[0]!)}&k=20`);
      return ((await res.json()) as { results: { uri: string }[] }).results.map((h) => h.uri);
    };
    expect(await search()).to.not.include(newcomer);

    // Keep asking (as a page would) while another process indexes seven more images.
    let indexed = 0;
    let polling = true;
    const polls: { sentAt: number; uris: string[] }[] = [];
    const poller = (async () => {
      while (polling) {
        const sentAt = Date.now();
        polls.push({ sentAt, uris: await search() });
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await writeCorpus(corpus, rows);
    await indexCorpus(corpus, library);
    indexed = Date.now();
    // Every request sent more than a second after the indexer committed sees the newcomer.
    while (polls.filter((p) => p.sentAt > indexed + 1000).length < 3) {
      await new Promise((r) => setTimeout(r, 50));
    }
    polling = false;
    await poller;
    const late = polls.filter((p) => p.sentAt > indexed + 1000);
    for (const p of late) {
      expect(p.uris, `a search ${p.sentAt - indexed} ms after the commit`).to.include(newcomer);
    }
    expect(late.at(-1)!.uris).to.have.length(rows.length);
    s.child.kill('SIGINT');
    expect(await s.exit, s.output()).to.equal(0);
  });

  it('SIGINT while a request is in flight: the request is answered, then the process exits 0', async () => {
    const s = await serve(library, []);
    const png = Buffer.from(solidPng(32, 32));
    const response = new Promise<{ status: number; body: string; connection: string | undefined }>(
      (resolve, reject) => {
        const req = http.request(`${s.url}api/search?target=image&k=2`, {
          method: 'POST',
          headers: { 'content-type': 'image/png', 'content-length': png.length, expect: '100-continue' },
        });
        req.on('error', reject);
        req.on('response', (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }),
          );
        });
        // "100 Continue": the server has parsed our headers, so the request is in flight. Interrupt
        // the server now, and send the body only once it has begun stopping.
        req.on('continue', () => {
          s.child.kill('SIGINT');
          void printed(s, /stopping the server/).then(() => req.end(png));
        });
        req.flushHeaders();
      },
    );
    const answered = await response;
    expect(answered.status, answered.body).to.equal(200);
    expect((JSON.parse(answered.body) as { results: unknown[] }).results).to.have.length(2);
    // … and tells the client the connection ends, so the server need not wait for it to go idle.
    expect(answered.connection).to.equal('close');
    expect(await s.exit, s.output()).to.equal(0);
  });
});
