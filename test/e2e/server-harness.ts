/**
 * Shared setup for the server e2e tests: a small fixture library built from the demo corpus
 * with the real `clipdex index` CLI and the bundled model, and the real server on an ephemeral
 * loopback port. The library is built once per mocha process and reused read-only.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cudaProviderInstalled, OnnxSession } from '../../src/encoders/onnx-session.ts';
import { openEngine, type Engine } from '../../src/engine.ts';
import { makeThumbnail } from '../../src/image/sharp-decoder.ts';
import { bundledModelDir } from '../../src/model/bundled-model.ts';
import { serverEncoders, startServer, type RunningServer } from '../../server/main.ts';
import { serverConfig, type ServerConfig } from '../../server/server-config.ts';

const run = promisify(execFile);
export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const DEMO = path.join(REPO, 'fixtures/demo');
export const MODEL_DIR = process.env['CLIPDEX_E2E_MODEL'] ?? bundledModelDir();

export interface CaptionRow {
  readonly image: string;
  readonly captions: readonly string[];
}

export async function demoRows(): Promise<CaptionRow[]> {
  const text = await readFile(path.join(DEMO, 'captions.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as CaptionRow)
    .filter((row, i, all) => all.findIndex((r) => r.image === row.image) === i); // one row per image
}

/** Copies `rows` of the demo corpus into `dir` (images/ + captions.jsonl). */
export async function writeCorpus(dir: string, rows: readonly CaptionRow[]): Promise<void> {
  await mkdir(path.join(dir, 'images'), { recursive: true });
  for (const row of rows) await copyFile(path.join(DEMO, row.image), path.join(dir, row.image));
  await writeFile(path.join(dir, 'captions.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

/** Runs the real indexer CLI on a corpus directory. */
export async function indexCorpus(corpus: string, libraryDir: string): Promise<void> {
  await run(
    process.execPath,
    [
      path.join(REPO, 'bin/clipdex.js'),
      'index',
      path.join(corpus, 'images'),
      '--captions',
      path.join(corpus, 'captions.jsonl'),
      '--library',
      libraryDir,
      '--model',
      MODEL_DIR,
      '--threads',
      '1',
      '--json',
    ],
    { cwd: REPO, maxBuffer: 16 * 1024 * 1024 },
  );
}

export interface Fixture {
  readonly tmp: string;
  readonly corpus: string;
  readonly libraryDir: string;
  readonly rows: readonly CaptionRow[];
}

let shared: Promise<Fixture> | undefined;
/** A library of `count` demo images with their captions (built once, then reused). */
export function sharedFixture(count = 40): Promise<Fixture> {
  shared ??= (async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'clipdex-e2e-'));
    // Spread across the corpus (faces, animals, food, travel, objects), not its first section.
    const all = await demoRows();
    const step = Math.max(1, Math.floor(all.length / count));
    const rows = all.filter((_, i) => i % step === 0).slice(0, count);
    const corpus = path.join(tmp, 'corpus');
    await writeCorpus(corpus, rows);
    const libraryDir = path.join(tmp, 'library');
    await indexCorpus(corpus, libraryDir);
    return { tmp, corpus, libraryDir, rows };
  })();
  return shared;
}

export interface TestServer {
  readonly engine: Engine;
  readonly server: RunningServer;
  readonly base: string;
  close(): Promise<void>;
}

export async function startTestServer(
  libraryDir: string,
  overrides: Partial<ServerConfig> = {},
): Promise<TestServer> {
  const config = serverConfig({ port: 0, host: '127.0.0.1', ...overrides });
  const served = serverEncoders(config);
  const engine = await openEngine({
    libraryDir,
    modelDir: MODEL_DIR,
    readOnly: true,
    threads: 1,
    maxQueryPixels: config.maxPixels,
    queryEncoders: served.queryEncoders,
  });
  try {
    const server = await startServer(
      {
        engine,
        metrics: served.metrics(),
        makeThumbnail: async (bytes, maxSide) => ({
          bytes: await makeThumbnail(bytes, maxSide),
          contentType: 'image/jpeg',
        }),
      },
      config,
    );
    return {
      engine,
      server,
      base: server.url.replace(/\/$/, ''),
      async close() {
        await server.stop(1000);
        await engine.close();
      },
    };
  } catch (error) {
    await engine.close();
    throw error;
  }
}

export async function removeFixture(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export { solidPng } from '../helpers/png-bytes.ts';

export interface ErrorJson {
  readonly error: { readonly code: string; readonly message: string; readonly requestId: string };
}

/**
 * The provider the default device ('auto') must end on, worked out independently of the code
 * under test: CUDA when its provider is installed and a session starts on it, else the CPU.
 */
export async function autoProvider(): Promise<string> {
  if (!cudaProviderInstalled()) return 'cpu';
  const graph = path.join(REPO, 'fixtures/models/formats/huggingface/onnx/text_model.onnx');
  const session = await OnnxSession.open(graph, { device: 'cuda', threads: 1 }).catch(() => undefined);
  await session?.close();
  return session ? 'cuda' : 'cpu';
}
