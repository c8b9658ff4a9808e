// The landing page: shows whether the broker answers. Login and the researcher,
// administrator and auditor pages join as the broker's API grows.
import { getJson } from './api.js';

const status = document.getElementById('status');
try {
  const health = await getJson('/api/health');
  status.textContent = `Broker ${health.version} is up.`;
} catch (error) {
  status.textContent = `The broker did not answer: ${error.message}`;
}
