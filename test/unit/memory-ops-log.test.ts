import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryOpsLog } from '../../src/state/memory-ops-log.js';
import type { OpsEntry } from '../../src/state/ops-log.js';

const entry = (key: string) => ({ lane: 'cron' as const, sessionKey: 's', kind: 'k', idempotencyKey: key, ts: Date.now(), payloadJson: '{"n":1}' });

test('appends resolve in order; the feed sees each new entry once, before its append resolves', async () => {
  const log = new MemoryOpsLog(100);
  const fed: number[] = [];
  const order: string[] = [];
  log.feed.subscribe((e: OpsEntry) => {
    fed.push(e.seq);
    order.push(`feed ${e.seq}`);
  });
  const results = await Promise.all(
    ['a', 'b', 'a', 'c'].map((k) =>
      log.append(entry(k)).then((r) => {
        order.push(`ack ${r.seq}${r.duplicate ? ' dup' : ''}`);
        return r;
      }),
    ),
  );
  assert.deepEqual(results, [
    { seq: 1, duplicate: false },
    { seq: 2, duplicate: false },
    { seq: 1, duplicate: true },
    { seq: 3, duplicate: false },
  ]);
  assert.deepEqual(fed, [1, 2, 3], 'a duplicate is not fed');
  assert.deepEqual(order, ['feed 1', 'feed 2', 'feed 3', 'ack 1', 'ack 2', 'ack 1 dup', 'ack 3']);
  assert.deepEqual((await log.readAfter(1, 10)).map((e) => e.seq), [2, 3]);
});

test('each memory log has its own epoch (a restart is a new history); a closed log refuses appends', async () => {
  const a = new MemoryOpsLog(10);
  const b = new MemoryOpsLog(10);
  assert.match(a.epoch, /^[0-9a-f-]{36}$/);
  assert.notEqual(a.epoch, b.epoch);
  await a.close();
  await assert.rejects(a.append(entry('x')), { code: 'LANEGATE_ERR_STATE_CLOSED' });
});
