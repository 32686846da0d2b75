/**
 * Counter and histogram for the per-request path. prom-client hashes the label object and turns
 * bucket bounds into property names on every observation; these keep one series per label
 * combination (looked up by the joined values) and count with array arithmetic. They register in
 * the app's prom-client registry and read out in prom-client's own format, so `/metrics` shows
 * them exactly like prom-client metrics.
 *
 * Label values must come from a bounded set (route classes, operation types…): every combination
 * seen stays in memory.
 */

interface Value {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** What prom-client's registry needs of a metric. */
abstract class RegisteredMetric<S> {
  readonly aggregator = 'sum';
  protected readonly series = new Map<string, S>();

  constructor(
    readonly name: string,
    readonly help: string,
    protected readonly labelNames: readonly string[],
  ) {}

  abstract readonly type: 'counter' | 'histogram';

  /** The series of one label combination (values in the order of `labelNames`). */
  protected seriesOf(values: readonly string[]): S {
    if (values.length !== this.labelNames.length)
      throw new Error(`metric ${this.name}: expected labels ${this.labelNames.join(', ')}`);
    const key = values.join('\u0001');
    let s = this.series.get(key);
    if (!s) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => (labels[n] = values[i]));
      s = this.create(labels);
      this.series.set(key, s);
    }
    return s;
  }

  protected abstract create(labels: Record<string, string>): S;

  reset(): void {
    this.series.clear();
  }

  abstract get(): Promise<{ name: string; help: string; type: string; values: Value[]; aggregator: string }>;
}

interface CounterSeries {
  labels: Record<string, string>;
  value: number;
}

export class RequestCounter extends RegisteredMetric<CounterSeries> {
  readonly type = 'counter';

  /** Adds `by` (default 1) to the series of these label values. */
  inc(values: readonly string[], by = 1): void {
    this.seriesOf(values).value += by;
  }

  protected create(labels: Record<string, string>): CounterSeries {
    return { labels, value: 0 };
  }

  async get() {
    const values = [...this.series.values()].map((s) => ({ labels: { ...s.labels }, value: s.value }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

interface HistogramSeries {
  labels: Record<string, string>;
  /** Observations per bucket (not cumulative); the last slot counts values above every bound. */
  counts: number[];
  sum: number;
  count: number;
}

export class RequestHistogram extends RegisteredMetric<HistogramSeries> {
  readonly type = 'histogram';

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly bounds: readonly number[],
  ) {
    super(name, help, labelNames);
    if (bounds.some((b, i) => i > 0 && b <= bounds[i - 1]))
      throw new Error(`metric ${name}: bucket bounds must increase`);
  }

  observe(values: readonly string[], value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`metric ${this.name}: ${value} is not a finite number`);
    const s = this.seriesOf(values);
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]) i++;
    s.counts[i]++;
    s.sum += value;
    s.count++;
  }

  protected create(labels: Record<string, string>): HistogramSeries {
    return { labels, counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
  }

  async get() {
    const bucket = `${this.name}_bucket`;
    const values: Value[] = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += s.counts[i];
        values.push({ labels: { le, ...s.labels }, value: cumulative, metricName: bucket });
      });
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: bucket });
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
