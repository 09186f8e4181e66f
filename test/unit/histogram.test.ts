import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Histogram } from '../../src/metrics/histogram.js';

test('quantiles are within 5% of the exact value', () => {
  const h = new Histogram();
  const values: number[] = [];
  // Deterministic spread from 0.01 ms to ~100 ms.
  for (let i = 1; i <= 10_000; i++) {
    const v = 0.01 * Math.pow(1.001, i);
    values.push(v);
    h.record(v);
  }
  values.sort((a, b) => a - b);
  for (const q of [0.5, 0.9, 0.99]) {
    const exact = values[Math.ceil(q * values.length) - 1]!;
    const got = h.quantile(q);
    assert.ok(Math.abs(got - exact) / exact <= 0.05, `q${q}: ${got} vs ${exact}`);
  }
  assert.equal(h.count, 10_000);
  assert.equal(h.max, values.at(-1));
});

test('empty and reset', () => {
  const h = new Histogram();
  assert.equal(h.quantile(0.99), 0);
  h.record(5);
  h.reset();
  assert.deepEqual(h.summary(), { count: 0, p50: 0, p99: 0, max: 0, mean: 0 });
});
