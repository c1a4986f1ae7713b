/** `--rerank` alone: the stage's default depth; `--rerank 64`: that depth. */
import { positiveInt } from './open-model.ts';

export function parseRerank(raw: boolean | string | undefined): { k?: number } | undefined {
  if (raw === undefined || raw === false) return undefined;
  if (raw === true) return {};
  return { k: positiveInt(raw, '--rerank', 256) };
}
