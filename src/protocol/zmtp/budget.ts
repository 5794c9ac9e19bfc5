/**
 * A byte budget shared by connections whose peers are not trusted yet: what they have sent and
 * the socket has not consumed (partial frames, partial multipart messages, the receive queue).
 *
 * Without it every untrusted peer may buffer a whole maximum-size message, so eight peers each
 * sending one 60 MB frame hold ~500 MB. With it the total is bounded: when a holder needs more
 * than is left, the largest other holders are evicted first (an attacker buffering big frames
 * holds far more than an honest client's first small request), and a holder that would itself
 * be the largest is refused (its connection is dropped).
 */

/** A connection as the budget sees it. */
export interface BudgetHolder {
  /** Bytes charged to this holder now (maintained by the budget). */
  charged: number;
  /** Drops the holder; must `settle(holder, 0)` (its close path does). */
  evict(reason: string): void;
}

/** The shared budget; one per kernel, passed to every socket through SocketOptions. */
export class ByteBudget {
  /** Bytes charged now, over every holder. */
  used = 0;
  private readonly holders = new Set<BudgetHolder>();

  /** `limit`: the most bytes all holders together may hold. */
  constructor(readonly limit: number) {}

  /**
   * Sets `h`'s charge to `bytes`. A decrease always succeeds. An increase that does not fit
   * evicts the largest other holders while they hold more than `h` would; returns false
   * (nothing charged) when `h` would be the largest, so its caller drops it.
   */
  settle(h: BudgetHolder, bytes: number): boolean {
    const delta = bytes - h.charged;
    if (delta > 0) {
      while (this.used + delta > this.limit) {
        let big: BudgetHolder | null = null;
        for (const x of this.holders) if (x !== h && (!big || x.charged > big.charged)) big = x;
        if (!big || big.charged <= bytes) return false;
        big.evict(
          `holds ${big.charged} bytes from an unauthenticated peer; the budget of ` +
            `${this.limit} bytes is exhausted`,
        );
        // A holder whose evict did not release it would loop forever: forget it here.
        if (big.charged > 0) this.settle(big, 0);
      }
    }
    this.used += delta;
    h.charged = bytes;
    if (bytes > 0) this.holders.add(h);
    else this.holders.delete(h);
    return true;
  }
}
