/**
 * How well shots match the ground truth of generated videos: boundary precision/recall within a
 * tolerance (hard cuts), and whether a concept query lands inside the right shot.
 */
export interface BoundaryScore {
  readonly truePositives: number;
  readonly detected: number;
  readonly expected: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/** Greedy one-to-one matching of detected to expected boundaries within `tolerance` seconds. */
export function boundaryScore(
  detected: readonly number[],
  expected: readonly number[],
  tolerance = 0.5,
): BoundaryScore {
  const free = [...expected];
  let tp = 0;
  for (const d of [...detected].sort((a, b) => a - b)) {
    let best = -1;
    for (let i = 0; i < free.length; i++) {
      if (
        Math.abs(free[i]! - d) <= tolerance &&
        (best < 0 || Math.abs(free[i]! - d) < Math.abs(free[best]! - d))
      ) {
        best = i;
      }
    }
    if (best >= 0) {
      tp += 1;
      free.splice(best, 1);
    }
  }
  const precision = detected.length === 0 ? (expected.length === 0 ? 1 : 0) : tp / detected.length;
  const recall = expected.length === 0 ? 1 : tp / expected.length;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { truePositives: tp, detected: detected.length, expected: expected.length, precision, recall, f1 };
}
