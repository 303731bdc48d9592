// Browser test of the Hawtio console: Debian's chromium, headless, driven by playwright-core.
//
//   node src/test/browser/console-test.mjs <consoleBaseUrl> <user> <password> <screenshotDir>
//
// Logs in through the login form as <user> (a viewer), opens the Camel tab and its route list, checks that
// the import, distribution, delivery and webhook routes are listed, then selects distribution-sweep-run,
// presses Stop and checks that the console reports the refusal and that the route is still Started.
// Screenshots: console-camel-routes.png and console-stop-refused.png in <screenshotDir>.
// Exit code 0 only if every check passed. Run by de.geolead.console.ConsoleBrowserTest.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const LISTED_ROUTES = ['dialfire-import', 'lead-distribution', 'lead-delivery', 'stripe-webhook'];
const STOPPED_ROUTE = 'distribution-sweep-run';
const ROUTE_MBEAN = `org.apache.camel:context=geolead,type=routes,name="${STOPPED_ROUTE}"`;
const OVERALL_TIMEOUT_MS = 100_000;

const [base, user, password, screenshotDir] = process.argv.slice(2);
if (!base || !user || !password || !screenshotDir) {
  console.error('usage: node console-test.mjs <consoleBaseUrl> <user> <password> <screenshotDir>');
  process.exit(2);
}

let checks = 0;
function ok(what) {
  checks++;
  console.log(`[browser] ok   ${what}`);
}
function check(condition, what, detail = '') {
  if (!condition) {
    throw new Error(`${what}${detail ? ` (${detail})` : ''}`);
  }
  ok(what);
}

const watchdog = setTimeout(() => {
  console.log(`[browser] FAIL the browser test took longer than ${OVERALL_TIMEOUT_MS / 1000} s`);
  process.exit(1);
}, OVERALL_TIMEOUT_MS);

fs.mkdirSync(screenshotDir, { recursive: true });
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'geolead-chromium-'));
let context;
let page;
let exitCode = 1;
let step = 'starting chromium';

/** The routes table of the Camel tab: the one with a State column. */
const routesTable = () => page.locator('table').filter({ has: page.getByRole('columnheader', { name: 'State' }) });
const routeRow = id => routesTable().locator('tbody tr').filter({ has: page.getByText(id, { exact: true }) });
async function routeState(id) {
  const row = routeRow(id);
  await row.waitFor({ state: 'visible' });
  const text = await row.innerText();
  return ['Started', 'Stopped', 'Suspended'].find(state => text.includes(state)) ?? text.trim();
}

/** Camel tab, then the "routes" folder of the context in the tree: the route list. */
async function openRouteList() {
  await page.getByRole('link', { name: 'Camel', exact: true }).click();
  await page.waitForURL(/\/hawtio\/camel/);
  await page.locator('li[id$="-folder-routes-folder"] > .pf-v5-c-tree-view__content')
    .getByText('routes', { exact: true }).click();
  await page.waitForURL(/\/hawtio\/camel\/routes/);
  await routesTable().locator('tbody tr').first().waitFor({ state: 'visible' });
}

/** A Jolokia read from the page, with the page's session, as Hawtio itself sends it. */
async function jolokiaRead(mbean, attribute) {
  return page.evaluate(async ({ mbean, attribute }) => {
    const response = await fetch('/hawtio/jolokia', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'read', mbean, attribute }),
    });
    return { http: response.status, answer: await response.json().catch(() => null) };
  }, { mbean, attribute });
}

