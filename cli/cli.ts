/**
 * The `clipdex` command. Parses arguments with commander and loads each command's module only
 * when it runs, so `--help` never loads onnxruntime, sharp or SQLite. This is the only file that
 * calls process.exit.
 */
import { Command, CommanderError, Option } from 'commander';
import { DEFAULT_PAGE_SIZE } from '../src/defaults.ts';
import { EngineError } from '../src/errors.ts';
import { ExitError, type CommandContext } from './command-context.ts';

const abort = new AbortController();
let interrupts = 0;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    interrupts += 1;
    if (interrupts > 1) {
      process.stderr.write('\nforced exit\n');
      process.exit(130);
    }
    // Each command says what stopping means for it (index: after the current batch; serve: in-flight requests).
    abort.abort(new EngineError('ABORTED', `interrupted by ${sig}`));
  });
}

const context: CommandContext = {
  cwd: process.cwd(),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: abort.signal,
  interactive: Boolean(process.stderr.isTTY),
};

/** Runs a command module's default export with parsed options. */
type Loader = () => Promise<{ run(args: never, ctx: CommandContext): Promise<void> }>;
function lazy(load: Loader) {
  return async (...actionArgs: unknown[]): Promise<void> => {
    const mod = await load();
    // commander passes positional args, then the options object, then the Command.
    const command = actionArgs[actionArgs.length - 1] as Command;
    const positional = actionArgs.slice(0, -2);
    const args = { ...command.opts(), _: positional };
    await mod.run(args as never, context);
  };
}

const program = new Command('clipdex')
  .description('Search photo and media libraries by words or by example, with CLIP-style models.')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

const model = program.command('model').description('inspect, download and list models');
model
  .command('info')
  .argument('[dir]', 'model directory or pulled model name (default: the bundled model)')
  .option('--json', 'machine-readable output')
  .addOption(
    new Option('--device <device>', 'execution provider')
      .choices(['auto', 'cpu', 'cuda', 'webgpu'])
      .default('auto'),
  )
  .option(
    '--threads <n>',
    'ONNX Runtime intra-op threads for both towers (default: measured per machine and model, cached)',
  )
  .option(
    '--variant <variant>',
    'graph variant of a Hugging Face package: fp32, quantized, fp16, int8, uint8, q4, …',
  )
  .option('--cache-dir <dir>', 'model cache (default $CLIPDEX_CACHE/models or ~/.cache/clipdex/models)')
  .description('show a model package: layout, inputs/outputs, dimension, preprocessing, provider')
  .action(lazy(() => import('./commands/model-info.command.ts')));
model
  .command('pull')
  .argument(
    '<name>',
    'catalog name (see `clipdex model list`) or hub repo id, e.g. Xenova/clip-vit-base-patch32',
  )
  .addOption(
    new Option('--variant <variant>', 'which ONNX weights to download (default fp32)').choices([
      'fp32',
      'fp16',
      'quantized',
    ]),
  )
  .option('--revision <revision>', 'branch, tag or commit on the hub', 'main')
  .option('--force', 'download again even if the package is installed')
  .option('--cache-dir <dir>', 'model cache (default $CLIPDEX_CACHE/models or ~/.cache/clipdex/models)')
  .description('download a model package from the Hugging Face hub (honours HF_ENDPOINT, HF_TOKEN)')
  .action(lazy(() => import('./commands/model-pull.command.ts')));
model
  .command('list')
  .option('--json', 'machine-readable output')
  .option('--cache-dir <dir>', 'model cache (default $CLIPDEX_CACHE/models or ~/.cache/clipdex/models)')
  .description('list the bundled model, pulled models and the catalog with published recall')
  .action(lazy(() => import('./commands/model-list.command.ts')));

