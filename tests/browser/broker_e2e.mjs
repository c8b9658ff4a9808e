// The broker's pages end to end in headless Chromium: a researcher asks for a session, an
// administrator approves it with a step-up, the researcher starts it and holds a ticket,
// an auditor finds the session and its approval. Users log in for the first time, so
// enrollment runs too: TOTP for the researcher and the auditor (codes computed here from
// the secret the page shows), a security key for the administrator (CDP virtual
// authenticator with user verification).
//
//   node broker_e2e.mjs --url https://localhost:PORT --users users.json [--screenshots DIR]
//
// users.json: {"researcher":{"username","password"},"admin":{…},"auditor":{…}}. The
// users must exist with the roles researcher / administrator / auditor, no second factor
// yet, and the researcher must be a member of at least one project.
//
// Prints one JSON line per step ({"step","ok",…}); stops at the first failure with a
// clear message, a screenshot named FAILED-<step>.png, and exit status 1. Exit 2 is a
// usage error. The broker's certificate is not checked (ignoreHTTPSErrors): the test and
// the demo use their own CAs, and Chromium still allows WebAuthn on such a page.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addVirtualAuthenticator, launchBrowser } from './chromium.mjs';
import { TotpClock } from './totp.mjs';

const WAIT_MS = 20000;

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i].startsWith('--')) args[argv[i].slice(2)] = argv[i + 1]?.startsWith('--') ? 'true' : argv[++i];
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
if (!args.url || !args.users) {
  console.error('usage: broker_e2e.mjs --url https://localhost:PORT --users users.json [--screenshots DIR]');
  process.exit(2);
}
const base = new URL(args.url).origin;
const users = JSON.parse(readFileSync(args.users, 'utf8'));
for (const who of ['researcher', 'admin', 'auditor']) {
  const u = users[who];
  if (!u?.password || !(u.username ?? u.name)) {
    console.error(`users file: "${who}" needs "username" and "password"`);
    process.exit(2);
  }
  u.username ??= u.name;
}
if (args.screenshots) mkdirSync(args.screenshots, { recursive: true });

// --- reporting ------------------------------------------------------------------------

class StepFailure extends Error {}
let shotCount = 0;
const started = Date.now();

function report(entry) {
  console.log(JSON.stringify({ ...entry, t: Date.now() - started }));
}

async function screenshot(page, name) {
  if (!args.screenshots) return null;
  shotCount += 1;
  const file = join(args.screenshots, `${String(shotCount).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// Each browser tab collects its script errors and CSP refusals: either means a page is
// broken even when the flow happens to go on.
// A password in any address a tab requests (history, server logs, Referer) fails the
// step too; a form submitted natively before its script is ready would do exactly that.
function watch(page, who) {
  page.problems = [];
  page.on('request', (request) => {
    const url = request.url();
    for (const user of Object.values(users)) {
      if (url.includes(encodeURIComponent(user.password)) || url.includes(user.password)) {
        page.problems.push(`${who}: a password appears in the address ${url.split('?')[0]}?…`);
      }
    }
  });
  page.on('pageerror', (error) => page.problems.push(`${who}: page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) {
      page.problems.push(`${who}: ${message.text()}`);
    }
  });
}

async function step(name, page, action) {
  const t0 = Date.now();
  try {
    const detail = (await action()) ?? {};
    if (page.problems.length) throw new StepFailure(page.problems.join('; '));
    report({ step: name, ok: true, ms: Date.now() - t0, ...detail });
    return detail;
  } catch (error) {
    let shot = null;
    try {
      shot = await screenshot(page, `FAILED-${name}`);
    } catch { /* the page may be gone */ }
    const message = await pageMessages(page);
    report({ step: name, ok: false, ms: Date.now() - t0, url: page.url(), error: error.message.split('\n')[0],
      pageMessages: message, screenshot: shot });
    throw new StepFailure(`step ${name} failed: ${error.message.split('\n')[0]}`);
  }
}

// The visible messages of the page (what a user would read), to say why a step failed.
async function pageMessages(page) {
  try {
    return await page.locator('.message:not([hidden]), .verify').allInnerTexts();
  } catch {
    return [];
  }
}

const expect = (condition, message) => {
  if (!condition) throw new Error(message);
};

// --- actions shared by the users --------------------------------------------------------

async function visit(page, path, name) {
  await page.goto(base + path, { waitUntil: 'load' });
  await screenshot(page, name);
}

