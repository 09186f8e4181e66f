import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { MemoryOpsLog } from './memory-ops-log.js';
import type { OpsLog } from './ops-log.js';
import { StateDir } from './state-dir.js';

/** The gateway's state: the opened directory (null for `:memory:`) and the stores built on it. */
export interface GatewayState {
  dir: StateDir | null;
  opsLog: OpsLog;
  /** Syncs and closes the stores, then releases the directory's lock. */
  close(): Promise<void>;
}

/**
 * Opens LANEGATE_STATE_DIR (creating and locking it) and the stores in it.
 * Throws StateError before anything else starts when the directory cannot
 * be used, so no port is bound by a gateway that would refuse to run.
 */
export async function openState(c: Config, log: Logger): Promise<GatewayState> {
  const retention = { entries: c.opsRetention, bytes: c.opsRetentionBytes, ms: c.opsRetentionMs };
  const dir = c.stateDir === null ? null : StateDir.open(c.stateDir, c.fsync);
  if (dir?.previousHolder) log.warn({ previous: dir.previousHolder }, 'the previous gateway on this state directory did not stop cleanly');
  // An embedding program's own log (Gateway options), else the gateway's.
  const opsLog: OpsLog = c.opsLog ?? new MemoryOpsLog(retention);
  return {
    dir,
    opsLog,
    async close() {
      try {
        await opsLog.close();
      } finally {
        dir?.close();
      }
    },
  };
}
