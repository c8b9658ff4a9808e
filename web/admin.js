// The administrator's page: decide on others' requests, end live sessions, manage users
// and projects.
// Every change goes through StepUp.run, which asks for a fresh second factor when the
// broker's step-up window has passed (see stepup.js).
import { api } from './api.js';
import {
  el, startPage, table, showMessage, clearMessage, describeError, formatTime, formatDuration, listIn, busy, ROLE_PAGES,
} from './ui.js';
import { StepUp } from './stepup.js';

let stepUp;
let knownRoles = ROLE_PAGES.map((p) => p.role);

// Runs a change with step-up, reports the outcome in `message`, reloads on success.
async function change(button, message, action, done, reload) {
  clearMessage(message);
  try {
    const result = await busy(button, () => stepUp.run(action));
    if (result === null) {
      showMessage(message, 'Cancelled: your identity was not confirmed.', 'info');
      return;
    }
    showMessage(message, done, 'ok');
  } catch (error) {
    showMessage(message, describeError(error), 'error');
  }
  await reload();
}

function failedInto(container, error) {
  container.replaceChildren(el('p', { class: 'message message-error' }, describeError(error)));
}

// --- pending requests ---------------------------------------------------------------

function decisionControls(request) {
  const reasonId = `reason-${request.id}`;
  const message = document.getElementById('pending-message');
  const decide = (approve) => (event) => {
    const reason = document.getElementById(reasonId);
    if (!approve && !reason.value.trim()) {
      // The broker requires a reason for a denial (the requester reads it); optional otherwise.
      showMessage(message, 'Give a reason for the denial: the requester reads it.', 'error');
      reason.focus();
      return;
    }
    change(event.currentTarget, message, () => api.decide(request.id, approve, reason.value.trim()),
      `Request ${approve ? 'approved' : 'denied'}.`, loadPending);
  };
  return el('div', { class: 'decision', role: 'group', 'aria-label': `Decision on the request of ${requester(request)}` },
    el('label', { for: reasonId, class: 'visually-hidden' }, `Reason for the request of ${requester(request)}`),
    el('input', { id: reasonId, class: 'reason', placeholder: 'Reason (needed to deny)', maxlength: 1000 }),
    el('button', { type: 'button', class: 'approve', dataset: { request: request.id }, onclick: decide(true) }, 'Approve'),
    el('button', { type: 'button', class: 'deny danger', dataset: { request: request.id }, onclick: decide(false) }, 'Deny'));
}

const requester = (r) => r.requesterDisplayName ?? r.requester ?? r.user ?? '—';

async function loadPending() {
  const container = document.getElementById('pending');
  try {
    const requests = listIn(await api.pendingRequests(), 'requests');
    container.replaceChildren(table('Requests waiting for a decision', [
      { label: 'Asked', value: (r) => formatTime(r.createdAt) },
      { label: 'Requester', value: requester },
      { label: 'Project', value: (r) => r.project },
      { label: 'Purpose', value: (r) => el('span', { class: 'purpose' }, r.purpose) },
      { label: 'Duration', value: (r) => formatDuration(r.durationSeconds) },
      { label: 'Decision', value: decisionControls },
    ], requests, 'No requests are waiting.'));
  } catch (error) {
    failedInto(container, error);
  }
}

// --- live sessions ------------------------------------------------------------------

function terminateControls(session) {
  const reasonId = `end-reason-${session.id}`;
  const message = document.getElementById('live-message');
  return el('div', { class: 'decision', role: 'group', 'aria-label': `End session ${session.id}` },
    el('label', { for: reasonId, class: 'visually-hidden' }, `Reason for ending session ${session.id}`),
    el('input', { id: reasonId, class: 'reason', placeholder: 'Reason', maxlength: 1000 }),
    el('button', {
      type: 'button', class: 'danger', onclick: (event) => {
        const reason = document.getElementById(reasonId);
        if (!reason.value.trim()) {
          showMessage(message, 'Give a reason for ending the session.', 'error');
          reason.focus();
          return;
        }
        change(event.currentTarget, message, () => api.terminate(session.id, reason.value.trim()),
          `Session ${session.id} ended.`, loadLive);
      },
    }, 'Terminate'));
}

async function loadLive() {
  const container = document.getElementById('live');
  try {
    const sessions = listIn(await api.liveSessions(), 'sessions');
    container.replaceChildren(table('Live sessions', [
      { label: 'Session', value: (s) => el('code', {}, s.id) },
      { label: 'Who', value: (s) => s.user ?? s.who },
      { label: 'Project', value: (s) => s.project },
      { label: 'Desktop', value: (s) => s.desktop || '—' },
      { label: 'Since', value: (s) => formatTime(s.startedAt ?? s.since) },
      { label: 'Source', value: (s) => s.source || '—' },
      { label: 'End', value: terminateControls },
    ], sessions, 'No live sessions.'));
  } catch (error) {
    failedInto(container, error);
  }
}

