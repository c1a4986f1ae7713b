/**
 * minScore 'auto': where do "relevant" results end? Scores of a good query fall in a plateau
 * and then drop; we cut at the largest drop between consecutive scores within the first
 * `window` hits. Pure, so it can be tested on plain numbers.
 */
export function autoCutoff(sortedScores: readonly number[], window = 100): number {
  const n = Math.min(sortedScores.length, window);
  if (n < 3) return sortedScores.length;
  let bestGap = -Infinity;
  let cutAfter = n - 1;
  for (let i = 0; i < n - 1; i++) {
    const gap = sortedScores[i]! - sortedScores[i + 1]!;
    if (gap > bestGap) {
      bestGap = gap;
      cutAfter = i;
    }
  }
  // A flat curve has no knee: keep everything in the window rather than cutting at noise.
  const spread = sortedScores[0]! - sortedScores[n - 1]!;
  if (spread <= 0 || bestGap < spread * 0.15) return n;
  return cutAfter + 1;
}