async function waitForPath(page, path) {
  try {
    await page.waitForURL((url) => url.pathname === path, { timeout: WAIT_MS });
  } catch {
    throw new Error(`expected to reach ${path} within ${WAIT_MS / 1000} s, still at ${new URL(page.url()).pathname}`);
  }
  await page.waitForLoadState('load');
}

async function passwordStep(page, user) {
  await page.getByLabel('User name').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Continue' }).click();
}

// First login: password, then the enrollment page with the chosen factor. Returns the
// TOTP clock for TOTP enrollments (for later codes of the same user).
async function firstLogin(page, who, user, factor, homePath) {
  await step(`${who}-password`, page, async () => {
    await visit(page, '/login.html', `${who}-login`);
    await passwordStep(page, user);
    await waitForPath(page, '/enroll.html');
    await screenshot(page, `${who}-enroll`);
  });
  let clock = null;
  if (factor === 'totp') {
    await step(`${who}-enroll-totp`, page, async () => {
      await page.locator('#choose-totp').click();
      const secretNode = page.locator('#totp-secret');
      await secretNode.waitFor({ state: 'visible', timeout: WAIT_MS });
      const secret = (await secretNode.textContent()).trim();
      expect(/^[A-Z2-7= ]{16,}$/i.test(secret), 'the enrollment page shows no base32 secret in #totp-secret');
      const qr = await page.locator('#totp-qr').getAttribute('src');
      expect(qr?.startsWith('data:image/svg+xml;base64,'), 'the QR code is not an SVG data: image');
      await screenshot(page, `${who}-enroll-totp`);
      clock = new TotpClock(secret);
      await page.getByLabel('Code from the app').fill(await clock.nextCode());
      await page.getByRole('button', { name: 'Confirm' }).click();
      await waitForPath(page, homePath);
    });
  } else {
    await step(`${who}-enroll-security-key`, page, async () => {
      await page.locator('#choose-webauthn').click();
      await page.getByRole('button', { name: 'Register security key' }).click();
      await waitForPath(page, homePath);
    });
  }
  return clock;
}

// --- the flow ---------------------------------------------------------------------------

// A wrong password reads "Login failed." and nothing more specific.
async function wrongPasswordRefused(page) {
  await step('login-refused', page, async () => {
    await visit(page, '/login.html', 'login');
    await passwordStep(page, { username: users.researcher.username, password: `${users.researcher.password}-wrong` });
    const message = page.locator('#page-message.message-error');
    await message.waitFor({ timeout: WAIT_MS });
    const text = (await message.innerText()).trim();
    expect(text === 'Login failed.', `a refused login says "${text}", not "Login failed."`);
    await screenshot(page, 'login-refused');
  });
}

// A role page without a session sends the visitor to log in, and back afterwards.
async function protectedPageRedirects(page) {
  await step('auditor-redirected-to-login', page, async () => {
    await page.goto(`${base}/audit.html`);
    await waitForPath(page, '/login.html');
    const next = new URL(page.url()).searchParams.get('next');
    expect(next === '/audit.html', `the login page was not told to come back (next=${next})`);
  });
}

async function researcherAsks(page) {
  await wrongPasswordRefused(page);
  await firstLogin(page, 'researcher', users.researcher, 'totp', '/researcher.html');
  const purpose = `e2e check ${new Date().toISOString()}: descriptive statistics of claims`;
  await step('researcher-request', page, async () => {
    const option = page.locator('#project option').first();
    await option.waitFor({ state: 'attached', timeout: WAIT_MS });
    const project = await option.getAttribute('value');
    await screenshot(page, 'researcher-home');
    await page.getByLabel('Purpose').fill(purpose);
    await page.getByLabel('Duration (hours)').fill('1');
    await page.getByRole('button', { name: 'Ask for approval' }).click();
    await page.locator('#request-message.message-ok').waitFor({ timeout: WAIT_MS });
    const row = page.locator('#requests tr', { hasText: purpose });
    await row.waitFor({ timeout: WAIT_MS });
    expect(/pending/i.test(await row.innerText()), 'the new request is not shown as pending');
    await screenshot(page, 'researcher-requested');
    return { project };
  });
  return purpose;
}

