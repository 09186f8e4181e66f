// Entry for `node dist/main.js`: read the environment, start the gateway,
// print where it listens, stop cleanly on SIGINT/SIGTERM.

import { loadConfig } from './config.js';
import { ConfigError, isLanegateError, StateError } from './errors.js';
import { Gateway, VERSION, type GatewayInfo } from './gateway.js';
import { createLogger } from './log.js';
import { applyV8Settings } from './v8-settings.js';

/** The process exits at the latest this long after a stop signal. */
const STOP_DEADLINE_MS = 5_000;

const size = (n: number): string => (n >= 1 << 20 ? `${n / (1 << 20)} MiB` : `${n / 1024} KiB`);

function banner(info: GatewayInfo, agent: string): string {
  return [
    `lanegate ${VERSION} (${info.opsUrl ? 'dual-port' : 'single-port'})`,
    `  conv     ${info.convUrl}`,
    `  ops      ${info.opsUrl ?? 'ops port off (single-port mode: ops methods on the conv port)'}`,
    `  webchat  ${info.webchatUrl}`,
    `  rings    conv ${size(info.rings.conv)}, ops ${size(info.rings.ops)}, out ${size(info.rings.out)}`,
    `  agent    ${agent}`,
    ...(info.redis ? [`  redis    ${info.redis.url}${info.redis.up ? '' : ' (unreachable: retrying; ops deliveries answer UNAVAILABLE until it answers)'}`] : []),
    `  state    ${info.state.dir === null ? ':memory: (nothing kept across restarts)' : `${info.state.dir} (LANEGATE_FSYNC=${info.state.fsync})`}, ops epoch ${info.state.epoch}`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`lanegate: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  applyV8Settings(config);
  const log = createLogger(config.logLevel, 'main');
  const gateway = new Gateway(config, log);
  gateway.on('worker-exit', ({ role, code }) => log.error({ role, code }, 'socket worker exited; the gateway is not ready'));
  let info: GatewayInfo;
  try {
    info = await gateway.start();
  } catch (e) {
    process.stderr.write(`lanegate: ${isLanegateError(e) ? e.message : String(e)}\n`);
    // A setting the running system refused (Redis credentials, a Redis without
    // what is needed) or an unusable state directory: like a bad value, 2.
    process.exit(e instanceof ConfigError || e instanceof StateError ? 2 : 1);
  }
  process.stdout.write(banner(info, gateway.agents.map((a) => `${a.id} (${a.model})`).join(', ')));

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    setTimeout(() => process.exit(0), STOP_DEADLINE_MS).unref();
    gateway.stop().then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

void main();
