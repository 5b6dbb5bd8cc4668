// Prometheus text exposition (format 0.0.4) for the API: request latency histograms by route,
// method, status and feed source; counters for fallbacks, events and impressions; gauges for
// the loaded version and the Redis circuit; event-loop delay and GC pauses. No client library:
// a few maps and a renderer.
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k].replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`)
    .join(',');
}

class Histogram {
  private series = new Map<string, { counts: Float64Array; sum: number; count: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: number[],
  ) {}

  observe(labels: Labels, value: number): void {
    this.handle(labels)(value);
  }

  /** An observer bound to one label set: hot paths keep it and skip building the label key. */
  handle(labels: Labels): (value: number) => void {
    const key = labelKey(labels);
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { counts: new Float64Array(this.buckets.length), sum: 0, count: 0 }));
    const series = s;
    const buckets = this.buckets;
    return (value: number) => {
      for (let i = 0; i < buckets.length; i++) if (value <= buckets[i]) series.counts[i]++;
      series.sum += value;
      series.count++;
    };
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [key, s] of this.series) {
      const sep = key ? ',' : '';
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket{${key}${sep}le="${b}"} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket{${key}${sep}le="+Inf"} ${s.count}`);
      lines.push(`${this.name}_sum{${key}} ${s.sum}`);
      lines.push(`${this.name}_count{${key}} ${s.count}`);
    }
    return lines.join('\n');
  }
}

class Counter {
  private series = new Map<string, number>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    this.series.set(key, (this.series.get(key) ?? 0) + by);
  }

  get(labels: Labels = {}): number {
    return this.series.get(labelKey(labels)) ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [key, v] of this.series) lines.push(`${this.name}${key ? `{${key}}` : ''} ${v}`);
    return lines.join('\n');
  }
}

export interface GaugeSource {
  name: string;
  help: string;
  read: () => Array<{ labels: Labels; value: number }>;
}

/**
 * Event-loop delay and GC pauses of this process: the usual source of tail latency in a
 * single-threaded server. Started by start(), stopped by stop().
 */
export class RuntimeMetrics {
  private readonly loop = monitorEventLoopDelay({ resolution: 5 });
  readonly gcPauses = new Histogram('recs_gc_pause_seconds', 'Garbage-collection pauses by kind.', [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1]);
  private observer: PerformanceObserver | null = null;

  start(): void {
    this.loop.enable();
    this.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
        this.gcPauses.observe({ kind: kind === 1 ? 'scavenge' : kind === 2 ? 'mark_compact' : kind === 4 ? 'incremental' : kind === 8 ? 'weak' : 'other' }, e.duration / 1000);
      }
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  stop(): void {
    this.loop.disable();
    this.observer?.disconnect();
  }

  render(): string {
    const q = (p: number) => (this.loop.count > 0 ? this.loop.percentile(p) / 1e9 : 0);
    const text = [
      '# HELP recs_event_loop_delay_seconds Event-loop delay percentiles since the previous scrape.',
      '# TYPE recs_event_loop_delay_seconds gauge',
      ...[50, 99, 99.9].map((p) => `recs_event_loop_delay_seconds{quantile="${p / 100}"} ${q(p)}`),
      `recs_event_loop_delay_seconds{quantile="1"} ${this.loop.count > 0 ? this.loop.max / 1e9 : 0}`,
      this.gcPauses.render(),
    ].join('\n');
    this.loop.reset();
    return text;
  }
}

export class ApiMetrics {
  readonly requestSeconds = new Histogram('recs_api_request_duration_seconds', 'Request latency by route, method, status and feed source.', LATENCY_BUCKETS);
  readonly feedItems = new Counter('recs_feed_items_total', 'Items served in feeds by source and reason.');
  readonly fallbacks = new Counter('recs_feed_fallback_total', 'Feeds answered from the in-memory popular list (Redis unavailable or no version).');
  readonly events = new Counter('recs_events_accepted_total', 'Events accepted by POST /events, by how they were written (direct: in the stream; spooled: in the local spool).');
  readonly errors = new Counter('recs_errors_total', 'Errors by where they happened.');
  readonly versionLoads = new Counter('recs_version_loads_total', 'Versions loaded into memory.');
  private gauges: GaugeSource[] = [];
  readonly runtime = new RuntimeMetrics();

  addGauge(g: GaugeSource): void {
    this.gauges.push(g);
  }

  render(): string {
    const parts = [this.requestSeconds.render(), this.feedItems.render(), this.fallbacks.render(), this.events.render(), this.errors.render(), this.versionLoads.render(), this.runtime.render()];
    for (const g of this.gauges) {
      const lines = [`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} gauge`];
      for (const { labels, value } of g.read()) {
        const key = labelKey(labels);
        lines.push(`${g.name}${key ? `{${key}}` : ''} ${value}`);
      }
      parts.push(lines.join('\n'));
    }
    return parts.join('\n') + '\n';
  }
}
