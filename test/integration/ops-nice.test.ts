import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { startGateway } from '../helpers/gateway-process.js';

// The ops socket worker lowers its own thread's priority (Linux), so a flood
// on the ops port yields the CPU to the conversation path; every other
// thread keeps the process's priority.

/** Nice value of every thread of a process, from /proc/<pid>/task/<tid>/stat (field 19). */
function threadNices(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: count fields after its closing one.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

const linux = { skip: process.platform !== 'linux' ? 'reads /proc (Linux only)' : false };

test('dual-port: the ops worker thread, and only it, runs at nice 10 by default', linux, async (t) => {
  const gw = await startGateway({ LANEGATE_OPS_PORT: '0' });
  t.after(() => gw.stop());
  const nices = threadNices(gw.proc.pid!);
  assert.deepEqual(nices.filter((n) => n !== 0), [10], `thread nices: ${nices.join(' ')}`);
});

test('LANEGATE_OPS_NICE picks the value; 0 leaves every thread alone', linux, async (t) => {
  for (const [value, expected] of [['19', [19]], ['0', []]] as const) {
    const gw = await startGateway({ LANEGATE_OPS_PORT: '0', LANEGATE_OPS_NICE: value });
    t.after(() => gw.stop());
    assert.deepEqual(threadNices(gw.proc.pid!).filter((n) => n !== 0), expected, `LANEGATE_OPS_NICE=${value}`);
  }
});

test('single-port mode has no ops worker: no thread is lowered', linux, async (t) => {
  const gw = await startGateway({});
  t.after(() => gw.stop());
  assert.deepEqual(threadNices(gw.proc.pid!).filter((n) => n !== 0), []);
});
