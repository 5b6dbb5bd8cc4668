// A circuit breaker for the API's calls to Redis: while Redis is down or hung, a call fails in
// microseconds (and the feed falls back) instead of waiting for a timeout (api/store.ts).

export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * Closed → (a failure) → open for `openMs` → half-open: one probe goes through; its success
 * closes the circuit, its failure reopens it. `ready()` lets the caller add its own liveness
 * check (ioredis' connection status), so a known-down connection never costs a timeout.
 */
export class Circuit {
  private openUntil = 0;
  private probing = false;
  failures = 0;

  constructor(
    private readonly openMs: number,
    private readonly ready: () => boolean = () => true,
    private readonly now: () => number = Date.now,
  ) {}

  isOpen(): boolean {
    return this.openUntil > this.now() || !this.ready();
  }

  async run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const t = this.now();
    if (!this.ready()) throw new StoreUnavailableError(`redis not connected (${what})`);
    const halfOpen = this.openUntil > 0 && t >= this.openUntil;
    if (this.openUntil > t || (halfOpen && this.probing)) throw new StoreUnavailableError(`redis circuit open (${what})`);
    if (halfOpen) this.probing = true;
    try {
      const out = await fn();
      this.openUntil = 0;
      return out;
    } catch (e) {
      this.failures++;
      this.openUntil = this.now() + this.openMs;
      throw e instanceof StoreUnavailableError ? e : new StoreUnavailableError(`redis ${what} failed: ${(e as Error).message}`, { cause: e });
    } finally {
      if (halfOpen) this.probing = false;
    }
  }
}
