// health.js - the health panel and the header badge, from GET /status,
// refreshed every 5 seconds; and live charts from /status/metrics, scraped
// every 2 seconds and kept in the page (the server keeps no history).
import * as api from './api.js';
import { LineChart } from './charts.js';
import { between, parse } from './metrics.js';

const $ = (id) => document.getElementById(id);
const EVERY_MS = 5000;
const SCRAPE_MS = 2000;

const charts = {};
let lastScrape = null;     // {samples, at}: the last scrape that worked

function makeCharts() {
  const lat = (f) => new LineChart(`latency-${f.slice(1)}`, `Latency ${f} (ms)`,
    [{ key: 'p50', label: 'p50' }, { key: 'p95', label: 'p95' }, { key: 'p99', label: 'p99' }], { unit: ' ms' });
  Object.assign(charts, {
    requests: new LineChart('requests', 'Requests per second',
      [{ key: '2xx', label: '2xx' }, { key: '4xx', label: '4xx' }, { key: '5xx', label: '5xx' }], { unit: '/s' }),
    '/tts': lat('/tts'),
    '/search': lat('/search'),
    '/status': lat('/status'),
    cache: new LineChart('cache', 'Cache hit ratio', [{ key: 'hits', label: 'hits' }], { unit: '%', max: 100 }),
    syntheses: new LineChart('syntheses', 'Syntheses per second by engine',
      ['espeak', 'flite', 'gemini', 'elevenlabs'].map((e) => ({ key: e, label: e })), { unit: '/s' }),
    queue: new LineChart('queue', 'Queue depth',
      [{ key: 'pending', label: 'pending' }, { key: 'processing', label: 'processing' }]),
    workers: new LineChart('workers', 'Workers busy, per pool',
      [{ key: 'speech', label: 'speech' }, { key: 'api', label: 'api' }, { key: 'alive', label: 'alive (all)' }]),
  });
  $('health-charts').replaceChildren(...Object.values(charts).map((c) => c.el));
}

// One scrape: a point on every metrics chart, or a gap when it failed.
async function scrape() {
  const metricCharts = ['requests', '/tts', '/search', '/status', 'cache', 'syntheses', 'workers'];
  let text;
  try {
    text = await api.metricsText();
  } catch (err) {
    for (const c of metricCharts) charts[c].push(null);
    $('charts-note').textContent = `metrics could not be read at ${new Date().toLocaleTimeString()}: ${err.message}`;
    return;
  }
  const now = { samples: parse(text), at: performance.now() };
  if (lastScrape) {
    const d = between(lastScrape.samples, now.samples, (now.at - lastScrape.at) / 1000);
    charts.requests.push(d.requests);
    for (const f of ['/tts', '/search', '/status']) charts[f].push(d.latency[f]);
    charts.cache.push({ hits: d.cacheHitRatio == null ? null : d.cacheHitRatio * 100 });
    charts.syntheses.push(d.syntheses);
    charts.workers.push(d.workers);
    $('charts-note').textContent = `scraped ${new Date().toLocaleTimeString()}, every ${SCRAPE_MS / 1000} s`;
  }
  lastScrape = now;
}

function value(v) {
  if (v == null || v === '') return '—';
  if (v === true) return 'yes';
  if (v === false) return 'no';
  if (typeof v === 'object') return Object.entries(v).map(([k, x]) => `${k} ${value(x)}`).join(', ');
  return String(v);
}

function card(title, rows, extra) {
  const div = document.createElement('section');
  div.className = 'card';
  div.dataset.card = title.toLowerCase();
  const h = document.createElement('h3');
  h.textContent = title;
  const dl = document.createElement('dl');
  for (const [k, v] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    if (v instanceof Node) dd.append(v);
    else dd.textContent = value(v);
    dl.append(dt, dd);
  }
  div.append(h, dl);
  if (extra) div.append(extra);
  return div;
}

