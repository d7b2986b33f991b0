// metrics.js - what the Health tab's charts plot, from two scrapes of
// /status/metrics (Prometheus text): per-second rates of counters over the
// interval and latency quantiles from the histogram buckets. A counter
// that went down was reset (a worker restarted and the pool's sum lost its
// share) and counts from zero, as Prometheus' rate() has it.

// Prometheus text → [{name, labels, value}].
export function parse(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

const key = (s) => `${s.name}{${Object.entries(s.labels).map(([k, v]) => `${k}=${v}`).join(',')}}`;

function increase(before, now) {
  if (before === undefined) return 0;
  return now >= before ? now - before : now;
}

// Which chart a route belongs to.
export function family(route) {
  if (/^(tts|openai)/.test(route)) return '/tts';
  if (/^search/.test(route)) return '/search';
  if (/^(status|tokens)/.test(route)) return '/status';
  return null;
}

// q-quantile of cumulative buckets [[le, count]] sorted by le, with linear
// interpolation inside the bucket (histogram_quantile's way); null when
// nothing was observed.
export function quantile(q, buckets) {
  const total = buckets.length ? buckets[buckets.length - 1][1] : 0;
  if (!(total > 0)) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Infinity) return prevLe;     // beyond the last bound: say the bound
      const inBucket = count - prevCount;
      return inBucket > 0 ? prevLe + (le - prevLe) * ((rank - prevCount) / inBucket) : le;
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

// What happened between two parsed scrapes dt seconds apart.
export function between(before, now, dt) {
  const old = new Map(before.map((s) => [key(s), s.value]));
  const inc = (s) => increase(old.get(key(s)), s.value);
  const perS = (n) => (dt > 0 ? n / dt : null);
  const classes = { '2xx': 0, '4xx': 0, '5xx': 0 };
  const engines = {};
  const buckets = {};       // family → le → increase
  let hits = 0;
  let misses = 0;
  const gauges = {};
  for (const s of now) {
    if (s.name === 'voxcat_http_requests_total') {
      const c = `${String(s.labels.code ?? '')[0]}xx`;
      if (c in classes) classes[c] += inc(s);
    } else if (s.name === 'voxcat_http_request_duration_seconds_bucket') {
      const f = family(s.labels.route ?? '');
      if (!f) continue;
      const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      buckets[f] ??= new Map();
      buckets[f].set(le, (buckets[f].get(le) ?? 0) + inc(s));
    } else if (s.name === 'voxcat_syntheses_total') {
      engines[s.labels.engine] = (engines[s.labels.engine] ?? 0) + inc(s);
    } else if (s.name === 'voxcat_cache_hits_total') {
      hits += inc(s);
    } else if (s.name === 'voxcat_cache_misses_total') {
      misses += inc(s);
    } else if (s.name === 'voxcat_workers') {
      gauges.alive = s.value;
    } else if (s.name === 'voxcat_pool_workers_busy') {
      gauges[s.labels.pool] = s.value;
    }
  }
  const latency = {};
  for (const f of ['/tts', '/search', '/status']) {
    const b = [...(buckets[f] ?? new Map()).entries()].sort((x, y) => x[0] - y[0]);
    latency[f] = Object.fromEntries([0.5, 0.95, 0.99].map((q) => {
      const v = quantile(q, b);
      return [`p${Math.round(q * 100)}`, v == null ? null : v * 1000];
    }));
  }
  return {
    requests: Object.fromEntries(Object.entries(classes).map(([c, n]) => [c, perS(n)])),
    latency,
    cacheHitRatio: hits + misses > 0 ? hits / (hits + misses) : null,
    syntheses: Object.fromEntries(Object.entries(engines).map(([e, n]) => [e, perS(n)])),
    workers: { speech: gauges.speech ?? null, api: gauges.api ?? null, alive: gauges.alive ?? null },
  };
}
