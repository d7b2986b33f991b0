// health.js - the health panel and the header badge, from GET /status,
// refreshed every few seconds.
import * as api from './api.js';

const $ = (id) => document.getElementById(id);

function card(title, rows) {
  const div = document.createElement('div');
  div.className = 'card';
  const h = document.createElement('h3');
  h.textContent = title;
  const dl = document.createElement('dl');
  for (const [k, v] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    dl.append(dt, dd);
  }
  div.append(h, dl);
  return div;
}

async function refresh() {
  const badge = $('health-badge');
  try {
    const s = await api.status();
    badge.textContent = `${s.status} · v${s.version}`;
    badge.className = `badge ${s.status}`;
    $('health-error').hidden = true;
    const engines = Object.entries(s.engines).map(([k, v]) => [k, v.available ? 'available' : `unavailable: ${v.reason}`]);
    $('health-panel').replaceChildren(
      Object.assign(document.createElement('div'), { className: 'cards' }),
    );
    $('health-panel').firstChild.append(
      card('Service', [['status', s.status], ['version', s.version], ['uptime', `${s.uptime_s} s`]]),
      card('Database', s.db.reachable
        ? [['reachable', 'yes'], ['latency', `${s.db.latency_ms} ms`]]
        : [['reachable', 'no'], ['error', s.db.error]]),
      card('Engines', engines),
      card('Workers', [['configured', s.workers.configured], ['alive', s.workers.alive],
        ['busy', s.workers.busy], ['crashes', s.workers.crashes]]),
      card('Requests', [['total', s.requests.total], ...Object.entries(s.requests.by_class)]),
      card('Cache', Object.entries(s.cache)),
    );
  } catch (err) {
    badge.textContent = 'down';
    badge.className = 'badge down';
    $('health-error').textContent = err.message;
    $('health-error').hidden = false;
  }
}

export function initHealth() {
  refresh();
  setInterval(refresh, 5000);
}
