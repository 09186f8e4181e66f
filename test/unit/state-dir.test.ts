import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { bootId } from '../../src/state/dir-lock.js';
import { JsonDocument, readJsonDoc, writeJsonDocSync } from '../../src/state/json-doc.js';
import { StateDir } from '../../src/state/state-dir.js';

const root = mkdtempSync(join(tmpdir(), 'lanegate-state-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('open creates the directory and its parts, locks it, and a clean close releases the lock', () => {
  const dir = join(root, 'fresh', 'nested');
  const s = StateDir.open(dir, 'always');
  assert.deepEqual(readdirSync(dir).sort(), ['LOCK', 'cron', 'ops', 'sessions']);
  const lock = JSON.parse(readFileSync(s.paths.lock, 'utf8'));
  assert.equal(lock.pid, process.pid);
  assert.equal(lock.fsync, 'always');
  assert.equal(s.previousHolder, null);
  s.close();
  assert.equal(existsSync(s.paths.lock), false);
});

test('a lock held by a live process refuses with STATE_LOCKED naming the holder; once it is gone the lock is taken over', async () => {
  const dir = join(root, 'held');
  StateDir.open(dir, 'always').close();
  // A real other process holds it (the lock of a gateway in another process looks exactly like this).
  const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  const stat = readFileSync(`/proc/${holder.pid}/stat`, 'utf8');
  const procStart = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  writeFileSync(join(dir, 'LOCK'), JSON.stringify({ pid: holder.pid, host: hostname(), bootId: bootId(), procStart, startedAt: 'then', fsync: 'everysec' }));
  try {
    assert.throws(() => StateDir.open(dir, 'always'), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'LANEGATE_ERR_STATE_LOCKED');
      assert.match(e.message, new RegExp(`^LANEGATE_STATE_DIR=".*held" is invalid: held by another gateway \\(pid ${holder.pid} `));
      assert.doesNotMatch(e.message, /\n/, 'one line');
      return true;
    });
  } finally {
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
  }
  const s = StateDir.open(dir, 'always');
  assert.equal(s.previousHolder?.pid, holder.pid, 'the stale lock is reported');
  assert.equal(s.rebootedSinceCrash, false);
  s.close();
});

test('a reused pid (another start time) and a torn lock file are stale, not held', () => {
  const dir = join(root, 'stale');
  StateDir.open(dir, 'always').close();
  writeFileSync(join(dir, 'LOCK'), JSON.stringify({ pid: process.ppid, host: hostname(), bootId: bootId(), procStart: '1', startedAt: 'then', fsync: 'always' }));
  StateDir.open(dir, 'always').close();
  writeFileSync(join(dir, 'LOCK'), '{"pid": 12');
  StateDir.open(dir, 'always').close();
  writeFileSync(join(dir, 'LOCK'), JSON.stringify({ pid: process.ppid, host: hostname(), bootId: 'another-boot', procStart: null, startedAt: 'then', fsync: 'everysec' }));
  const s = StateDir.open(dir, 'always');
  assert.equal(s.rebootedSinceCrash, bootId() !== null, 'the machine rebooted since that gateway died');
  s.close();
});

test('an unusable path fails with STATE_DIR and one line naming LANEGATE_STATE_DIR', () => {
  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  assert.throws(() => StateDir.open(join(file, 'state'), 'always'), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'LANEGATE_ERR_STATE_DIR');
    assert.match(e.message, /^LANEGATE_STATE_DIR=".*a-file\/state" is invalid: cannot create/);
    return true;
  });
  if (process.getuid?.() !== 0) {
    const ro = join(root, 'read-only');
    StateDir.open(ro, 'always').close();
    chmodSync(ro, 0o500);
    try {
      assert.throws(() => StateDir.open(ro, 'always'), { code: 'LANEGATE_ERR_STATE_DIR' });
    } finally {
      chmodSync(ro, 0o700);
    }
  }
});

test('JSON documents: atomic replace, missing = null, corrupt = STATE_CORRUPT naming the file', async () => {
  const path = join(root, 'doc.json');
  const isDoc = (v: unknown): v is { n: number } => typeof (v as { n?: unknown }).n === 'number';
  assert.equal(readJsonDoc(path, isDoc), null);
  writeJsonDocSync(path, { n: 1 });
  assert.deepEqual(readJsonDoc(path, isDoc), { n: 1 });
  const doc = new JsonDocument(path, isDoc);
  // Saves made while one is in flight fold into the next write: the file ends with the last value.
  await Promise.all([1, 2, 3, 4, 5].map((n) => doc.save({ n })));
  assert.deepEqual(doc.read(), { n: 5 });
  assert.deepEqual(readdirSync(root).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left behind');
  writeFileSync(path, '{"n": 5');
  assert.throws(() => doc.read(), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'LANEGATE_ERR_STATE_CORRUPT');
    assert.ok(e.message.includes(path));
    return true;
  });
  writeFileSync(path, '{"m": 5}');
  assert.throws(() => doc.read(), { code: 'LANEGATE_ERR_STATE_CORRUPT' });
});