// The fields a card names first, then whatever else the API sends.
function rows(obj, first = [], skip = []) {
  const o = obj ?? {};
  return [...first.filter((k) => k in o), ...Object.keys(o).filter((k) => !first.includes(k) && !skip.includes(k))]
    .map((k) => [k.replaceAll('_', ' '), o[k]]);
}

// One engine: whether it can speak (and why not), then its counters.
function engineRow(name, e) {
  const frag = document.createDocumentFragment();
  const state = document.createElement('span');
  state.textContent = e.available ? 'available' : `unavailable: ${e.reason ?? 'no reason given'}`;
  state.className = e.available ? 'ok' : 'warn';
  const counters = Object.entries(e).filter(([k]) => !['available', 'reason'].includes(k));
  frag.append(state);
  if (counters.length) {
    const small = document.createElement('small');
    small.className = 'note counters';
    small.textContent = counters.map(([k, v]) => `${k} ${value(v)}`).join(' · ');
    frag.append(small);
  }
  return [name, frag];
}

function workerTable(list) {
  if (!Array.isArray(list) || !list.length) return null;
  const table = document.createElement('table');
  table.className = 'compact';
  table.innerHTML = '<caption>Workers</caption><thead><tr><th scope="col">pid</th><th scope="col">state</th><th scope="col">requests</th></tr></thead><tbody></tbody>';
  for (const w of list) {
    const tr = table.tBodies[0].insertRow();
    for (const v of [w.pid, w.state, w.requests]) tr.insertCell().textContent = value(v);
  }
  return table;
}

async function refresh() {
  const badge = $('health-badge');
  const panel = $('health-panel');
  if (!panel.childElementCount) panel.textContent = 'Loading…';
  try {
    const s = await api.status();
    badge.textContent = `${s.status} · v${s.version}`;
    badge.className = `badge ${s.status}`;
    badge.setAttribute('aria-label', `Service health: ${s.status}, version ${s.version}`);
    $('health-error').hidden = true;
    const db = s.db ?? {};
    const cards = document.createElement('div');
    cards.className = 'cards';
    cards.append(
      card('Service', [['status', s.status], ['version', s.version], ['uptime', `${s.uptime_s} s`],
        ['answered by pid', s.pid]]),
      card('Database', db.reachable
        ? rows(db, ['reachable', 'latency_ms'])
        : [['reachable', false], ['error', db.error ?? 'unreachable'], ...rows(db, [], ['reachable', 'error'])]),
      card('Engines', Object.entries(s.engines ?? {}).map(([k, v]) => engineRow(k, v))),
      card('Workers', rows(s.workers, ['configured', 'alive', 'busy', 'idle', 'crashes'], ['list']),
        workerTable(s.workers?.list)),
      card('Requests', [['total', s.requests?.total], ...rows(s.requests?.by_class)]),
      card('Cache', rows(s.cache)),
    );
    if (s.queue) {
      const q = rows(s.queue);
      cards.append(card('Queue', q.length ? q : [['counts', db.reachable ? 'none' : 'unknown while the database is unreachable']]));
    }
    panel.replaceChildren(cards);
    charts.queue?.push(s.queue ? { pending: s.queue.pending ?? null, processing: s.queue.processing ?? null } : null);
    panel.dataset.status = s.status;
    $('health-updated').textContent = `updated ${new Date().toLocaleTimeString()}, every ${EVERY_MS / 1000} s`;
  } catch (err) {
    badge.textContent = 'down';
    badge.className = 'badge down';
    badge.setAttribute('aria-label', `Service health: down (${err.message})`);
    $('health-error').textContent = err.message;
    $('health-error').hidden = false;
    charts.queue?.push(null);
  }
}

export function initHealth() {
  makeCharts();
  refresh();
  setInterval(refresh, EVERY_MS);
  scrape();
  setInterval(scrape, SCRAPE_MS);
}
