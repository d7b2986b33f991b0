// admin.test.mjs - the admin page in real headless Chromium against a real
// stack with the fixture catalog imported (see run.sh). Each main view is
// saved as a screenshot under tests/artifacts/browser/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const base = process.env.VOXCAT_URL;
const shots = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts', 'browser');
const sql = (q) => execFileSync('psql', ['-XAtqc', q], { encoding: 'utf8' }).trim();
const fixtureId = (n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

let browser;
let page;
const consoleErrors = [];

before(async () => {
  assert.ok(base, 'VOXCAT_URL is set');
  mkdirSync(shots, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--autoplay-policy=no-user-gesture-required'],
    // playwright gives every launch a new, empty profile directory.
  });
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
});

after(async () => { await browser?.close(); });

const summary = () => page.locator('#results-summary');

test('the page loads from / and lists the catalog', async () => {
  await page.goto(`${base}/`);
  assert.match(page.url(), /\/admin\/(#catalog)?$/);
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
  await page.click('#next');
  await page.locator('#page-info', { hasText: 'page 2 of 2' }).waitFor();
  assert.match(page.url(), /offset=20/);
  assert.equal(await page.locator('#next').isDisabled(), true);
  await page.goBack();
  await page.locator('#page-info', { hasText: 'page 1 of 2' }).waitFor();
});

test('facet counts are shown beside the filters', async () => {
  const rock = sql("SELECT count(*) FROM audio_tracks WHERE genre = 'rock'");
  await page.locator('#facets button', { hasText: `rock (${rock})` }).waitFor();
});

test('generating speech plays audio and adds a track', async () => {
  const before = Number(sql('SELECT count(*) FROM audio_tracks'));
  await page.goto(`${base}/admin/#generate`);
  await page.locator('#tts-model option[value="espeak"]').waitFor({ state: 'attached' });
  assert.equal(await page.locator('#tts-model option[value="gemini-flash"]').isDisabled(), true);
  assert.match(await page.locator('#model-note').textContent(), /GEMINI_API_KEY/);
  await page.fill('#tts-text', 'Hello from the admin page');
  await page.click('#tts-submit');
  await page.locator('#tts-status', { hasText: 'X-Cache: MISS' }).waitFor();
  const audio = await page.locator('#tts-audio').evaluate(async (a) => {
    await new Promise((r) => (a.readyState >= 1 ? r() : a.addEventListener('loadedmetadata', r, { once: true })));
    return { src: a.src, duration: a.duration, error: a.error && a.error.code };
  });
  assert.match(audio.src, /^blob:/);
  assert.equal(audio.error, null);
  assert.ok(audio.duration > 0.5, `duration ${audio.duration}`);
  await page.locator('#tts-track-link').waitFor();
  assert.equal(Number(sql('SELECT count(*) FROM audio_tracks')), before + 1);
  await page.screenshot({ path: join(shots, 'generate.png'), fullPage: true });
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
  await page.goto(`${base}/admin/?q=pending+song#catalog`);
  await summary().filter({ hasText: /^1 track/ }).waitFor();
  await page.locator('#results tbody tr').first().click();
  await page.locator('#track-status', { hasText: 'PENDING' }).waitFor();
  await page.click('#track-actions button[data-to="PROCESSING"]');
  await page.locator('#track-status', { hasText: 'PROCESSING' }).waitFor();
  assert.equal(sql(`SELECT status FROM audio_tracks WHERE id = '${id}'`), 'PROCESSING');
  await page.keyboard.press('Escape');
});

test('an API error is shown to the person as text', async () => {
  await page.goto(`${base}/admin/#generate`);
  await page.locator('#tts-model option[value="espeak"]').waitFor({ state: 'attached' });
  await page.fill('#tts-text', 'x'.repeat(6000));
  await page.click('#tts-submit');
  const err = page.locator('#tts-error');
  await err.waitFor({ state: 'visible' });
  assert.match(await err.textContent(), /over the limit of 5000/);
  await page.goto(`${base}/admin/?year_from=1700#catalog`);
  await page.locator('#search-error', { hasText: 'year_from' }).waitFor({ state: 'visible' });
});

test('the health panel shows the pool and the database', async () => {
  await page.goto(`${base}/admin/#health`);
  await page.locator('#health-panel .card h3', { hasText: 'Workers' }).waitFor();
  assert.match(await page.locator('#health-panel').textContent(), /reachable\s*yes/);
  await page.screenshot({ path: join(shots, 'health.png'), fullPage: true });
});

test('a narrow screen still shows the results', async () => {
  await page.setViewportSize({ width: 380, height: 800 });
  await page.goto(`${base}/admin/`);
  await summary().filter({ hasText: /^\d+ tracks/ }).waitFor();
  assert.ok(await page.locator('#results tbody tr').first().isVisible());
  await page.screenshot({ path: join(shots, 'narrow.png'), fullPage: true });
  assert.deepEqual(consoleErrors, []);
});
