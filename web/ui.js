// What every page shares: building DOM nodes (never innerHTML with API data, so names and
// purposes typed by users cannot become markup), the header with navigation by role,
// messages, tables, and the words for the API's generic error codes.
import { api, ApiError } from './api.js';

// The page each role works on, in the order a user with several roles lands on them.
export const ROLE_PAGES = [
  { role: 'researcher', href: '/researcher.html', label: 'Researcher' },
  { role: 'administrator', href: '/admin.html', label: 'Administrator' },
  { role: 'auditor', href: '/audit.html', label: 'Auditor' },
];

export function homeFor(roles) {
  const page = ROLE_PAGES.find((p) => (roles ?? []).includes(p.role));
  return page ? page.href : '/';
}

// el('button', { type: 'button', onclick: fn }, 'Text'): attributes starting with "on" are
// listeners, `class`, `for` and boolean attributes are handled, children may be strings.
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const ERROR_WORDS = {
  network: 'The broker did not answer. Check the connection and try again.',
  unauthenticated: 'You are not logged in, or your session has ended.',
  forbidden: 'You are not allowed to do this.',
  bad_request: 'The broker refused the input. Check the fields and try again.',
  not_found: 'Not found. It may have been removed, or this broker does not offer it yet.',
  conflict: 'This conflicts with the current state (already decided, started or changed). Reload and try again.',
  too_large: 'The input is too large.',
  unavailable: 'The broker is temporarily unavailable. Try again in a moment.',
  step_up_required: 'This change needs your second factor confirmed again.',
  pool_full: 'Every analysis desktop of this project is in use. Try again in a few minutes; your approval is kept.',
};

// Words for the fields an administrator's form can get wrong (the API's field names).
const FIELD_WORDS = {
  name: 'the name (letters, digits, dot, dash, underscore)',
  members: 'the members (existing user names)',
  datasetPath: 'the dataset path (an existing absolute directory on the broker host)',
  pool: 'the pool',
  maxDurationSeconds: 'the maximum duration (1 minute to 7 days)',
  idleTimeoutSeconds: 'the idle timeout (1 minute to 24 hours)',
  maskRules: 'the mask rules (valid regular expressions, each naming a class or a title)',
};

export function describeError(error) {
  if (error instanceof ApiError && error.code === 'bad_request' && error.field) {
    return `The broker refused ${FIELD_WORDS[error.field] ?? `the field ${error.field}`}. Correct it and save again.`;
  }
  if (error instanceof ApiError) return ERROR_WORDS[error.code] ?? `The broker answered with an error (${error.code}).`;
  return 'Something went wrong on this page. Reload and try again.';
}

// Shows `text` in a message element (a polite live region in the markup); kind is
// "error", "ok" or "info" and only changes the look.
export function showMessage(node, text, kind = 'info') {
  node.textContent = text;
  node.className = `message message-${kind}`;
  node.hidden = !text;
}

export function clearMessage(node) {
  showMessage(node, '');
}

export function formatTime(unixSeconds) {
  if (!unixSeconds) return '—';
  return new Date(unixSeconds * 1000).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatDuration(seconds) {
  if (!seconds && seconds !== 0) return '—';
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.round((seconds % 3600) / 60);
  if (hours && minutes) return `${hours} h ${minutes} min`;
  return hours ? `${hours} h` : `${minutes} min`;
}

// A table with a caption; `columns` are { label, value: (row) => string | Node }.
export function table(caption, columns, rows, emptyText = 'Nothing to show.') {
  if (!rows.length) return el('p', { class: 'empty' }, emptyText);
  return el('table', {},
    el('caption', { class: 'visually-hidden' }, caption),
    el('thead', {}, el('tr', {}, columns.map((c) => el('th', { scope: 'col' }, c.label)))),
    el('tbody', {}, rows.map((row) => el('tr', {}, columns.map((c) => el('td', {}, c.value(row) ?? '—'))))));
}

// Values the API sends without a fixed shape (audit records, trails) shown as they are:
// objects as definition lists, lists of objects as tables, times as dates.
const looksLikeTime = (key, value) =>
  typeof value === 'number' && value > 1e9 && value < 1e11 && /(at|until|time|since|from|to)$/i.test(key);

export function renderValue(value, key = '') {
  if (value === null || value === undefined || value === '') return '—';
  if (looksLikeTime(key, value)) return formatTime(value);
  if (value === 0 && /(At|Until)$/.test(key)) return '—';  // "not yet" (a live session's endedAt)
  if (Array.isArray(value)) {
    if (!value.length) return el('span', { class: 'empty' }, 'none');
    if (value.every((v) => v && typeof v === 'object' && !Array.isArray(v))) {
      const keys = [...new Set(value.flatMap((v) => Object.keys(v)))];
      return table(key || 'Items', keys.map((k) => ({ label: k, value: (row) => renderValue(row[k], k) })), value);
    }
    return value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(', ');
  }
  if (typeof value === 'object') {
    return el('dl', { class: 'fields' },
      Object.entries(value).flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, renderValue(v, k))]));
  }
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

// The first list found in an answer: the API wraps lists in an object whose key names
// them ({"requests":[…]}); accept a bare list too.
export function listIn(answer, ...keys) {
  if (Array.isArray(answer)) return answer;
  for (const key of keys) if (Array.isArray(answer?.[key])) return answer[key];
  const first = Object.values(answer ?? {}).find(Array.isArray);
  return first ?? [];
}

export async function logout() {
  try {
    await api.logout();
  } finally {
    // Whatever the answer, leave: a stale page must not look logged in.
    sessionStorage.clear();
    window.location.assign('/login.html');
  }
}

export function renderHeader(me) {
  const header = document.querySelector('header.site-header');
  if (!header) return;
  const here = window.location.pathname;
  const links = ROLE_PAGES.filter((p) => (me.roles ?? []).includes(p.role)).map((p) =>
    el('li', {}, el('a', { href: p.href, 'aria-current': p.href === here ? 'page' : null }, p.label)));
  header.replaceChildren(
    el('a', { class: 'brand', href: '/' }, 'safedesk'),
    el('nav', { 'aria-label': 'Main' }, el('ul', {}, links)),
    el('div', { class: 'who' },
      el('span', { id: 'who-name' }, me.displayName || me.user),
      el('button', { type: 'button', class: 'secondary', id: 'logout', onclick: () => logout() }, 'Log out')));
}

// The start of every logged-in page: who is this, may they be here. Not logged in goes to
// the login page (coming back here afterwards); any other failure is said on the page.
export async function startPage({ role } = {}) {
  const message = document.getElementById('page-message');
  let me;
  try {
    me = await api.me();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      window.location.assign(`/login.html?next=${encodeURIComponent(window.location.pathname)}`);
      return null;
    }
    if (message) showMessage(message, describeError(error), 'error');
    return null;
  }
  renderHeader(me);
  if (role && !(me.roles ?? []).includes(role)) {
    if (message) showMessage(message, `This page is for the ${role} role, which your account does not have.`, 'error');
    return null;
  }
  return me;
}

// Runs `action` with the button disabled (no double submission) and returns its result.
export async function busy(button, action) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await action();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}
