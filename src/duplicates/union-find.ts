/** Disjoint sets over arbitrary numeric ids, with path halving and union by size. */
export class UnionFind {
  readonly #parent = new Map<number, number>();
  readonly #size = new Map<number, number>();

  find(x: number): number {
    for (;;) {
      const p = this.#parent.get(x) ?? x;
      if (p === x) return x;
      const grand = this.#parent.get(p) ?? p;
      this.#parent.set(x, grand); // path halving
      x = grand;
    }
  }

  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return;
    const sa = this.#size.get(ra) ?? 1;
    const sb = this.#size.get(rb) ?? 1;
    const [big, small] = sa >= sb ? [ra, rb] : [rb, ra];
    this.#parent.set(small, big);
    this.#parent.set(big, big);
    this.#size.set(big, sa + sb);
  }

  /** Sets with more than one member, each listed in the order ids were given. */
  groups(ids: Iterable<number>): number[][] {
    const byRoot = new Map<number, number[]>();
    for (const id of ids) {
      const root = this.find(id);
      const list = byRoot.get(root);
      if (list) list.push(id);
      else byRoot.set(root, [id]);
    }
    return [...byRoot.values()].filter((g) => g.length > 1);
  }
}
