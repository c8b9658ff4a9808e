// Step-up: actions that change things (decisions, user and project changes, adding or
// removing a factor while logged in) need a fresh second factor within the broker's
// step_up_window. The page asks before acting when /api/me's `stepUpUntil` has passed,
// and again when the broker answers 403 "step_up_required" (the window ran out on the way).
import { api, ApiError } from './api.js';
import { el, showMessage, clearMessage, describeError, busy } from './ui.js';
import { getAssertion, describeWebAuthnError, webAuthnAvailable } from './webauthn.js';

// A step-up that ends within this margin is treated as ended: the request still has to
// travel, and asking a little early beats a refused decision.
const MARGIN_SECONDS = 10;

// The dialog asking for the factor; built here so every page that changes things gets the
// same one without copying markup.
function buildDialog() {
  const dialog = el('dialog', { id: 'stepup-dialog', 'aria-labelledby': 'stepup-title', 'aria-describedby': 'stepup-why' },
    el('h2', { id: 'stepup-title' }, 'Confirm it is you'),
    el('p', { id: 'stepup-why' }, 'This change needs a second factor checked in the last few minutes.'),
    el('p', { id: 'stepup-message', class: 'message', role: 'status', 'aria-live': 'polite', hidden: true }),
    el('form', { id: 'stepup-totp-form' },
      el('div', { class: 'field' },
        el('label', { for: 'stepup-code' }, 'Code from your authenticator app'),
        el('input', { id: 'stepup-code', name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code',
          pattern: '[0-9]{6,8}', maxlength: 8, required: true })),
      el('button', { type: 'submit', id: 'stepup-totp' }, 'Confirm with code')),
    el('p', {}, el('button', { type: 'button', id: 'stepup-webauthn' }, 'Use security key')),
    el('p', {}, el('button', { type: 'button', id: 'stepup-cancel', class: 'secondary' }, 'Cancel')));
  document.body.append(dialog);
  return dialog;
}

export class StepUp {
  // `status`, when given, is where the state and the "Verify again" control show.
  constructor(me, status = null) {
    this.me = me;
    this.dialog = buildDialog();
    this.status = status;
    this.pending = null;
    this.wire();
    this.render();
    if (status) setInterval(() => this.render(), 15000);
  }

  valid() {
    return (this.me.stepUpUntil ?? 0) > Date.now() / 1000 + MARGIN_SECONDS;
  }

  render() {
    if (!this.status) return;
    const verifyAgain = el('button', { type: 'button', class: 'secondary', id: 'verify-again', onclick: () => this.ask() },
      'Verify again');
    const text = this.valid()
      ? `Identity confirmed until ${new Date(this.me.stepUpUntil * 1000).toLocaleTimeString(undefined, { timeStyle: 'short' })}.`
      : 'Decisions and changes will ask you to confirm your identity with your second factor.';
    this.status.replaceChildren(el('span', { id: 'stepup-state', dataset: { valid: String(this.valid()) } }, text), ' ', verifyAgain);
  }

  wire() {
    const kinds = (this.me.factors ?? []).map((f) => f.kind);
    const hasTotp = !kinds.length || kinds.includes('totp');
    const hasKey = (!kinds.length || kinds.includes('webauthn')) && webAuthnAvailable();
    const form = this.dialog.querySelector('#stepup-totp-form');
    const keyButton = this.dialog.querySelector('#stepup-webauthn');
    form.hidden = !hasTotp;
    keyButton.hidden = !hasKey;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const code = form.elements.code.value.trim();
      form.elements.code.value = '';
      this.attempt(form.querySelector('button[type=submit]'), () => api.stepUpTotp(code));
    });
    keyButton.addEventListener('click', () => this.attempt(keyButton, async () => {
      const begin = await api.stepUpWebAuthnBegin();
      return api.stepUpWebAuthnFinish(begin.ceremonyId, await getAssertion(begin.publicKey));
    }));
    this.dialog.querySelector('#stepup-cancel').addEventListener('click', () => this.dialog.close('cancel'));
    // Closing by Escape, Cancel or success all end here; only success resolves true.
    this.dialog.addEventListener('close', () => {
      const resolve = this.pending;
      this.pending = null;
      resolve?.(this.dialog.returnValue === 'verified');
    });
  }

  async attempt(button, verify) {
    const message = this.dialog.querySelector('#stepup-message');
    clearMessage(message);
    try {
      const answer = await busy(button, verify);
      this.me.stepUpUntil = answer.stepUpUntil ?? this.me.stepUpUntil;
      this.render();
      this.dialog.close('verified');
    } catch (error) {
      const words = error instanceof ApiError ? (error.status === 401 || error.status === 403
        ? 'That did not confirm your identity. Try again.' : describeError(error))
        : describeWebAuthnError(error) ?? 'That did not confirm your identity. Try again.';
      showMessage(message, words, 'error');
    }
  }

  // Opens the dialog; resolves true once the broker accepted a fresh factor.
  ask() {
    if (this.pending) return Promise.resolve(false);
    clearMessage(this.dialog.querySelector('#stepup-message'));
    this.dialog.returnValue = '';
    return new Promise((resolve) => {
      this.pending = resolve;
      this.dialog.showModal();
      const first = this.dialog.querySelector('#stepup-totp-form:not([hidden]) input, #stepup-webauthn:not([hidden])');
      first?.focus();
    });
  }

  // Runs `action`, confirming identity first when the step-up has ended, and once more if
  // the broker answers step_up_required. Resolves to the action's result, or null when the
  // user cancelled the dialog.
  async run(action) {
    if (!this.valid() && !(await this.ask())) return null;
    try {
      return await action();
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 'step_up_required') throw error;
      this.me = { ...this.me, stepUpUntil: 0 };
      this.render();
      if (!(await this.ask())) return null;
      return action();
    }
  }
}
