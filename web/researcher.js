// The researcher's page: own projects, asking for a session, own requests (starting an
// approved one) and own sessions. Starting returns a one-time gateway ticket: it is kept
// in this tab's sessionStorage for the desktop page and never put in an address.
import { api } from './api.js';
import {
  el, startPage, table, showMessage, clearMessage, describeError, formatTime, formatDuration, listIn, busy,
} from './ui.js';

const message = document.getElementById('page-message');
let projects = [];

const hours = (seconds) => Math.round((seconds / 3600) * 100) / 100;

function renderProjects() {
  document.getElementById('projects').replaceChildren(table('Your projects', [
    { label: 'Project', value: (p) => p.name },
    { label: 'Longest session', value: (p) => formatDuration(p.maxDurationSeconds) },
    { label: 'Approvals needed', value: (p) => (p.requireTwoApprovers ? 'two' : 'one') },
  ], projects, 'You are not a member of any project yet. Ask an administrator.'));
  const select = document.getElementById('project');
  select.replaceChildren(...projects.map((p) => el('option', { value: p.name }, p.name)));
  document.getElementById('request-submit').disabled = !projects.length;
  boundDuration();
}

// The duration field follows the chosen project's longest session.
function boundDuration() {
  const project = projects.find((p) => p.name === document.getElementById('project').value);
  const duration = document.getElementById('duration');
  const hint = document.getElementById('duration-hint');
  if (!project?.maxDurationSeconds) {
    duration.removeAttribute('max');
    hint.textContent = '';
    return;
  }
  const max = hours(project.maxDurationSeconds);
  duration.max = String(max);
  if (Number(duration.value) > max) duration.value = String(max);
  hint.textContent = `At most ${max} hours for this project.`;
}

function decisionsText(decisions) {
  if (!decisions?.length) return '—';
  return decisions.map((d) => {
    const verdict = d.approved ? 'approved' : 'denied';
    return `${verdict} by ${d.approver ?? 'an approver'}${d.reason ? ` (“${d.reason}”)` : ''}`;
  }).join('; ');
}

function stateBadge(state) {
  return el('span', { class: `badge state-${state}` }, state);
}

async function start(request, button) {
  const startMessage = document.getElementById('start-message');
  clearMessage(startMessage);
  try {
    const answer = await busy(button, () => api.startRequest(request.id));
    // The ticket stays in this tab: sessionStorage is per tab and gone when it closes.
    sessionStorage.setItem(`safedesk.ticket.${answer.sessionId}`, JSON.stringify({
      ticket: answer.ticket, gatewayUrl: answer.gatewayUrl ?? '', receivedAt: Date.now(),
    }));
    showMessage(startMessage, 'Session started. Opening the desktop…', 'ok');
    startMessage.replaceChildren('Session ', el('code', { id: 'started-session-id' }, answer.sessionId),
      ' started. Opening the desktop…');
    window.location.assign(`/desktop.html?session=${encodeURIComponent(answer.sessionId)}`);
  } catch (error) {
    showMessage(startMessage, describeError(error), 'error');
    await loadRequests();
  }
}

function renderRequests(requests) {
  requests.sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0));
  document.getElementById('requests').replaceChildren(table('Your requests', [
    { label: 'Asked', value: (r) => formatTime(r.createdAt) },
    { label: 'Project', value: (r) => r.project },
    { label: 'Purpose', value: (r) => el('span', { class: 'purpose' }, r.purpose) },
    { label: 'Duration', value: (r) => formatDuration(r.durationSeconds) },
    { label: 'State', value: (r) => stateBadge(r.state) },
    { label: 'Approved until', value: (r) => (r.state === 'approved' ? formatTime(r.approvedUntil) : '—') },
    { label: 'Decisions', value: (r) => decisionsText(r.decisions) },
    {
      label: 'Action',
      value: (r) => (r.state === 'approved'
        ? el('button', {
          type: 'button', class: 'start', dataset: { request: r.id },
          'aria-label': `Start session for ${r.project}`, onclick: (e) => start(r, e.currentTarget),
        }, 'Start')
        : ''),
    },
  ], requests, 'No requests yet.'));
}

async function loadRequests() {
  try {
    renderRequests(listIn(await api.requests(), 'requests'));
  } catch (error) {
    document.getElementById('requests').replaceChildren(el('p', { class: 'message message-error' }, describeError(error)));
  }
}

async function loadSessions() {
  try {
    const sessions = listIn(await api.sessions(), 'sessions');
    sessions.sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0));
    document.getElementById('sessions').replaceChildren(table('Your sessions', [
      { label: 'Session', value: (s) => el('code', {}, s.id) },
      { label: 'Project', value: (s) => s.project },
      { label: 'Started', value: (s) => formatTime(s.startedAt) },
      { label: 'Ended', value: (s) => (s.endedAt ? formatTime(s.endedAt) : el('span', { class: 'badge state-live' }, 'live')) },
      { label: 'End reason', value: (s) => s.endReason || '—' },
    ], sessions, 'No sessions yet.'));
  } catch (error) {
    document.getElementById('sessions').replaceChildren(el('p', { class: 'message message-error' }, describeError(error)));
  }
}

async function loadProjects() {
  try {
    projects = listIn(await api.projects(), 'projects');
    renderProjects();
  } catch (error) {
    document.getElementById('projects').replaceChildren(el('p', { class: 'message message-error' }, describeError(error)));
    document.getElementById('request-submit').disabled = true;
  }
}

document.getElementById('project').addEventListener('change', boundDuration);
document.getElementById('refresh').addEventListener('click', (e) => busy(e.currentTarget, () => Promise.all([loadRequests(), loadSessions()])));

document.getElementById('request-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const requestMessage = document.getElementById('request-message');
  clearMessage(requestMessage);
  const purpose = form.elements.purpose.value.trim();
  if (!purpose) {
    showMessage(requestMessage, 'Say what the session is for.', 'error');
    form.elements.purpose.focus();
    return;
  }
  const durationSeconds = Math.round(Number(form.elements.duration.value) * 3600);
  try {
    const answer = await busy(document.getElementById('request-submit'),
      () => api.createRequest(form.elements.project.value, purpose, durationSeconds));
    showMessage(requestMessage, `Request sent (${answer.state ?? 'pending'}). An administrator will decide on it.`, 'ok');
    form.elements.purpose.value = '';
    await loadRequests();
  } catch (error) {
    showMessage(requestMessage, describeError(error), 'error');
  }
});

const me = await startPage({ role: 'researcher' });
if (me) {
  document.getElementById('content').hidden = false;
  await Promise.all([loadProjects(), loadRequests(), loadSessions()]);
}
