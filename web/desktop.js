// Placeholder for the live desktop (it arrives with the gateway issue). It shows the
// session from the address and whether this tab holds the session's ticket, which the
// researcher page left in sessionStorage; the ticket itself is never displayed.
import { startPage } from './ui.js';

const me = await startPage();
if (me) {
  const sessionId = new URLSearchParams(window.location.search).get('session') ?? '';
  document.getElementById('session-id').textContent = sessionId || '—';
  const held = sessionId && sessionStorage.getItem(`safedesk.ticket.${sessionId}`);
  const status = document.getElementById('ticket-status');
  status.dataset.ticket = held ? 'held' : 'missing';
  status.textContent = held
    ? 'A gateway ticket for this session is held in this browser tab.'
    : 'This tab holds no ticket for this session. Start it again from your sessions page.';
}