// The step-up is done with the security key either way: when the login counts as a fresh
// factor (the broker does so), through "Verify again" before approving; otherwise the
// approval itself opens the dialog and it is answered there.
async function adminApproves(page, purpose) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await addVirtualAuthenticator(cdp);
  await firstLogin(page, 'admin', users.admin, 'webauthn', '/admin.html');
  await step('admin-step-up', page, async () => {
    const state = page.locator('#stepup-state');
    await state.waitFor({ timeout: WAIT_MS });
    await screenshot(page, 'admin-home');
    if (await state.getAttribute('data-valid') !== 'true') return { mode: 'at-approval' };
    await page.locator('#verify-again').click();
    const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
    await dialog.waitFor({ timeout: WAIT_MS });
    await screenshot(page, 'admin-step-up');
    await dialog.getByRole('button', { name: 'Use security key' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: WAIT_MS });
    await page.locator('#stepup-state[data-valid="true"]').waitFor({ timeout: WAIT_MS });
    return { mode: 'verify-again' };
  });
  return step('admin-approve', page, async () => {
    const row = page.locator('#pending tr', { hasText: purpose });
    await row.waitFor({ timeout: WAIT_MS });
    expect((await row.innerText()).includes(users.researcher.username), 'the pending request does not name its requester');
    await row.getByLabel(/Reason/).fill('e2e: purpose matches the project');
    await row.getByRole('button', { name: 'Approve' }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
    const outcome = await Promise.race([
      page.locator('#pending-message:not([hidden])').waitFor({ timeout: WAIT_MS }).then(() => 'message'),
      dialog.waitFor({ timeout: WAIT_MS }).then(() => 'dialog'),
    ]);
    if (outcome === 'dialog') {
      await screenshot(page, 'admin-step-up-at-approval');
      await dialog.getByRole('button', { name: 'Use security key' }).click();
      await page.locator('#pending-message:not([hidden])').waitFor({ timeout: WAIT_MS });
    }
    const text = await page.locator('#pending-message').innerText();
    expect(/approved/i.test(text), `the approval was not accepted: "${text}"`);
    await screenshot(page, 'admin-approved');
    return { stepUpDialogAtApproval: outcome === 'dialog' };
  });
}

// The administrator adds a mask rule to the researcher's project: the form, the step-up
// already made, the list showing version 2 by the administrator.
async function adminEditsProject(page, project) {
  return step('admin-project', page, async () => {
    const row = page.locator('#projects tr', { hasText: project });
    await row.waitFor({ timeout: WAIT_MS });
    await row.getByRole('button', { name: 'Edit' }).click();
    await page.getByRole('button', { name: 'Add a mask rule' }).click();
    const rule = page.getByRole('group', { name: /^Mask rule/ }).last();
    await rule.getByLabel('Title').fill('^Patient record');
    await screenshot(page, 'admin-project-form');
    await page.getByRole('button', { name: 'Save project' }).click();
    await page.locator('#projects-message.message-ok').waitFor({ timeout: WAIT_MS });
    const saved = page.locator('#projects tr', { hasText: 'title ^Patient record' });
    await saved.waitFor({ timeout: WAIT_MS });
    const text = await saved.innerText();
    expect(text.includes(`v2 by ${users.admin.username}`), `the project list does not show the new version: "${text}"`);
    await screenshot(page, 'admin-project-saved');
  });
}

async function researcherStarts(page, purpose) {
  return step('researcher-start', page, async () => {
    await visit(page, '/researcher.html', 'researcher-approved');
    const row = page.locator('#requests tr', { hasText: purpose });
    await row.waitFor({ timeout: WAIT_MS });
    expect(/approved/i.test(await row.innerText()), 'the request is not shown as approved');
    // Every address the tab asks for from here on, WebSocket included: none may carry a
    // ticket ("v1." + base64url payload + "." + signature).
    const addresses = [];
    page.on('request', (request) => addresses.push(request.url()));
    page.on('websocket', (socket) => addresses.push(socket.url()));
    await row.getByRole('button', { name: /^Start/ }).click();
    await waitForPath(page, '/desktop.html');
    const sessionId = new URL(page.url()).searchParams.get('session');
    expect(sessionId, 'the desktop page address carries no session id');
    expect((await page.locator('#session-id').innerText()).trim() === sessionId, 'the desktop page does not show the session id');
    // The ticket must stay out of addresses (and so out of history, logs and Referer).
    await page.waitForFunction(() => window.safedeskDesktop?.state !== 'starting', null, { timeout: WAIT_MS });
    const ticketLike = /v1\.[A-Za-z0-9_-]{40,}\.[A-Za-z0-9_-]{40,}/;
    expect(addresses.length > 0 && !addresses.some((address) => ticketLike.test(address)), 'a ticket appears in an address');
    return { sessionId };
  });
}

