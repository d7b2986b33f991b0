// admin.test.mjs - the admin page in real headless Chromium against a real
// stack with the fixture catalog imported (see run.sh). Each main view is
// saved as a screenshot under tests/artifacts/browser/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const base = process.env.VOXCAT_URL;
const shots = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts', 'browser');
const sql = (q) => execFileSync('psql', ['-XAtqc', q], { encoding: 'utf8' }).trim();
const fixtureId = (n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

let context;
let page;
let profile;
const consoleErrors = [];

before(async () => {
  assert.ok(base, 'VOXCAT_URL is set');
  mkdirSync(shots, { recursive: true });
  // A fresh, empty profile (--user-data-dir) for every run.
  profile = mkdtempSync(join(tmpdir(), 'voxcat-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--autoplay-policy=no-user-gesture-required'],
    viewport: { width: 1200, height: 900 },
  });
  page = context.pages()[0] ?? await context.newPage();
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  // The page's own files all load (relative paths under /voxcat/).
  page.on('response', (r) => {
    if (r.status() >= 400 && new URL(r.url()).pathname.startsWith('/voxcat/')) consoleErrors.push(`${r.status()} ${r.url()}`);
  });
  // Nothing the page loads may come from anywhere but the stack.
  page.on('request', (r) => {
    if (!r.url().startsWith(base) && !/^(blob|data):/.test(r.url())) consoleErrors.push(`off-site request ${r.url()}`);
  });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

const summary = () => page.locator('#results-summary');

test('the page loads from / and lists the catalog', async () => {
  await page.goto(`${base}/`);
  assert.match(page.url(), /\/voxcat\/(#catalog)?$/);
  await summary().filter({ hasText: '40 tracks' }).waitFor();
  assert.equal(await page.locator('#results tbody tr').count(), 20);
  await page.locator('#health-badge.ok').waitFor();
  await page.screenshot({ path: join(shots, 'catalog.png'), fullPage: true });
});

test('search as you type narrows the results, with highlights', async () => {
  await page.fill('#q', 'midni');
  await summary().filter({ hasText: /^3 tracks/ }).waitFor();
  const first = await page.locator('#results tbody tr').first().locator('td.headline').innerHTML();
  assert.match(first, /<b>Midnight<\/b> Train/);
  assert.match(page.url(), /q=midni/);
  await page.screenshot({ path: join(shots, 'search.png') });
});

test('a filter and pagination work, and Back restores the page', async () => {
  await page.fill('#q', '');
  await page.selectOption('#status', 'FAILED');
  const failed = sql("SELECT count(*) FROM audio_tracks WHERE status = 'FAILED'");
  await summary().filter({ hasText: new RegExp(`^${failed} track`) }).waitFor();
  await page.selectOption('#status', '');
  await summary().filter({ hasText: '40 tracks' }).waitFor();
  const firstPage = await page.locator('#results tbody tr').allInnerTexts();
  await page.click('#next');
  await page.locator('#page-info', { hasText: 'page 2 of 2' }).waitFor();
  // Paged by the API's cursor, and the second page is the other 20.
  assert.match(page.url(), /cursor=/);
  assert.doesNotMatch(page.url(), /offset=/);
  await summary().filter({ hasText: 'showing 21–40' }).waitFor();
  const secondPage = await page.locator('#results tbody tr').allInnerTexts();
  assert.equal(secondPage.filter((r) => firstPage.includes(r)).length, 0);
  assert.equal(await page.locator('#next').isDisabled(), true);
  await page.click('#prev');
  await page.locator('#page-info', { hasText: 'page 1 of 2' }).waitFor();
  await page.click('#next');
  await page.locator('#page-info', { hasText: 'page 2 of 2' }).waitFor();
  await page.goBack();
  await page.locator('#page-info', { hasText: 'page 1 of 2' }).waitFor();
  assert.equal(await page.locator('#prev').isDisabled(), true);
});

test('facet counts are shown beside the filters', async () => {
  const rock = sql("SELECT count(*) FROM audio_tracks WHERE genre = 'rock'");
  await page.locator('#facets button', { hasText: `rock (${rock})` }).waitFor();
});

test('choosing a facet filters, and Clear resets every filter', async () => {
  await page.locator('#facets button', { hasText: /^flac \(/ }).click();
  const flac = sql("SELECT count(*) FROM audio_tracks WHERE format = 'flac'");
  await summary().filter({ hasText: new RegExp(`^${flac} tracks`) }).waitFor();
  assert.equal(await page.inputValue('#format'), 'flac');
  assert.match(page.url(), /format=flac/);
  await page.locator('#facets button[aria-pressed="true"]', { hasText: /^flac/ }).waitFor();
  await page.click('#clear');
  await summary().filter({ hasText: '40 tracks' }).waitFor();
  assert.equal(await page.inputValue('#format'), '');
  assert.doesNotMatch(page.url(), /format=/);
});

test('markup in a track is shown as text: only <b> is let through from the headline', async () => {
  const title = 'Zyx <img src=x onerror="window.pwned=1"> <b>bold</b> & co';
  const res = await fetch(`${base}/tts`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json',
      Authorization: `Bearer ${process.env.VOXCAT_TOKEN}` },
    body: JSON.stringify({ text: 'markup test', title }),
  });
  assert.ok(res.ok, `POST /tts ${res.status}`);
  await page.fill('#q', 'zyx');
  await summary().filter({ hasText: /^1 track/ }).waitFor();
  const cell = page.locator('#results tbody tr').first().locator('td.headline');
  assert.equal(await cell.locator('img').count(), 0);
  // ts_headline marks matches with the same <b></b> a title may hold, so
  // a literal <b> in a title shows bold: harmless, and all the page can
  // tell apart. Everything else is text.
  assert.match(await cell.textContent(), /Zyx <img src=x onerror="window.pwned=1"> bold & co/);
  assert.equal(await cell.locator('b').first().textContent(), 'Zyx');
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  await page.fill('#q', '');
  await summary().filter({ hasText: /^41 tracks/ }).waitFor();
});

test('generating speech plays audio and adds a track', async () => {
  const before = Number(sql('SELECT count(*) FROM audio_tracks'));
  await page.goto(`${base}/voxcat/#generate`);
  await page.locator('#tts-model option[value="espeak"]').waitFor({ state: 'attached' });
  // The DOM property, not Playwright's idea of "disabled" (which for an
  // <option> differs between versions).
  await page.waitForFunction(() => document.querySelector('#tts-model option[value="gemini-flash"]')?.disabled === true);
  assert.match(await page.locator('#model-note').textContent(), /GEMINI_API_KEY/);
  await page.fill('#tts-text', 'Hello from the admin page');
  await page.click('#tts-submit');
  // Speech needs a token: the page asks for one, then goes on.
  await page.locator('#login[open]').waitFor();
  assert.match(await page.locator('#login-why').textContent(), /needs a token/);
  await page.fill('#login-token', process.env.VOXCAT_TOKEN);
  await page.click('#login-submit');
  await page.locator('#tts-status', { hasText: 'X-Cache: MISS' }).waitFor();
  await page.locator('#who-name', { hasText: 'token: stack-admin' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('voxcat-token')), process.env.VOXCAT_TOKEN);
  const audio = await page.locator('#tts-audio').evaluate(async (a) => {
    await new Promise((r) => (a.readyState >= 1 ? r() : a.addEventListener('loadedmetadata', r, { once: true })));
    return { src: a.src, duration: a.duration, error: a.error && a.error.code };
  });
  assert.match(audio.src, /^blob:/);
  assert.equal(audio.error, null);
  assert.ok(audio.duration > 0.5, `duration ${audio.duration}`);
  await page.locator('#tts-track-link').waitFor();
  assert.equal(Number(sql('SELECT count(*) FROM audio_tracks')), before + 1);
  const id = await page.locator('#tts-track-link').getAttribute('data-id');
  // No model chosen: English goes to Flite.
  assert.equal(sql(`SELECT voice || ' ' || model || ' ' || status FROM audio_tracks WHERE id = '${id}'`), 'Kore flite COMPLETED');
  await page.screenshot({ path: join(shots, 'generate.png'), fullPage: true });
});

test('generating MP3 plays it, and the track says its format', async () => {
  await page.goto(`${base}/voxcat/#generate`);
  await page.locator('#tts-model option[value="espeak"]').waitFor({ state: 'attached' });
  await page.fill('#tts-text', 'Now in MP3');
  await page.selectOption('#tts-format', 'mp3');
  await page.click('#tts-submit');
  await page.locator('#tts-status', { hasText: 'X-Cache: MISS' }).waitFor();
  const audio = await page.locator('#tts-audio').evaluate(async (a) => {
    await new Promise((r) => (a.readyState >= 1 ? r() : a.addEventListener('loadedmetadata', r, { once: true })));
    return { duration: a.duration, error: a.error && a.error.code };
  });
  assert.equal(audio.error, null);
  assert.ok(audio.duration > 0.3, `duration ${audio.duration}`);
  await page.locator('#tts-track-link', { hasText: 'mp3' }).waitFor();
  const id = await page.locator('#tts-track-link').getAttribute('data-id');
  assert.equal(sql(`SELECT format FROM audio_tracks WHERE id = '${id}'`), 'mp3');
  await page.click('#tts-track-link');
  await page.locator('#track-fields', { hasText: 'mp3' }).waitFor();
  const src = await page.locator('#track-player audio').getAttribute('src');
  assert.match(src, /\/tts\/audio\/[0-9a-f]{64}\.mp3$/);
  await page.keyboard.press('Escape');
});

test('opening a track shows its fields, a player and the waveform', async () => {
  await page.click('#tts-track-link');
  await page.locator('#track[open]').waitFor();
  await page.locator('#track-fields dd[data-field="voice"]', { hasText: 'Kore' }).waitFor();
  assert.equal(await page.locator('#track-fields dd[data-field="status"]').textContent(), 'COMPLETED');
  await page.locator('#track-audio').waitFor();
  await page.locator('#waveform[data-drawn="true"]').waitFor();
  await page.screenshot({ path: join(shots, 'track.png') });
  await page.keyboard.press('Escape');
});

test('a status transition changes the status shown and in the database', async () => {
  const id = fixtureId(12);
  assert.equal(sql(`SELECT status FROM audio_tracks WHERE id = '${id}'`), 'PENDING');
  await page.goto(`${base}/voxcat/?q=pending+song#catalog`);
  await summary().filter({ hasText: /^1 track/ }).waitFor();
  await page.locator('#results tbody tr').first().click();
  await page.locator('#track-status', { hasText: 'PENDING' }).waitFor();
  await page.click('#track-actions button[data-to="PROCESSING"]');
  await page.locator('#track-status', { hasText: 'PROCESSING' }).waitFor();
  assert.equal(sql(`SELECT status FROM audio_tracks WHERE id = '${id}'`), 'PROCESSING');
  await page.keyboard.press('Escape');
});

test('a failed track shows why and its retries, and Retry puts it back to pending', async () => {
  const id = fixtureId(14);
  await page.goto(`${base}/voxcat/?q=%22failed+once%22#catalog`);
  await summary().filter({ hasText: /^1 track/ }).waitFor();
  // Keyboard only: the row takes focus and Enter opens it.
  await page.locator('#results tbody tr').first().focus();
  await page.keyboard.press('Enter');
  await page.locator('#track-status', { hasText: 'FAILED' }).waitFor();
  assert.equal(await page.locator('#track-failure-message').textContent(), 'Failed: decoder failed');
  assert.match(await page.locator('#track-retries').textContent(), /retried 0 times/);
  await page.screenshot({ path: join(shots, 'track-failed.png') });
  await page.locator('#track-actions button[data-to="PENDING"]').focus();
  await page.keyboard.press('Enter');
  await page.locator('#track-status', { hasText: 'PENDING' }).waitFor();
  assert.equal(await page.locator('#track-fields dd[data-field="retry_count"]').textContent(), '1');
  assert.equal(sql(`SELECT status || ' ' || retry_count FROM audio_tracks WHERE id = '${id}'`), 'PENDING 1');
  await page.keyboard.press('Escape');
  await page.locator('#track[open]').waitFor({ state: 'detached' });
});

test('marking a processing track failed stores the reason typed', async () => {
  const id = fixtureId(13);
  await page.goto(`${base}/voxcat/?status=PROCESSING#catalog`);
  await page.locator(`#results tbody tr[data-id="${id}"]`).click();
  await page.locator('#track-status', { hasText: 'PROCESSING' }).waitFor();
  await page.fill('#track-fail-reason', 'operator says: bad master');
  await page.click('#track-actions button[data-to="FAILED"]');
  await page.locator('#track-status', { hasText: 'FAILED' }).waitFor();
  await page.locator('#track-failure-message', { hasText: 'bad master' }).waitFor();
  assert.equal(sql(`SELECT status || ' ' || error_message FROM audio_tracks WHERE id = '${id}'`),
    'FAILED operator says: bad master');
  await page.keyboard.press('Escape');
});

test('a refused transition (409) is shown as text and changes nothing', async () => {
  const id = fixtureId(15);   // FAILED with retry_count 3: at VOXCAT_MAX_RETRIES
  await page.goto(`${base}/voxcat/?q=%22failed+thrice%22#catalog`);
  await summary().filter({ hasText: /^1 track/ }).waitFor();
  await page.locator('#results tbody tr').first().click();
  await page.locator('#track-status', { hasText: 'FAILED' }).waitFor();
  await page.click('#track-actions button[data-to="PENDING"]');
  await page.locator('#track-error', { hasText: 'retry limit reached' }).waitFor({ state: 'visible' });
  assert.equal(await page.locator('#track-status').textContent(), 'FAILED');
  assert.equal(sql(`SELECT status || ' ' || retry_count FROM audio_tracks WHERE id = '${id}'`), 'FAILED 3');
  await page.keyboard.press('Escape');
});

test('an API error is shown to the person as text', async () => {
  await page.goto(`${base}/voxcat/#generate`);
  await page.locator('#tts-model option[value="espeak"]').waitFor({ state: 'attached' });
  await page.fill('#tts-text', 'x'.repeat(6000));
  await page.click('#tts-submit');
  const err = page.locator('#tts-error');
  await err.waitFor({ state: 'visible' });
  assert.match(await err.textContent(), /over the limit of 5000/);
  await page.screenshot({ path: join(shots, 'error.png') });
  await page.goto(`${base}/voxcat/?year_from=1700#catalog`);
  await page.locator('#search-error', { hasText: 'year_from' }).waitFor({ state: 'visible' });
});

test('the health panel shows the pool and the database', async () => {
  await page.goto(`${base}/voxcat/#health`);
  await page.locator('#health-panel .card h3', { hasText: 'Workers' }).waitFor();
  const panel = page.locator('#health-panel');
  assert.equal(await panel.getAttribute('data-status'), 'ok');
  assert.match(await panel.locator('[data-card="database"]').textContent(), /reachable\s*yes/);
  assert.match(await panel.locator('[data-card="engines"]').textContent(), /espeak\s*available/);
  assert.match(await panel.locator('[data-card="engines"]').textContent(), /gemini\s*unavailable: GEMINI_API_KEY/);
  assert.match(await panel.locator('[data-card="workers"]').textContent(), /alive\s*4/);
  assert.match(await panel.locator('[data-card="workers"]').textContent(), /speech configured 2, alive 2.*api configured 2, alive 2/);
  // Refreshed every 5 s: the request counter moves without a reload.
  const total = async () => Number((await panel.locator('[data-card="requests"] dd').first().textContent()));
  const first = await total();
  await page.waitForFunction((n) => Number(document.querySelector('[data-card="requests"] dd').textContent) > n,
    first, { timeout: 12000 });
  await page.screenshot({ path: join(shots, 'health.png'), fullPage: true });
});

// The values a chart holds for one series (what its line is drawn from).
const chartValues = (chart, series) => page.locator(`figure[data-chart="${chart}"] path[data-series="${series}"]`)
  .getAttribute('data-values').then((v) => JSON.parse(v));

test('the live charts draw points after load and move when requests are made', async () => {
  await page.goto(`${base}/voxcat/#health`);
  const names = await page.locator('#health-charts figure.chart').evaluateAll((fs) => fs.map((f) => f.dataset.chart));
  assert.deepEqual(names, ['requests', 'latency-tts', 'latency-search', 'latency-status', 'cache', 'syntheses', 'queue', 'workers']);
  await page.waitForFunction(() => Number(document.querySelector('figure[data-chart="requests"]').dataset.samples) >= 2,
    null, { timeout: 15000 });
  // Searches from outside the page: the /search latency line and the 2xx
  // rate must show them within a scrape or two.
  for (let i = 0; i < 30; i++) await fetch(`${base}/search?q=train&limit=5`);
  await page.waitForFunction(() => {
    const p = document.querySelector('figure[data-chart="latency-search"] path[data-series="p99"]');
    return JSON.parse(p.dataset.values).some((v) => v != null && v > 0);
  }, null, { timeout: 15000 });
  const rate = await chartValues('requests', '2xx');
  assert.ok(rate.some((v) => v > 0), `2xx rate moved: ${rate}`);
  const alive = await chartValues('workers', 'alive');
  assert.equal(alive.at(-1), 4);
  assert.match(await page.locator('figure[data-chart="requests"] ul.legend').textContent(), /2xx \d/);
  // Each line is an SVG path with one point per sample.
  assert.match(await page.locator('figure[data-chart="requests"] path[data-series="2xx"]').getAttribute('d'), /^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+)+$/);
  await page.screenshot({ path: join(shots, 'health-charts.png'), fullPage: true });
});

test('a metrics scrape that fails leaves a gap, and the page keeps working', async () => {
  await page.goto(`${base}/voxcat/#health`);
  await page.waitForFunction(() => Number(document.querySelector('figure[data-chart="requests"]').dataset.samples) >= 2,
    null, { timeout: 15000 });
  await page.route('**/status/metrics', (r) => r.fulfill({ status: 503, contentType: 'application/json',
    body: '{"error":{"code":"unavailable","message":"scrape refused by the test"}}' }));
  await page.locator('#charts-note', { hasText: 'scrape refused by the test' }).waitFor({ timeout: 10000 });
  await page.unroute('**/status/metrics');
  // Two good scrapes after the failure: a point after the gap.
  await page.waitForFunction(() => {
    const v = JSON.parse(document.querySelector('figure[data-chart="requests"] path[data-series="2xx"]').dataset.values);
    const gap = v.lastIndexOf(null);
    return gap >= 0 && gap < v.length - 1;
  }, null, { timeout: 15000 });
  const d = await page.locator('figure[data-chart="requests"] path[data-series="2xx"]').getAttribute('d');
  assert.ok((d.match(/M/g) ?? []).length >= 2, `the line is broken at the gap: ${d}`);
  await page.locator('#charts-note', { hasText: 'scraped' }).waitFor();
  // The rest of the page is unharmed.
  assert.equal(await page.locator('#health-panel').getAttribute('data-status'), 'ok');
  await page.click('nav a[data-tab="catalog"]');
  await summary().filter({ hasText: /track/ }).waitFor();
  assert.deepEqual(consoleErrors.filter((e) => !/status\/metrics/.test(e)), []);
});

test('a FAILED track in the list shows why, and its Retry button puts it back to pending', async () => {
  const id = fixtureId(20);
  sql(`UPDATE audio_tracks SET status = 'FAILED', error_message = 'codec missing (set by the test)', retry_count = 1 WHERE id = '${id}'`);
  await page.goto(`${base}/voxcat/?status=FAILED#catalog`);
  const row = page.locator(`#results tbody tr[data-id="${id}"]`);
  await row.waitFor();
  assert.equal(await row.locator('small.reason').textContent(), 'codec missing (set by the test)');
  await row.locator('button.retry').focus();
  await page.keyboard.press('Enter');
  // The list is re-run: a PENDING track is no longer among the FAILED ones.
  await row.waitFor({ state: 'detached' });
  assert.equal(sql(`SELECT status || ' ' || retry_count FROM audio_tracks WHERE id = '${id}'`), 'PENDING 2');
  assert.equal(await page.locator('dialog#track[open]').count(), 0, 'the button did not open the track');
  // Retries used up: the refusal is shown in words and nothing changes.
  const spent = fixtureId(15);
  await page.locator(`#results tbody tr[data-id="${spent}"] button.retry`).click();
  await page.locator('#search-error', { hasText: /Retry failed: .*retr/ }).waitFor({ state: 'visible' });
  assert.equal(sql(`SELECT status || ' ' || retry_count FROM audio_tracks WHERE id = '${spent}'`), 'FAILED 3');
});

test('a narrow screen still shows the results', async () => {
  await page.setViewportSize({ width: 380, height: 800 });
  await page.goto(`${base}/voxcat/`);
  await summary().filter({ hasText: /^\d+ tracks/ }).waitFor();
  assert.ok(await page.locator('#results tbody tr').first().isVisible());
  await page.screenshot({ path: join(shots, 'narrow.png'), fullPage: true });
  assert.deepEqual(consoleErrors, []);
});

// Last: it stops PostgreSQL (run.sh passes the stack's directory).
test('the Tokens view creates a token, shows it once, revokes it; the revoked token then gets 401', async () => {
  await page.goto(`${base}/voxcat/#tokens`);
  await page.locator('#tokens-table tbody tr[data-name="stack-admin"]').waitFor();
  await page.fill('#token-name', 'from-the-page');
  await page.fill('#token-daily', '500');
  await page.check('#token-form input[value="read"]');
  await page.click('#token-create');
  await page.locator('#token-new').waitFor({ state: 'visible' });
  const secret = (await page.locator('#token-secret').textContent()).trim();
  assert.match(secret, /^vc_[A-Za-z0-9_-]{43}$/);
  const row = page.locator('#tokens-table tbody tr[data-name="from-the-page"]');
  await row.waitFor();
  assert.match(await row.textContent(), /tts, read.*500/);
  assert.equal(sql("SELECT array_to_string(scopes, ',') || ' ' || daily_chars FROM api_tokens WHERE name = 'from-the-page'"), 'tts,read 500');
  // The secret is shown once: the list never carries it.
  assert.doesNotMatch(await page.locator('#tokens-table').textContent(), new RegExp(secret.slice(3)));
  const speak = (token) => fetch(`${base}/tts`, { method: 'POST', headers: { 'Content-Type': 'application/json',
    Authorization: `Bearer ${token}` }, body: JSON.stringify({ text: 'token from the page' }) });
  assert.equal((await speak(secret)).status, 200);
  await row.locator('button[data-revoke]').click();
  await row.filter({ hasText: 'revoked' }).waitFor();
  assert.equal((await speak(secret)).status, 401);
  await page.screenshot({ path: join(shots, 'tokens.png'), fullPage: true });
});

test('PostgreSQL stopped: the page says so in words, and speech still plays', { skip: !process.env.VOXCAT_STACK_DIR && 'VOXCAT_STACK_DIR not set' }, async () => {
  const stack = join(dirname(fileURLToPath(import.meta.url)), '..', 'stack');
  execFileSync(stack, ['pg-stop', process.env.VOXCAT_STACK_DIR], { stdio: 'ignore' });
  await page.setViewportSize({ width: 1200, height: 900 });
  await page.goto(`${base}/voxcat/?q=midnight#catalog`);
  await page.locator('#search-error', { hasText: 'database unavailable' }).waitFor({ state: 'visible' });
  await page.locator('#health-badge.degraded').waitFor();
  await page.goto(`${base}/voxcat/#generate`);
  await page.locator('#tts-model option[value="espeak"]').waitFor({ state: 'attached' });
  await page.fill('#tts-text', 'Still speaking without the database');
  await page.click('#tts-submit');
  await page.locator('#tts-status', { hasText: 'database unavailable: not recorded' }).waitFor();
  assert.equal(await page.locator('#tts-error').isHidden(), true);
  assert.match(await page.locator('#tts-audio').getAttribute('src'), /^blob:/);
  await page.goto(`${base}/voxcat/#health`);
  await page.locator('#health-panel[data-status="degraded"]').waitFor();
  assert.match(await page.locator('[data-card="database"]').textContent(), /reachable\s*no/);
  await page.screenshot({ path: join(shots, 'degraded.png'), fullPage: true });
  assert.deepEqual(consoleErrors, []);
});
