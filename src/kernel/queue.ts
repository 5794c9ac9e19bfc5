/**
 * The execution queue: one FIFO per client, served round-robin, so a client that sends a
 * hundred cells does not starve another that sends one.
 */
export class FairQueue<T> {
  readonly #byClient = new Map<string, T[]>();
  /** Clients with queued items, in service order. */
  #ring: string[] = [];

  get size(): number {
    let n = 0;
    for (const q of this.#byClient.values()) n += q.length;
    return n;
  }

  push(client: string, item: T): void {
    const q = this.#byClient.get(client);
    if (q) q.push(item);
    else {
      this.#byClient.set(client, [item]);
      this.#ring.push(client);
    }
  }

  /** The item `shift` would return next, left in place. */
  peek(): T | undefined {
    const client = this.#ring[0];
    return client === undefined ? undefined : this.#byClient.get(client)![0];
  }

  /** The next item: the first of the next client in turn. */
  shift(): T | undefined {
    const client = this.#ring.shift();
    if (client === undefined) return undefined;
    const q = this.#byClient.get(client)!;
    const item = q.shift();
    if (q.length > 0) this.#ring.push(client);
    else this.#byClient.delete(client);
    return item;
  }

  /** Removes and returns every item of `client` for which `pred` holds (all by default). */
  take(client: string, pred: (item: T) => boolean = () => true): T[] {
    const q = this.#byClient.get(client);
    if (!q) return [];
    const taken = q.filter(pred);
    const kept = q.filter((x) => !pred(x));
    if (kept.length > 0) this.#byClient.set(client, kept);
    else {
      this.#byClient.delete(client);
      this.#ring = this.#ring.filter((c) => c !== client);
    }
    return taken;
  }

  /** Removes and returns everything. */
  clear(): T[] {
    const all: T[] = [];
    for (const c of this.#ring) all.push(...this.#byClient.get(c)!);
    this.#byClient.clear();
    this.#ring = [];
    return all;
  }
}
