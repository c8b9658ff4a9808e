// The researcher's desktop page (web/desktop.html) in headless Chromium against a real
// gateway and desktop: the page is served by the broker, the ticket sits in the tab's
// sessionStorage exactly where the researcher page leaves it, and the page opens the
// gateway itself. Driven by tests/integration/gateway/gateway_browser_test.cc.
//
//   node desktop_e2e.mjs --url https://localhost:PORT --cookie VALUE --session ID --held FILE
//        [--expect live|refused] [--pattern x,y,w,h,RRGGBB,RRGGBB,RRGGBB,RRGGBB]
//        [--absent x,y,w,h,RRGGBB] [--pointer x,y] [--type TEXT] [--hold-ms N]
//
// --cookie: the researcher's broker session cookie (the test logged in over the API).
// --held:   a file with {"ticket","gatewayUrl"}, what the researcher page stores.
// --expect: live (default) waits for frames; refused waits for the gateway's refusal.
// --pattern: four flat quadrants that must appear on the canvas, pixel for pixel (90 %
//            of each quadrant's inner part: the watermark nudges a few pixels).
// --absent: a region that must not be mostly that colour once the pattern is shown.
// --pointer: move the mouse there (desktop coordinates) before typing.
// --type:   text typed on the keyboard into the canvas; "\n" presses Enter.
// --hold-ms: keep the page open that long at the end (the test watches the desktop).
//
// Prints one JSON line per step; exit 1 on the first failure (with the page's status),
// 2 on a usage error.
import { readFileSync } from 'node:fs';
import { launchBrowser } from './chromium.mjs';

const WAIT_MS = 20000;

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i].startsWith('--')) args[argv[i].slice(2)] = argv[++i];
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
if (!args.url || !args.cookie || !args.session || !args.held) {
  console.error('usage: desktop_e2e.mjs --url URL --cookie VALUE --session ID --held FILE [options]');
  process.exit(2);
}
const base = new URL(args.url).origin;
const held = readFileSync(args.held, 'utf8');
const started = Date.now();
const report = (entry) => console.log(JSON.stringify({ ...entry, t: Date.now() - started }));

function numbers(text, count, name) {
  const parts = text.split(',');
  if (parts.length !== count) {
    console.error(`--${name}: expected ${count} comma-separated values`);
    process.exit(2);
  }
  return parts;
}

const pattern = args.pattern ? numbers(args.pattern, 8, 'pattern') : null;
const absent = args.absent ? numbers(args.absent, 5, 'absent') : null;

// Share of the pixels of a canvas region that are exactly `rgb` (hex RRGGBB).
function shareInPage([x, y, w, h, rgb]) {
  const canvas = document.getElementById('desktop');
  const data = canvas.getContext('2d').getImageData(x, y, w, h).data;
  const r = parseInt(rgb.slice(0, 2), 16);
  const g = parseInt(rgb.slice(2, 4), 16);
  const b = parseInt(rgb.slice(4, 6), 16);
  let match = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i] === r && data[i + 1] === g && data[i + 2] === b) match += 1;
  }
  return match / (w * h);
}

function quadrants(p) {
  const [x, y, w, h] = p.slice(0, 4).map(Number);
  return [0, 1, 2, 3].map((q) => [x + (q % 2) * (w / 2) + 4, y + Math.floor(q / 2) * (h / 2) + 4, w / 2 - 8, h / 2 - 8, p[4 + q]]);
}

const browser = await launchBrowser();
let page;
let exitCode = 0;
try {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1400, height: 1000 } });
  await context.addCookies([{ name: '__Host-safedesk', value: args.cookie, domain: new URL(base).hostname, path: '/',
    secure: true, httpOnly: true, sameSite: 'Strict' }]);
  page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(error.message));
  const addresses = [];
  page.on('request', (request) => addresses.push(request.url()));

  // The researcher page leaves the ticket in this tab's sessionStorage, then opens the
  // desktop page; do the same (an address never carries it).
  await page.goto(`${base}/desktop.html`, { waitUntil: 'load' });
  await page.evaluate(([key, value]) => sessionStorage.setItem(key, value), [`safedesk.ticket.${args.session}`, held]);
  await page.goto(`${base}/desktop.html?session=${encodeURIComponent(args.session)}`, { waitUntil: 'load' });

  const want = args.expect ?? 'live';
  await page.waitForFunction((state) => {
    const s = window.safedeskDesktop;
    return s && (s.state === 'refused' || s.state === 'ended' || s.state === 'closed' || s.state === 'no-ticket' ||
      (s.state === state && (state !== 'live' || s.frames > 0)));
  }, want, { timeout: WAIT_MS });
  const status = await page.evaluate(() => ({ ...window.safedeskDesktop }));
  const left = await page.evaluate((id) => sessionStorage.getItem(`safedesk.ticket.${id}`), args.session);
  const ticket = JSON.parse(held).ticket;
  report({ step: 'opened', state: status.state, error: status.error, frames: status.frames, width: status.width,
    height: status.height, ticketLeftInTab: left !== null, ticketInAnAddress: addresses.some((a) => a.includes(ticket)) });
  if (status.state !== want) throw new Error(`the page is ${status.state}, not ${want}: ${status.error}`);
  if (left !== null) throw new Error('the ticket stays in the tab after it was used');

  if (pattern) {
    const regions = quadrants(pattern);
    // Polled from here: page.waitForFunction cannot take shareInPage as an argument.
    const deadline = Date.now() + 15000;
    let shares = [];
    while (Date.now() < deadline) {
      shares = [];
      for (const region of regions) shares.push(await page.evaluate(shareInPage, region));
      if (shares.every((s) => s >= 0.9)) break;
      await page.waitForTimeout(100);
    }
    report({ step: 'pattern', shares });
    if (!shares.every((s) => s >= 0.9)) throw new Error(`the pattern is not on the canvas: ${shares}`);
  }
  if (absent) {
    const share = await page.evaluate(shareInPage, absent);
    report({ step: 'absent', share });
    if (share >= 0.5) throw new Error(`the region ${absent.slice(0, 4)} shows ${absent[4]} (${share})`);
  }
  if (args.pointer) {
    const [x, y] = numbers(args.pointer, 2, 'pointer').map(Number);
    const box = await page.locator('#desktop').boundingBox();
    await page.mouse.move(box.x + (x * box.width) / status.width, box.y + (y * box.height) / status.height);
    await page.waitForTimeout(300);
  }
  if (args.type !== undefined) {
    await page.locator('#desktop').focus();
    for (const part of args.type.split(/(\n)/)) {
      if (part === '\n') await page.keyboard.press('Enter');
      else if (part) await page.keyboard.type(part, { delay: 30 });
    }
    report({ step: 'typed', characters: args.type.length });
  }
  if (args['hold-ms']) await page.waitForTimeout(Number(args['hold-ms']));
  if (problems.length) throw new Error(`page errors: ${problems.join('; ')}`);
  report({ step: 'done', ok: true });
} catch (error) {
  let status = null;
  try {
    status = await page?.evaluate(() => ({ ...window.safedeskDesktop }));
  } catch { /* the page may be gone */ }
  report({ step: 'failed', ok: false, error: error.message.split('\n')[0], status });
  exitCode = 1;
} finally {
  await browser.close();
}
process.exit(exitCode);