program
  .command('eval')
  .option(
    '--manifest <jsonl>',
    'JSON Lines of {"image": path, "captions": [...]}; image paths relative to the manifest',
  )
  .option(
    '--queries <jsonl>',
    'search-box eval: labelled queries {"query", "relevant": [uri], "subset": "pixels"|"words"|"both", "lang"} over the images/ folder beside them',
  )
  .option('--images <dir>', 'with --queries: the folder to index (default: images/ beside the query file)')
  .option('--mode <mode>', 'with --queries: vector, keyword, hybrid or all (default all)')
  .option('--fusion <method>', 'with --queries: rrf (default) or convex')
  .option('--alpha <a>', 'with --queries: convex weight of the vector leg, 0…1')
  .option('--sweep-alpha', 'with --queries: also run convex fusion at alpha 0, 0.1, …, 1 and report the best')
  .option('--model <dir|name>', 'model directory or pulled model name (default: the bundled model)')
  .option('--variant <variant>', 'ONNX weights variant inside the package (fp32, quantized, fp16, …)')
  .option('--k <list>', 'recall cut-offs, comma-separated', '1,5,10')
  .option('--threads <n>', 'ONNX Runtime intra-op threads', '1')
  .option('--batch-size <n>', 'images/captions per encoder call', '64')
  .option('--cache-dir <dir>', 'model cache (default $CLIPDEX_CACHE/models or ~/.cache/clipdex/models)')
  .option(
    '--rerank [k]',
    "re-rank each query's first-stage top k (default 32) with the model's image–text matching stage",
  )
  .option('--json', 'machine-readable output: {t2i:{r1,r5,r10}, i2t:{…}, images, captions} in percent')
  .description(
    'retrieval recall@K of a model on an image–caption manifest, or of the search box (hybrid, vector, keyword) on labelled queries',
  )
  .action(lazy(() => import('./commands/eval.command.ts')));

// Indexer commands (issue 4). Repeatable options collect into arrays.
const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
const deviceOption = () =>
  new Option('--device <device>', 'execution provider')
    .choices(['auto', 'cpu', 'cuda', 'webgpu'])
    .default('auto');
program
  .command('index')
  .argument(
    '[paths...]',
    'folders (recursive), image and video files, and text corpora (.txt one per line, .jsonl, .csv)',
  )
  .requiredOption('--library <dir>', 'library directory (created if missing)')
  .option('--model <dir|name>', 'model directory or pulled model name (default: the bundled model)')
  .option(
    '--captions <file>',
    'image–caption manifest: JSONL, COCO captions JSON or Flickr-style CSV (repeatable)',
    collect,
  )
  .option('--texts <file>', 'text corpus to index (repeatable; same as giving it as a path)', collect)
  .option('--include <glob>', 'only files matching (path or name; repeatable)', collect)
  .option('--exclude <glob>', 'skip files and folders matching (repeatable)', collect)
  .option('--hidden', 'also index hidden files and folders')
  .option('--batch-size <n>', 'images per encoder call (default 32)')
  .option('--concurrency <n>', 'files read and decoded at once (default: CPU count, at least 4)')
  .option(
    '--decode-workers <n>',
    'worker threads that decode images; 0 = main thread (default: balanced from the main thread, or CPUs − 1 with --decode exact, up to the available CPUs, at most 8)',
  )
  .addOption(
    new Option(
      '--decode <mode>',
      'fast: libvips resamples big photos (embedding cosine ≥ 0.9999 to exact); exact: Pillow-exact always',
    )
      .choices(['fast', 'exact'])
      .default('fast'),
  )
  .option(
    '--max-pixels <n>',
    'refuse images (and video frames) larger than this many pixels (default 100000000)',
  )
  .option('--min-shot <seconds>', 'video: ignore cuts closer than this to the previous one (default 1)')
  .option('--max-shot <seconds>', 'video: split longer shots, a keyframe at least this often (default 10)')
  .option(
    '--video-timeout <seconds>',
    'video: decoding budget per file; past it the video is kept as far as it got (default 1800)',
  )
  .option(
    '--threads <n>',
    'ONNX Runtime intra-op threads for both towers (default: measured per machine and model, cached)',
  )
  .addOption(deviceOption())
  .option('--retry-failed', 'try files that failed before again')
  .option('--json', 'print a machine-readable summary (no progress bar)')
  .description('add or update images, videos and texts in a library; only changed files are processed')
  .action(lazy(() => import('./commands/index.command.ts')));
program
  .command('status')
  .requiredOption('--library <dir>', 'library directory')
  .option('--json', 'machine-readable output')
  .description('counts by status (indexed, failed, pending, deleted), the model and the last run')
  .action(lazy(() => import('./commands/status.command.ts')));
