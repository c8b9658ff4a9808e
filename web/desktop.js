// The live analysis desktop: a canvas fed by the gateway over WebSocket
// (gateway/BROWSER_PROTOCOL.md). The one-time ticket comes from this tab's
// sessionStorage, where the researcher page left it; it is removed before it is used
// and never appears in an address. Keys go as physical scancodes (the desktop's own
// layout turns them into characters); paste and drop are refused and only reported.
import { startPage } from './ui.js';
import { scancodeFor } from './scancodes.js';

const stateText = document.getElementById('desktop-state');
const message = document.getElementById('page-message');
const canvas = document.getElementById('desktop');
const context = canvas.getContext('2d', { alpha: false });
const MIME = { 1: 'image/png', 2: 'image/jpeg', 3: 'image/webp' };

// Read by the browser tests; holds no secret.
const status = { state: 'starting', frames: 0, width: 0, height: 0, endReason: '', error: '' };
window.safedeskDesktop = status;

function setState(state, text) {
  status.state = state;
  stateText.textContent = text;
  canvas.dataset.state = state;
}

function fail(text) {
  status.error = text;
  message.textContent = text;
  message.hidden = false;
}

function takeTicket(sessionId) {
  const key = `safedesk.ticket.${sessionId}`;
  const held = sessionStorage.getItem(key);
  sessionStorage.removeItem(key);  // single use: a reload must not present it again
  if (!held) return null;
  try {
    const parsed = JSON.parse(held);
    return typeof parsed.ticket === 'string' && typeof parsed.gatewayUrl === 'string' ? parsed : null;
  } catch {
    return null;
  }
}

async function drawFrame(buffer, socket) {
  const view = new DataView(buffer);
  if (view.getUint8(0) !== 1) return;
  const seq = view.getUint32(1);
  const count = view.getUint16(5);
  let offset = 7;
  const images = [];
  for (let i = 0; i < count; i += 1) {
    const x = view.getUint16(offset);
    const y = view.getUint16(offset + 2);
    const codec = view.getUint8(offset + 8);
    const length = view.getUint32(offset + 9);
    offset += 13;
    const blob = new Blob([new Uint8Array(buffer, offset, length)], { type: MIME[codec] ?? 'application/octet-stream' });
    offset += length;
    images.push(createImageBitmap(blob).then((bitmap) => ({ x, y, bitmap })));
  }
  for (const { x, y, bitmap } of await Promise.all(images)) {
    context.drawImage(bitmap, x, y);
    bitmap.close();
  }
  status.frames += 1;
  if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'ack', seq }));
}

function desktopPoint(event) {
  const box = canvas.getBoundingClientRect();
  const x = Math.floor(((event.clientX - box.left) * canvas.width) / box.width);
  const y = Math.floor(((event.clientY - box.top) * canvas.height) / box.height);
  return { x: Math.max(0, Math.min(canvas.width - 1, x)), y: Math.max(0, Math.min(canvas.height - 1, y)) };
}

function buttonsOf(event) {
  // DOM: 1 left, 2 right, 4 middle → protocol: 1 left, 2 middle, 4 right
  return (event.buttons & 1) | ((event.buttons & 4) ? 2 : 0) | ((event.buttons & 2) ? 4 : 0);
}

function wireInput(socket) {
  const send = (object) => { if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(object)); };
  const key = (down) => (event) => {
    const code = scancodeFor(event.code);
    if (!code) return;
    event.preventDefault();
    send({ type: 'key', code, down });
  };
  canvas.addEventListener('keydown', key(true));
  canvas.addEventListener('keyup', key(false));
  const pointer = (event) => {
    event.preventDefault();
    send({ type: 'pointer', ...desktopPoint(event), buttons: buttonsOf(event) });
  };
  canvas.addEventListener('mousemove', pointer);
  canvas.addEventListener('mousedown', (event) => { canvas.focus(); pointer(event); });
  canvas.addEventListener('mouseup', pointer);
  canvas.addEventListener('contextmenu', (event) => event.preventDefault());
  canvas.addEventListener('wheel', (event) => {
    event.preventDefault();
    send({ type: 'wheel', ...desktopPoint(event), delta: event.deltaY < 0 ? 120 : -120 });
  }, { passive: false });
  // Nothing crosses: a paste or a drop is stopped here and only its size is reported.
  document.addEventListener('paste', (event) => {
    event.preventDefault();
    const text = event.clipboardData ? event.clipboardData.getData('text') : '';
    send({ type: 'blocked', what: 'paste', bytes: text.length });
  });
  for (const kind of ['copy', 'cut', 'dragover']) document.addEventListener(kind, (event) => event.preventDefault());
  document.addEventListener('drop', (event) => {
    event.preventDefault();
    const files = event.dataTransfer ? [...event.dataTransfer.files] : [];
    send({ type: 'blocked', what: 'drop', bytes: files.reduce((sum, file) => sum + file.size, 0) });
  });
}

function connect(sessionId, held) {
  const socket = new WebSocket(held.gatewayUrl);
  socket.binaryType = 'arraybuffer';
  let drawing = Promise.resolve();
  socket.addEventListener('open', () => {
    setState('authenticating', 'Checking the ticket…');
    socket.send(JSON.stringify({ type: 'hello', ticket: held.ticket }));
    held.ticket = '';
  });
  socket.addEventListener('message', (event) => {
    if (typeof event.data !== 'string') {
      // Frames are drawn in order; each is acknowledged once on the canvas.
      drawing = drawing.then(() => drawFrame(event.data, socket)).catch((error) => fail(`Drawing failed: ${error}`));
      return;
    }
    const control = JSON.parse(event.data);
    if (control.type === 'ready') {
      canvas.width = control.width;
      canvas.height = control.height;
      status.width = control.width;
      status.height = control.height;
      setState('live', 'Connected');
      canvas.focus();
    } else if (control.type === 'end') {
      status.endReason = control.reason;
      setState('ended', `Session ended: ${control.reason}`);
    } else if (control.type === 'error') {
      fail(`The gateway refused the connection: ${control.message}`);
      setState('refused', 'Refused');
    }
  });
  socket.addEventListener('close', () => {
    if (status.state === 'live' || status.state === 'authenticating') setState('closed', 'Disconnected');
  });
  wireInput(socket);
}

const me = await startPage();
if (me) {
  const sessionId = new URLSearchParams(window.location.search).get('session') ?? '';
  document.getElementById('session-id').textContent = sessionId || '—';
  const held = sessionId ? takeTicket(sessionId) : null;
  if (!held) {
    setState('no-ticket', 'No ticket');
    fail('This tab holds no ticket for this session. Start it again from your sessions page.');
  } else {
    connect(sessionId, held);
  }
}
