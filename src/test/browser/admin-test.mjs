// Browser test of the admin page (/admin/): Debian's chromium, headless, driven by playwright-core.
//
//   node src/test/browser/admin-test.mjs <baseUrl> <token> <plz> <leadId> <returnId> <screenshotDir>
//
// Logs in with the API token through the login form, searches leads by <plz>, opens lead <leadId> from the hits,
// checks its timeline (imported, planned and sent entries, in that order), opens the open returns, approves
// return <returnId> (first without force: the API's 409 for the agent's return rate is shown; then with force)
// and checks the page's confirmation. Screenshots: admin-lead.png and admin-return-approved.png
// in <screenshotDir>. Exit code 0 only if every check passed. Run by de.geolead.admin.AdminBrowserTest.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const OVERALL_TIMEOUT_MS = 100_000;

const [base, token, plz, leadId, returnId, screenshotDir] = process.argv.slice(2);
if (!base || !token || !plz || !leadId || !returnId || !screenshotDir) {
  console.error('usage: node admin-test.mjs <baseUrl> <token> <plz> <leadId> <returnId> <screenshotDir>');
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
const cspViolations = [];

try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1400, height: 1000 },
  });
  context.setDefaultTimeout(20_000);
  page = context.pages()[0] ?? await context.newPage();
  page.on('pageerror', error => console.log(`[browser] page error: ${error.message}`));
  page.on('console', message => {
    if (/Content Security Policy/i.test(message.text())) {
      cspViolations.push(message.text());
    }
  });
  console.log(`[browser] ${context.browser()?.version() ?? 'chromium'} started, admin page ${base}/admin/`);

  step = 'logging in through the login form';
  await page.goto(`${base}/admin/`);
  await page.getByLabel('API-Token').waitFor({ state: 'visible' });
  ok('without a session /admin/ shows the login form');
  await page.getByLabel('API-Token').fill(token);
  await page.getByRole('button', { name: 'Anmelden' }).click();
  await page.getByText('Angemeldet als').waitFor({ state: 'visible' });
  check(new URL(page.url()).pathname === '/admin/', 'logged in, back on /admin/', page.url());
  const cookies = await context.cookies(`${base}/admin/`);
  const session = cookies.find(c => c.name === 'geolead_admin');
  check(session && session.httpOnly && session.sameSite === 'Strict' && session.path === '/admin',
    'the session cookie is HttpOnly, SameSite=Strict, Path=/admin', JSON.stringify(session));

  step = `searching leads by PLZ ${plz}`;
  await page.getByLabel('PLZ').fill(plz);
  await page.getByRole('button', { name: 'Suchen' }).click();
  await page.waitForURL(/\/admin\/leads\?/);
  const leadLink = page.getByRole('link', { name: leadId, exact: true });
  await leadLink.waitFor({ state: 'visible' });
  ok(`the search by PLZ ${plz} lists lead ${leadId}`);

  step = `opening lead ${leadId}`;
  await leadLink.click();
  await page.waitForURL(new RegExp(`/admin/leads/${leadId}$`));
  await page.getByRole('heading', { name: 'Verlauf' }).waitFor({ state: 'visible' });
  const types = await page.locator('ol.timeline li.event code.type').allInnerTexts();
  console.log(`[browser]      timeline: ${types.join(', ')}`);
  const at = type => types.indexOf(type);
  check(at('imported') >= 0 && at('planned') > at('imported') && at('sent') > at('planned'),
    'the lead page shows its timeline: imported, planned, sent in that order', types.join(', '));
  const leadShot = path.join(screenshotDir, 'admin-lead.png');
  await page.screenshot({ path: leadShot, fullPage: true });
  console.log(`[browser] screenshot ${leadShot}`);

  step = `approving return ${returnId}`;
  await page.getByRole('link', { name: 'Reklamationen', exact: true }).click();
  await page.waitForURL(/\/admin\/returns$/);
  const section = page.locator(`#return-${returnId}`);
  await section.waitFor({ state: 'visible' });
  ok(`return ${returnId} is listed as open`);
  // the agent returned 1 of 1 leads: above GEOLEAD_RETURN_MAX_RATE the API refuses a plain approval (409)
  await section.locator('form.approve').getByRole('button', { name: 'Genehmigen' }).click();
  const refusal = page.locator('p.error');
  await refusal.waitFor({ state: 'visible' });
  const refusalText = (await refusal.innerText()).trim();
  check(/force/.test(refusalText) && (await page.content()).includes('HTTP 409'),
    'a plain approval above the return rate shows the API\'s refusal (409)', refusalText);
  await page.getByRole('link', { name: 'Zurück' }).click();
  await section.waitFor({ state: 'visible' });
  await section.locator('form.approve').getByLabel('trotz hoher Quote').check();
  await section.locator('form.approve').getByLabel('Notiz').fill('Nummer geprüft');
  await section.locator('form.approve').getByRole('button', { name: 'Genehmigen' }).click();
  await page.getByText(`Reklamation ${returnId} ist genehmigt.`).waitFor({ state: 'visible' });
  check(await section.count() === 0, `after the approval return ${returnId} is no longer open`);
  const approvedShot = path.join(screenshotDir, 'admin-return-approved.png');
  await page.screenshot({ path: approvedShot, fullPage: true });
  console.log(`[browser] screenshot ${approvedShot}`);

  check(cspViolations.length === 0, 'no Content-Security-Policy violations', cspViolations.join(' | '));
  console.log(`[browser] PASS ${checks} checks`);
  exitCode = 0;
} catch (error) {
  console.log(`[browser] FAIL while ${step}: ${error.message.split('\n')[0]}`);
  console.log(error.stack ?? String(error));
  if (page) {
    const failedShot = path.join(screenshotDir, 'admin-failure.png');
    await page.screenshot({ path: failedShot, fullPage: true }).then(() => console.log(`[browser] screenshot ${failedShot}`), () => {});
  }
} finally {
  await context?.close().catch(() => {});
  fs.rmSync(userDataDir, { recursive: true, force: true });
  clearTimeout(watchdog);
}
process.exit(exitCode);
