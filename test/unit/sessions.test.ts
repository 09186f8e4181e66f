import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Session, toMessages } from '../../src/runtime/sessions.js';

test('a snapshot keeps the transcript as it was: later appends and trims do not reach it', () => {
  const s = new Session('k', 3);
  assert.deepEqual(toMessages(s.snapshot()), [], 'empty session');
  s.append('user', 'a');
  s.append('assistant', 'b');
  s.append('user', 'c');
  const before = s.snapshot(); // what a run starting now sees, the session full
  s.append('assistant', 'd'); // trims 'a'
  s.append('user', 'e'); // trims 'b'
  assert.deepEqual(toMessages(before), [
    { role: 'user', text: 'a' },
    { role: 'assistant', text: 'b' },
    { role: 'user', text: 'c' },
  ]);
  assert.deepEqual(toMessages(s.snapshot()).map((m) => m.text), ['c', 'd', 'e'], 'the session itself keeps its limit');
});
