// The API's Prometheus metrics (prom-client, one registry per app): request latency histograms
// by route, method, status and feed source; counters for fallbacks, events and errors; gauges
// read at scrape time (loaded version, Redis circuit, event buffers, spool, stream lag); and the
// default Node process metrics (CPU, memory, event-loop lag, GC pauses, handles).
import { collectDefaultMetrics, Counter, Histogram, Registry, type Metric } from 'prom-client';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

type Labels = Record<string, string>;

/** Labels in the metric's declared order (so the exposition's label order does not depend on the caller's object). */
function ordered(names: readonly string[], labels: Labels): Labels {
  const out: Labels = {};
  for (const n of names) out[n] = labels[n] ?? '';
  return out;
}

class LatencyHistogram {
  private readonly h: Histogram<string>;

  constructor(
    registry: Registry,
    name: string,
    help: string,
    private readonly labelNames: readonly string[],
  ) {
    this.h = new Histogram({ name, help, labelNames: [...labelNames], buckets: LATENCY_BUCKETS, registers: [registry] });
  }

  observe(labels: Labels, seconds: number): void {
    this.h.observe(ordered(this.labelNames, labels), seconds);
  }

  /** An observer bound to one label set: hot paths keep it and skip the label lookup. */
  handle(labels: Labels): (seconds: number) => void {
    const child = this.h.labels(ordered(this.labelNames, labels));
    return (seconds) => child.observe(seconds);
  }
}

class LabelledCounter {
  private readonly c: Counter<string>;

  constructor(
    registry: Registry,
    name: string,
    help: string,
    private readonly labelNames: readonly string[] = [],
  ) {
    this.c = new Counter({ name, help, labelNames: [...labelNames], registers: [registry] });
  }

  inc(labels: Labels = {}, by = 1): void {
    if (this.labelNames.length === 0) this.c.inc(by);
    else this.c.inc(ordered(this.labelNames, labels), by);
  }
}

export interface GaugeSource {
  name: string;
  help: string;
  read: () => Array<{ labels: Labels; value: number }>;
}

export class ApiMetrics {
  readonly registry = new Registry();
  readonly requestSeconds = new LatencyHistogram(this.registry, 'recs_api_request_duration_seconds', 'Request latency by route, method, status and feed source.', ['method', 'route', 'source', 'status']);
  readonly feedItems = new LabelledCounter(this.registry, 'recs_feed_items_total', 'Items served in feeds by source.', ['source']);
  readonly fallbacks = new LabelledCounter(this.registry, 'recs_feed_fallback_total', 'Feeds answered from the in-memory popular list (Redis unavailable or no version).');
  readonly events = new LabelledCounter(this.registry, 'recs_events_accepted_total', 'Events accepted by POST /events, by how they were written (direct: in the stream; spooled: in the local spool).', ['how']);
  readonly errors = new LabelledCounter(this.registry, 'recs_errors_total', 'Errors by where they happened.', ['where']);
  readonly versionLoads = new LabelledCounter(this.registry, 'recs_version_loads_total', 'Versions loaded into memory.');

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** A gauge whose series are read from the app's state at scrape time. */
  addGauge(g: GaugeSource): void {
    const metric = { name: g.name, help: g.help, get: async () => ({ name: g.name, help: g.help, type: 'gauge', aggregator: 'sum', values: g.read() }) };
    this.registry.registerMetric(metric as unknown as Metric);
  }

  /** The Prometheus text format (0.0.4). */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