program
  .command('search')
  .argument('[text...]', 'words to search for')
  .requiredOption('--library <dir>', 'library directory')
  .option('--image <file>', 'search by an example image instead of words')
  .addOption(new Option('--target <kind>', 'what to return').choices(['image', 'text']).default('image'))
  .option('--kinds <list>', 'only these kinds, comma-separated: image,video (target image) or text')
  .option('--k <n>', 'number of results', String(DEFAULT_PAGE_SIZE))
  .option('--min-score <x>', 'drop results below this cosine similarity, or "auto"')
  .option(
    '--rerank [k]',
    "re-rank the first-stage top k (default 32) with the model's image–text matching stage",
  )
  .addOption(
    new Option(
      '--mode <mode>',
      'hybrid: words also match file names, folders, captions and photo metadata; vector: pixels only; keyword: words only',
    )
      .choices(['hybrid', 'vector', 'keyword'])
      .default('hybrid'),
  )
  .addOption(
    new Option(
      '--sort <order>',
      "score, or taken: newest capture date (EXIF/XMP/IPTC, a video's creation date, else mtime) first",
    )
      .choices(['score', 'taken', 'date'])
      .default('score'),
  )
  .option('--taken-after <date>', 'only photos and videos taken after this ISO date (or epoch ms)')
  .option('--taken-before <date>', 'only photos and videos taken before this ISO date (or epoch ms)')
  .option('--model <dir|name>', 'model directory or pulled model name (default: the bundled model)')
  .option('--threads <n>', 'ONNX Runtime intra-op threads')
  .addOption(deviceOption())
  .option('--tag <label>', 'only images carrying this stored tag (repeatable: all of them)', collect)
  .option('--collapse <mode>', '"near": one hit per near-duplicate group')
  .option(
    '--json',
    'machine-readable output: {"results": [{id, kind, uri, text?, score, scores, matched, takenAt, …, tags?, start?, end?}]}',
  )
  .description('find images or texts by words or by an example image')
  .action(lazy(() => import('./commands/search.command.ts')));
program
  .command('failures')
  .requiredOption('--library <dir>', 'library directory')
  .option('--limit <n>', 'at most this many', '1000')
  .option('--json', 'machine-readable output')
  .description('list files that failed to index, with the reason')
  .action(lazy(() => import('./commands/failures.command.ts')));

program
  .command('duplicates')
  .requiredOption('--library <dir>', 'library directory')
  .addOption(new Option('--tier <tier>', 'only this tier').choices(['exact', 'near', 'similar']))
  .option('--near-distance <bits>', 'near: most differing perceptual-hash bits (of 64)')
  .option('--near-min-score <cosine>', 'near: least embedding cosine confirming the same picture')
  .option(
    '--near-min-match <r>',
    'near: least fingerprint correlation under the best crop (same picture, not another shot)',
  )
  .option('--similar-min-score <cosine>', 'similar: least embedding cosine')
  .option(
    '--similar-max-palette <levels>',
    'similar: most colour difference (chroma levels; another shot, not a recolour)',
  )
  .option(
    '--backfill',
    'first compute the perceptual hash and fingerprint of images indexed before those existed (reads and decodes each once)',
  )
  .option(
    '--workers <n>',
    'threads for a from-scratch neighbour pass (no stored pairs, or thresholds below them); default: one per core',
  )
  .option(
    '--json',
    'machine-readable output: {"groups": [{tier, keep, reason, items: [{id, uri, width, height, size, distance}]}]}',
  )
  .description(
    'groups of exact duplicates, near duplicates (the same picture) and similar shots, with the file to keep',
  )
  .action(lazy(() => import('./commands/duplicates.command.ts')));

program
  .command('tag')
  .requiredOption('--library <dir>', 'library directory')
  .option(
    '--labels <file>',
    'UTF-8 text, one label per line (blank lines skipped, repeats kept once; at most 10000)',
  )
  .option('--threshold <p>', 'keep labels with at least this zero-shot probability (default 0.2)')
  .option(
    '--template <text>',
    "prompt template with {} for the label (repeatable; default '{}', 'a photo of {}', 'an emoji of {}')",
    collect,
  )
  .option('--max-tags <n>', 'at most this many tags per image (default 5)')
  .option('--clear', 'turn tagging off and remove every tag')
  .option(
    '--model <dir|name>',
    'model directory or pulled model name (default: the one the library was built with)',
  )
  .option('--threads <n>', 'ONNX Runtime intra-op threads')
  .addOption(deviceOption())
  .option('--json', 'machine-readable output')
  .description('tag every image zero-shot against a list of labels and keep tagging new images on `index`')
  .action(lazy(() => import('./commands/tag.command.ts')));

