// metrics.test.mjs - www/metrics.js on its own (it needs no browser): the
// Prometheus text parser, rates across a counter reset, and quantiles
// from histogram buckets, the way the Health tab's charts use them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { between, family, parse, quantile } from '../../www/metrics.js';

const near = (a, b) => assert.ok(a != null && Math.abs(a - b) < 1e-9, `${a} is not ${b}`);
const scrape = (lines) => parse(`# HELP x\n# TYPE x counter\n${lines.join('\n')}\n`);

test('parse reads names, labels (with escapes) and values; comments are skipped', () => {
  const s = parse('# TYPE a counter\na_total{route="search",code="200"} 12\nb 3.5\nc{v="x\\"y"} 1\n');
  assert.deepEqual(s, [
    { name: 'a_total', labels: { route: 'search', code: '200' }, value: 12 },
    { name: 'b', labels: {}, value: 3.5 },
    { name: 'c', labels: { v: 'x\\"y' }, value: 1 },
  ]);
});

test('rates per class over the interval; a counter that went down counts from zero', () => {
  const a = scrape(['voxcat_http_requests_total{route="search",code="200"} 100',
    'voxcat_http_requests_total{route="tts",code="404"} 10',
    'voxcat_cache_hits_total 50', 'voxcat_cache_misses_total 50']);
  const b = scrape(['voxcat_http_requests_total{route="search",code="200"} 120',
    'voxcat_http_requests_total{route="tts",code="404"} 4',   // a worker restarted
    'voxcat_cache_hits_total 80', 'voxcat_cache_misses_total 60']);
  const d = between(a, b, 2);
  assert.deepEqual(d.requests, { '2xx': 10, '4xx': 2, '5xx': 0 });
  assert.equal(d.cacheHitRatio, 30 / 40);
});

test('a series that appears between scrapes is not counted whole', () => {
  const d = between([], scrape(['voxcat_http_requests_total{route="search",code="500"} 7']), 2);
  assert.equal(d.requests['5xx'], 0);
});

test('quantiles interpolate inside the bucket, null when nothing was seen', () => {
  const b = [[0.001, 0], [0.01, 50], [0.1, 100], [Infinity, 100]];
  near(quantile(0.5, b), 0.01);
  near(quantile(0.75, b), 0.055);
  assert.equal(quantile(0.99, [[0.1, 0], [Infinity, 10]]), 0.1);
  assert.equal(quantile(0.5, [[0.1, 0], [Infinity, 0]]), null);
});

test('latency by route family from the histogram increases', () => {
  const bucket = (route, le, n) => `voxcat_http_request_duration_seconds_bucket{route="${route}",le="${le}"} ${n}`;
  const a = scrape([bucket('search', '0.005', 0), bucket('search', '0.01', 0), bucket('search', '+Inf', 0)]);
  const b = scrape([bucket('search', '0.005', 10), bucket('search', '0.01', 20), bucket('search', '+Inf', 20)]);
  const d = between(a, b, 2);
  near(d.latency['/search'].p50, 5);
  assert.equal(d.latency['/tts'].p50, null);
  assert.equal(family('openai_speech'), '/tts');
  assert.equal(family('tokens'), '/status');
  assert.equal(family('not_found'), null);
});
