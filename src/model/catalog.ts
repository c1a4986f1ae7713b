/**
 * A short, curated list of real CLIP-family packages on the Hugging Face hub, so users can pick
 * by quality and size instead of guessing repo names. Recall numbers are OpenCLIP's published
 * zero-shot retrieval results (`docs/openclip_retrieval_results.csv`, CLIP_benchmark) for the
 * same weights: Flickr30k 1k test and MSCOCO 5k test, in %, R@1/R@5/R@10.
 */
import type { HubLayout, ModelVariant } from './hub/variant-files.ts';

export type RecallTriple = readonly [r1: number, r5: number, r10: number];

export interface PublishedRecall {
  /** Which published run the numbers come from: `<open_clip model> (<pretrained tag>)`. */
  readonly source: string;
  readonly flickr: { readonly textToImage: RecallTriple; readonly imageToText: RecallTriple };
  readonly coco: { readonly textToImage: RecallTriple; readonly imageToText: RecallTriple };
}

export interface CatalogEntry {
  readonly name: string;
  readonly repo: string;
  readonly layout: HubLayout;
  readonly variants: readonly ModelVariant[];
  readonly dim: number;
  readonly multilingual: boolean;
  readonly description: string;
  readonly recall: PublishedRecall;
  /** What the user should know before choosing it. */
  readonly note?: string;
}

const OPENAI_B32: PublishedRecall = {
  source: 'ViT-B-32 (openai)',
  flickr: { textToImage: [58.8, 83.6, 90.0], imageToText: [78.9, 94.9, 98.2] },
  coco: { textToImage: [30.4, 55.9, 66.9], imageToText: [50.1, 75.0, 83.5] },
};
const OPENAI_B16: PublishedRecall = {
  source: 'ViT-B-16 (openai)',
  flickr: { textToImage: [62.2, 85.7, 91.9], imageToText: [82.2, 96.6, 99.0] },
  coco: { textToImage: [33.1, 58.4, 69.0], imageToText: [52.4, 76.7, 84.6] },
};
const OPENAI_L14: PublishedRecall = {
  source: 'ViT-L-14 (openai)',
  flickr: { textToImage: [65.0, 87.2, 92.0], imageToText: [85.2, 97.4, 99.2] },
  coco: { textToImage: [36.5, 61.1, 71.1], imageToText: [56.3, 79.4, 86.6] },
};

export const CATALOG: readonly CatalogEntry[] = [
  {
    name: 'clip-vit-b32',
    repo: 'Xenova/clip-vit-base-patch32',
    layout: 'huggingface',
    variants: ['fp32', 'fp16', 'quantized'],
    dim: 512,
    multilingual: false,
    recall: OPENAI_B32,
    description: 'OpenAI CLIP ViT-B/32, transformers.js export; the usual first choice (quantized: ~150 MB)',
  },
  {
    name: 'clip-vit-b16',
    repo: 'Xenova/clip-vit-base-patch16',
    layout: 'huggingface',
    variants: ['fp32', 'fp16', 'quantized'],
    dim: 512,
    multilingual: false,
    recall: OPENAI_B16,
    description: 'OpenAI CLIP ViT-B/16: better recall than B/32, about 4x the image compute',
  },
  {
    name: 'immich-vit-b32-openai',
    repo: 'immich-app/ViT-B-32__openai',
    layout: 'openclip',
    variants: ['fp32'],
    dim: 512,
    multilingual: false,
    recall: OPENAI_B32,
    description: "OpenAI CLIP ViT-B/32 as immich exports it (immich's default model)",
  },
  {
    name: 'immich-vit-l14-openai',
    repo: 'immich-app/ViT-L-14__openai',
    layout: 'openclip',
    variants: ['fp32'],
    dim: 768,
    multilingual: false,
    recall: OPENAI_L14,
    description: 'OpenAI CLIP ViT-L/14: the strongest OpenAI CLIP here; slow on CPU, best with a GPU',
  },
  {
    name: 'xlm-roberta-base-vit-b32',
    repo: 'immich-app/XLM-Roberta-Base-ViT-B-32__laion5b_s13b_b90k',
    layout: 'openclip',
    variants: ['fp32'],
    dim: 512,
    multilingual: true,
    recall: {
      source: 'xlm-roberta-base-ViT-B-32 (laion5b_s13b_b90k)',
      flickr: { textToImage: [64.5, 86.3, 91.7], imageToText: [82.7, 96.4, 97.8] },
      coco: { textToImage: [37.8, 63.4, 73.5], imageToText: [53.5, 78.0, 86.4] },
    },
    description: 'OpenCLIP with an XLM-RoBERTa text tower: queries in ~100 languages, ViT-B/32 images',
  },
  {
    name: 'nllb-clip-base-siglip',
    repo: 'immich-app/nllb-clip-base-siglip__v1',
    layout: 'openclip',
    variants: ['fp32'],
    dim: 768,
    multilingual: true,
    recall: {
      source: 'nllb-clip-base-siglip (v1)',
      flickr: { textToImage: [69.2, 90.0, 94.2], imageToText: [79.2, 95.0, 98.2] },
      coco: { textToImage: [43.2, 69.1, 78.5], imageToText: [51.2, 77.8, 86.3] },
    },
    description: 'NLLB text tower + SigLIP image tower: 200 languages',
    note: 'expects a FLORES language code before each query (e.g. "eng_Latn"); squash preprocessing at 384 px',
  },
  {
    name: 'siglip-vit-b16',
    repo: 'immich-app/ViT-B-16-SigLIP__webli',
    layout: 'openclip',
    variants: ['fp32'],
    dim: 768,
    multilingual: false,
    recall: {
      source: 'ViT-B-16-SigLIP (webli)',
      flickr: { textToImage: [74.7, 92.3, 95.6], imageToText: [89.1, 98.0, 99.3] },
      coco: { textToImage: [47.8, 72.4, 81.0], imageToText: [65.7, 85.4, 91.3] },
    },
    description: 'SigLIP ViT-B/16: the best English recall in this list at base size',
    note: 'SigLIP: text must be padded to exactly 64 tokens; scores are sigmoid, not softmax',
  },
];

export function findCatalogEntry(name: string): CatalogEntry | undefined {
  const lower = name.toLowerCase();
  return CATALOG.find((e) => e.name === lower || e.repo.toLowerCase() === lower);
}
