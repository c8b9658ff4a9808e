// The one place that talks to the broker's JSON API (broker/API.md): same origin only,
// credentials by cookie, the CSRF token in a header on every state-changing request.
// The token lives in this module's memory only: each page gets it again from the login
// answer or from /api/me, so it is never written to storage or a URL.
let csrfToken = '';

export function setCsrfToken(token) {
  csrfToken = typeof token === 'string' ? token : '';
}

// An answer other than 2xx. `code` is the API's generic error code (or "network" when the
// broker did not answer at all); the pages turn it into words with describeError().
// `field` names the refused field of an administrator's form (API name), when the broker says.
export class ApiError extends Error {
  constructor(status, code, field = '') {
    super(code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = typeof field === 'string' ? field : '';
  }
}

async function send(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network');
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, data.error || `http_${response.status}`, data.field);
  return data;
}

// Calls where a 401 may mean "wrong factor": never repeated (a repeat would count twice
// towards the lockout and could not succeed anyway).
const FACTOR_PATHS = ['/api/login/', '/api/enroll/', '/api/stepup/'];

async function request(method, path, body) {
  try {
    return await send(method, path, body);
  } catch (error) {
    // The broker gives a new CSRF token on every /api/me (it keeps only a hash), so a
    // second tab of the same session makes this tab's token stale: a POST then gets 401
    // before anything is done. Fetch a fresh token once and repeat; a session that has
    // really ended answers 401 to /api/me too, and that error is the one reported.
    const stale = method !== 'GET' && error.status === 401 && csrfToken && !FACTOR_PATHS.some((p) => path.startsWith(p));
    if (!stale) throw error;
    const me = await send('GET', '/api/me');
    setCsrfToken(me.csrf);
    return send(method, path, body);
  }
}

export const getJson = (path) => request('GET', path);
export const postJson = (path, body) => request('POST', path, body ?? {});

// Query strings carry only search filters, never secrets.
function withQuery(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

// Remembers the CSRF token of any answer that carries one (login, enrollment, /api/me).
function keepCsrf(answer) {
  if (answer && typeof answer.csrf === 'string') setCsrfToken(answer.csrf);
  return answer;
}

export const api = {
  health: () => getJson('/api/health'),
  me: async () => keepCsrf(await getJson('/api/me')),
  logout: () => postJson('/api/logout'),

  loginPassword: (username, password) => postJson('/api/login/password', { username, password }),
  loginTotp: async (code) => keepCsrf(await postJson('/api/login/totp', { code })),
  loginWebAuthnBegin: () => postJson('/api/login/webauthn/begin'),
  loginWebAuthnFinish: async (ceremonyId, credential) =>
    keepCsrf(await postJson('/api/login/webauthn/finish', { ceremonyId, credential })),

  enrollTotpBegin: () => postJson('/api/enroll/totp/begin'),
  enrollTotpFinish: async (code, label) => keepCsrf(await postJson('/api/enroll/totp/finish', { code, label })),
  enrollWebAuthnBegin: () => postJson('/api/enroll/webauthn/begin'),
  enrollWebAuthnFinish: async (ceremonyId, credential, label) =>
    keepCsrf(await postJson('/api/enroll/webauthn/finish', { ceremonyId, credential, label })),

  stepUpTotp: (code) => postJson('/api/stepup/totp', { code }),
  stepUpWebAuthnBegin: () => postJson('/api/stepup/webauthn/begin'),
  stepUpWebAuthnFinish: (ceremonyId, credential) => postJson('/api/stepup/webauthn/finish', { ceremonyId, credential }),

  projects: () => getJson('/api/projects'),
  requests: () => getJson('/api/requests'),
  createRequest: (project, purpose, durationSeconds) => postJson('/api/requests', { project, purpose, durationSeconds }),
  startRequest: (id) => postJson('/api/requests/start', { id }),
  sessions: () => getJson('/api/sessions'),

  pendingRequests: () => getJson('/api/admin/requests'),
  decide: (id, approve, reason) => postJson('/api/admin/requests/decide', { id, approve, reason }),
  liveSessions: () => getJson('/api/admin/sessions'),
  terminate: (id, reason) => postJson('/api/admin/sessions/terminate', { id, reason }),
  users: () => getJson('/api/admin/users'),
  createUser: (name, displayName, roles) => postJson('/api/admin/users', { name, displayName, roles }),
  updateUser: (name, changes) => postJson('/api/admin/users/update', { name, ...changes }),
  resetFactors: (name) => postJson('/api/admin/users/reset-factors', { name }),
  adminProjects: () => getJson('/api/admin/projects'),
  // The whole project document with the version it was read at (0 creates a new one).
  saveProject: (project) => postJson('/api/admin/projects', project),

  auditSessions: (filters) => getJson(withQuery('/api/audit/sessions', filters)),
  // The broker registers the trail as /api/audit/session?id= (API.md says /sessions/<id>).
  auditTrail: (id) => getJson(withQuery('/api/audit/session', { id })),
  auditLog: () => getJson('/api/audit/log'),
};