const library = program.command('library').description('maintain a library directory');
library
  .command('compact')
  .requiredOption('--library <dir>', 'library directory')
  .option('--json', 'machine-readable output')
  .description('rebuild the HNSW graphs from the stored vectors, reclaiming deleted slots (no re-encoding)')
  .action(lazy(() => import('./commands/library-compact.command.ts')));
library
  .command('info')
  .requiredOption('--library <dir>', 'library directory')
  .option('--json', 'machine-readable output')
  .description(
    'segments, tail, model and schema of a library, and any segment that had to be rebuilt (read-only)',
  )
  .action(lazy(() => import('./commands/library-info.command.ts')));
library
  .command('verify')
  .requiredOption('--library <dir>', 'library directory')
  .option('--json', 'machine-readable output')
  .description(
    'check every byte of every HNSW segment and every segment label against the database (read-only)',
  )
  .action(lazy(() => import('./commands/library-verify.command.ts')));

program
  .command('serve')
  .requiredOption(
    '--library <dir>',
    'library directory to serve (opened read-only; `clipdex index` may run beside it)',
  )
  .option('--port <n>', 'port to listen on (0 = any free port)', '8080')
  .option('--host <host>', 'interface to bind; 0.0.0.0 exposes the server to your network', '127.0.0.1')
  .option('--model <dir|name>', 'model directory or pulled model name (default: the bundled model)')
  .addOption(
    new Option('--device <device>', 'execution provider')
      .choices(['auto', 'cpu', 'cuda', 'webgpu'])
      .default('auto'),
  )
  .option(
    '--threads <n>',
    'ONNX Runtime intra-op threads for both towers (default: measured per machine and model, cached)',
  )
  .option('--api-key <key>', 'key required by endpoints that change the library (or $CLIPDEX_API_KEY)')
  .option('--cors <origin>', 'allow this origin (or *) to call the API from another site; off by default')
  .option('--max-upload-mb <n>', 'largest accepted upload in MiB', '20')
  .option('--max-pixels <n>', 'largest query image in pixels (decompression-bomb guard)', '100000000')
  .option(
    '--batch-window-ms <n>',
    'under load, how long a query waits to share an encoder batch (0: never wait)',
    '3',
  )
  .option('--no-batching', 'encode every query alone (for comparison)')
  .option('--query-cache <n>', 'recent text queries whose vectors are kept, for paging (0 = off)', '1024')
  .option('--log', 'print one line per request')
  .description('serve the search page and HTTP API for a library')
  .action(lazy(() => import('./commands/serve.command.ts')));

program
  .command('demo')
  .option('--library <dir>', 'where to build the demo library', '.demo-library')
  .option('--port <n>', 'port to listen on (default 8080, or any free port if it is busy)')
  .option('--host <host>', 'interface to bind', '127.0.0.1')
  .option('--model <dir|name>', 'model directory or pulled model name (default: the bundled model)')
  .option('--no-serve', 'index the demo corpus and stop')
  .description('index the bundled demo corpus with the bundled model (once) and serve it')
  .action(lazy(() => import('./commands/demo.command.ts')));

export { program };

async function main(): Promise<number> {
  try {
    await program.parseAsync(process.argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode;
    }
    if (error instanceof ExitError) {
      if (error.message) process.stderr.write(`${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof EngineError) {
      process.stderr.write(`clipdex: ${error.message} [${error.code}]\n`);
      return error.code === 'ABORTED' ? 130 : 1;
    }
    process.stderr.write(
      `clipdex: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 70;
  }
}

/** Resolves once everything written so far has been handed to the OS (a pipe may still be draining). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) resolve();
    else stream.write('', () => resolve());
  });
}

// Exit explicitly: native thread pools (ONNX Runtime, libvips) can otherwise keep the process alive.
// But first let stdout/stderr drain: process.exit drops what a pipe has not taken yet, which cut
// large `--json` outputs short at 64 KiB.
const exitCode = await main();
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(exitCode);
