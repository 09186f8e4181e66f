import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Session } from '../../src/runtime/sessions.js';

test('messagesThrough gives the retained transcript up to a seq, oldest first', () => {
  const s = new Session('k', 3);
  assert.deepEqual(s.messagesThrough(s.headSeq), [], 'empty session');
  s.append('user', 'a');
  s.append('assistant', 'b');
  const before = s.headSeq; // what a run starting now would see
  s.append('user', 'c');
  assert.deepEqual(s.messagesThrough(before), [
    { role: 'user', text: 'a' },
    { role: 'assistant', text: 'b' },
  ]);
  assert.deepEqual(s.messagesThrough(s.headSeq).map((m) => m.text), ['a', 'b', 'c']);
});

test('messagesThrough counts only what the history limit retains', () => {
  const s = new Session('k', 3);
  for (const t of ['a', 'b', 'c', 'd', 'e']) s.append('user', t);
  assert.deepEqual(s.messagesThrough(4).map((m) => m.text), ['c', 'd']);
  assert.deepEqual(s.messagesThrough(5).map((m) => m.text), ['c', 'd', 'e']);
  assert.deepEqual(s.messagesThrough(99).map((m) => m.text), ['c', 'd', 'e']);
  assert.deepEqual(s.messagesThrough(2), [], 'everything up to seq 2 left retention');
});
