import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { FastHistogram } from '../../src/metrics/fast-histogram.js';
import { QUEUE_WAIT_BUCKETS } from '../../src/metrics/registry.js';
import { Prng } from '../helpers/prng.js';

// FastHistogram stands in for prom-client's Histogram on the runtime's hot
// path; a scrape must not be able to tell them apart.

test('the text output equals a prom-client Histogram fed the same values', async () => {
  const fastReg = new Registry();
  const fast = new FastHistogram({ name: 'w_seconds', help: 'wait', labelName: 'lane', buckets: QUEUE_WAIT_BUCKETS });
  fastReg.registerMetric(fast.asMetric());
  const refReg = new Registry();
  const ref = new Histogram({ name: 'w_seconds', help: 'wait', labelNames: ['lane'], buckets: QUEUE_WAIT_BUCKETS, registers: [refReg] });

  const lanes = ['conv', 'ops'] as const;
  const obs = lanes.map((l) => fast.child(l));
  const refObs = lanes.map((l) => ref.labels(l));
  const rnd = new Prng(20261123);
  // Exact bounds (a value equal to a bound belongs to it), zero, above the last bound, and a log spread.
  const values = [...QUEUE_WAIT_BUCKETS, 0, 1.5, 30];
  for (let i = 0; i < 5000; i++) values.push(10 ** (-6 + 7 * (rnd.u32() / 2 ** 32)));
  values.forEach((v, i) => {
    obs[i % 2]!.observe(v);
    refObs[i % 2]!.observe(v);
  });
  assert.equal(await fastReg.metrics(), await refReg.metrics());
});

test('a series exists at zero before its first value; a negative wait (clock skew between threads) counts as zero', async () => {
  const fast = new FastHistogram({ name: 'w', help: 'w', labelName: 'lane', buckets: [0.001, 1] });
  fast.child('idle');
  const c = fast.child('busy');
  assert.equal(fast.child('busy'), c, 'one series per label value');
  c.observe(-0.00001);
  const { values } = await fast.get();
  const v = (metricName: string, lane: string, le?: string | number): number | undefined =>
    values.find((s) => s.metricName === metricName && s.labels.lane === lane && s.labels.le === le)?.value;
  assert.equal(v('w_count', 'idle'), 0);
  assert.equal(v('w_bucket', 'idle', '+Inf'), 0);
  assert.equal(v('w_bucket', 'busy', 0.001), 1);
  assert.equal(v('w_sum', 'busy'), 0);
});
