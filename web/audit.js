// The auditor's page, read-only: sessions found by filters, one session's trail, and the
// audit log with the broker's verification of its hash chain. Nothing here posts.
import { api } from './api.js';
import {
  el, startPage, table, showMessage, clearMessage, describeError, formatTime, listIn, renderValue, busy,
} from './ui.js';

// Dates from the form are local calendar days; the API takes Unix seconds, "to" inclusive
// of its whole day.
function dayStart(value) {
  return value ? Math.floor(new Date(`${value}T00:00:00`).getTime() / 1000) : '';
}
function dayEnd(value) {
  return value ? Math.floor(new Date(`${value}T23:59:59`).getTime() / 1000) : '';
}

function filters() {
  const form = document.getElementById('filters').elements;
  return {
    user: form.user.value.trim(),
    project: form.project.value.trim(),
    approver: form.approver.value.trim(),
    from: dayStart(form.from.value),
    to: dayEnd(form.to.value),
    blocked: form.blocked.checked ? 'true' : '',
  };
}

const blockedOf = (s) => (typeof s.blocked === 'boolean' ? (s.blocked ? 'yes' : 'no') : String(s.blocked ?? '—'));

async function showTrail(session, button) {
  const section = document.getElementById('trail-section');
  const container = document.getElementById('trail');
  section.hidden = false;
  document.getElementById('trail-title').textContent = `Trail of session ${session.id}`;
  try {
    const trail = await busy(button, () => api.auditTrail(session.id));
    container.replaceChildren(renderTrail(trail));
  } catch (error) {
    container.replaceChildren(el('p', { class: 'message message-error' }, describeError(error)));
  }
  document.getElementById('trail-title').focus();
}

// A trail is {session, request (with its decisions), verify, trail: [audit records]}:
// the facts first, then who decided what, then the events in order. Keys the broker may
// add later are shown as they come rather than dropped.
function renderTrail(answer) {
  const parts = [];
  if (typeof answer.verify === 'string') parts.push(verifyLine(answer.verify));
  if (answer.session) parts.push(el('h3', {}, 'Session'), renderValue(answer.session));
  if (answer.request) {
    const { decisions, ...request } = answer.request;
    parts.push(el('h3', {}, 'Request'), renderValue(request));
    parts.push(el('h3', {}, 'Decisions'), table('Decisions', [
      { label: 'Approver', value: (d) => d.approver },
      { label: 'Decision', value: (d) => (d.approved ? 'approved' : 'denied') },
      { label: 'Reason', value: (d) => d.reason || '—' },
      { label: 'At', value: (d) => formatTime(d.at) },
    ], decisions ?? [], 'No decisions.'));
  }
  parts.push(el('h3', {}, 'Events'), eventTable('Session events', listIn(answer, 'trail', 'events', 'records')));
  for (const [key, value] of Object.entries(answer)) {
    if (!['verify', 'session', 'request', 'trail', 'events', 'records'].includes(key)) {
      parts.push(el('h3', {}, key), renderValue(value, key));
    }
  }
  return el('div', { id: 'trail-content' }, parts);
}

// The broker's verdict on the hash chain of what it read: "OK: …" or "BROKEN …".
function verifyLine(verify) {
  const ok = verify.startsWith('OK');
  return el('p', { class: `verify ${ok ? 'verify-ok' : 'verify-broken'}`, dataset: { verified: String(ok) } },
    ok ? `Verified: ${verify}` : `Verification FAILED: ${verify}`);
}

// Audit records (common/AUDIT_FORMAT.md) are {seq, ts, type, session, prev, data}: show
// the sequence, time, type, session and the event's data; the hash link only shortened,
// since the broker's verification line is what says whether the chain holds.
const TIME_KEYS = ['ts', 'time', 'at', 'timestamp'];
const pick = (record, keys) => keys.map((k) => record[k]).find((v) => v !== undefined);
const pairs = (object) => Object.entries(object)
  .map(([k, v]) => `${k}=${typeof v === 'object' && v !== null ? JSON.stringify(v) : v}`).join('  ');
function details(record) {
  if (record.data && typeof record.data === 'object') return pairs(record.data);
  const skip = new Set([...TIME_KEYS, 'type', 'seq', 'session', 'prev']);
  return pairs(Object.fromEntries(Object.entries(record).filter(([k]) => !skip.has(k))));
}
function eventTime(record) {
  const t = pick(record, TIME_KEYS);
  if (typeof t === 'number') return formatTime(t > 1e11 ? Math.floor(t / 1000) : t);
  if (typeof t === 'string' && !Number.isNaN(Date.parse(t))) return el('time', { datetime: t }, new Date(t).toLocaleString());
  return t ?? '—';
}
function eventTable(caption, records) {
  return table(caption, [
    { label: 'Seq', value: (r) => (r.seq ?? '—') },
    { label: 'Time', value: eventTime },
    { label: 'Event', value: (r) => el('code', {}, r.type ?? r.event ?? '—') },
    { label: 'Session', value: (r) => (r.session ? el('code', {}, r.session) : '—') },
    { label: 'Details', value: (r) => el('span', { class: 'details' }, details(r)) },
  ], records, 'No events.');
}

async function search() {
  const message = document.getElementById('sessions-message');
  clearMessage(message);
  try {
    const sessions = listIn(await busy(document.getElementById('search'), () => api.auditSessions(filters())), 'sessions');
    document.getElementById('sessions').replaceChildren(table('Sessions', [
      { label: 'Session', value: (s) => el('code', {}, s.id) },
      { label: 'Researcher', value: (s) => s.user },
      { label: 'Project', value: (s) => s.project },
      { label: 'Started', value: (s) => formatTime(s.startedAt) },
      { label: 'Ended', value: (s) => (s.endedAt ? formatTime(s.endedAt) : el('span', { class: 'badge state-live' }, 'live')) },
      { label: 'Blocked attempts', value: blockedOf },
      {
        label: 'Trail',
        value: (s) => el('button', {
          type: 'button', class: 'secondary trail', dataset: { session: s.id },
          'aria-label': `Show the trail of session ${s.id}`, onclick: (e) => showTrail(s, e.currentTarget),
        }, 'Show trail'),
      },
    ], sessions, 'No sessions match these filters.'));
    showMessage(message, `${sessions.length} session${sessions.length === 1 ? '' : 's'} found.`, 'info');
  } catch (error) {
    document.getElementById('sessions').replaceChildren();
    showMessage(message, describeError(error), 'error');
  }
}

async function loadLog() {
  const verify = document.getElementById('log-verify');
  try {
    const answer = await api.auditLog();
    const ok = typeof answer.verify === 'string' && answer.verify.startsWith('OK');
    verify.className = `verify ${ok ? 'verify-ok' : 'verify-broken'}`;
    verify.dataset.verified = String(ok);
    verify.textContent = ok ? `Verified: ${answer.verify}` : `Verification FAILED: ${answer.verify ?? 'no answer'}`;
    const records = listIn(answer, 'records').slice().reverse();  // newest first
    document.getElementById('log').replaceChildren(eventTable('Audit log, newest first', records));
  } catch (error) {
    verify.className = 'verify verify-broken';
    verify.textContent = describeError(error);
  }
}

document.getElementById('filters').addEventListener('submit', (event) => {
  event.preventDefault();
  search();
});
document.getElementById('reload-log').addEventListener('click', (e) => busy(e.currentTarget, loadLog));

const me = await startPage({ role: 'auditor' });
if (me) {
  document.getElementById('content').hidden = false;
  await Promise.all([search(), loadLog()]);
}
