import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { chromium, type BrowserContext, type Page, type WebSocketRoute } from 'playwright-core';
import { chatOnce, TestClient } from '../helpers/client.js';
import { startGateway, type RunningGateway } from '../helpers/gateway-process.js';

// The webchat in a real browser: Debian's Chromium driven by playwright-core.
// It must connect with the OpenClaw handshake, show history, stream a reply,
// count ops events on its indicator, and after losing its sockets catch up
// with chat.history {afterSeq} and ops.subscribe {afterSeq}.
//
// Skipped only when /usr/bin/chromium is missing on a developer machine; in
// CI (.ci/run installs it) a missing Chromium fails the test instead.

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'webchat-browser-secret';
const SESSION = 'agent:main:main';
const skip = !existsSync(CHROMIUM) && !process.env.CI ? `${CHROMIUM} not found: install Debian's chromium (apt-get install chromium) to run the browser test` : false;
/** Every wait in the page is bounded by this (Playwright's default timeout). */
const WAIT_MS = 15_000;

async function launch(): Promise<{ context: BrowserContext; page: Page; close(): Promise<void> }> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is required in CI (.ci/run installs it)`);
  // A fresh profile per run (launchPersistentContext owns --user-data-dir).
  const profile = mkdtempSync(join(tmpdir(), 'lanegate-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 60_000,
  });
  context.setDefaultTimeout(WAIT_MS);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Console errors and CSP reports: the page must produce none. */
function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return problems;
}

const text = (page: Page, selector: string, value: string | RegExp): Promise<void> => page.locator(selector, { hasText: value }).first().waitFor();
const exact = (s: string): RegExp => new RegExp(`^${s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`);

async function send(page: Page, message: string): Promise<void> {
  await page.locator('#text').fill(message);
  await page.locator('#text').press('Enter');
}

async function screenshot(page: Page, t: TestContext, name: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lanegate-webchat-'));
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  assert.ok(statSync(path).size > 1000, 'a real PNG');
  t.diagnostic(`screenshot: ${path}`);
}

describe('webchat in Chromium, dual-port', { skip }, () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway({ LANEGATE_OPS_PORT: '0', LANEGATE_TOKEN: TOKEN, LANEGATE_TASK_THREADS: '2' });
  });
  after(async () => {
    await gw?.stop();
  });

  test('chat, /spawn 3 on the ops indicator, and catch-up after a dropped connection', { timeout: 120_000 }, async (t) => {
    // History from before the page opened (a runId any client may choose: quotes and all).
    const other = await TestClient.connect(gw.convUrl, { token: TOKEN });
    await chatOnce(other, SESSION, 'said before the page opened', 'before "1"] <b>');

    const b = await launch();
    try {
      const { page } = b;
      const problems = watchConsole(page);
      // Every socket goes through a route, so the test can cut it and hold reconnects back.
      const routes: { page: WebSocketRoute; server: WebSocketRoute }[] = [];
      let away = false;
      await page.routeWebSocket(/^wss?:\/\//, (ws) => {
        if (away) return void ws.close({ code: 4000, reason: 'test: network down' });
        routes.push({ page: ws, server: ws.connectToServer() });
      });

      await page.goto(`${gw.httpUrl}/?token=${TOKEN}`);
      await text(page, '#conv-state', exact('live'));
      await text(page, '#ops-state', exact('live'));
      assert.doesNotMatch(page.url(), /token/, 'the token left the address bar');
      assert.equal(await page.evaluate("sessionStorage.getItem('lanegate.token')"), TOKEN, 'kept for this tab');
      await text(page, '.msg.user', exact('said before the page opened'));
      await text(page, '.msg.assistant', exact('said before the page opened'));

      await send(page, 'hello from chromium');
      await text(page, '.msg.user', exact('hello from chromium'));
      await text(page, '.msg.assistant:not(.streaming)', exact('hello from chromium'));

      await send(page, '/spawn 3 10');
      await text(page, '.msg.assistant:not(.streaming)', /^Spawned 3 sub-agents/);
      await text(page, '[data-lane="subagent"] b', exact('3'));
      await text(page, '#ops-total', exact('3'));
      await text(page, '#ops-last', exact('subagent.result'));
      await screenshot(page, t, 'webchat-dual-port');

      // The network drops; meanwhile the session goes on elsewhere.
      away = true;
      for (const r of routes.splice(0)) await Promise.all([r.page.close({ code: 4000, reason: 'test: network down' }), r.server.close()]);
      await text(page, '#conv-state', /^(closed|connecting)$/);
      await chatOnce(other, SESSION, 'said while the page was away', 'away-1');
      const ops = await TestClient.connect(gw.opsUrl!, { token: TOKEN });
      const d = await ops.request('ops.deliver', { lane: 'cron', sessionKey: SESSION, idempotencyKey: 'away-cron', kind: 'cron.done', payload: {} });
      assert.equal(d.ok, true);
      away = false;

      // Back: both sockets reconnect on their own and catch up from their cursors.
      await text(page, '#conv-state', exact('live'));
      await text(page, '.msg.user', exact('said while the page was away'));
      await text(page, '.msg.assistant', exact('said while the page was away'));
      await text(page, '[data-lane="cron"] b', exact('1'));
      await text(page, '#ops-total', exact('4'));
      await text(page, '#ops-last', exact('cron.done'));
      assert.equal(await page.locator('[data-lane="subagent"] b').textContent(), '3', 'no event counted twice');
      // Each of the four exchanges once: catch-up does not duplicate what was shown live.
      assert.equal(await page.locator('.msg').count(), 8);
      await screenshot(page, t, 'webchat-dual-port-after-reconnect');
      assert.deepEqual(problems, []);
      await Promise.all([other.close(), ops.close()]);
    } finally {
      await b.close();
    }
  });
});

describe('webchat in Chromium, single-port', { skip }, () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway({ LANEGATE_TOKEN: TOKEN, LANEGATE_TASK_THREADS: '2' });
  });
  after(async () => {
    await gw?.stop();
  });

  test('asks for the token, then subscribes to ops events on the conv socket', { timeout: 120_000 }, async (t) => {
    const b = await launch();
    try {
      const { page } = b;
      const problems = watchConsole(page);
      await page.goto(`${gw.httpUrl}/`);
      await text(page, '#conv-state', exact('needs token'));
      await page.locator('#token').fill(TOKEN);
      await page.locator('#auth button').click();
      await text(page, '#conv-state', exact('live'));
      await text(page, '#ops-state', exact('live'));
      assert.equal(await page.locator('#auth').isHidden(), true);

      await send(page, '/spawn 3 10');
      await text(page, '[data-lane="subagent"] b', exact('3'));
      await text(page, '#ops-total', exact('3'));
      await send(page, 'still chatting');
      await text(page, '.msg.assistant:not(.streaming)', exact('still chatting'));
      await screenshot(page, t, 'webchat-single-port');
      // Refused without a token (closed 1008), then connected: neither leaves an error or a CSP report.
      assert.deepEqual(problems, []);
    } finally {
      await b.close();
    }
  });
});
