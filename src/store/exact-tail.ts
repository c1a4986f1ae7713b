/**
 * The mutable tail of a modality's vector index: vectors not yet sealed into a segment, kept in
 * one contiguous Float32Array and searched exactly (dot products over unit vectors, so scores
 * are exact cosines). Removal swaps the last row into the hole, so the array stays dense.
 */
import type { VectorIndexHit } from '../vector/vector-index.ts';

export class ExactTail {
  private data: Float32Array;
  private labelsArr: Int32Array;
  private seqs: Float64Array;
  private readonly rows = new Map<number, number>();
  private length = 0;

  constructor(
    readonly dim: number,
    capacity = 256,
  ) {
    this.data = new Float32Array(capacity * dim);
    this.labelsArr = new Int32Array(capacity);
    this.seqs = new Float64Array(capacity);
  }

  get size(): number {
    return this.length;
  }

  has(label: number): boolean {
    return this.rows.has(label);
  }

  /** Adds or replaces the vector of `label`; `seq` is the vector change it came from. */
  add(label: number, vector: Float32Array, seq: number): void {
    let row = this.rows.get(label);
    if (row === undefined) {
      if (this.length === this.labelsArr.length) this.grow();
      row = this.length++;
      this.rows.set(label, row);
      this.labelsArr[row] = label;
    }
    this.data.set(vector, row * this.dim);
    this.seqs[row] = seq;
  }

  remove(label: number): boolean {
    const row = this.rows.get(label);
    if (row === undefined) return false;
    const last = --this.length;
    if (row !== last) {
      const moved = this.labelsArr[last]!;
      this.labelsArr[row] = moved;
      this.seqs[row] = this.seqs[last]!;
      this.data.copyWithin(row * this.dim, last * this.dim, (last + 1) * this.dim);
      this.rows.set(moved, row);
    }
    this.rows.delete(label);
    return true;
  }

  /** Smallest seq held, or undefined when empty: the tail is complete only from there on. */
  minSeq(): number | undefined {
    let min: number | undefined;
    for (let i = 0; i < this.length; i++) if (min === undefined || this.seqs[i]! < min) min = this.seqs[i]!;
    return min;
  }

  seq(label: number): number | undefined {
    const row = this.rows.get(label);
    return row === undefined ? undefined : this.seqs[row];
  }

  labels(): Int32Array {
    return this.labelsArr.slice(0, this.length);
  }

  /** A copy of the vectors, row-aligned with labels() (for a seal, transferable). */
  vectors(): Float32Array {
    return this.data.slice(0, this.length * this.dim);
  }

  vector(label: number): Float32Array | undefined {
    const row = this.rows.get(label);
    return row === undefined ? undefined : this.data.subarray(row * this.dim, (row + 1) * this.dim);
  }

  /** Exact top-k by cosine distance (1 − dot), nearest first, ties by label. */
  search(query: Float32Array, k: number, filter?: (label: number) => boolean): VectorIndexHit[] {
    const dim = this.dim;
    const data = this.data;
    // A bounded max-heap would save little at these sizes; keep the k best in a sorted array.
    const best: VectorIndexHit[] = [];
    let worst = Infinity;
    for (let row = 0; row < this.length; row++) {
      const label = this.labelsArr[row]!;
      if (filter && !filter(label)) continue;
      let dot = 0;
      const base = row * dim;
      for (let i = 0; i < dim; i++) dot += query[i]! * data[base + i]!;
      const distance = 1 - dot;
      if (best.length >= k && distance > worst) continue;
      const hit = { label, distance };
      let at = best.length;
      while (
        at > 0 &&
        (best[at - 1]!.distance > distance ||
          (best[at - 1]!.distance === distance && best[at - 1]!.label > label))
      ) {
        at--;
      }
      best.splice(at, 0, hit);
      if (best.length > k) best.pop();
      worst = best.length >= k ? best[best.length - 1]!.distance : Infinity;
    }
    return best;
  }

  private grow(): void {
    const capacity = this.labelsArr.length * 2;
    const data = new Float32Array(capacity * this.dim);
    data.set(this.data);
    this.data = data;
    const labels = new Int32Array(capacity);
    labels.set(this.labelsArr);
    this.labelsArr = labels;
    const seqs = new Float64Array(capacity);
    seqs.set(this.seqs);
    this.seqs = seqs;
  }
}
