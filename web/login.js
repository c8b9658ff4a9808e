// The login page: password first, then the second factor the broker asks for (TOTP code
// or security key), or the enrollment page on a first login. Every refusal reads "Login
// failed": the broker never says which part was wrong, and neither does the page.
import { api, ApiError } from './api.js';
import { el, homeFor, showMessage, clearMessage, describeError, busy, logout } from './ui.js';
import { getAssertion, webAuthnAvailable, describeWebAuthnError } from './webauthn.js';

const message = document.getElementById('page-message');
const passwordForm = document.getElementById('password-form');
const secondFactor = document.getElementById('second-factor');
const totpForm = document.getElementById('totp-form');
const webauthnChoice = document.getElementById('webauthn-choice');

// Only a path on this site may be the place to return to, so a crafted link cannot send
// a freshly logged-in user elsewhere.
function returnPath(roles) {
  const next = new URLSearchParams(window.location.search).get('next');
  if (next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login')) return next;
  return homeFor(roles);
}

function loginFailed(error) {
  // A broker that is down or refuses for load is worth saying; anything else is generic.
  const generic = !(error instanceof ApiError) || error.status === 401 || error.status === 400 || error.status === 403;
  showMessage(message, generic ? 'Login failed.' : describeError(error), 'error');
}

function startOver() {
  secondFactor.hidden = true;
  passwordForm.hidden = false;
  passwordForm.reset();
  document.getElementById('username').focus();
}

function showSecondFactor(next, methods) {
  const totp = next === 'totp' || (next === 'choose' && methods.includes('totp'));
  const key = next === 'webauthn' || (next === 'choose' && methods.includes('webauthn'));
  passwordForm.hidden = true;
  secondFactor.hidden = false;
  totpForm.hidden = !totp;
  webauthnChoice.hidden = !key;
  document.getElementById('or-separator').hidden = !(totp && key);
  if (key && !webAuthnAvailable()) showMessage(message, 'This browser cannot use security keys.', 'error');
  (totp ? document.getElementById('totp-code') : document.getElementById('webauthn-login')).focus();
}

passwordForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearMessage(message);
  const username = passwordForm.elements.username.value.trim();
  const password = passwordForm.elements.password.value;
  try {
    const answer = await busy(document.getElementById('password-submit'), () => api.loginPassword(username, password));
    passwordForm.elements.password.value = '';
    if (answer.next === 'enroll') {
      // Which factors may be enrolled is not secret; it rides along in the address.
      const methods = (answer.methods ?? []).join(',');
      window.location.assign(`/enroll.html?first=1${methods ? `&methods=${encodeURIComponent(methods)}` : ''}`);
      return;
    }
    showSecondFactor(answer.next, answer.methods ?? []);
  } catch (error) {
    passwordForm.elements.password.value = '';
    loginFailed(error);
  }
});

function loggedIn(answer) {
  showMessage(message, 'Logged in.', 'ok');
  window.location.assign(returnPath(answer.roles));
}

totpForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearMessage(message);
  const code = totpForm.elements.code.value.trim();
  try {
    loggedIn(await busy(document.getElementById('totp-submit'), () => api.loginTotp(code)));
  } catch (error) {
    totpForm.elements.code.value = '';
    loginFailed(error);
  }
});

// The submit buttons start disabled: a form submitted before this module handled it
// would go natively, with its fields in the request. Armed now that it handles them.
for (const id of ['password-submit', 'totp-submit']) document.getElementById(id).disabled = false;

document.getElementById('webauthn-login').addEventListener('click', async (event) => {
  clearMessage(message);
  await busy(event.currentTarget, async () => {
    let begin;
    try {
      begin = await api.loginWebAuthnBegin();
    } catch (error) {
      loginFailed(error);
      return;
    }
    let credential;
    try {
      credential = await getAssertion(begin.publicKey);
    } catch (error) {
      showMessage(message, describeWebAuthnError(error) ?? 'Login failed.', 'error');
      return;
    }
    try {
      loggedIn(await api.loginWebAuthnFinish(begin.ceremonyId, credential));
    } catch (error) {
      loginFailed(error);
    }
  });
});

document.getElementById('start-over').addEventListener('click', startOver);

// Someone already logged in in this browser is told so: logging in again as another user
// on top of a live session is confusing, and logging out first is one click.
async function noticeOpenSession() {
  let me;
  try {
    me = await api.me();
  } catch {
    return;  // not logged in: the usual case
  }
  const notice = document.getElementById('already');
  notice.replaceChildren(`You are logged in as ${me.displayName || me.user}. `,
    el('a', { href: homeFor(me.roles) }, 'Continue'), ' or ',
    el('button', { type: 'button', class: 'link', onclick: () => logout() }, 'log out'), ' first.');
  notice.hidden = false;
}

// The pending login lasts five minutes; after that the broker answers 401 and the user
// starts over, which "Login failed" plus the Start over button makes clear enough.
document.getElementById('username').focus();
await noticeOpenSession();
