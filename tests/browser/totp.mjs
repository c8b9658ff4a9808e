// RFC 6238 TOTP for the browser tests (HMAC-SHA-1, 6 digits, 30-second steps, as the
// broker's defaults), from the base32 secret the enrollment page shows.
import { createHmac } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export const STEP_SECONDS = 30;

export function base32Decode(text) {
  const clean = text.toUpperCase().replace(/[\s=-]/g, '');
  let bits = 0;
  let value = 0;
  const out = [];
  for (const char of clean) {
    const index = BASE32.indexOf(char);
    if (index < 0) throw new Error(`not base32: ${JSON.stringify(char)}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export const currentStep = (nowMs = Date.now()) => Math.floor(nowMs / 1000 / STEP_SECONDS);

// RFC 4226 HOTP of `step` (dynamic truncation), as a zero-padded decimal string.
export function totpAt(secret, step, digits = 6) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

// The broker accepts each time step once per factor (replay guard). A user who needs a
// second code within one step waits for the next step (at most 31 s) instead of reusing.
export class TotpClock {
  constructor(secret) {
    this.secret = secret;
    this.lastStep = -1;
  }

  async nextCode() {
    let step = currentStep();
    if (step <= this.lastStep) {
      const waitMs = (this.lastStep + 1) * STEP_SECONDS * 1000 - Date.now() + 250;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(waitMs, 31000))));
      step = currentStep();
    }
    // A code typed in the last second of its step may arrive after the step ended; the
    // broker's ±1 step window covers that, so no wait is needed here.
    this.lastStep = step;
    return totpAt(this.secret, step);
  }
}
