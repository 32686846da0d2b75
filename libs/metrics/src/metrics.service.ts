import { Logger } from '@nestjs/common';
import {
  Counter,
  type CounterConfiguration,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  type HistogramConfiguration,
  Registry,
} from 'prom-client';
import { RequestCounter, RequestHistogram } from './request-metrics.js';

/** Every Muninn metric name starts with this. */
export const METRIC_PREFIX = 'muninn_';

/** One value of a metric read at scrape time; label values must come from a bounded set. */
export interface Sample<L extends string = string> {
  labels?: Partial<Record<L, string | number>>;
  value: number;
}

interface SampledConfig<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

/**
 * The metrics of one app: its own prom-client `Registry` (never the global one, so several apps
 * can run in one process) and get-or-create constructors, so two providers that declare the same
 * metric share it instead of failing on a duplicate name.
 *
 * Libraries inject it optionally; without the metrics module they get a detached instance whose
 * registry nobody scrapes.
 */
export class MetricsService {
  readonly registry = new Registry();
  private readonly logger = new Logger('Metrics');

  counter<L extends string = string>(config: CounterConfiguration<L>): Counter<L> {
    return this.existing<Counter<L>>(config.name) ?? new Counter({ ...config, registers: [this.registry] });
  }

  gauge<L extends string = string>(config: GaugeConfiguration<L>): Gauge<L> {
    return this.existing<Gauge<L>>(config.name) ?? new Gauge({ ...config, registers: [this.registry] });
  }

  histogram<L extends string = string>(config: HistogramConfiguration<L>): Histogram<L> {
    return (
      this.existing<Histogram<L>>(config.name) ?? new Histogram({ ...config, registers: [this.registry] })
    );
  }

  /** A counter for per-request paths (see request-metrics.ts); the same exposition as `counter`. */
  requestCounter(config: { name: string; help: string; labelNames: readonly string[] }): RequestCounter {
    return this.registered(
      config.name,
      () => new RequestCounter(config.name, config.help, config.labelNames),
    );
  }

  /** A histogram for per-request paths (see request-metrics.ts); the same exposition as `histogram`. */
  requestHistogram(config: {
    name: string;
    help: string;
    labelNames: readonly string[];
    buckets: readonly number[];
  }): RequestHistogram {
    return this.registered(
      config.name,
      () => new RequestHistogram(config.name, config.help, config.labelNames, config.buckets),
    );
  }

  /**
   * A gauge whose values are read at scrape time. Label sets not returned by `read` disappear
   * (the gauge is reset first); a failing `read` leaves the gauge empty and does not fail the
   * scrape.
   */
  sampledGauge<L extends string = string>(
    config: SampledConfig<L>,
    read: () => Sample<L>[] | Promise<Sample<L>[]>,
  ): Gauge<L> {
    const gauge: Gauge<L> = this.gauge<L>({
      ...config,
      collect: () => this.refill(gauge, config.name, read, (labels, value) => gauge.set(labels, value)),
    });
    return gauge;
  }

  /**
   * A counter mirroring a monotonic total kept elsewhere (e.g. the cache's hit counts), read at
   * scrape time.
   */
  sampledCounter<L extends string = string>(
    config: SampledConfig<L>,
    read: () => Sample<L>[] | Promise<Sample<L>[]>,
  ): Counter<L> {
    const counter: Counter<L> = this.counter<L>({
      ...config,
      collect: () => this.refill(counter, config.name, read, (labels, value) => counter.inc(labels, value)),
    });
    return counter;
  }

  /** The Prometheus text exposition of every metric of this app. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private registered<M extends RequestCounter | RequestHistogram>(name: string, create: () => M): M {
    const found = this.existing<M>(name);
    if (found) return found;
    const metric = create();
    // prom-client's registry takes any object with its metric interface (name, get, reset…).
    this.registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
    return metric;
  }

  private existing<M>(name: string): M | undefined {
    if (!name.startsWith(METRIC_PREFIX)) throw new Error(`metric ${name} must start with ${METRIC_PREFIX}`);
    return this.registry.getSingleMetric(name) as M | undefined;
  }

  /** Replaces the values of a sampled metric with what `read` returns now. */
  private async refill<L extends string>(
    metric: Gauge<L> | Counter<L>,
    name: string,
    read: () => Sample<L>[] | Promise<Sample<L>[]>,
    put: (labels: Partial<Record<L, string | number>>, value: number) => void,
  ): Promise<void> {
    let samples: Sample<L>[] = [];
    try {
      samples = await read();
    } catch (err) {
      // One unreadable source (e.g. the core DB is down) must not take the other metrics with it.
      this.logger.debug(`metric ${name} not collected: ${(err as Error).message}`);
    }
    metric.reset();
    if (!samples.length) metric.remove({}); // an unlabelled metric would otherwise report 0
    for (const s of samples) put(s.labels ?? {}, s.value);
  }
}
