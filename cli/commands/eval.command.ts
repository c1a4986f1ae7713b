/**
 * `clipdex eval --manifest <jsonl> [--model <dir>] [--k 1,5,10] [--json]`: retrieval recall@K of
 * a model on an image–caption manifest, through the same loader, preprocessor and encoders that
 * search uses. Text→image ranks all images per caption; image→text ranks all captions per image.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { EngineError, fromFsError } from '../../src/errors.ts';
import { parseEvalManifest } from '../../src/eval/eval-manifest.ts';
import { runEval } from '../../src/eval/run-eval.ts';
import { loadModel } from '../../src/model/load-model.ts';
import { resolveModel } from '../../src/model/resolve-model.ts';
import { writeJson, writeLine, type CommandContext } from '../command-context.ts';
import { modelCacheDir } from './model-cache-dir.ts';
import { parseRerank } from '../cli-support/rerank-arg.ts';

export interface EvalArgs {
  readonly manifest?: string;
  readonly model?: string;
  readonly variant?: string;
  readonly cacheDir?: string;
  readonly k?: string;
  readonly json?: boolean;
  readonly threads?: string;
  readonly batchSize?: string;
  readonly rerank?: boolean | string;
  /** Hybrid eval: labelled queries (JSONL) over an images/ folder beside them. */
  readonly queries?: string;
  readonly images?: string;
  readonly mode?: string;
  readonly fusion?: string;
  readonly alpha?: string;
  readonly sweepAlpha?: boolean;
}

export function parseKs(text: string | undefined): number[] {
  if (text === undefined) return [1, 5, 10];
  const ks = text.split(',').map((s) => Number(s.trim()));
  if (!ks.length || ks.some((k) => !Number.isInteger(k) || k < 1)) {
    throw new EngineError(
      'INVALID_INPUT',
      `--k expects positive integers separated by commas, got "${text}"`,
    );
  }
  return [...new Set(ks)].sort((a, b) => a - b);
}

function positiveInt(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    throw new EngineError('INVALID_INPUT', `${name} expects a positive integer, got "${text}"`);
  }
  return n;
}

export async function run(args: EvalArgs, ctx: CommandContext): Promise<void> {
  if (args.queries) return hybrid(args, ctx);
  if (!args.manifest) {
    throw new EngineError(
      'INVALID_INPUT',
      '--manifest <jsonl> (recall of the model) or --queries <jsonl> (recall of the search box) is required',
    );
  }
  const ks = parseKs(args.k);
  const threads = positiveInt(args.threads, '--threads', 1);
  const batchSize = positiveInt(args.batchSize, '--batch-size', 64);
  const manifestPath = path.resolve(ctx.cwd, args.manifest);
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (error) {
    throw fromFsError(error, `manifest ${manifestPath}`);
  }
  const manifest = parseEvalManifest(text, path.dirname(manifestPath));
  // A directory (relative to the caller's cwd), else a pulled model's name, else the bundled model.
  const local = args.model === undefined ? undefined : path.resolve(ctx.cwd, args.model);
  const modelDir = resolveModel(
    local && existsSync(local) ? local : args.model,
    modelCacheDir(ctx, args.cacheDir),
  );

  const model = await loadModel(modelDir, {
    threads,
    device: 'cpu',
    ...(args.variant ? { variant: args.variant } : {}),
  });
  try {
    const rerank = parseRerank(args.rerank);
    const report = await runEval(model, manifest, {
      ks,
      ...(rerank ? { rerank } : {}),
      batchSize,
      signal: ctx.signal,
      onProgress: (done, total, phase) => {
        if (ctx.interactive && !args.json) ctx.stderr.write(`\r${phase}: ${done}/${total}   `);
      },
    });
    if (ctx.interactive && !args.json) ctx.stderr.write('\n');
    if (args.json) {
      writeJson(ctx.stdout, {
        model: modelDir,
        variant: args.variant ?? 'fp32',
        manifest: manifestPath,
        ...report,
      });
      return;
    }
    writeLine(ctx.stdout, `model     ${modelDir}`);
    writeLine(ctx.stdout, `manifest  ${manifestPath}`);
    writeLine(
      ctx.stdout,
      `${report.images} images (${report.queryImages} with captions), ${report.captions} captions`,
    );
    if (report.rerank) {
      writeLine(
        ctx.stdout,
        `re-ranked  top ${report.rerank.k} per query with ${report.rerank.stage} (score = ${report.rerank.score})`,
      );
    }
    writeLine(ctx.stdout, `          ${ks.map((k) => `R@${k}`.padStart(7)).join('')}`);
    const row = (name: string, r: Record<string, number>) =>
      `${name.padEnd(10)}${ks.map((k) => r[`r${k}`]!.toFixed(1).padStart(7)).join('')}`;
    writeLine(ctx.stdout, row('text→img', report.t2i));
    writeLine(ctx.stdout, row('img→text', report.i2t));
  } finally {
    await model.close();
  }
}

async function hybrid(args: EvalArgs, ctx: CommandContext): Promise<void> {
  const local = args.model === undefined ? undefined : path.resolve(ctx.cwd, args.model);
  const modelDir = resolveModel(
    local && existsSync(local) ? local : args.model,
    modelCacheDir(ctx, args.cacheDir),
  );
  const model = await loadModel(modelDir, {
    threads: positiveInt(args.threads, '--threads', 1),
    device: 'cpu',
    ...(args.variant ? { variant: args.variant } : {}),
  });
  try {
    const { runHybridEvalCommand } = await import('./eval-hybrid.ts');
    await runHybridEvalCommand({ ...args, queries: args.queries! }, model, ctx);
  } finally {
    await model.close();
  }
}
