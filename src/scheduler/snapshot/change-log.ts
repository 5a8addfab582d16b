/**
 * The positions of nodes whose state changed, in order, in a bounded ring. A reader remembers the
 * sequence number it has seen and asks for what changed since; when it fell too far behind, it is
 * told so and must rescan everything.
 */
export class ChangeLog {
  private readonly ring: Int32Array;
  /** Changes recorded so far (monotonic). */
  seq = 0;

  constructor(capacity: number) {
    this.ring = new Int32Array(Math.max(capacity, 16));
  }

  record(position: number): void {
    this.ring[this.seq % this.ring.length] = position;
    this.seq++;
  }

  /**
   * Calls `visit` for each change after `since`; false (nothing visited) when that is no longer
   * known, or when there are more than `limit` changes (a full rescan is then cheaper).
   */
  since(since: number, visit: (position: number) => void, limit = this.ring.length): boolean {
    if (this.seq - since > Math.min(limit, this.ring.length)) return false;
    for (let s = since; s < this.seq; s++) visit(this.ring[s % this.ring.length]!);
    return true;
  }
}