// --- users --------------------------------------------------------------------------

function roleBoxes(prefix, checked) {
  return knownRoles.map((role) => el('label', { class: 'check' },
    el('input', { type: 'checkbox', name: 'roles', value: role, id: `${prefix}-${role}`, checked: checked.includes(role) }),
    ` ${role}`));
}

const chosenRoles = (container) => [...container.querySelectorAll('input[name=roles]:checked')].map((i) => i.value);

function factorsText(user) {
  const f = user.factors ?? user.factorCount ?? user.factorCounts;
  if (typeof f === 'number') return String(f);
  if (f && typeof f === 'object') return Object.entries(f).map(([k, v]) => `${k}: ${v}`).join(', ') || '0';
  return '—';
}

function userControls(user) {
  const message = document.getElementById('users-message');
  const rolesGroup = el('fieldset', { class: 'inline-roles' },
    el('legend', { class: 'visually-hidden' }, `Roles of ${user.name}`), roleBoxes(`roles-${user.name}`, user.roles ?? []));
  const saveRoles = el('button', {
    type: 'button', class: 'secondary', onclick: (e) => change(e.currentTarget, message,
      () => api.updateUser(user.name, { roles: chosenRoles(rolesGroup) }), `Roles of ${user.name} saved.`, loadUsers),
  }, 'Save roles');
  const toggle = el('button', {
    type: 'button', class: user.disabled ? 'secondary' : 'danger', onclick: (e) => change(e.currentTarget, message,
      () => api.updateUser(user.name, { disabled: !user.disabled }),
      `${user.name} ${user.disabled ? 'enabled' : 'disabled'}.`, loadUsers),
  }, user.disabled ? 'Enable' : 'Disable');
  // Resetting factors locks the user out until they enroll again: the button asks twice.
  const reset = el('button', { type: 'button', class: 'danger' }, 'Reset factors');
  reset.addEventListener('click', (e) => {
    if (reset.dataset.armed !== 'true') {
      reset.dataset.armed = 'true';
      reset.textContent = 'Confirm reset';
      setTimeout(() => { reset.dataset.armed = ''; reset.textContent = 'Reset factors'; }, 8000);
      return;
    }
    change(e.currentTarget, message, () => api.resetFactors(user.name),
      `Factors of ${user.name} reset: they set up a new one at next login.`, loadUsers);
  });
  return el('div', { class: 'user-actions' }, rolesGroup, saveRoles, toggle, reset);
}

async function loadUsers() {
  const container = document.getElementById('users');
  try {
    const users = listIn(await api.users(), 'users');
    knownRoles = [...new Set([...knownRoles, ...users.flatMap((u) => u.roles ?? [])])];
    container.replaceChildren(table('Users', [
      { label: 'User', value: (u) => u.name },
      { label: 'Display name', value: (u) => u.displayName || '—' },
      { label: 'State', value: (u) => el('span', { class: `badge ${u.disabled ? 'state-denied' : 'state-approved'}` }, u.disabled ? 'disabled' : 'active') },
      { label: 'Factors', value: factorsText },
      { label: 'Roles and actions', value: userControls },
    ], users, 'No users.'));
    const newRoles = document.getElementById('new-roles');
    newRoles.replaceChildren(el('legend', {}, 'Roles'), ...roleBoxes('new-role', ['researcher']));
  } catch (error) {
    failedInto(container, error);
  }
}

document.getElementById('create-user-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const name = form.elements.name.value.trim();
  const roles = chosenRoles(document.getElementById('new-roles'));
  change(document.getElementById('create-user'), document.getElementById('users-message'),
    async () => {
      const answer = await api.createUser(name, form.elements.displayName.value.trim(), roles);
      form.reset();  // only once created: a refused form keeps what was typed
      return answer;
    }, `User ${name} created.`, loadUsers);
});

// --- projects -----------------------------------------------------------------------

const projectForm = document.getElementById('project-form');
let ruleCount = 0;

function maskRuleRow(rule = { wmClass: '', title: '' }) {
  const n = ++ruleCount;
  const row = el('div', { class: 'mask-rule', role: 'group', 'aria-label': `Mask rule ${n}` },
    el('label', { for: `rule-class-${n}` }, 'Window class'),
    el('input', { id: `rule-class-${n}`, class: 'rule-class', value: rule.wmClass, spellcheck: 'false', maxlength: 256 }),
    el('label', { for: `rule-title-${n}` }, 'Title'),
    el('input', { id: `rule-title-${n}`, class: 'rule-title', value: rule.title, spellcheck: 'false', maxlength: 256 }));
  row.append(el('button', { type: 'button', class: 'secondary', onclick: () => row.remove() }, 'Remove'));
  return row;
}

