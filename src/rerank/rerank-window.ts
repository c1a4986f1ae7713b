/**
 * Re-ranks the first-stage window with an ITM stage. The query side must be of the other
 * modality than the targets: words for images, a photo or an image item for texts; a weighted
 * query scores as the weighted sum of its terms' ITM logits. The final score adds the dual
 * encoder's logit (itm + dualWeight × dualLogitScale × cosine), the stage's configured mix.
 * Ties keep first-stage order, so the result is deterministic and a permutation of the input.
 */
import { EngineError } from '../errors.ts';
import type { QueryTerm } from '../search/search.types.ts';
import type { Item, ItemKind } from '../store/library.types.ts';
import type { ItmStage } from './itm.types.ts';

export interface RerankSources {
  /** Stored image states by item id (absent ids are derived from their files). */
  storedFeatures(ids: readonly number[]): Map<number, Uint8Array>;
  /** The bytes of an image item's file, for items indexed before the ITM stage existed. */
  readImage(item: Item): Promise<Uint8Array>;
  getItem(id: number): Item | undefined;
}

export interface WindowHit {
  readonly item: Item;
  /** First-stage cosine. */
  readonly score: number;
}

export interface RerankedHit {
  readonly item: Item;
  /** The number the window is ordered by: itm + dual mix. */
  readonly score: number;
  readonly vector: number;
  readonly itm: number;
}

/** Checks the query can be re-ranked into `target` before any first-stage work is done. */
export function checkRerankQuery(
  terms: readonly QueryTerm[],
  target: ItemKind,
  stage: ItmStage | undefined,
  modelName: string,
): void {
  if (!stage) {
    throw new EngineError(
      'RERANK_UNAVAILABLE',
      `model ${modelName} has no image–text matching stage, so it cannot re-rank; search without rerank`,
      {
        details: { model: modelName },
      },
    );
  }
  for (const term of terms) {
    const ok = target === 'image' ? 'text' in term : 'image' in term || 'itemId' in term;
    if (!ok) {
      const need = target === 'image' ? 'words' : 'a photo or an image item';
      throw new EngineError(
        'INVALID_INPUT',
        `re-ranking ${target}s needs every query term to be ${need}; drop rerank or the other terms`,
      );
    }
  }
}

export async function rerankWindow(
  stage: ItmStage,
  terms: readonly QueryTerm[],
  target: ItemKind,
  window: readonly WindowHit[],
  sources: RerankSources,
): Promise<RerankedHit[]> {
  const itm = new Float64Array(window.length);
  if (window.length > 0) {
    if (target === 'image') {
      const features = await imageStates(
        stage,
        window.map((h) => h.item),
        sources,
      );
      for (const term of terms) {
        if (!('text' in term)) continue;
        const logits = await stage.scoreText(term.text, features);
        logits.forEach((v, i) => (itm[i] = itm[i]! + (term.weight ?? 1) * v));
      }
    } else {
      const texts = window.map((h) => h.item.text ?? '');
      for (const term of terms) {
        let image: Uint8Array;
        if ('image' in term) image = await stage.imageFeaturesFromBytes(term.image);
        else if ('itemId' in term) image = await itemImageState(stage, term.itemId, sources);
        else continue;
        const logits = await stage.scoreImage(image, texts);
        logits.forEach((v, i) => (itm[i] = itm[i]! + (term.weight ?? 1) * v));
      }
    }
  }
  const mix = stage.info.dualWeight * stage.info.dualLogitScale;
  const scored = window.map((h, i) => ({
    item: h.item,
    vector: h.score,
    itm: itm[i]!,
    score: itm[i]! + mix * h.score,
    rank: i,
  }));
  scored.sort((a, b) => b.score - a.score || a.rank - b.rank);
  return scored.map(({ item, score, vector, itm: logit }) => ({ item, score, vector, itm: logit }));
}

async function imageStates(
  stage: ItmStage,
  items: readonly Item[],
  sources: RerankSources,
): Promise<Uint8Array[]> {
  const stored = sources.storedFeatures(items.map((i) => i.id));
  return Promise.all(
    items.map(
      async (item) => stored.get(item.id) ?? stage.imageFeaturesFromBytes(await sources.readImage(item)),
    ),
  );
}

async function itemImageState(stage: ItmStage, id: number, sources: RerankSources): Promise<Uint8Array> {
  const stored = sources.storedFeatures([id]).get(id);
  if (stored) return stored;
  const item = sources.getItem(id);
  if (!item) throw new EngineError('NOT_FOUND', `item ${id} does not exist`);
  if (item.kind !== 'image') {
    throw new EngineError(
      'INVALID_INPUT',
      `re-ranking texts needs an image query; item ${id} is a ${item.kind}`,
    );
  }
  return stage.imageFeaturesFromBytes(await sources.readImage(item));
}
