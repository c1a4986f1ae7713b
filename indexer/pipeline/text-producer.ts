/**
 * The text half of the producer: corpora (one text per line, JSONL, CSV) and caption manifests.
 * Texts are cheap to plan, so they are handled in order without a pool; captions carry the links
 * to their images, which the batch writer commits once both sides exist.
 */
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { PairWrite } from '../../src/store/library.types.ts';
import { readCaptionManifest } from '../sources/caption-manifest.reader.ts';
import { readTextCorpus } from '../sources/text-corpus.reader.ts';
import type { BoundedChannel } from './bounded-channel.ts';
import { seenKey } from './deletion-scan.ts';
import type { IndexLibrary } from './index-deps.ts';
import type { IndexRequest } from './index-request.ts';
import type { IndexStats } from './index-stats.ts';
import { planText } from './plan-text.ts';
import type { RootMap } from './root-map.ts';
import type { ProducerState } from './source-producer.ts';
import type { WorkUnit } from './work-unit.ts';

export async function produceTexts(
  req: IndexRequest,
  library: IndexLibrary,
  stats: IndexStats,
  channel: BoundedChannel<WorkUnit>,
  state: ProducerState,
  roots: RootMap,
  halted: () => boolean,
): Promise<void> {
  const warn = req.onWarning ?? (() => {});
  for (const corpus of req.corpora) {
    if (halted()) break;
    const real = await realpath(corpus);
    const at = roots.place(real, path.dirname(real));
    if (!at) continue;
    const prefix = `${at.uri}#`;
    for await (const rec of readTextCorpus(real, (key, why) => warn(`${corpus}:${key}: ${why}`))) {
      if (halted()) break;
      await pushText(at.rootId, prefix + rec.key, rec.text, undefined);
    }
    if (!halted()) state.deletionScopes.push({ rootId: at.rootId, prefix, kind: 'text', checkFile: false });
  }

  for (const manifest of req.captions) {
    if (halted()) break;
    const real = await realpath(manifest);
    const at = roots.place(real, path.dirname(real));
    if (!at) continue;
    const prefix = `${at.uri}#`;
    const bases = [path.dirname(real), ...req.folders];
    for await (const rec of readCaptionManifest(real, (key, why) => warn(`${manifest}:${key}: ${why}`))) {
      if (halted()) break;
      const imagePath = await locate(rec.image, bases);
      const image = imagePath ? roots.place(imagePath) : undefined;
      if (!image) stats.captionsWithoutImage += rec.captions.length;
      for (const caption of rec.captions) {
        const uri = prefix + caption.key;
        await pushText(
          at.rootId,
          uri,
          caption.text,
          image ? [{ image, text: { rootId: at.rootId, uri } }] : undefined,
        );
      }
    }
    if (!halted()) state.deletionScopes.push({ rootId: at.rootId, prefix, kind: 'text', checkFile: false });
  }

  async function pushText(
    rootId: number,
    uri: string,
    text: string,
    pairs: readonly PairWrite[] | undefined,
  ): Promise<void> {
    state.seen.add(seenKey(rootId, uri));
    const unit = planText({ rootId, uri, text, ...(pairs ? { pairs } : {}) }, library);
    if (unit && unit.type !== 'pairs') await channel.push(unit);
    else {
      stats.texts.unchanged += 1;
      if (unit) await channel.push(unit);
    }
  }
}

/** First existing file among the manifest's folder and the indexed folders. */
async function locate(image: string, bases: readonly string[]): Promise<string | undefined> {
  const candidates = path.isAbsolute(image) ? [image] : bases.map((b) => path.resolve(b, image));
  for (const c of candidates) {
    const st = await stat(c).catch(() => undefined);
    if (st?.isFile()) return realpath(c);
  }
  return undefined;
}
