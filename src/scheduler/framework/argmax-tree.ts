/**
 * A segment tree over node positions answering "which position has the highest value, the lowest
 * position on a tie" in O(1), with O(log n) updates. Infeasible nodes hold -Infinity.
 */
export class ArgmaxTree {
  private readonly size: number;
  /** Leaf values by position; winner[v] (1 <= v < size) is the winning position under internal node v. */
  private readonly values: Float64Array;
  private readonly winner: Int32Array;

  constructor(readonly n: number) {
    let size = 1;
    while (size < Math.max(n, 1)) size <<= 1;
    this.size = size;
    this.values = new Float64Array(size).fill(Number.NEGATIVE_INFINITY);
    this.winner = new Int32Array(size);
    this.rebuild();
  }

  /** The winning position under tree node v (leaves are positions themselves). */
  private at(v: number): number {
    return v >= this.size ? v - this.size : this.winner[v]!;
  }

  private rebuild(): void {
    for (let v = this.size - 1; v >= 1; v--) this.winner[v] = this.pick(this.at(2 * v), this.at(2 * v + 1));
  }

  private pick(a: number, b: number): number {
    // a covers lower positions than b, so a wins ties.
    return this.values[b]! > this.values[a]! ? b : a;
  }

  set(i: number, value: number): void {
    this.values[i] = value;
    let v = (this.size + i) >> 1;
    while (v >= 1) {
      this.winner[v] = this.pick(this.at(2 * v), this.at(2 * v + 1));
      v >>= 1;
    }
  }

  /** Sets many leaves, then rebuilds all internal nodes once (O(n)). */
  setAll(fill: (i: number) => number): void {
    for (let i = 0; i < this.n; i++) this.values[i] = fill(i);
    this.rebuild();
  }

  /** The best position, or -1 when every value is -Infinity. */
  best(): number {
    const w = this.at(1);
    return this.values[w] === Number.NEGATIVE_INFINITY ? -1 : w;
  }

  value(i: number): number {
    return this.values[i]!;
  }
}
