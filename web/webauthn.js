// The browser half of WebAuthn: the API sends the ceremony options as JSON with binary
// fields in base64url; navigator.credentials wants ArrayBuffers, and the answer goes back
// as JSON with base64url again. User verification is always asked for ("required"): the
// broker refuses an assertion without it anyway, and asking for less would only turn a
// clear browser prompt into a server refusal.

export function toBase64Url(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

export function fromBase64Url(text) {
  const base64 = text.replaceAll('-', '+').replaceAll('_', '/');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

const credentialList = (list) => (list ?? []).map((c) => ({ ...c, id: fromBase64Url(c.id) }));

export const webAuthnAvailable = () => typeof window.PublicKeyCredential === 'function' && !!navigator.credentials;

// Registers a new credential; `options` is the API's `publicKey` (CreationOptions JSON).
export async function createCredential(options) {
  const publicKey = {
    ...options,
    challenge: fromBase64Url(options.challenge),
    user: { ...options.user, id: fromBase64Url(options.user.id) },
    excludeCredentials: credentialList(options.excludeCredentials),
    authenticatorSelection: { ...options.authenticatorSelection, userVerification: 'required' },
  };
  const credential = await navigator.credentials.create({ publicKey });
  return {
    id: credential.id,
    rawId: toBase64Url(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: toBase64Url(credential.response.clientDataJSON),
      attestationObject: toBase64Url(credential.response.attestationObject),
    },
  };
}

// Signs a challenge with an enrolled credential; `options` is the API's `publicKey`
// (RequestOptions JSON).
export async function getAssertion(options) {
  const publicKey = {
    ...options,
    challenge: fromBase64Url(options.challenge),
    allowCredentials: credentialList(options.allowCredentials),
    userVerification: 'required',
  };
  const assertion = await navigator.credentials.get({ publicKey });
  const response = assertion.response;
  return {
    id: assertion.id,
    rawId: toBase64Url(assertion.rawId),
    type: assertion.type,
    response: {
      clientDataJSON: toBase64Url(response.clientDataJSON),
      authenticatorData: toBase64Url(response.authenticatorData),
      signature: toBase64Url(response.signature),
      userHandle: response.userHandle ? toBase64Url(response.userHandle) : null,
    },
  };
}

// The browser's own refusals (user cancelled, no matching key, timeout) in plain words;
// they never come from the broker, so they may be specific.
export function describeWebAuthnError(error) {
  if (error?.name === 'NotAllowedError') return 'The security key request was cancelled or timed out.';
  if (error?.name === 'InvalidStateError') return 'This security key is already registered.';
  if (error?.name === 'NotSupportedError') return 'This browser or security key does not support the required options.';
  if (error?.name === 'SecurityError') return 'The browser refused the security key request for this site.';
  return null;
}
