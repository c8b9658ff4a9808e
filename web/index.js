// The landing page: whether the broker answers, and the way in (the login page, or the
// user's own page when a session is already open).
import { api } from './api.js';
import { el, homeFor, showMessage, describeError, renderHeader } from './ui.js';

const status = document.getElementById('status');
try {
  const health = await api.health();
  showMessage(status, health.version ? `Broker ${health.version} is up.` : 'The broker is up.', 'ok');
} catch (error) {
  showMessage(status, `The broker did not answer: ${describeError(error)}`, 'error');
}

// An open session shows the user's pages; without one (401) the Log in link stays.
try {
  const me = await api.me();
  renderHeader(me);
  document.getElementById('next').replaceChildren(
    el('a', { class: 'button', href: homeFor(me.roles) }, `Continue as ${me.displayName || me.user}`));
} catch {
  // Not logged in, or the broker is down: the status line above already says which.
}