// The desktop page opens the gateway with the ticket and draws the desktop; the ticket
// is spent (gone from the tab); a paste into the page is refused and only reported.
async function researcherSeesDesktop(page, sessionId) {
  return step('researcher-desktop-live', page, async () => {
    await page.waitForFunction(() => window.safedeskDesktop?.state === 'live' && window.safedeskDesktop.frames > 0,
      null, { timeout: WAIT_MS });
    const status = await page.evaluate(() => ({ ...window.safedeskDesktop }));
    expect(status.width > 0 && status.height > 0, `the desktop has no size: ${JSON.stringify(status)}`);
    const left = await page.evaluate((id) => sessionStorage.getItem(`safedesk.ticket.${id}`), sessionId);
    expect(left === null, 'the ticket stays in the tab after it was used');
    await page.locator('#desktop').focus();
    await page.evaluate(() => {
      const data = new DataTransfer();
      data.setData('text/plain', 'a pasted secret');
      document.getElementById('desktop').dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    });
    await page.waitForTimeout(500);
    await screenshot(page, 'researcher-desktop');
    return { frames: status.frames, width: status.width, height: status.height };
  });
}

async function auditorChecks(page, sessionId) {
  await protectedPageRedirects(page);
  await firstLogin(page, 'auditor', users.auditor, 'totp', '/audit.html');
  await step('auditor-sessions', page, async () => {
    const row = page.locator('#sessions tr', { hasText: sessionId });
    await row.waitFor({ timeout: WAIT_MS });
    await screenshot(page, 'auditor-home');
    await page.getByLabel('Researcher').fill(users.researcher.username);
    await page.getByRole('button', { name: 'Search' }).click();
    await row.waitFor({ timeout: WAIT_MS });
    expect((await row.innerText()).includes(users.researcher.username), 'the session row does not name the researcher');
    await screenshot(page, 'auditor-filtered');
  });
  await step('auditor-trail', page, async () => {
    await page.locator('#sessions tr', { hasText: sessionId }).getByRole('button', { name: /trail/i }).click();
    const trail = page.locator('#trail-content');
    await trail.waitFor({ timeout: WAIT_MS });
    const text = await trail.innerText();
    const approvalsShown = text.includes(users.admin.username)
      || (await page.locator('#sessions tr', { hasText: sessionId }).innerText()).includes(users.admin.username);
    expect(approvalsShown, `neither the trail nor the session row names the approver ${users.admin.username}`);
    await screenshot(page, 'auditor-trail');
  });
  await step('auditor-log', page, async () => {
    const verify = page.locator('#log-verify[data-verified]');
    await verify.waitFor({ timeout: WAIT_MS });
    expect(await verify.getAttribute('data-verified') === 'true', `the audit log does not verify: ${await verify.innerText()}`);
    expect(await page.locator('#log tr', { hasText: 'request.approved' }).count() > 0, 'the audit log shows no request.approved');
    await page.locator('#log-title').scrollIntoViewIfNeeded();
    await screenshot(page, 'auditor-log');
  });
}

// --- main -------------------------------------------------------------------------------

const browser = await launchBrowser();
let failed = false;
try {
  // One context per user: separate cookie jars, as three people on three machines.
  const tab = async (who) => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watch(page, who);
    return page;
  };
  const researcher = await tab('researcher');
  const admin = await tab('admin');
  const auditor = await tab('auditor');
  const purpose = await researcherAsks(researcher);
  await adminApproves(admin, purpose);
  await adminEditsProject(admin, 'claims');
  const { sessionId } = await researcherStarts(researcher, purpose);
  await researcherSeesDesktop(researcher, sessionId);
  await auditorChecks(auditor, sessionId);
  await step('logout', researcher, async () => {
    await visit(researcher, '/researcher.html', 'researcher-sessions');
    await researcher.getByRole('button', { name: 'Log out' }).click();
    await waitForPath(researcher, '/login.html');
    const me = await researcher.evaluate(async () => (await fetch('/api/me')).status);
    expect(me === 401, `after logout /api/me answers ${me}, not 401`);
  });
} catch (error) {
  failed = true;
  if (!(error instanceof StepFailure)) report({ step: 'driver', ok: false, error: error?.stack ?? String(error) });
  console.error(error.message);
} finally {
  await browser.close();
}
report({ step: 'result', ok: !failed, screenshots: shotCount });
process.exitCode = failed ? 1 : 0;
