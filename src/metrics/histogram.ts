// A fixed-size log-bucket latency histogram. Written by hand because the
// runtime records one value per record on the hot path and wants quantiles
// (p50/p99) without allocation: prom-client's histogram keeps cumulative
// buckets but answers no quantiles, and an HDR histogram package pulls in a
// WebAssembly loader for what is ~40 lines here. Relative error <= 5%.

const GROWTH = 1.05;
const LOG_GROWTH = Math.log(GROWTH);
/** Bucket 0 holds everything under 1 microsecond; the last one everything over ~2.4 hours. */
const BUCKETS = 512;

export class Histogram {
  readonly #counts = new Float64Array(BUCKETS);
  #n = 0;
  #max = 0;
  #sum = 0;

  /** Records a duration in milliseconds. */
  record(ms: number): void {
    const us = ms * 1000;
    const i = us < 1 ? 0 : Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(us) / LOG_GROWTH));
    this.#counts[i]!++;
    this.#n++;
    this.#sum += ms;
    if (ms > this.#max) this.#max = ms;
  }

  get count(): number {
    return this.#n;
  }

  get max(): number {
    return this.#max;
  }

  get mean(): number {
    return this.#n === 0 ? 0 : this.#sum / this.#n;
  }

  /** The q-quantile in milliseconds (upper edge of its bucket), 0 when empty. */
  quantile(q: number): number {
    if (this.#n === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#n));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return i === 0 ? 0.001 : Math.min(this.#max, GROWTH ** i / 1000);
    }
    return this.#max;
  }

  summary(): { count: number; p50: number; p99: number; max: number; mean: number } {
    const r = (v: number): number => Math.round(v * 1000) / 1000;
    return { count: this.#n, p50: r(this.quantile(0.5)), p99: r(this.quantile(0.99)), max: r(this.#max), mean: r(this.mean) };
  }

  reset(): void {
    this.#counts.fill(0);
    this.#n = 0;
    this.#max = 0;
    this.#sum = 0;
  }
}