try {
  console.log(`[browser] ${CHROMIUM}, playwright-core ${JSON.parse(fs.readFileSync(
    new URL('./node_modules/playwright-core/package.json', import.meta.url))).version}, console ${base}/hawtio/ as ${user}`);
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1600, height: 1200 },
  });
  context.setDefaultTimeout(20_000);
  page = context.pages()[0] ?? await context.newPage();
  page.on('pageerror', error => console.log(`[browser] page error: ${error.message}`));
  console.log(`[browser] ${context.browser()?.version() ?? 'chromium'} started, user data in ${userDataDir}`);

  step = 'logging in through the login form';
  // login through the real form
  await page.goto(`${base}/hawtio/`);
  await page.waitForURL(/\/hawtio\/login/);
  ok('without a session the console shows its login page');
  await page.getByRole('textbox', { name: 'Username' }).fill(user);
  await page.locator('input[type=password]').fill(password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByRole('link', { name: 'Camel', exact: true }).waitFor({ state: 'visible' });
  check(!/\/login/.test(new URL(page.url()).pathname), 'logged in through the login form', page.url());
  check(await page.getByText(user, { exact: true }).first().isVisible(), `the masthead names the user ${user}`);

  step = 'opening the Camel tab and its route list';
  // the Camel tab and its route list
  await openRouteList();
  ok('opened the Camel tab and the route list of context geolead');
  for (const id of LISTED_ROUTES) {
    await routeRow(id).waitFor({ state: 'visible' });
    ok(`route ${id} is listed (${await routeState(id)})`);
  }
  check(await routeState(STOPPED_ROUTE) === 'Started', `route ${STOPPED_ROUTE} is Started`);
  const routesShot = path.join(screenshotDir, 'console-camel-routes.png');
  await page.screenshot({ path: routesShot });
  console.log(`[browser] screenshot ${routesShot}`);

  step = `pressing Stop on ${STOPPED_ROUTE}`;
  // Stop as a viewer: refused
  await routeRow(STOPPED_ROUTE).getByRole('checkbox').check();
  const stopButton = page.getByRole('button', { name: 'Stop', exact: true });
  await stopButton.waitFor({ state: 'visible' });
  const stopAnswer = page.waitForResponse(response => response.url().includes('/hawtio/jolokia')
    && (response.request().postData() ?? '').includes('"stop()"'));
  await stopButton.click();
  const stopReply = await (await stopAnswer).json().catch(() => null);
  const stopReplies = Array.isArray(stopReply) ? stopReply : [stopReply];
  check(stopReplies.some(reply => reply?.status === 403 && /forbidden/i.test(reply?.error ?? '')),
    `pressing Stop on ${STOPPED_ROUTE} sent stop() and Jolokia answered 403 forbidden`, JSON.stringify(stopReply));
  const alert = page.locator('[class*="c-alert"]').filter({ hasText: /forbidden|403/i }).first();
  await alert.waitFor({ state: 'visible' });
  const alertText = (await alert.innerText()).replace(/\s+/g, ' ').trim();
  check(/stop/i.test(alertText), 'the console shows the refusal', alertText);
  console.log(`[browser]      alert: ${alertText}`);
  const refusedShot = path.join(screenshotDir, 'console-stop-refused.png');
  await page.screenshot({ path: refusedShot });
  console.log(`[browser] screenshot ${refusedShot}`);

  step = `checking that ${STOPPED_ROUTE} still runs`;
  // still running: Jolokia with the page's session, and the route list read anew
  const read = await jolokiaRead(ROUTE_MBEAN, 'State');
  check(read.http === 200 && read.answer?.status === 200 && read.answer?.value === 'Started',
    `Jolokia read from the page: ${STOPPED_ROUTE} State is Started`, JSON.stringify(read));
  await page.reload();
  await page.getByRole('link', { name: 'Camel', exact: true }).waitFor({ state: 'visible' });
  await openRouteList();
  check(await routeState(STOPPED_ROUTE) === 'Started', `after a reload the route list still shows ${STOPPED_ROUTE} Started`);

  console.log(`[browser] PASS ${checks} checks`);
  exitCode = 0;
} catch (error) {
  console.log(`[browser] FAIL while ${step}: ${error.message.split('\n')[0]}`);
  console.log(error.stack ?? String(error));
  if (page) {
    const failedShot = path.join(screenshotDir, 'console-failure.png');
    await page.screenshot({ path: failedShot }).then(() => console.log(`[browser] screenshot ${failedShot}`), () => {});
  }
} finally {
  await context?.close().catch(() => {});
  fs.rmSync(userDataDir, { recursive: true, force: true });
  clearTimeout(watchdog);
}
process.exit(exitCode);
