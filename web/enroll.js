// Enrolling a second factor: on a first login (the broker's pending-login cookie, no
// session yet) or later, by a logged-in user adding one. The first-login answer is a
// login answer, so the page then goes on to the user's home page.
import { api, ApiError } from './api.js';
import { homeFor, showMessage, clearMessage, describeError, busy, startPage } from './ui.js';
import { createCredential, webAuthnAvailable, describeWebAuthnError } from './webauthn.js';
import { StepUp } from './stepup.js';

const message = document.getElementById('page-message');
const params = new URLSearchParams(window.location.search);
const allowed = (params.get('methods') ?? 'totp,webauthn').split(',').filter(Boolean);
const totpSection = document.getElementById('totp-section');
const webauthnSection = document.getElementById('webauthn-section');
const firstLogin = params.has('first');
// Logged in, adding a factor needs a fresh step-up (the broker answers 403 otherwise); a
// first login has no session to step up and goes straight through.
class Cancelled extends Error {}
let stepUp = null;
const guarded = async (action) => {
  if (!stepUp) return action();
  const result = await stepUp.run(action);
  if (result === null) throw new Cancelled();
  return result;
};

function failed(error) {
  if (error instanceof Cancelled) {
    showMessage(message, 'Cancelled: your identity was not confirmed.', 'info');
    return;
  }
  if (firstLogin && error instanceof ApiError && error.status === 401) {
    // The pending login lasts five minutes and a wrong code is not told apart from an
    // expired login: say both, and offer the way back.
    showMessage(message, 'That did not work. Check the code, or log in again if more than five minutes have passed.', 'error');
    return;
  }
  showMessage(message, describeError(error), 'error');
}

function finished(answer) {
  if (firstLogin) {
    showMessage(message, 'Second factor set up. Logging you in…', 'ok');
    window.location.assign(homeFor(answer.roles));
    return;
  }
  showMessage(message, 'Second factor added.', 'ok');
  totpSection.hidden = true;
  webauthnSection.hidden = true;
  document.getElementById('done').hidden = false;
}

// The QR code arrives as SVG text; an <img> with a data: address shows it without letting
// it run anything (the Content-Security-Policy allows data: images only).
function svgDataUrl(svg) {
  if (svg.startsWith('data:')) return svg;
  let binary = '';
  for (const byte of new TextEncoder().encode(svg)) binary += String.fromCharCode(byte);
  return `data:image/svg+xml;base64,${btoa(binary)}`;
}

async function chooseTotp(button) {
  clearMessage(message);
  webauthnSection.hidden = true;
  await busy(button, async () => {
    try {
      const begin = await guarded(() => api.enrollTotpBegin());
      if (begin.qrSvg) document.getElementById('totp-qr').src = svgDataUrl(begin.qrSvg);
      document.getElementById('totp-secret').textContent = begin.secret ?? '';
      totpSection.hidden = false;
      document.getElementById('totp-title').focus();
    } catch (error) {
      failed(error);
    }
  });
}

function chooseWebAuthn() {
  clearMessage(message);
  totpSection.hidden = true;
  if (!webAuthnAvailable()) {
    showMessage(message, 'This browser cannot use security keys. Choose the authenticator app.', 'error');
    return;
  }
  webauthnSection.hidden = false;
  document.getElementById('webauthn-title').focus();
}

document.getElementById('totp-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  clearMessage(message);
  const form = event.currentTarget;
  const code = form.elements.code.value.trim();
  try {
    finished(await busy(document.getElementById('totp-confirm'), () => guarded(() => api.enrollTotpFinish(code, form.elements.label.value.trim()))));
  } catch (error) {
    form.elements.code.value = '';
    failed(error);
  }
});

document.getElementById('webauthn-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  clearMessage(message);
  const label = event.currentTarget.elements.label.value.trim();
  await busy(document.getElementById('webauthn-register'), async () => {
    let begin;
    try {
      begin = await guarded(() => api.enrollWebAuthnBegin());
    } catch (error) {
      failed(error);
      return;
    }
    let credential;
    try {
      credential = await createCredential(begin.publicKey);
    } catch (error) {
      showMessage(message, describeWebAuthnError(error) ?? 'The security key could not be registered.', 'error');
      return;
    }
    try {
      finished(await guarded(() => api.enrollWebAuthnFinish(begin.ceremonyId, credential, label)));
    } catch (error) {
      failed(error);
    }
  });
});

// Started disabled (see login.js): armed once the forms are handled here.
for (const id of ['totp-confirm', 'webauthn-register']) document.getElementById(id).disabled = false;

async function init() {
  if (!firstLogin) {
    // Logged in: adding a factor (the session's CSRF token comes with /api/me). Not logged
    // in: startPage would send us to the login page, which is right.
    const me = await startPage();
    if (!me) return;
    document.getElementById('intro').textContent = 'Add another second factor to your account.';
    document.getElementById('done-link').href = homeFor(me.roles);
    stepUp = new StepUp(me);
  }
  const totpButton = document.getElementById('choose-totp');
  totpButton.hidden = !allowed.includes('totp');
  totpButton.addEventListener('click', () => chooseTotp(totpButton));
  const keyButton = document.getElementById('choose-webauthn');
  keyButton.hidden = !allowed.includes('webauthn');
  keyButton.addEventListener('click', chooseWebAuthn);
  document.getElementById('choices').hidden = false;
}

await init();
