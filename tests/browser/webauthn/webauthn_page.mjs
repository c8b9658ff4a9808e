// The page side of the WebAuthn browser test. It does what the broker's login page will
// do: ask the server to begin a ceremony, turn the JSON options into the binary form
// navigator.credentials wants, and post the browser's answer back as base64url JSON.
// The driver may tweak a request the way a tampered client could (ask for less user
// verification, restrict algorithms); the server must refuse on its own checks.

const toB64u = (buffer) =>
  btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const fromB64u = (text) =>
  Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

function log(line) {
  document.getElementById('log').textContent += `${line}\n`;
}

async function post(path, body, step) {
  const headers = { 'Content-Type': 'application/json' };
  if (step) headers['X-Test-Step'] = step;
  const response = await fetch(path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

const descriptors = (list) => (list || []).map((c) => ({ ...c, id: fromB64u(c.id) }));

function creationOptions(json, { userVerification, residentKey, algs, extensions }) {
  const publicKey = {
    ...json,
    challenge: fromB64u(json.challenge),
    user: { ...json.user, id: fromB64u(json.user.id) },
    excludeCredentials: descriptors(json.excludeCredentials),
    authenticatorSelection: { ...json.authenticatorSelection },
  };
  if (userVerification) publicKey.authenticatorSelection.userVerification = userVerification;
  if (residentKey) publicKey.authenticatorSelection.residentKey = residentKey;
  if (algs) publicKey.pubKeyCredParams = json.pubKeyCredParams.filter((p) => algs.includes(p.alg));
  if (extensions) publicKey.extensions = extensions;
  return publicKey;
}

async function register({ user, step, direct = false, ...tweaks }) {
  const base = direct ? '/api/register-direct' : '/api/register';
  const begin = await post(`${base}/begin`, { user });
  let credential;
  try {
    credential = await navigator.credentials.create({ publicKey: creationOptions(begin.publicKey, tweaks) });
  } catch (e) {
    return { browserError: `${e.name}: ${e.message}` };
  }
  const body = JSON.stringify({
    user,
    ceremonyId: begin.ceremonyId,
    credential: {
      id: credential.id,
      rawId: toB64u(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: toB64u(credential.response.clientDataJSON),
        attestationObject: toB64u(credential.response.attestationObject),
      },
    },
  });
  const result = await post(`${base}/finish`, body, step);
  log(`${step}: ${result.ok ? 'accepted' : 'refused'}`);
  return {
    ok: result.ok, body, challenge: begin.publicKey.challenge, userHandle: begin.publicKey.user.id,
    credentialId: toB64u(credential.rawId), alg: credential.response.getPublicKeyAlgorithm(),
    extensions: credential.getClientExtensionResults(),
  };
}

async function login({ user, step, userVerification }) {
  const begin = await post('/api/login/begin', { user });
  const json = begin.publicKey;
  const publicKey = { ...json, challenge: fromB64u(json.challenge), allowCredentials: descriptors(json.allowCredentials) };
  if (userVerification) publicKey.userVerification = userVerification;
  let assertion;
  try {
    assertion = await navigator.credentials.get({ publicKey });
  } catch (e) {
    return { browserError: `${e.name}: ${e.message}` };
  }
  const r = assertion.response;
  const body = JSON.stringify({
    user,
    ceremonyId: begin.ceremonyId,
    credential: {
      id: assertion.id,
      rawId: toB64u(assertion.rawId),
      type: assertion.type,
      response: {
        clientDataJSON: toB64u(r.clientDataJSON),
        authenticatorData: toB64u(r.authenticatorData),
        signature: toB64u(r.signature),
        userHandle: r.userHandle ? toB64u(r.userHandle) : null,
      },
    },
  });
  const result = await post('/api/login/finish', body, step);
  log(`${step}: ${result.ok ? 'accepted' : 'refused'}`);
  return { ok: result.ok, body, challenge: json.challenge };
}

// Re-posts a finish body as it was (a replay), or under a fresh ceremony of the same user.
async function replay({ path, body, step, freshCeremonyFor }) {
  let text = body;
  if (freshCeremonyFor) {
    const begin = await post('/api/login/begin', { user: freshCeremonyFor });
    text = JSON.stringify({ ...JSON.parse(body), ceremonyId: begin.ceremonyId });
  }
  const result = await post(path, text, step);
  log(`${step}: ${result.ok ? 'accepted' : 'refused'}`);
  return { ok: result.ok };
}

window.safedeskWebAuthn = { register, login, replay };