// Fills the form with `project` (as the list shows it) or empties it for a new one.
function editProject(project) {
  const f = projectForm.elements;
  f.version.value = String(project?.version ?? 0);
  f.name.value = project?.name ?? '';
  f.name.readOnly = Boolean(project);
  f.members.value = (project?.members ?? []).join(', ');
  f.datasetPath.value = project?.datasetPath ?? '';
  if (project) f.pool.value = project.pool;
  f.maxHours.value = String((project?.maxDurationSeconds ?? 8 * 3600) / 3600);
  f.idleMinutes.value = String(Math.round((project?.idleTimeoutSeconds ?? 15 * 60) / 60));
  f.requireTwoApprovers.checked = Boolean(project?.requireTwoApprovers);
  f.watermark.checked = project ? Boolean(project.watermark) : true;
  f.allowPasteIn.checked = Boolean(project?.allowPasteIn);
  document.getElementById('mask-rule-rows').replaceChildren(...(project?.maskRules ?? []).map((r) => maskRuleRow(r)));
  document.getElementById('project-form-title').textContent = project ? `Edit project ${project.name}` : 'New project';
}

function projectFromForm() {
  const f = projectForm.elements;
  return {
    name: f.name.value.trim(),
    members: f.members.value.split(',').map((m) => m.trim()).filter(Boolean),
    datasetPath: f.datasetPath.value.trim(),
    pool: f.pool.value,
    maxDurationSeconds: Math.round(Number(f.maxHours.value) * 3600),
    idleTimeoutSeconds: Math.round(Number(f.idleMinutes.value) * 60),
    requireTwoApprovers: f.requireTwoApprovers.checked,
    watermark: f.watermark.checked,
    allowPasteIn: f.allowPasteIn.checked,
    maskRules: [...document.querySelectorAll('#mask-rule-rows .mask-rule')].map((row) => ({
      wmClass: row.querySelector('.rule-class').value.trim(),
      title: row.querySelector('.rule-title').value.trim(),
    })),
    version: Number(f.version.value),
  };
}

const rulesText = (p) => (p.maskRules ?? []).map((r) => [r.wmClass && `class ${r.wmClass}`, r.title && `title ${r.title}`]
  .filter(Boolean).join(' or ')).join('; ') || 'none';

async function loadProjects() {
  const container = document.getElementById('projects');
  try {
    const answer = await api.adminProjects();
    const pools = answer.pools ?? [];
    const select = projectForm.elements.pool;
    const chosen = select.value;
    select.replaceChildren(...pools.map((p) => el('option', { value: p }, p)));
    if (pools.includes(chosen)) select.value = chosen;
    container.replaceChildren(table('Projects', [
      { label: 'Project', value: (p) => p.name },
      { label: 'Members', value: (p) => (p.members ?? []).join(', ') || '—' },
      { label: 'Dataset', value: (p) => el('code', {}, p.datasetPath || '—') },
      { label: 'Pool', value: (p) => p.pool },
      { label: 'Limits', value: (p) => `${formatDuration(p.maxDurationSeconds)}, idle ${formatDuration(p.idleTimeoutSeconds)}` +
        (p.requireTwoApprovers ? ', two approvers' : '') },
      { label: 'Mask rules', value: rulesText },
      { label: 'Changed', value: (p) => `v${p.version} by ${p.updatedBy}` },
      { label: 'Edit', value: (p) => el('button', { type: 'button', class: 'secondary', dataset: { project: p.name },
        onclick: () => { editProject(p); projectForm.elements.members.focus(); } }, 'Edit') },
    ], listIn(answer, 'projects'), 'No projects.'));
  } catch (error) {
    failedInto(container, error);
  }
}

projectForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const project = projectFromForm();
  const message = document.getElementById('projects-message');
  change(document.getElementById('save-project'), message, async () => {
    const answer = await api.saveProject(project);
    editProject({ ...project, version: answer.version, updatedBy: me.user });
    return answer;
  }, `Project ${project.name} saved.`, loadProjects);
});
document.getElementById('add-mask-rule').addEventListener('click', () => {
  const row = maskRuleRow();
  document.getElementById('mask-rule-rows').append(row);
  row.querySelector('input').focus();
});
document.getElementById('new-project').addEventListener('click', () => editProject(null));

document.getElementById('refresh').addEventListener('click', (e) => busy(e.currentTarget, () => Promise.all([loadPending(), loadLive()])));

const me = await startPage({ role: 'administrator' });
if (me) {
  stepUp = new StepUp(me, document.getElementById('stepup-status'));
  document.getElementById('content').hidden = false;
  editProject(null);
  await Promise.all([loadPending(), loadLive(), loadUsers(), loadProjects()]);
}
