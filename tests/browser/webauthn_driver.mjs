// Drives Debian's /usr/bin/chromium (never a downloaded browser) through playwright-core
// against the WebAuthn test server (tests/integration/webauthn), using the CDP WebAuthn
// domain's virtual authenticator with user verification.
//
//   node webauthn_driver.mjs --url http://localhost:PORT [--capture DIR]
//
// Each step expects the server to accept or refuse; the server never says why (that is
// in its audit log, which the gtest reads). --capture writes the browser's output as
// fixtures for the unit tests (tests/unit/auth/fixtures/webauthn/).
// Prints "STEP <json>" per step and exits 0 when every required step went as expected.
import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS, CHROMIUM_PATH, addVirtualAuthenticator } from './chromium.mjs';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith('--') ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []));
if (!args.url) {
  console.error('usage: webauthn_driver.mjs --url http://localhost:PORT [--capture DIR]');
  process.exit(2);
}

const results = [];
let failed = false;
function record(step, expect, outcome, optional = false) {
  const got = outcome.browserError ? 'browser-error' : outcome.ok ? 'accepted' : 'refused';
  const pass = got === expect || (optional && got === 'browser-error');
  if (!pass) failed = true;
  const entry = { step, expect, got, pass, optional, ...(outcome.browserError ? { browserError: outcome.browserError } : {}) };
  results.push(entry);
  console.log('STEP ' + JSON.stringify(entry));
  return outcome;
}

const fixtures = {};
function capture(file, key, value) {
  if (!args.capture || !value || value.browserError) return;
  fixtures[file] ??= { rpId: 'localhost', origin: new URL(args.url).origin };
  fixtures[file][key] = value;
}
function writeFixtures() {
  if (!args.capture) return;
  mkdirSync(args.capture, { recursive: true });
  for (const [file, content] of Object.entries(fixtures)) {
    writeFileSync(join(args.capture, file), JSON.stringify(content, null, 2) + '\n');
  }
}
const keep = (r) => r && !r.browserError && { challenge: r.challenge, body: JSON.parse(r.body), ...(r.userHandle ? { userHandle: r.userHandle } : {}) };

async function run(page, cdp) {
  const api = (fn, arg) => page.evaluate(([f, a]) => window.safedeskWebAuthn[f](a), [fn, arg]);
  const add = (extra = {}) => addVirtualAuthenticator(cdp, extra);
  const remove = (authenticatorId) => cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
  const override = (authenticatorId, bits = {}) => cdp.send('WebAuthn.setResponseOverrideBits', { authenticatorId, ...bits });

  // ES256, attestation "none": register, log in twice, then every refusal the browser can produce.
  let a = await add();
  const reg = record('register-es256', 'accepted', await api('register', { user: 'alice', step: 'register-es256', algs: [-7] }));
  capture('es256_none.json', 'registration', keep(reg));
  capture('es256_none.json', 'login1', keep(record('login-1', 'accepted', await api('login', { user: 'alice', step: 'login-1' }))));
  const login2 = record('login-2', 'accepted', await api('login', { user: 'alice', step: 'login-2' }));
  capture('es256_none.json', 'login2', keep(login2));
  record('replay-same-ceremony', 'refused', await api('replay', { path: '/api/login/finish', body: login2.body, step: 'replay-same-ceremony' }));
  record('replay-new-ceremony', 'refused', await api('replay', { path: '/api/login/finish', body: login2.body, step: 'replay-new-ceremony', freshCeremonyFor: 'alice' }));
  await cdp.send('WebAuthn.setUserVerified', { authenticatorId: a, isUserVerified: false });
  const noUv = record('login-uv-discouraged', 'refused', await api('login', { user: 'alice', step: 'login-uv-discouraged', userVerification: 'discouraged' }));
  capture('es256_none.json', 'loginNoUv', keep(noUv));
  await cdp.send('WebAuthn.setUserVerified', { authenticatorId: a, isUserVerified: true });
  await override(a, { isBadUP: true });
  capture('es256_none.json', 'loginNoUp', keep(record('login-up-missing', 'refused', await api('login', { user: 'alice', step: 'login-up-missing' }))));
  await override(a, { isBadUV: true });
  record('login-uv-bit-cleared', 'refused', await api('login', { user: 'alice', step: 'login-uv-bit-cleared' }));
  await override(a, { isBogusSignature: true });
  record('login-bogus-signature', 'refused', await api('login', { user: 'alice', step: 'login-bogus-signature' }));
  await override(a, {});
  record('login-3', 'accepted', await api('login', { user: 'alice', step: 'login-3' }));
  await remove(a);

  // Registration without UV must be refused: from an authenticator that has none (the
  // page asking for less), and with the UV bit cleared on a capable one.
  a = await add({ hasUserVerification: false, isUserVerified: false });
  const regNoUv = record('register-uv-discouraged', 'refused', await api('register', {
    user: 'bob', step: 'register-uv-discouraged', userVerification: 'discouraged', residentKey: 'discouraged', algs: [-7] }));
  capture('registration_no_uv.json', 'registration', keep(regNoUv));
  await remove(a);
  a = await add();
  await override(a, { isBadUV: true });
  record('register-uv-bit-cleared', 'refused', await api('register', { user: 'bob', step: 'register-uv-bit-cleared', algs: [-7] }));
  await remove(a);

  // Attestation "direct": Chrome's authenticator answers with a packed statement and x5c.
  a = await add();
  capture('es256_packed.json', 'registration', keep(record('register-packed', 'accepted', await api('register', { user: 'carol', step: 'register-packed', direct: true, algs: [-7] }))));
  capture('es256_packed.json', 'login1', keep(record('login-packed', 'accepted', await api('login', { user: 'carol', step: 'login-packed' }))));
  await remove(a);

  // Extensions in authData (ED flag) with packed attestation: libfido2 must be told of them.
  a = await add({ hasHmacSecret: true });
  const regExt = record('register-packed-extension', 'accepted', await api('register', {
    user: 'dave', step: 'register-packed-extension', direct: true, algs: [-7], extensions: { hmacCreateSecret: true } }), true);
  capture('es256_packed_extension.json', 'registration', keep(regExt));
  if (regExt.ok) record('login-packed-extension', 'accepted', await api('login', { user: 'dave', step: 'login-packed-extension' }));
  await remove(a);

  // The other algorithms, when Chrome's virtual authenticator offers them.
  for (const [name, alg, optional] of [['rs256', -257, false], ['eddsa', -8, true]]) {
    a = await add();
    const r = record(`register-${name}`, 'accepted', await api('register', { user: `${name}-user`, step: `register-${name}`, algs: [alg] }), optional);
    capture(`${name}_none.json`, 'registration', keep(r));
    if (r.ok) capture(`${name}_none.json`, 'login1', keep(record(`login-${name}`, 'accepted', await api('login', { user: `${name}-user`, step: `login-${name}` }))));
    await remove(a);
  }
}

const profile = mkdtempSync(join(tmpdir(), 'safedesk-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS, timeout: 60000 });
try {
  const page = context.pages()[0] ?? await context.newPage();
  page.on('console', (m) => console.log('[page]', m.text()));
  page.on('pageerror', (e) => console.log('[page error]', e.message));
  await page.goto(args.url);
  await page.waitForFunction(() => window.safedeskWebAuthn !== undefined, null, { timeout: 20000 });
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await run(page, cdp);
  writeFixtures();
} catch (e) {
  console.log('FATAL', e?.stack ?? e);
  failed = true;
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log('RESULT ' + JSON.stringify({ pass: !failed, steps: results.length }));
process.exitCode = failed ? 1 : 0;
