// Launching Debian's /usr/bin/chromium (never a downloaded browser) the way every
// safedesk browser test does, and the CDP virtual authenticator they share.
import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

// Headless, no sandbox (tests run as an unprivileged user in containers without user
// namespaces), and no traffic of the browser's own that could slow or colour a test.
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// A browser with a fresh temporary profile (playwright-core creates and removes it); each
// newContext() in it is a separate cookie jar, i.e. a separate user.
export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS, timeout: 60000 });
}

// A platform authenticator with user verification (a fingerprint reader that always
// recognises its owner), bound to the tab of `cdp` across its navigations. The caller
// sends WebAuthn.enable once per tab first (enabling again may drop its authenticators).
export async function addVirtualAuthenticator(cdp, extra = {}) {
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', ctap2Version: 'ctap2_1', transport: 'internal', hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true, ...extra,
    },
  });
  return authenticatorId;
}
