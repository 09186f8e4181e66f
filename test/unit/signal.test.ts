// The doorbell protocol itself: a waiter that arms, re-checks its condition
// and parks with Atomics.waitAsync must never sleep through a wake() that
// follows a change of that condition, even while other wake() calls, for
// changes it does not care about, land at any moment.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SIGNAL_SEQ } from '../../src/queue/layout.js';
import { Signal } from '../../src/queue/signal.js';
import { EVENTS, SEEN, type SignalWakerData } from '../helpers/signal-waker.js';
import { startFixture } from '../helpers/workers.js';

const COUNT = 20_000;

test('no wake-up is lost while irrelevant wake() calls race the waiter', { timeout: 60_000 }, async (t) => {
  const data: SignalWakerData = { doorbell: Signal.storage(), control: new SharedArrayBuffer(256), events: COUNT, seed: 0x51, stuckMs: 20_000 };
  const doorbell = Signal.over(data.doorbell);
  const ctl = new Int32Array(data.control);
  const waker = startFixture('signal-waker', data);
  t.after(() => waker.stop());
  let failure: unknown = null;
  waker.done.catch((err: unknown) => {
    failure = err;
    Atomics.notify(new Int32Array(data.doorbell), SIGNAL_SEQ); // release a parked loop so it can report
  });

  let seen = 0;
  let parks = 0;
  while (seen < COUNT) {
    if (failure) throw failure;
    const posted = Atomics.load(ctl, EVENTS);
    if (posted > seen) {
      assert.equal(posted, seen + 1, 'the waker posts one event at a time');
      seen = posted;
      Atomics.store(ctl, SEEN, seen);
      continue;
    }
    const mark = doorbell.arm();
    if (Atomics.load(ctl, EVENTS) > seen) {
      doorbell.disarm();
      continue;
    }
    parks++;
    await doorbell.waitAsync(mark);
    doorbell.disarm();
  }
  const done = await waker.done;
  t.diagnostic(`${parks} parks, ${String(done['noise'])} noise wakes`);
  assert.equal(seen, COUNT);
  assert.ok(parks > 0, 'the waiter never parked: the test exercised nothing');
});
