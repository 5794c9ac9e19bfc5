/** A FIFO with O(1) shift; arrays shift in O(n) once they grow past V8's fast path. */
export class Deque<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(v: T): void {
    this.items.push(v);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const v = this.items[this.head];
    this.items[this.head++] = undefined;
    // Compact once the dead prefix dominates, so memory follows the live length.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return v;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }

  /** Removes every item matching `pred`; O(n), only used on peer loss. */
  removeWhere(pred: (v: T) => boolean): void {
    const kept: T[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const v = this.items[i] as T;
      if (!pred(v)) kept.push(v);
    }
    this.items = kept;
    this.head = 0;
  }
}
