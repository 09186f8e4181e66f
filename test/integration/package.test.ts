import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

// What `npm pack` ships is what a user runs: the compiled library, the
// socket and task workers, the webchat page and nothing else (no tests,
// benchmarks, sources or maps). The packed tarball is installed into a
// throwaway project as a user would have it (its runtime dependencies
// only, no devDependencies), and the embedding example runs from there
// with `import { Gateway } from 'lanegate'`: chats over a real socket,
// sees the typed events, and exits by itself once stopped.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
const npm = (args: string[], cwd: string): string => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_loglevel: 'error' } });

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lanegate-pack-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const SHIPPED = [/^package\.json$/, /^README\.md$/, /^LICENSE$/, /^dist\/main\.js$/, /^dist\/src\/.+\.(js|d\.ts)$/, /^dist\/workers\/.+\.js$/, /^web\/[^/]+\.html$/];

test('npm pack ships only the runtime files', () => {
  const [report] = JSON.parse(npm(['pack', '--dry-run', '--json'], ROOT)) as { files: { path: string }[]; entryCount: number }[];
  const files = report!.files.map((f) => f.path);
  console.log(`# npm pack: ${report!.entryCount} files`);
  for (const f of files) assert.ok(SHIPPED.some((re) => re.test(f)), `${f} is a runtime file`);
  for (const needed of ['dist/main.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/gateway.js', 'dist/workers/socket-worker.js', 'dist/workers/task-worker.js', 'web/webchat.html']) {
    assert.ok(files.includes(needed), `${needed} is shipped`);
  }
  assert.ok(!files.some((f) => f.startsWith('dist/test/') || f.startsWith('dist/bench/') || f.endsWith('.map')), 'no tests, benchmarks or maps');
  assert.equal(PKG.dependencies.tinybench, undefined, 'tinybench is a benchmark tool, not a runtime dependency');
  assert.ok(PKG.devDependencies.tinybench);
});

test('the packed package installs and the embedding example runs against it as a user would', { timeout: 120_000 }, async () => {
  const tarball = npm(['pack', '--json', '--pack-destination', dir], ROOT);
  const [{ filename }] = JSON.parse(tarball) as { filename: string }[];
  const app = join(dir, 'app');
  const pkgDir = join(app, 'node_modules', 'lanegate');
  mkdirSync(pkgDir, { recursive: true });
  execFileSync('tar', ['-xzf', join(dir, filename), '-C', pkgDir, '--strip-components=1']);
  // The user's node_modules: lanegate's runtime dependencies (here from this
  // checkout's install), and ws for the example's client. No devDependency.
  for (const dep of Object.keys(PKG.dependencies)) {
    const target = join(app, 'node_modules', dep);
    mkdirSync(dirname(target), { recursive: true });
    if (!existsSync(target)) symlinkSync(join(ROOT, 'node_modules', dep), target, 'dir');
  }
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'user-app', private: true, type: 'module' }));
  cpSync(join(ROOT, 'dist', 'examples', 'embed.js'), join(app, 'embed.js'));

  const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    // Left open handles would keep the process alive: the timeout kills it and the test fails.
    const child = execFile(process.execPath, ['embed.js'], { cwd: app, timeout: 60_000, killSignal: 'SIGKILL' }, (e, stdout, stderr) =>
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, stdout, stderr }),
    );
    void child;
  });
  assert.equal(run.code, 0, `the example exits 0 by itself\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  const out = run.stdout;
  assert.match(out, /^listening on ws:\/\/127\.0\.0\.1:\d+$/m);
  assert.match(out, /^connection on conv$/m, 'connection event');
  assert.match(out, /^chat final: HELLO FROM THE EMBEDDING EXAMPLE$/m, 'chat event from the object agent');
  assert.match(out, /^client got: HELLO FROM THE EMBEDDING EXAMPLE$/m, 'the reply over the socket');
  assert.match(out, /^ops event 1 \(system\/report\.ready\) for agent:main:main$/m, 'ops event of gateway.deliver()');
  assert.match(out, /^delivered as seq 1$/m);
  assert.match(out, /^stopped$/m);
  assert.ok(!existsSync(join(pkgDir, 'dist', 'test')), 'no tests in the installed package');

  // The README's snippet (plain JavaScript inside its ts block) runs there too and exits by itself.
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const snippet = /## Agents and embedding[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(snippet?.includes("from 'lanegate'"), 'the README has the embedding snippet');
  writeFileSync(join(app, 'readme.js'), snippet!);
  const r = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
    execFile(process.execPath, ['readme.js'], { cwd: app, timeout: 60_000, killSignal: 'SIGKILL' }, (e, _out, stderr) => resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, stderr })),
  );
  assert.equal(r.code, 0, `the README snippet runs and exits by itself\n${r.stderr}`);

  // The types resolve through the package's exports, as in a user's TypeScript project.
  writeFileSync(
    join(app, 'check.ts'),
    "import { Gateway, type Agent, type GatewayOptions } from 'lanegate';\n" +
      "const agent: Agent = { id: 'a', name: 'A', async *reply(ctx) { yield ctx.message; } };\n" +
      "const options: GatewayOptions = { convPort: 0, agent, limits: { conv: { rate: 10 } } };\n" +
      "const g = new Gateway(options);\n" +
      "g.on('chat', (e) => { const s: 'delta' | 'final' | 'aborted' | 'error' = e.state; void s; });\n" +
      "void g.deliver({ sessionKey: 'k', kind: 'x', payload: 1 });\n",
  );
  symlinkSync(join(ROOT, 'node_modules', '@types'), join(app, 'node_modules', '@types'), 'dir');
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, types: ['node'], skipLibCheck: true }, files: ['check.ts'] }));
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], { cwd: app, stdio: 'pipe', encoding: 'utf8' });
  } catch (e) {
    assert.fail(`the types do not check in a user's project:\n${(e as { stdout?: string }).stdout}`);
  }
});
