import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffMs, retryableStatus, retryAfterMs } from '../../src/agents/openai/retry.js';
import { buildMessages } from '../../src/agents/openai/messages.js';
import { Prng } from '../helpers/prng.js';

test('retry-after: seconds, an HTTP date, or OpenAI\'s retry-after-ms; garbage is ignored', () => {
  const h = (o: Record<string, string>): Headers => new Headers(o);
  assert.equal(retryAfterMs(h({ 'retry-after': '3' })), 3000);
  assert.equal(retryAfterMs(h({ 'retry-after-ms': '250', 'retry-after': '3' })), 250, 'the finer one wins');
  const now = Date.parse('2026-12-01T12:00:00Z');
  assert.equal(retryAfterMs(h({ 'retry-after': 'Tue, 01 Dec 2026 12:00:05 GMT' }), now), 5000);
  assert.equal(retryAfterMs(h({ 'retry-after': 'Tue, 01 Dec 2026 11:00:00 GMT' }), now), 0, 'a date in the past: now');
  assert.equal(retryAfterMs(h({ 'retry-after': 'soon' })), null);
  assert.equal(retryAfterMs(h({})), null);
});

test('429 and 5xx are retryable, other statuses are not', () => {
  assert.deepEqual([429, 500, 502, 503, 400, 401, 404, 422].map(retryableStatus), [true, true, true, true, false, false, false, false]);
});

test('backoff doubles per attempt within [ceiling/2, ceiling], capped, and jitters (seeded)', () => {
  const rng = new Prng(13);
  const seen = new Set<number>();
  for (let attempt = 0; attempt < 8; attempt++) {
    const ceiling = Math.min(2000, 100 * 2 ** attempt);
    for (let i = 0; i < 50; i++) {
      const d = backoffMs(attempt, 100, 2000, () => rng.next());
      assert.ok(d >= ceiling / 2 && d <= ceiling, `attempt ${attempt}: ${d} in [${ceiling / 2}, ${ceiling}]`);
      if (attempt === 3) seen.add(d);
    }
  }
  assert.ok(seen.size > 10, 'the delays are spread, not all equal');
  assert.equal(backoffMs(0, 100, 2000, () => 0), 50);
  assert.equal(backoffMs(20, 100, 2000, () => 1), 2000);
});

test('history budget: the newest messages that fit, whole; the new message always goes', () => {
  const history = [
    { role: 'user' as const, text: 'aaaa' },
    { role: 'assistant' as const, text: 'bbbb' },
    { role: 'user' as const, text: '' },
    { role: 'user' as const, text: 'cccc' },
  ];
  assert.deepEqual(buildMessages('sys', history, 'new', 8), [
    { role: 'system', content: 'sys' },
    { role: 'assistant', content: 'bbbb' },
    { role: 'user', content: 'cccc' },
    { role: 'user', content: 'new' },
  ]);
  assert.deepEqual(buildMessages(null, history, 'x'.repeat(100), 0), [{ role: 'user', content: 'x'.repeat(100) }]);
  assert.equal(buildMessages(null, history, 'n', 1000).length, 4, 'every non-empty message fits');
});
