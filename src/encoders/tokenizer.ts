/**
 * Text → fixed-length token ids. The tokenizer.json does the real work (normalisation,
 * pre-tokenisation, BPE/WordPiece and the begin/end tokens its post-processor adds); we add what
 * the library leaves out: truncation that keeps the end token last, and padding with the
 * package's real pad id to the context length (HF-tower models build their mask from it).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { EngineError, fromFsError } from '../errors.ts';
import { cleanText, type TextClean } from './text-clean.ts';

/**
 * The part of @huggingface/tokenizers we use. Its bundled .d.ts files use extensionless relative
 * imports that NodeNext resolution cannot follow, so the class would otherwise type as an error.
 */
interface HfTokenizer {
  encode(text: string): { ids: number[] };
  token_to_id(token: string): number | undefined;
  get_added_tokens_decoder(): Map<number, { special: boolean }>;
}
const HfTokenizerClass = Tokenizer as unknown as new (tokenizer: object, config: object) => HfTokenizer;

export interface TokenizerFiles {
  /** Parsed tokenizer.json. */
  readonly tokenizer: Record<string, unknown>;
  /** Parsed tokenizer_config.json ({} when absent). */
  readonly config: Record<string, unknown>;
  /** Parsed special_tokens_map.json ({} when absent). */
  readonly specialTokens: Record<string, unknown>;
}

export interface EncodedText {
  /** Exactly padLength ids. */
  readonly ids: readonly number[];
  /** 1 over real tokens, 0 over padding. */
  readonly attentionMask: readonly number[];
  readonly truncated: boolean;
}

async function readJson(file: string, optional: boolean): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (optional && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fromFsError(error, `tokenizer file ${file}`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new EngineError('MODEL_LOAD_FAILED', `${file} is not valid JSON`, { cause: error });
  }
}

export async function readTokenizerFiles(dir: string): Promise<TokenizerFiles> {
  const tokenizer = await readJson(path.join(dir, 'tokenizer.json'), false);
  return {
    tokenizer: tokenizer ?? {},
    config: (await readJson(path.join(dir, 'tokenizer_config.json'), true)) ?? {},
    specialTokens: (await readJson(path.join(dir, 'special_tokens_map.json'), true)) ?? {},
  };
}

/** tokenizer_config.json `model_max_length`, ignoring HF's "no limit" sentinel (1e30). */
export function tokenizerMaxLength(files: TokenizerFiles): number | undefined {
  const value = files.config['model_max_length'];
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value < 1_000_000
    ? value
    : undefined;
}

function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

export class ClipTokenizer {
  private readonly tokenizer: HfTokenizer;
  private readonly specialIds: ReadonlySet<number>;
  readonly contextLength: number;
  /** Length of every encoded sequence: contextLength, or a graph's larger fixed sequence dim. */
  readonly padLength: number;
  readonly padId: number;
  readonly clean: TextClean;

  /**
   * @param contextLength most tokens kept (truncation length).
   * @param padLength pad to this many ids (default contextLength).
   * @param defaultPadId used when no file names a pad token (OpenAI/open_clip and clip-as-service pad with 0).
   * @param clean open_clip text cleaning applied before tokenizing (default none).
   */
  constructor(
    files: TokenizerFiles,
    options: { contextLength: number; padLength?: number; defaultPadId?: number; clean?: TextClean },
  ) {
    if (!Number.isInteger(options.contextLength) || options.contextLength < 2) {
      throw new EngineError(
        'MODEL_LOAD_FAILED',
        `context length must be an integer ≥ 2, got ${options.contextLength}`,
      );
    }
    try {
      this.tokenizer = new HfTokenizerClass(files.tokenizer, files.config);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new EngineError(
        'MODEL_LOAD_FAILED',
        `cannot build the tokenizer from tokenizer.json: ${reason}`,
        { cause: error },
      );
    }
    this.contextLength = options.contextLength;
    this.padLength = Math.max(options.padLength ?? options.contextLength, options.contextLength);
    this.clean = options.clean ?? 'none';
    this.specialIds = new Set(
      [...this.tokenizer.get_added_tokens_decoder()].filter(([, t]) => t.special).map(([id]) => id),
    );
    this.padId = this.resolvePadId(files) ?? options.defaultPadId ?? 0;
  }

  private resolvePadId(files: TokenizerFiles): number | undefined {
    for (const source of [files.config['pad_token'], files.specialTokens['pad_token']]) {
      const content = tokenContent(source);
      const id = content === undefined ? undefined : this.tokenizer.token_to_id(content);
      if (id !== undefined) return id;
    }
    const padding = files.tokenizer['padding'] as { pad_id?: unknown } | null | undefined;
    return typeof padding?.pad_id === 'number' ? padding.pad_id : undefined;
  }

  /** The tokenizer's own ids, specials included, before truncation and padding. */
  rawIds(text: string): number[] {
    return this.tokenizer.encode(cleanText(text, this.clean)).ids;
  }

  /**
   * The ids of a text's beginning when the text is far longer than the context: tokenizing a
   * megabyte of text takes seconds of main-thread time, and everything past the context is cut
   * anyway. A prefix is enough once it yields a margin of tokens beyond what truncation keeps
   * (tokenization is local to words, so only the last, cut word can differ).
   */
  private boundedIds(text: string): number[] {
    for (let chars = this.contextLength * 32; chars < text.length; chars *= 4) {
      const ids = this.rawIds(text.slice(0, chars));
      if (ids.length > this.contextLength + 8) return ids;
    }
    return this.rawIds(text);
  }

  encode(text: string): EncodedText {
    let ids = this.boundedIds(text);
    const length = this.contextLength;
    const truncated = ids.length > length;
    if (truncated) {
      const last = ids[ids.length - 1]!;
      // Keep the end token last (what clip.tokenize(truncate=True) and HF truncation both do):
      // CLIP pools at the end token, so losing it would change the embedding completely.
      ids = this.specialIds.has(last) ? [...ids.slice(0, length - 1), last] : ids.slice(0, length);
    }
    const real = ids.length;
    const padded = ids.concat(new Array<number>(this.padLength - real).fill(this.padId));
    const attentionMask = new Array<number>(this.padLength).fill(0).fill(1, 0, real);
    return { ids: padded, attentionMask, truncated };
  }
}
