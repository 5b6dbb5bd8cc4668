// The part of autocannon's programmatic API that bench/serve-autocannon.ts uses (the package ships no types).
declare module 'autocannon' {
  interface Histogram { p50: number; p90: number; p97_5: number; p99: number; p99_9: number; max: number; mean: number }
  export interface Result {
    latency: Histogram;
    requests: Histogram & { total: number; average: number };
    errors: number;
    timeouts: number;
    non2xx: number;
    resets: number;
    duration: number;
  }
  interface Options {
    url: string;
    connections?: number;
    overallRate?: number;
    duration?: number;
    pipelining?: number;
    requests?: Array<{ method?: string; path?: string; setupRequest?: (req: { path: string }) => { path: string } }>;
  }
  /** The run: awaitable for its Result, and an emitter of each 'response' (client, status, bytes, ms). */
  interface Instance extends PromiseLike<Result> {
    on(event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void): Instance;
  }
  function autocannon(opts: Options): Instance;
  export default autocannon;
}
