/**
 * The calls in flight by ticket (host_channel.ts `host.submit`, `host.wait`, `host.drop`): a
 * submitted call runs on this thread while the worker goes on, and its answer waits here
 * until the worker's scheduler asks for it. This is what lets a workflow's parallel branches
 * overlap through one call slot: N model calls in flight cost one round of latency, not N.
 */

/** An answer as the slot carries it: its status (host_channel.ts HostStatus) and data. */
export interface TicketAnswer {
  status: number;
  data: Uint8Array;
}

/** The error status of an answer (HostStatus.error), for a wait that cannot be served. */
const ERROR = 1;
const encoder = new TextEncoder();

export class HostTickets {
  #next = 1;
  /** Tickets whose call is running, with what aborts it. */
  readonly #running = new Map<number, AbortController | undefined>();
  /** Answers not taken yet. */
  readonly #done = new Map<number, TicketAnswer>();
  /** The wait under way: the tickets it waits for. */
  #waiter: { tickets: Set<number>; resolve: (a: [number, TicketAnswer]) => void } | undefined;

  /** Starts a call, which `abort` ends when its ticket is dropped; its ticket. */
  submit(answer: TicketAnswer | Promise<TicketAnswer>, abort?: AbortController): number {
    const ticket = this.#next++;
    if (!(answer instanceof Promise)) {
      this.#done.set(ticket, answer);
      return ticket;
    }
    this.#running.set(ticket, abort);
    answer.then((a) => this.#complete(ticket, a));
    return ticket;
  }

  #complete(ticket: number, answer: TicketAnswer): void {
    // Dropped, or interrupted: nobody wants it.
    if (!this.#running.delete(ticket)) return;
    const w = this.#waiter;
    if (w?.tickets.has(ticket)) {
      this.#waiter = undefined;
      w.resolve([ticket, answer]);
    } else this.#done.set(ticket, answer);
  }

  /**
   * The first answer of `tickets` there is, or a promise of the next to come. One wait at a
   * time: the worker is blocked in it.
   */
  wait(tickets: number[]): [number, TicketAnswer] | Promise<[number, TicketAnswer]> {
    for (const t of tickets) {
      const a = this.#done.get(t);
      if (a) {
        this.#done.delete(t);
        return [t, a];
      }
    }
    if (!tickets.some((t) => this.#running.has(t))) {
      // Dropped by an interrupt meanwhile (or never submitted): nothing will come.
      return [tickets[0] ?? 0, { status: ERROR, data: encoder.encode("interrupted") }];
    }
    return new Promise((resolve) => this.#waiter = { tickets: new Set(tickets), resolve });
  }

  /** Forgets tickets whose answers are not wanted, and aborts their calls. */
  drop(tickets: number[]): void {
    for (const t of tickets) {
      this.#running.get(t)?.abort();
      this.#running.delete(t);
      this.#done.delete(t);
    }
  }

  /**
   * An interrupt: every ticket is dropped (their calls were aborted by the host functions'
   * signal), and a wait under way ends with the error "interrupted".
   */
  interrupt(): void {
    this.#running.clear();
    this.#done.clear();
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.resolve([[...w.tickets][0] ?? 0, { status: ERROR, data: encoder.encode("interrupted") }]);
  }
}
